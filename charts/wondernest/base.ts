import { IMAGES } from '../../config/images';

/**
 * WonderNest facts from its seed that hold in every environment (database layout,
 * roles, ports). Environments spread this and override sizes and toggles.
 */
export const WONDERNEST_BASE = {
  namespace: 'wondernest',
  postgres: {
    image: IMAGES.postgres15,
    exporterImage: IMAGES.postgresExporter,
    database: 'wondernest_prod',
    schemas: ['core', 'family', 'subscription', 'content', 'audio', 'analytics', 'ml', 'safety', 'audit'],
    extensions: ['pg_stat_statements'] as const,
    allowedCidrs: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'],
    exporterResources: { cpuRequest: '25m', memoryRequest: '32Mi', memoryLimit: '64Mi' },
  },
  redis: {
    image: IMAGES.redis72,
    exporterImage: IMAGES.redisExporter,
    // The seed gives Redis no memory policy. Chosen: it holds sessions and caches the api can rebuild,
    // so evicting the least recently used key beats refusing writes when full.
    maxmemoryPolicy: 'allkeys-lru' as const,
    exporterResources: { cpuRequest: '25m', memoryRequest: '32Mi', memoryLimit: '64Mi' },
  },
  // The seed's Flyway settings (FLYWAY_ENABLED, FLYWAY_BASELINE_ON_MIGRATE).
  flyway: { enabled: true, baselineOnMigrate: true },
  // The seed's role connection limits.
  appConnectionLimit: 50,
  analyticsConnectionLimit: 10,
} as const;

/** The seed's HikariConfig timeouts (connectionTimeout 30 s, idleTimeout 10 min, maxLifetime 30 min, leakDetectionThreshold 1 min). */
export const WONDERNEST_API_POOL_TIMEOUTS = {
  connectionMs: 30_000,
  idleMs: 600_000,
  maxLifetimeMs: 1_800_000,
  leakDetectionMs: 60_000,
} as const;
