import { IMAGES } from '../../config/images';
import { PAGODIRECTO_BASE, PAGODIRECTO_POSTGRES_MAINTENANCE } from './base';
import { PagoDirectoConfigInput } from './schema';

/** dev (kind): one replica, small sizes, Adminer and LocalStack on. */
export const dev: PagoDirectoConfigInput = {
  namespace: PAGODIRECTO_BASE.namespace,
  host: 'crm.pagodirecto.localtest.me',
  corsAllowedOrigins: ['http://localhost:3000', 'https://crm.pagodirecto.localtest.me'],
  backend: {
    image: 'ghcr.io/pagodirecto/backend:1.0.0',
    standIn: true,
    replicas: 1,
    // 1 pod (+1 during a rollout) x 10 = the app role's 20.
    connectionPoolSize: 10,
    connectionPoolMinIdle: 2,
    jvmMaxRamPercentage: 75,
    resources: { cpuRequest: '250m', cpuLimit: '1', memoryRequest: '384Mi', memoryLimit: '768Mi' },
  },
  frontend: {
    image: 'ghcr.io/pagodirecto/frontend:1.0.0',
    standIn: true,
    replicas: 1,
    resources: { cpuRequest: '25m', memoryRequest: '32Mi', memoryLimit: '64Mi' },
  },
  postgres: {
    ...PAGODIRECTO_BASE.postgres,
    schemas: [...PAGODIRECTO_BASE.postgres.schemas],
    extensions: [...PAGODIRECTO_BASE.postgres.extensions],
    rowLevelSecurity: { ...PAGODIRECTO_BASE.postgres.rowLevelSecurity },
    allowedCidrs: [...PAGODIRECTO_BASE.postgres.allowedCidrs],
    resources: { cpuRequest: '100m', memoryRequest: '256Mi', memoryLimit: '512Mi' },
    storage: { size: '2Gi', storageClassName: 'standard' },
    // Chosen: no standby on kind (one node, one zone: it could not be in another zone).
    standby: { enabled: false },
    // Memory settings derived from the 512Mi limit (shared_buffers 128MB, effective_cache_size
    // 384MB, maintenance_work_mem 32MB, work_mem (512 - 128) / 50 = 7MB).
    settings: {
      ...PAGODIRECTO_POSTGRES_MAINTENANCE,
      max_connections: 50,
      effective_io_concurrency: 100,
      autovacuum_naptime: '1min',
      log_min_duration_statement: 500,
    },
  },
  roles: {
    owner: { name: PAGODIRECTO_BASE.roleNames.owner, connectionLimit: 5 },
    app: { name: PAGODIRECTO_BASE.roleNames.app, connectionLimit: 20 },
    readonly: { name: PAGODIRECTO_BASE.roleNames.readonly, connectionLimit: 5 },
  },
  edge: {
    ...PAGODIRECTO_BASE.edge,
    apiRateLimit: { ...PAGODIRECTO_BASE.edge.apiRateLimit },
    authRateLimit: { ...PAGODIRECTO_BASE.edge.authRateLimit },
  },
  backups: {
    target: 'localstack',
    bucket: 'pagodirecto-backups',
    region: 'us-east-1',
    schedule: '0 3 * * *',
    retentionDays: 30,
    maxAgeHours: 26,
    uploaderImage: IMAGES.awsCli,
    resources: { cpuRequest: '50m', memoryRequest: '128Mi', memoryLimit: '256Mi' },
    // dev: off. Point-in-time recovery archives to Amazon S3 only (the config rules refuse LocalStack, see
    // commonStackRules); dev keeps the daily pg_dump, and the mechanism is proven offline by
    // test/integration/postgres-pitr.test.ts (real PostgreSQL 15 and a local S3 server).
    postgresPitr: {
      enabled: false,
      baseBackupSchedule: '0 4 * * *',
      archiveTimeoutSeconds: 60,
      // Chosen: the sidecar only runs the AWS CLI every few seconds; 256Mi covers one CLI upload.
      shipperResources: { cpuRequest: '25m', memoryRequest: '128Mi', memoryLimit: '256Mi' },
    },
  },
  adminer: { enabled: true, image: IMAGES.adminer, resources: { cpuRequest: '25m', memoryRequest: '64Mi', memoryLimit: '128Mi' } },
  localstack: {
    enabled: true,
    image: IMAGES.localstack,
    resources: { cpuRequest: '100m', memoryRequest: '256Mi', memoryLimit: '512Mi' },
    // The emptyDir it replaces was 2Gi: room for a week of dev backups.
    storage: { size: '2Gi', storageClassName: 'standard' },
  },
};
