import { IMAGES } from '../../config/images';

/**
 * PagoDirecto CRM values that hold in every environment (database, bounded-context schemas,
 * extensions, row-level security, roles, edge policies). Environments spread this and override
 * sizes, replicas and toggles. Seed 004 names the features (8 bounded-context schemas, the four
 * extensions, row-level security, API and auth rate limits, CSP/HSTS/X-Frame-Options, CORS) but
 * gives values only for the extensions; every other value here is ours, with the reason beside it.
 */
export const PAGODIRECTO_BASE = {
  namespace: 'pagodirecto',
  postgres: {
    image: IMAGES.postgres16,
    exporterImage: IMAGES.postgresExporter,
    // Chosen: the seed's init-db.sh is not reproduced in it; named after the product.
    database: 'pagodirecto_crm',
    /**
     * One schema per bounded context. The seed says "8 bounded contexts" without naming them; these
     * eight are ours, the contexts a payments CRM splits into (who, whom, selling, what, invoicing,
     * money movement, messaging, audit trail).
     */
    schemas: ['identity', 'customers', 'sales', 'catalog', 'billing', 'payments', 'communications', 'audit'],
    // The seed's four extensions.
    extensions: ['uuid-ossp', 'pgcrypto', 'pg_stat_statements', 'pg_trgm'] as const,
    /** Multi-tenant (the seed's "Row-Level Security for data isolation"; setting and column names are ours) isolation: rows of tables with tenant_id are visible only to the tenant in app.tenant_id. */
    rowLevelSecurity: { tenantSetting: 'app.tenant_id', tenantColumn: 'tenant_id', tenantType: 'uuid' as const },
    allowedCidrs: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'],
    exporterResources: { cpuRequest: '25m', memoryRequest: '32Mi', memoryLimit: '64Mi' },
  },
  /** Connection limits per role, keyed owner (migrations), app (requests), readonly (reporting). */
  roleNames: { owner: 'pagodirecto_owner', app: 'pagodirecto_app', readonly: 'pagodirecto_readonly' },
  edge: {
    // The seed asks for rate limits on the API and on the auth endpoints but gives no numbers. Chosen:
    // 10 req/s per client with bursts of 20 covers a CRM user's page loads (a view fires a handful of
    // calls); 5 per minute on auth stops password guessing while a user who mistypes twice still logs in.
    apiRateLimit: { average: 10, burst: 20, period: '1s' },
    authRateLimit: { average: 5, burst: 5, period: '1m' },
    // Chosen: the backend's versioned auth routes.
    authPath: '/api/v1/auth',
    // Chosen: 10 MiB fits CSV imports and attachments of a CRM; the seed's Nginx value is not given.
    maxRequestBodyBytes: 10 * 1024 * 1024,
    // The seed asks for a CSP without giving one. Chosen: same-origin everything (the SPA and its API share
    // the host), inline styles allowed because TailwindCSS/React inject them, no framing, no plugins.
    contentSecurityPolicy:
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
      "font-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
  },
} as const;

/**
 * Autovacuum and logging settings shared by every environment. The seed asks for "autovacuum
 * optimization", "logging configuration" and names random_page_cost 1.1 (SSD); the other numbers are
 * ours: vacuum/analyze at 5 %/2 % of a table instead of PostgreSQL's 20 %/10 % because OLTP tables with
 * hot rows bloat long before the default triggers, and log every checkpoint, lock wait and temp file so
 * slow queries can be explained.
 */
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
