export * from './object-storage';
export * from './s3-compatible-storage';
export * from './amazon-s3-storage';
export * from './minio-server';
export * from './bucket-settings';
export * from './bucket-setup';
export * from './bucket-mirror';
