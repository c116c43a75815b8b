import { IMAGES } from '../../config/images';
import { PAGODIRECTO_BASE, PAGODIRECTO_POSTGRES_MAINTENANCE } from './base';
import { PagoDirectoConfigInput } from './schema';

/** prod (EKS): the seed's HA layout, production sizes, S3 backups via IRSA, no dev tools. */
export const prod: PagoDirectoConfigInput = {
  namespace: PAGODIRECTO_BASE.namespace,
  host: 'crm.pagodirecto.example',
  corsAllowedOrigins: ['https://crm.pagodirecto.example'],
  backend: {
    image: 'ghcr.io/pagodirecto/backend:1.0.0',
    standIn: false,
    replicas: 2,
    // The seed's HA layout runs two backends; the HPA grows to four under load, five pods during a
    // rollout (maxSurge 1): 5 x the seed's 20-connection pool = the app role's 100.
    autoscaling: { minReplicas: 2, maxReplicas: 4, cpuUtilization: 70, memoryUtilization: 90 },
    connectionPoolSize: 20,
    // 5 idle per pod: connections ready for a burst without holding the whole pool open at night.
    connectionPoolMinIdle: 5,
    jvmMaxRamPercentage: 75,
    // Seed: 1.5 GB RAM, 2 CPU.
    resources: { cpuRequest: '1', cpuLimit: '2', memoryRequest: '1536Mi', memoryLimit: '1536Mi' },
  },
  frontend: {
    image: 'ghcr.io/pagodirecto/frontend:1.0.0',
    standIn: false,
    replicas: 2,
    autoscaling: { minReplicas: 2, maxReplicas: 4, cpuUtilization: 70, memoryUtilization: 80 },
    // Seed: 512 MB RAM, 1 CPU.
    resources: { cpuRequest: '100m', cpuLimit: '1', memoryRequest: '128Mi', memoryLimit: '512Mi' },
  },
  postgres: {
    ...PAGODIRECTO_BASE.postgres,
    schemas: [...PAGODIRECTO_BASE.postgres.schemas],
    extensions: [...PAGODIRECTO_BASE.postgres.extensions],
    rowLevelSecurity: { ...PAGODIRECTO_BASE.postgres.rowLevelSecurity },
    allowedCidrs: [...PAGODIRECTO_BASE.postgres.allowedCidrs],
    // Seed: 2 GB RAM, 2 CPU.
    resources: { cpuRequest: '1', cpuLimit: '2', memoryRequest: '2Gi', memoryLimit: '2Gi' },
    storage: { size: '50Gi', storageClassName: 'gp3-encrypted' },
    // The seed's production "1x PostgreSQL primary + 1x replica" (High Availability): a standby in another zone.
    standby: { enabled: true },
    // Memory settings derived from the 2Gi limit: shared_buffers 512MB and effective_cache_size 1536MB
    // equal the seed's, maintenance_work_mem 128MB, work_mem (2048 - 512) / 150 = 10MB (the seed's 16MB
    // would overcommit 150 connections). max_connections 150, the WAL sizes and the rest are ours: the
    // app role's 100 plus owner, reporting and reserved sessions, with room for checkpoints on SSD.
    settings: {
      ...PAGODIRECTO_POSTGRES_MAINTENANCE,
      max_connections: 150,
      effective_io_concurrency: 200,
      checkpoint_completion_target: 0.9,
      wal_buffers: '16MB',
      min_wal_size: '1GB',
      max_wal_size: '4GB',
      autovacuum_naptime: '30s',
      log_min_duration_statement: 200,
      log_connections: true,
      log_disconnections: true,
      idle_in_transaction_session_timeout: '5min',
    },
  },
  roles: {
    owner: { name: PAGODIRECTO_BASE.roleNames.owner, connectionLimit: 5 },
    // 5 backend pods x 20; all roles 118 + 8 reserved (superuser 3, reconcile 2, backup 1, restore 1, promotion fencing 1) = 126 <= 150.
    app: { name: PAGODIRECTO_BASE.roleNames.app, connectionLimit: 100 },
    readonly: { name: PAGODIRECTO_BASE.roleNames.readonly, connectionLimit: 10 },
  },
  edge: {
    ...PAGODIRECTO_BASE.edge,
    apiRateLimit: { ...PAGODIRECTO_BASE.edge.apiRateLimit },
    authRateLimit: { ...PAGODIRECTO_BASE.edge.authRateLimit },
  },
  backups: {
    target: 's3',
    bucket: 'pagodirecto-prod-backups',
    region: 'eu-west-1',
    // Chosen: an alias ARN, so the key behind it can be replaced without a config change.
    kmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:alias/pagodirecto-prod-backups',
    schedule: '0 3 * * *',
    retentionDays: 30,
    maxAgeHours: 26,
    uploaderImage: IMAGES.awsCli,
    resources: { cpuRequest: '100m', memoryRequest: '256Mi', memoryLimit: '512Mi' },
    postgresPitr: {
      enabled: true,
      // Chosen: daily, an hour after the pg_dump (0 3 * * *), so the two never compete for I/O; a
      // recovery replays at most a day of WAL on top of the newest base backup.
      baseBackupSchedule: '0 4 * * *',
      // Chosen: 60 s bounds the loss window (RPO) to about a minute plus the 5 s ship interval; each
      // forced switch uploads one segment (16 MiB before gzip, far less when mostly empty).
      archiveTimeoutSeconds: 60,
      // Chosen: the sidecar only runs the AWS CLI every few seconds; 256Mi covers one CLI upload.
      shipperResources: { cpuRequest: '25m', memoryRequest: '128Mi', memoryLimit: '256Mi' },
    },
  },
  adminer: { enabled: false, image: IMAGES.adminer, resources: { cpuRequest: '25m', memoryRequest: '64Mi', memoryLimit: '128Mi' } },
  localstack: { enabled: false, image: IMAGES.localstack, resources: { cpuRequest: '100m', memoryRequest: '256Mi', memoryLimit: '512Mi' } },
  aws: {
    backupRoleArn: 'arn:aws:iam::123456789012:role/pagodirecto-prod-backup',
    secretsRoleArn: 'arn:aws:iam::123456789012:role/pagodirecto-prod-secrets',
    secretsKeyPrefix: 'prod/pagodirecto',
  },
};
