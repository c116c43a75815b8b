import { IMAGES } from '../../config/images';

/**
 * PagoDirecto CRM facts from its seed that hold in every environment (database, bounded-context
 * schemas, extensions, row-level security, roles, edge policies). Environments spread this and
 * override sizes, replicas and toggles.
 */
export const PAGODIRECTO_BASE = {
  namespace: 'pagodirecto',
  postgres: {
    image: IMAGES.postgres16,
    exporterImage: IMAGES.postgresExporter,
    database: 'pagodirecto_crm',
    /** One schema per bounded context. */
    schemas: ['identity', 'customers', 'sales', 'catalog', 'billing', 'payments', 'communications', 'audit'],
    extensions: ['uuid-ossp', 'pgcrypto', 'pg_stat_statements', 'pg_trgm'] as const,
    /** Multi-tenant isolation: rows of tables with tenant_id are visible only to the tenant in app.tenant_id. */
    rowLevelSecurity: { tenantSetting: 'app.tenant_id', tenantColumn: 'tenant_id', tenantType: 'uuid' as const },
    allowedCidrs: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'],
    exporterResources: { cpuRequest: '25m', memoryRequest: '32Mi', memoryLimit: '64Mi' },
  },
  /** Connection limits per role, keyed owner (migrations), app (requests), readonly (reporting). */
  roleNames: { owner: 'pagodirecto_owner', app: 'pagodirecto_app', readonly: 'pagodirecto_readonly' },
  edge: {
    // The seed's Nginx limit_req zones: the API, and a much stricter one for the auth endpoints.
    apiRateLimit: { average: 10, burst: 20, period: '1s' },
    authRateLimit: { average: 5, burst: 5, period: '1m' },
    authPath: '/api/v1/auth',
    maxRequestBodyBytes: 10 * 1024 * 1024,
    contentSecurityPolicy:
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
      "font-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
  },
} as const;

/** The seed's postgresql.conf autovacuum and logging settings, shared by every environment. */
export const PAGODIRECTO_POSTGRES_MAINTENANCE = {
  autovacuum: true,
  autovacuum_max_workers: 3,
  autovacuum_vacuum_scale_factor: 0.05,
  autovacuum_analyze_scale_factor: 0.02,
  autovacuum_vacuum_cost_limit: 1000,
  log_checkpoints: true,
  log_lock_waits: true,
  log_temp_files: 0,
  log_autovacuum_min_duration: '1s',
  log_line_prefix: '%m [%p] %q%u@%d ',
  track_io_timing: true,
  'pg_stat_statements.track': 'all',
  random_page_cost: 1.1,
} as const;
