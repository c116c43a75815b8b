import { dnsSubdomain, pgIdentifier } from '../../core/formats';

/**
 * Environment of a Spring Boot service on Kubernetes (relaxed binding: `SPRING_DATASOURCE_URL`
 * sets `spring.datasource.url`). Values only: passwords go through `secretEnv`
 * ({@link SPRING_BOOT_SECRET_ENV} names the variables).
 */

/** The actuator paths the probes and the ServiceMonitor use (Spring Boot 2.3+). */
export const SPRING_BOOT_PATHS = {
  liveness: '/actuator/health/liveness',
  readiness: '/actuator/health/readiness',
  metrics: '/actuator/prometheus',
} as const;

/** Variables that must come from Secrets (pass them as `secretEnv`). */
export const SPRING_BOOT_SECRET_ENV = {
  datasourcePassword: 'SPRING_DATASOURCE_PASSWORD',
  flywayPassword: 'SPRING_FLYWAY_PASSWORD',
} as const;

/**
 * HikariCP pool variables of Spring Boot (`spring.datasource.hikari.maximum-pool-size` and
 * `minimum-idle` in relaxed binding: dots to `_`, dashes dropped), for `PostgresDatabase.client`,
 * which sets them and records the pool for the connection-budget check.
 */
export const SPRING_BOOT_POOL_ENV = {
  maxSize: 'SPRING_DATASOURCE_HIKARI_MAXIMUMPOOLSIZE',
  minIdle: 'SPRING_DATASOURCE_HIKARI_MINIMUMIDLE',
} as const;

/** Options of {@link springBootEnv}. */
export interface SpringBootEnvOptions {
  /** HTTP port (`server.port`). */
  readonly port: number;
  /** Active Spring profiles. @default - none */
  readonly profiles?: readonly string[];
  /**
   * PostgreSQL the app connects to with HikariCP. The pool size is declared with
   * `PostgresDatabase.client(..., { env: SPRING_BOOT_POOL_ENV })`, not here.
   * @default - no datasource
   */
  readonly datasource?: {
    readonly host: string;
    readonly port: number;
    readonly database: string;
    /** Role for requests (least privilege: not the owner of the tables). */
    readonly username: string;
    /** Role Flyway migrates as (the owner of the schemas). @default - Flyway uses `username` */
    readonly migrationUsername?: string;
    /**
     * TLS with the server verified (pgjdbc `sslmode=verify-full`): the CA file in the container
     * (`PostgresDatabase.clientTls.caPath`). Flyway uses the same URL.
     * @default - no TLS parameters (pgjdbc's default `prefer`, unverified)
     */
    readonly sslRootCert?: string;
  };
  /**
   * Latency bounds (seconds) added as histogram buckets of `http.server.requests`
   * (`management.metrics.distribution.slo`), so the share of requests under each bound is exact:
   * the SLI of a latency SLO (`latencySloPanels`).
   * @default - the percentiles-histogram buckets only
   */
  readonly latencySloSeconds?: readonly number[];
  /** Seconds in-flight requests get after SIGTERM (`server.shutdown=graceful`). @default 30 */
  readonly shutdownSeconds?: number;
}

const PROFILE = /^[A-Za-z0-9_-]+$/;

function fail(field: string, value: unknown, expected: string): never {
  throw new Error(`springBootEnv ${field}: got ${JSON.stringify(value)}; expected ${expected}`);
}

/**
 * Plain environment for a Spring Boot service: port, profiles, graceful shutdown, actuator
 * health probes and Prometheus endpoint with an HTTP latency histogram (for p95 alerts), and the
 * HikariCP datasource (URL, user) plus the Flyway user.
 * @throws Error naming the field, the value and what is allowed.
 */
export function springBootEnv(o: SpringBootEnvOptions): Record<string, string> {
  if (!Number.isInteger(o.port) || o.port < 1024 || o.port > 65535) fail('port', o.port, 'an unprivileged port between 1024 and 65535');
  for (const [i, p] of (o.profiles ?? []).entries())
    if (!PROFILE.test(p)) fail(`profiles[${i}]`, p, 'a profile name (letters, digits, _ and -)');
  const shutdown = o.shutdownSeconds ?? 30;
  if (!Number.isInteger(shutdown) || shutdown < 1) fail('shutdownSeconds', shutdown, 'an integer >= 1');
  const env: Record<string, string> = {
    SERVER_PORT: String(o.port),
    SERVER_SHUTDOWN: 'graceful',
    SPRING_LIFECYCLE_TIMEOUT_PER_SHUTDOWN_PHASE: `${shutdown}s`,
    MANAGEMENT_ENDPOINTS_WEB_EXPOSURE_INCLUDE: 'health,info,prometheus',
    MANAGEMENT_ENDPOINT_HEALTH_PROBES_ENABLED: 'true',
    MANAGEMENT_METRICS_DISTRIBUTION_PERCENTILESHISTOGRAM_HTTP_SERVER_REQUESTS: 'true',
    ...(o.profiles?.length ? { SPRING_PROFILES_ACTIVE: o.profiles.join(',') } : {}),
  };
  const slo = o.latencySloSeconds ?? [];
  slo.forEach((v, i) => {
    // Whole milliseconds: Spring reads the value as a Duration ("200ms").
    if (typeof v !== 'number' || !(v > 0) || !Number.isInteger(Math.round(v * 1e6) / 1e3))
      fail(`latencySloSeconds[${i}]`, v, 'a number of seconds > 0 in whole milliseconds, e.g. 0.2');
  });
  if (slo.length > 0) env.MANAGEMENT_METRICS_DISTRIBUTION_SLO_HTTP_SERVER_REQUESTS = slo.map((v) => `${Math.round(v * 1000)}ms`).join(',');
  const ds = o.datasource;
  if (ds) {
    if (!dnsSubdomain.test(ds.host)) fail('datasource.host', ds.host, 'a DNS name');
    if (!Number.isInteger(ds.port) || ds.port < 1 || ds.port > 65535) fail('datasource.port', ds.port, 'a port between 1 and 65535');
    if (!pgIdentifier.test(ds.database)) fail('datasource.database', ds.database, 'a PostgreSQL identifier');
    if (!pgIdentifier.test(ds.username)) fail('datasource.username', ds.username, 'a PostgreSQL role name');
    if (ds.migrationUsername !== undefined && !pgIdentifier.test(ds.migrationUsername))
      fail('datasource.migrationUsername', ds.migrationUsername, 'a PostgreSQL role name');
    if (ds.sslRootCert !== undefined && !/^\/[A-Za-z0-9._/-]+$/.test(ds.sslRootCert))
      fail('datasource.sslRootCert', ds.sslRootCert, "an absolute file path (letters, digits, '.', '_', '-', '/')");
    const tls = ds.sslRootCert !== undefined ? `?sslmode=verify-full&sslrootcert=${ds.sslRootCert}` : '';
    Object.assign(env, {
      SPRING_DATASOURCE_URL: `jdbc:postgresql://${ds.host}:${ds.port}/${ds.database}${tls}`,
      SPRING_DATASOURCE_USERNAME: ds.username,
      ...(ds.migrationUsername ? { SPRING_FLYWAY_USER: ds.migrationUsername } : {}),
    });
  }
  return env;
}
