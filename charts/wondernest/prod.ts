import { IMAGES } from '../../config/images';
import { WONDERNEST_BASE } from './base';
import { WonderNestConfigInput } from './schema';

/** prod (EKS): the seed's replicas and HPA, production sizes, S3 backups via IRSA, no dev tools. */
export const prod: WonderNestConfigInput = {
  ...WONDERNEST_BASE,
  host: 'api.wondernest.example',
  corsAllowedOrigins: ['https://app.wondernest.example'],
  api: {
    image: 'ghcr.io/wondernest/api:0.1.0',
    standIn: false,
    replicas: 3,
    // The seed runs 3 replicas; the HPA keeps 3 and grows under load.
    autoscaling: { minReplicas: 3, maxReplicas: 10, cpuUtilization: 70, memoryUtilization: 80 },
    resources: { cpuRequest: '500m', cpuLimit: '2', memoryRequest: '1Gi', memoryLimit: '2Gi' },
  },
  postgres: {
    ...WONDERNEST_BASE.postgres,
    schemas: [...WONDERNEST_BASE.postgres.schemas],
    extensions: [...WONDERNEST_BASE.postgres.extensions],
    allowedCidrs: [...WONDERNEST_BASE.postgres.allowedCidrs],
    resources: { cpuRequest: '1', cpuLimit: '2', memoryRequest: '2Gi', memoryLimit: '2Gi' },
    storage: { size: '50Gi', storageClassName: 'gp3-encrypted' },
    // The seed's postgresql.conf (256MB shared buffers = 25% of RAM, SSD costs), sized to 2Gi.
    settings: {
      max_connections: 100,
      shared_buffers: '512MB',
      effective_cache_size: '1536MB',
      work_mem: '8MB',
      maintenance_work_mem: '128MB',
      random_page_cost: 1.1,
      effective_io_concurrency: 100,
      checkpoint_completion_target: 0.9,
      wal_buffers: '16MB',
      idle_in_transaction_session_timeout: '10min',
      log_min_duration_statement: 250,
    },
  },
  redis: {
    ...WONDERNEST_BASE.redis,
    maxmemory: '768mb',
    resources: { cpuRequest: '250m', memoryRequest: '1Gi', memoryLimit: '1Gi' },
    storage: { size: '10Gi', storageClassName: 'gp3-encrypted' },
  },
  backups: {
    target: 's3',
    bucket: 'wondernest-prod-backups',
    region: 'eu-west-1',
    postgresSchedule: '0 2 * * *',
    redisSchedule: '30 2 * * *',
    retentionDays: 30,
    maxAgeHours: 26,
    uploaderImage: IMAGES.awsCli,
    resources: { cpuRequest: '100m', memoryRequest: '256Mi', memoryLimit: '512Mi' },
  },
  pgadmin: {
    enabled: false,
    image: IMAGES.pgadmin,
    email: 'admin@wondernest.example',
    resources: { cpuRequest: '50m', memoryRequest: '192Mi', memoryLimit: '384Mi' },
  },
  localstack: { enabled: false, image: IMAGES.localstack, resources: { cpuRequest: '100m', memoryRequest: '384Mi', memoryLimit: '768Mi' } },
  aws: {
    backupRoleArn: 'arn:aws:iam::123456789012:role/wondernest-prod-backup',
    secretsRoleArn: 'arn:aws:iam::123456789012:role/wondernest-prod-secrets',
    secretsKeyPrefix: 'prod/wondernest',
    apiRoleArn: 'arn:aws:iam::123456789012:role/wondernest-prod-api',
  },
  // The seed names the services (S3, SES, SNS, SQS) but no buckets, topics or queues: one uploads
  // bucket beside the backups one, the public domain as sender, one notifications topic and one
  // jobs queue, named after the stack so the IAM policy stays exact; rename to the app's real ones.
  // The region of the backups: one region for the stack's data.
  apiAws: {
    region: 'eu-west-1',
    uploads: { bucket: 'wondernest-prod-uploads', prefix: 'uploads' },
    emailIdentity: 'wondernest.example',
    topics: ['wondernest-notifications'],
    queues: ['wondernest-jobs'],
  },
};
