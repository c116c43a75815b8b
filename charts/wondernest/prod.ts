import { IMAGES } from '../../config/images';
import { WONDERNEST_API_POOL_TIMEOUTS, WONDERNEST_BASE } from './base';
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
    // The seed's production pool is 50 per pod with 10 idle, sized for one server: at 11 pods
    // (HPA maxReplicas 10 + rollout surge 1) that is 550 connections against the seed's
    // max_connections 200. 15 per pod = 165 fits wondernest_app's limit 170 below; the seed's 10 idle stays.
    pool: { maxSize: 15, minIdle: 10 },
    poolTimeouts: WONDERNEST_API_POOL_TIMEOUTS,
  },
  postgres: {
    ...WONDERNEST_BASE.postgres,
    schemas: [...WONDERNEST_BASE.postgres.schemas],
    extensions: [...WONDERNEST_BASE.postgres.extensions],
    allowedCidrs: [...WONDERNEST_BASE.postgres.allowedCidrs],
    // The seed's production server has 8GB; the memory settings are derived from the limit
    // (derivePostgresMemorySettings: shared_buffers 2048MB, effective_cache_size 6144MB,
    // maintenance_work_mem 512MB as in the seed, work_mem (8192 - 2048) / 200 = 30MB for its 32MB).
    resources: { cpuRequest: '1', cpuLimit: '2', memoryRequest: '8Gi', memoryLimit: '8Gi' },
    storage: { size: '50Gi', storageClassName: 'gp3-encrypted' },
    // The seed's primary and read replica (POSTGRES_REPLICATION_USER replicator): a standby in another zone.
    standby: { enabled: true },
    // The seed's production postgresql.conf (log_min_duration_statement is ours: slow queries above 250 ms).
    settings: {
      max_connections: 200,
      idle_in_transaction_session_timeout: '60min',
      random_page_cost: 1.1,
      effective_io_concurrency: 200,
      checkpoint_completion_target: 0.9,
      wal_buffers: '64MB',
      log_min_duration_statement: 250,
    },
  },
  // 11 api pods x 15 = 165, plus 5 for sessions outside the pool (migrations, an operator's psql);
  // with analytics 10, the exporter 3 and 8 reserved (superuser 3, reconcile 2, backup 1, restore 1, promotion fencing 1) = 191 <= 200.
  appConnectionLimit: 170,
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
    // Chosen: an alias ARN, so the key behind it can be replaced without a config change.
    kmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:alias/wondernest-prod-backups',
    postgresSchedule: '0 2 * * *',
    redisSchedule: '30 2 * * *',
    retentionDays: 30,
    maxAgeHours: 26,
    uploaderImage: IMAGES.awsCli,
    resources: { cpuRequest: '100m', memoryRequest: '256Mi', memoryLimit: '512Mi' },
    postgresPitr: {
      enabled: true,
      // Chosen: daily, an hour after the pg_dump (0 2 * * *), so the two never compete for I/O; a
      // recovery replays at most a day of WAL on top of the newest base backup.
      baseBackupSchedule: '0 3 * * *',
      // Chosen: 60 s bounds the loss window (RPO) to about a minute plus the 5 s ship interval; each
      // forced switch uploads one segment (16 MiB before gzip, far less when mostly empty).
      archiveTimeoutSeconds: 60,
      // Chosen: the sidecar only runs the AWS CLI every few seconds; 256Mi covers one CLI upload.
      shipperResources: { cpuRequest: '25m', memoryRequest: '128Mi', memoryLimit: '256Mi' },
    },
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
