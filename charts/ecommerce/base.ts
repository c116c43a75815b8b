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
