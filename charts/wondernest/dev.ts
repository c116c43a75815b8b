import { IMAGES } from '../../config/images';
import { WONDERNEST_API_POOL_TIMEOUTS, WONDERNEST_BASE } from './base';
import { WonderNestConfigInput } from './schema';

/** dev (kind): one replica, small sizes, dev tools on, backups to the in-namespace LocalStack. */
export const dev: WonderNestConfigInput = {
  ...WONDERNEST_BASE,
  // *.localtest.me resolves to 127.0.0.1 without editing /etc/hosts.
  host: 'api.wondernest.localtest.me',
  corsAllowedOrigins: ['http://localhost:3000', 'https://app.wondernest.localtest.me'],
  api: {
    image: 'ghcr.io/wondernest/api:0.1.0',
    standIn: true,
    replicas: 1,
    resources: { cpuRequest: '100m', memoryRequest: '256Mi', memoryLimit: '512Mi' },
    // One pod (+1 during a rollout) x 10 = 20 of wondernest_app's 50: a small pool for a dev database.
    pool: { maxSize: 10, minIdle: 2 },
    poolTimeouts: WONDERNEST_API_POOL_TIMEOUTS,
  },
  postgres: {
    ...WONDERNEST_BASE.postgres,
    schemas: [...WONDERNEST_BASE.postgres.schemas],
    extensions: [...WONDERNEST_BASE.postgres.extensions],
    allowedCidrs: [...WONDERNEST_BASE.postgres.allowedCidrs],
    resources: { cpuRequest: '100m', memoryRequest: '256Mi', memoryLimit: '512Mi' },
    storage: { size: '2Gi', storageClassName: 'standard' },
    // Chosen: no standby on kind (one node, one zone: it could not be in another zone).
    standby: { enabled: false },
    // The seed's development max_connections; memory settings derived from the 512Mi limit
    // (shared_buffers 128MB, effective_cache_size 384MB, maintenance_work_mem 32MB, work_mem 3MB).
    settings: {
      max_connections: 100,
      random_page_cost: 1.1,
      effective_io_concurrency: 100,
      log_min_duration_statement: 500,
    },
  },
  redis: {
    ...WONDERNEST_BASE.redis,
    maxmemory: '128mb',
    resources: { cpuRequest: '50m', memoryRequest: '128Mi', memoryLimit: '256Mi' },
    storage: { size: '1Gi', storageClassName: 'standard' },
  },
  backups: {
    target: 'localstack',
    bucket: 'wondernest-backups',
    region: 'us-east-1',
    postgresSchedule: '0 2 * * *',
    redisSchedule: '30 2 * * *',
    retentionDays: 7,
    maxAgeHours: 26,
    uploaderImage: IMAGES.awsCli,
    resources: { cpuRequest: '50m', memoryRequest: '128Mi', memoryLimit: '256Mi' },
    // dev: off. Point-in-time recovery archives to Amazon S3 only (the config rules refuse LocalStack, see
    // commonStackRules); dev keeps the daily pg_dump, and the mechanism is proven offline by
    // test/integration/postgres-pitr.test.ts (real PostgreSQL 15 and a local S3 server).
    postgresPitr: {
      enabled: false,
      baseBackupSchedule: '0 3 * * *',
      archiveTimeoutSeconds: 60,
      // Chosen: the sidecar only runs the AWS CLI every few seconds; 256Mi covers one CLI upload.
      shipperResources: { cpuRequest: '25m', memoryRequest: '128Mi', memoryLimit: '256Mi' },
    },
  },
  // In LocalStack: us-east-1 like the backups (LocalStack's default region); names as in prod.
  apiAws: {
    region: 'us-east-1',
    uploads: { bucket: 'wondernest-uploads', prefix: 'uploads' },
    emailIdentity: 'wondernest.localtest.me',
    topics: ['wondernest-notifications'],
    queues: ['wondernest-jobs'],
  },
  pgadmin: {
    enabled: true,
    image: IMAGES.pgadmin,
    email: 'admin@wondernest.localtest.me',
    resources: { cpuRequest: '50m', memoryRequest: '192Mi', memoryLimit: '384Mi' },
    // The seed keeps pgadmin_data on a bind mount; its emptyDir was 256Mi (settings, saved queries, sessions).
    storage: { size: '512Mi', storageClassName: 'standard' },
  },
  localstack: {
    enabled: true,
    image: IMAGES.localstack,
    resources: { cpuRequest: '100m', memoryRequest: '384Mi', memoryLimit: '768Mi' },
    // The seed's localstack_data volume; the emptyDir it replaces was 2Gi (backups and uploads of a dev week).
    storage: { size: '2Gi', storageClassName: 'standard' },
  },
};
