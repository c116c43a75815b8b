import { z } from 'zod';
import * as f from '../../lib/config/fields';
import { POSTGRES_TENANT_TYPES } from '../../lib/constructs/data/postgres-config';
import {
  appSchema,
  awsStackSchema,
  backupCommonShape,
  devToolSchema,
  statefulDevToolSchema,
  perSecond,
  postgresPitrSchema,
  postgresSchema,
  rateLimitSchema,
  sharedBuffersWithinLimit,
} from '../../lib/config/stack-schemas';

const role = (): z.ZodObject<{ name: z.ZodString; connectionLimit: z.ZodNumber }, z.core.$strict> =>
  f.object({ name: f.pgIdentifier(), connectionLimit: f.int({ min: 1 }) });

/** PagoDirecto's block of an environment (`charts/pagodirecto/<env>.ts`). */
export const pagodirectoSchema = f
  .object({
    namespace: f.dnsLabel(),
    host: f.hostname(),
    corsAllowedOrigins: f.list(f.origin(), { minItems: 1 }),
    /** Spring Boot (Java 17) API. */
    backend: f.object({
      ...appSchema.shape,
      /** HikariCP maximum pool size per pod. */
      connectionPoolSize: f.int({ min: 1, max: 500 }),
      /** HikariCP minimum idle connections per pod (at most connectionPoolSize). */
      connectionPoolMinIdle: f.int({ min: 0, max: 500 }),
      /** Maximum heap, percent of the container memory limit. */
      jvmMaxRamPercentage: f.int({ min: 10, max: 90 }),
    }),
    /** React build served by unprivileged nginx. */
    frontend: appSchema,
    postgres: f
      .object({
        ...postgresSchema.shape,
        rowLevelSecurity: f.object({
          /** Custom setting holding the current tenant, e.g. 'app.tenant_id'. */
          tenantSetting: f.pattern(
            /^(?!pg_)[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/,
            "a custom setting '<prefix>.<name>' such as 'app.tenant_id'",
          ),
          tenantColumn: f.pgIdentifier(),
          tenantType: f.oneOf(POSTGRES_TENANT_TYPES),
        }),
      })
      .superRefine(sharedBuffersWithinLimit),
    /** Login roles: names and connection limits (owner runs migrations, app serves requests, readonly reports). */
    roles: f.object({ owner: role(), app: role(), readonly: role() }),
    /** Edge policies at the ingress controller. */
    edge: f.object({
      /** Rate limit of /api. */
      apiRateLimit: rateLimitSchema,
      /** Stricter rate limit of the authentication endpoints. */
      authRateLimit: rateLimitSchema,
      /** Path prefix of the authentication endpoints (under /api/). */
      authPath: f.pattern(/^\/api\/[A-Za-z0-9._~/-]*[A-Za-z0-9._~-]$/, "a path under /api/ such as '/api/v1/auth' (no trailing '/')"),
      maxRequestBodyBytes: f.int({ min: 1024, max: 1073741824 }),
      contentSecurityPolicy: f.pattern(/^[^\n"]+$/, 'a Content-Security-Policy such as "default-src \'self\'"'),
    }),
    backups: f.object({ ...backupCommonShape, schedule: f.cron(), postgresPitr: postgresPitrSchema }),
    adminer: devToolSchema,
    localstack: statefulDevToolSchema,
    aws: awsStackSchema.optional(),
  })
  .superRefine(connectionBudgetsAndEdge);

export type PagoDirectoConfig = z.output<typeof pagodirectoSchema>;
export type PagoDirectoConfigInput = z.input<typeof pagodirectoSchema>;

/** Connection budgets, a stricter auth limit, distinct role names. */
function connectionBudgetsAndEdge(p: PagoDirectoConfig, ctx: z.RefinementCtx): void {
  const issue = (path: PropertyKey[], input: unknown, message: string): void => ctx.addIssue({ code: 'custom', path, input, message });
  const pods = p.backend.autoscaling?.maxReplicas ?? p.backend.replicas;
  if (p.backend.connectionPoolSize * pods > p.roles.app.connectionLimit) {
    issue(
      ['backend', 'connectionPoolSize'],
      p.backend.connectionPoolSize,
      `at most roles.app.connectionLimit (${p.roles.app.connectionLimit}) / ${pods} backend pod(s) at most = ${Math.floor(p.roles.app.connectionLimit / pods)}`,
    );
  }
  const maxConnections = p.postgres.settings.max_connections;
  const reserved =
    typeof p.postgres.settings.superuser_reserved_connections === 'number' ? p.postgres.settings.superuser_reserved_connections : 3;
  // owner + app + readonly + postgres-exporter (3) must fit next to the superuser's reserved slots.
  const budget = p.roles.owner.connectionLimit + p.roles.app.connectionLimit + p.roles.readonly.connectionLimit + 3;
  if (typeof maxConnections !== 'number') {
    issue(['postgres', 'settings', 'max_connections'], maxConnections, `a number (the role connection limits add up to ${budget})`);
  } else if (budget > maxConnections - reserved) {
    issue(
      ['postgres', 'settings', 'max_connections'],
      maxConnections,
      `at least ${budget + reserved}: the role connection limits plus the exporter add up to ${budget}, and ${reserved} are reserved for the superuser`,
    );
  }
  if (perSecond(p.edge.authRateLimit) >= perSecond(p.edge.apiRateLimit)) {
    issue(
      ['edge', 'authRateLimit'],
      p.edge.authRateLimit,
      `a stricter limit than edge.apiRateLimit (${p.edge.apiRateLimit.average} per ${p.edge.apiRateLimit.period})`,
    );
  }
  const names = [p.roles.owner.name, p.roles.app.name, p.roles.readonly.name];
  if (new Set(names).size !== names.length) issue(['roles'], names, 'three different role names');
  if (names.includes('postgres') || names.includes('postgres_exporter')) {
    issue(['roles'], names, "role names other than 'postgres' and 'postgres_exporter' (used by the superuser and the exporter)");
  }
}
