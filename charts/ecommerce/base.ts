import { IMAGES } from '../../config/images';

/**
 * E-commerce facts from its seeds (002/003) that hold in every environment. Environments spread
 * this and override sizes and toggles.
 */
export const ECOMMERCE_BASE = {
  namespace: 'ecommerce',
  mongodb: {
    image: IMAGES.mongo70,
    exporterImage: IMAGES.mongodbExporter,
    // The seeds' MONGO_DATABASE and MONGO_APP_USERNAME defaults.
    database: 'ecommerce',
    appUser: 'app_user',
    exporterResources: { cpuRequest: '25m', memoryRequest: '32Mi', memoryLimit: '64Mi' },
  },
  /** The in-cluster GlitchTip's facts that hold wherever it runs; sizes and URL per environment. */
  errorTrackerServer: {
    image: IMAGES.glitchtip,
    // Chosen: the stack's own mail domain placeholder (no mail server is configured; GlitchTip logs mails).
    fromEmail: 'glitchtip@ecommerce.example',
    adminEmail: 'admin@ecommerce.example',
    // Chosen: one async granian process per web pod and one worker process, each with a pool of 5
    // (GlitchTip's default of 20 per process is sized for a busy shared instance).
    web: { pool: { maxSize: 5, minIdle: 1 } },
    worker: { pool: { maxSize: 5, minIdle: 1 } },
    postgres: {
      // GlitchTip 6 needs PostgreSQL 14 or newer; the library's newest pinned line.
      image: IMAGES.postgres16,
      exporterImage: IMAGES.postgresExporter,
      // Chosen: an exporter of one small database idles well under 16 MiB.
      exporterResources: { cpuRequest: '10m', memoryRequest: '16Mi', memoryLimit: '64Mi' },
    },
    redis: {
      image: IMAGES.redis72,
      exporterImage: IMAGES.redisExporter,
      exporterResources: { cpuRequest: '10m', memoryRequest: '16Mi', memoryLimit: '64Mi' },
    },
    // After the MongoDB dump and the object mirror, so the nightly jobs do not overlap.
    backups: { postgresSchedule: '0 3 * * *', redisSchedule: '15 3 * * *' },
  },
  search: {
    image: IMAGES.elasticsearch,
    exporterImage: IMAGES.elasticsearchExporter,
    exporterResources: { cpuRequest: '25m', memoryRequest: '32Mi', memoryLimit: '64Mi' },
    setupImage: IMAGES.curl,
    setupResources: { cpuRequest: '10m', memoryRequest: '16Mi', memoryLimit: '32Mi' },
    snapshots: {
      // A folder of the seed's logs bucket (its "log archives"): Elasticsearch needs write and
      // delete there (SLM retention deletes snapshots), which the backup bucket grants nobody.
      prefix: 'elasticsearch',
      // 01:30: before the MongoDB dump at 02:00 and the mirror at 02:30, so they do not compete for the object store.
      schedule: '0 30 1 * * ?',
    },
  },
  kibana: { image: IMAGES.kibana },
  logShipping: {
    image: IMAGES.fluentBit,
    // Chosen: Fluent Bit tails and forwards in C; about 20-40 MiB per node for one namespace's
    // logs, with the limit as headroom for the kubernetes filter's cache and retry chunks in memory.
    resources: { cpuRequest: '25m', memoryRequest: '48Mi', memoryLimit: '128Mi' },
  },
  backups: {
    // The seed's crontab: daily at 02:00.
    mongodbSchedule: '0 2 * * *',
    // After the dump, so both copies of a night describe the same moment as closely as the schedule allows.
    mirrorSchedule: '30 2 * * *',
    // A day and two hours: one missed run alerts, a slow one does not.
    maxAgeHours: 26,
    uploaderImage: IMAGES.awsCli,
    resources: { cpuRequest: '50m', memoryRequest: '128Mi', memoryLimit: '256Mi' },
  },
} as const;
