/** The MongoDB props the library tests share: a 3-member set of database `ecommerce` in namespace `shop`, users from one Secret. */
import { MongoDatabaseProps } from '../../lib/constructs/data/mongodb-database';

/** A key of the `mongodb-credentials` Secret. */
export const mongoSecret = (key: string) => ({ secret: 'mongodb-credentials', key });

/** Without exporter or release (the backup tests need neither). */
export const MONGO_PROPS: MongoDatabaseProps = {
  namespace: 'shop',
  partOf: 'shop',
  image: 'mongo:7.0.28-jammy',
  replicas: 3,
  database: 'ecommerce',
  rootUser: { username: 'admin', password: mongoSecret('MONGO_ROOT_PASSWORD') },
  appUser: { username: 'app_user', password: mongoSecret('MONGO_APP_PASSWORD') },
  keyFile: { secret: 'mongodb-keyfile', key: 'keyfile' },
  resources: { cpuRequest: '250m', memoryRequest: '1Gi', memoryLimit: '2Gi' },
  storage: { size: '10Gi', storageClassName: 'standard' },
  backupUser: { username: 'mongodb_backup', password: mongoSecret('MONGO_BACKUP_PASSWORD') },
};

/** With the exporter sidecar and the monitoring release. */
export const MONGO_PROPS_MONITORED: MongoDatabaseProps = {
  ...MONGO_PROPS,
  exporter: {
    image: 'percona/mongodb_exporter:0.47.2',
    resources: { cpuRequest: '20m', memoryRequest: '64Mi', memoryLimit: '128Mi' },
    user: { username: 'mongodb_exporter', password: mongoSecret('MONGO_EXPORTER_PASSWORD') },
  },
  release: 'kube-prometheus-stack',
};
