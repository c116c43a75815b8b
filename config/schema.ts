import { gitopsSchema } from './gitops-schema';
import { memoryBytes, s, SchemaIssue, Infer } from '../lib/config-schema';
import { POSTGRES_TENANT_TYPES } from '../lib/constructs/data/postgres-config';

/**
 * The shape of an environment's configuration. `config/<env>.ts` files are the one
 * place users change values; everything here is validated at synth and a bad value
 * stops synth with the field, the value and what is allowed.
 */

const resources = s.object({
  cpuRequest: s.cpu(),
  cpuLimit: s.cpu().optional(),
  memoryRequest: s.memory(),
  memoryLimit: s.memory(),
}).refine((r, path): SchemaIssue[] => memoryBytes(r.memoryLimit) < memoryBytes(r.memoryRequest)
  ? [{ path: `${path}.memoryLimit`, value: r.memoryLimit, expected: `a memory quantity >= memoryRequest (${r.memoryRequest})` }]
  : []);

const autoscaling = s.object({
  minReplicas: s.int({ min: 1 }),
  maxReplicas: s.int({ min: 1 }),
  cpuUtilization: s.int({ min: 1, max: 100 }).optional(),
  memoryUtilization: s.int({ min: 1, max: 100 }).optional(),
}).refine((a, path): SchemaIssue[] => a.minReplicas > a.maxReplicas
  ? [{ path: `${path}.minReplicas`, value: a.minReplicas, expected: `an integer <= maxReplicas (${a.maxReplicas})` }]
  : []);

/** An application workload built from the user's own image. */
export const appSchema = s.object({
  image: s.image(),
  /** Serve the ports with a public stand-in until the real image exists (dev only). */
  standIn: s.boolean(),
  replicas: s.int({ min: 0 }),
  autoscaling: autoscaling.optional(),
  resources,
});

const storage = s.object({
  size: s.memory(),
  storageClassName: s.string({ pattern: /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, description: 'a StorageClass name (DNS-1123 subdomain)' }),
});

const storeBase = {
  image: s.image(),
  exporterImage: s.image(),
  resources,
  exporterResources: resources,
  storage,
};

export const postgresSchema = s.object({
  ...storeBase,
  database: s.string({ pattern: /^[a-z_][a-z0-9_]{0,62}$/, description: 'a PostgreSQL identifier (lowercase letters, digits, _)' }),
  schemas: s.array(s.string({ pattern: /^[a-z_][a-z0-9_]{0,62}$/, description: 'a PostgreSQL identifier' }), { minItems: 1, unique: true }),
  extensions: s.array(s.enum(['uuid-ossp', 'pgcrypto', 'pg_stat_statements', 'pg_trgm', 'citext', 'hstore', 'btree_gin', 'btree_gist']), { unique: true }),
  /** postgresql.conf tuning. */
  settings: s.record(s.string({ pattern: /^[a-z][a-z0-9_.]*$/, description: 'a postgresql.conf setting name' }), s.scalar()),
  allowedCidrs: s.array(s.cidr(), { minItems: 1 }),
});

/** postgresql.conf `shared_buffers` may take at most half of the container's memory limit. */
function sharedBuffersWithinLimit(p: { readonly settings: Readonly<Record<string, string | number | boolean>>; readonly resources: { readonly memoryLimit: string } }, path: string): SchemaIssue[] {
  const sb = p.settings.shared_buffers;
  if (typeof sb === 'string' && /^[0-9]+(kB|MB|GB)$/.test(sb)) {
    const bytes = Number(sb.replace(/[a-zA-Z]+$/, '')) * ({ kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 } as Record<string, number>)[sb.replace(/^[0-9]+/, '')];
    if (bytes > memoryBytes(p.resources.memoryLimit) / 2) {
      return [{ path: `${path}.settings.shared_buffers`, value: sb, expected: `at most half of resources.memoryLimit (${p.resources.memoryLimit})` }];
    }
  }
  return [];
}

export const redisSchema = s.object({
  ...storeBase,
  maxmemory: s.string({ pattern: /^[1-9][0-9]*(kb|mb|gb)$/, description: "a Redis size such as '256mb'" }),
  maxmemoryPolicy: s.enum(['allkeys-lru', 'allkeys-lfu', 'volatile-lru', 'volatile-lfu', 'allkeys-random', 'volatile-random', 'volatile-ttl', 'noeviction']),
});

export const backupSchema = s.object({
  /** `localstack` (dev, the in-namespace LocalStack) or `s3` (Amazon S3 via IRSA). */
  target: s.enum(['localstack', 's3']),
  bucket: s.string({ pattern: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, description: 'an S3 bucket name' }),
  region: s.awsRegion(),
  postgresSchedule: s.cron(),
  redisSchedule: s.cron(),
  retentionDays: s.int({ min: 1, max: 3650 }),
  /** Alert when the newest successful backup is older than this. */
  maxAgeHours: s.int({ min: 1 }),
  uploaderImage: s.image(),
  resources,
});

/** Backups of a stack with one PostgreSQL database. */
export const postgresBackupSchema = s.object({
  /** `localstack` (dev, the in-namespace LocalStack) or `s3` (Amazon S3 via IRSA). */
  target: s.enum(['localstack', 's3']),
  bucket: backupSchema.shape.bucket,
  region: s.awsRegion(),
  schedule: s.cron(),
  retentionDays: s.int({ min: 1, max: 3650 }),
  /** Alert when the newest successful backup is older than this. */
  maxAgeHours: s.int({ min: 1 }),
  uploaderImage: s.image(),
  resources,
});

/** AWS wiring of a stack (EKS): IRSA roles and Secrets Manager names. */
export const awsStackSchema = s.object({
  backupRoleArn: s.iamRoleArn(),
  secretsRoleArn: s.iamRoleArn(),
  secretsKeyPrefix: s.string({ pattern: /^[A-Za-z0-9/_+=.@-]+$/, description: "a Secrets Manager name prefix such as 'prod/wondernest'" }),
});

export const wondernestSchema = s.object({
  namespace: s.dnsLabel(),
  host: s.hostname(),
  corsAllowedOrigins: s.array(s.origin(), { minItems: 1 }),
  api: appSchema,
  postgres: postgresSchema.refine(sharedBuffersWithinLimit),
  redis: redisSchema,
  /** Connection limits of the seed's roles. */
  appConnectionLimit: s.int({ min: 1 }),
  analyticsConnectionLimit: s.int({ min: 1 }),
  backups: backupSchema,
  pgadmin: s.object({ enabled: s.boolean(), image: s.image(), email: s.email(), resources }),
  localstack: s.object({ enabled: s.boolean(), image: s.image(), resources }),
  aws: awsStackSchema.optional(),
});

/** An edge rate limit: `average` requests per `period` per client, `burst` on top. */
const rateLimitSchema = s.object({
  average: s.int({ min: 1 }),
  burst: s.int({ min: 1 }),
  period: s.string({ pattern: /^[1-9][0-9]*(s|m|h)$/, description: "a period such as '1s', '1m' or '1h'" }),
});

/** Requests per second a rate limit allows on average. */
function perSecond(r: Infer<typeof rateLimitSchema>): number {
  const unit = { s: 1, m: 60, h: 3600 }[r.period.slice(-1) as 's' | 'm' | 'h'];
  return r.average / (Number(r.period.slice(0, -1)) * unit);
}

const identifier = s.string({ pattern: /^[a-z_][a-z0-9_]{0,62}$/, description: 'a PostgreSQL identifier (lowercase letters, digits, _)' });

export const pagodirectoSchema = s.object({
  namespace: s.dnsLabel(),
  host: s.hostname(),
  corsAllowedOrigins: s.array(s.origin(), { minItems: 1 }),
  /** Spring Boot (Java 17) API. */
  backend: s.object({
    ...appSchema.shape,
    /** HikariCP maximum pool size per pod. */
    connectionPoolSize: s.int({ min: 1, max: 500 }),
    /** Maximum heap, percent of the container memory limit. */
    jvmMaxRamPercentage: s.int({ min: 10, max: 90 }),
  }),
  /** React build served by unprivileged nginx. */
  frontend: appSchema,
  postgres: s.object({
    ...postgresSchema.shape,
    rowLevelSecurity: s.object({
      /** Custom setting holding the current tenant, e.g. 'app.tenant_id'. */
      tenantSetting: s.string({ pattern: /^(?!pg_)[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/, description: "a custom setting '<prefix>.<name>' such as 'app.tenant_id'" }),
      tenantColumn: identifier,
      tenantType: s.enum(POSTGRES_TENANT_TYPES),
    }),
  }).refine(sharedBuffersWithinLimit),
  /** Login roles: names and connection limits (owner runs migrations, app serves requests, readonly reports). */
  roles: s.object({
    owner: s.object({ name: identifier, connectionLimit: s.int({ min: 1 }) }),
    app: s.object({ name: identifier, connectionLimit: s.int({ min: 1 }) }),
    readonly: s.object({ name: identifier, connectionLimit: s.int({ min: 1 }) }),
  }),
  /** Edge policies at the ingress controller. */
  edge: s.object({
    /** Rate limit of /api. */
    apiRateLimit: rateLimitSchema,
    /** Stricter rate limit of the authentication endpoints. */
    authRateLimit: rateLimitSchema,
    /** Path prefix of the authentication endpoints (under /api/). */
    authPath: s.string({ pattern: /^\/api\/[A-Za-z0-9._~\/-]*[A-Za-z0-9._~-]$/, description: "a path under /api/ such as '/api/v1/auth' (no trailing '/')" }),
    maxRequestBodyBytes: s.int({ min: 1024, max: 1073741824 }),
    contentSecurityPolicy: s.string({ minLength: 1, pattern: /^[^\n"]+$/, description: "a Content-Security-Policy such as \"default-src 'self'\"" }),
  }),
  backups: postgresBackupSchema,
  adminer: s.object({ enabled: s.boolean(), image: s.image(), resources }),
  localstack: s.object({ enabled: s.boolean(), image: s.image(), resources }),
  aws: awsStackSchema.optional(),
});

/**
 * Where one severity of alerts goes (exactly one kind). Credentials are never in config: the
 * stack's Secret `alertmanager-receivers` holds them (keys `<SEVERITY>_SLACK_WEBHOOK_URL`,
 * `<SEVERITY>_WEBHOOK_URL`, `<SEVERITY>_SMTP_PASSWORD`), read from AWS Secrets Manager.
 */
export const alertReceiverSchema = s.object({
  slack: s.object({ channel: s.string({ pattern: /^[#@][^\s]+$/, description: "a Slack channel such as '#alerts' or '@oncall'" }) }).optional(),
  webhook: s.object({}).optional(),
  email: s.object({
    to: s.email(),
    from: s.email(),
    smarthost: s.string({ pattern: /^[A-Za-z0-9.-]+:\d{1,5}$/, description: "host:port of the SMTP relay, e.g. 'smtp.example.com:587'" }),
    /** SMTP user; its password is `<SEVERITY>_SMTP_PASSWORD` in the receivers Secret. @default - no authentication */
    authUsername: s.string().optional(),
  }).optional(),
}).refine((r, path) => {
  const kinds = (['slack', 'webhook', 'email'] as const).filter((k) => r[k] !== undefined);
  return kinds.length === 1 ? [] : [{ path, value: kinds.length ? kinds.join('+') : '{}', expected: 'exactly one of slack, webhook, email' }];
});

export const environmentSchema = s.object({
  name: s.dnsLabel(),
  /** dev = kind on a laptop, prod = EKS. Decides which tools and images are allowed. */
  profile: s.enum(['dev', 'prod']),
  cluster: s.object({
    kind: s.enum(['kind', 'eks']),
    /** Expected cluster (kube context) name, checked by the deploy tooling. */
    name: s.dnsLabel(),
  }),
  ingress: s.object({
    className: s.dnsLabel(),
    controllerNamespace: s.dnsLabel(),
    controllerPodLabels: s.record(s.string({ pattern: /^[a-z0-9./-]+$/ }), s.string({ pattern: /^[A-Za-z0-9._-]{0,63}$/ })),
  }),
  tls: s.object({
    clusterIssuer: s.dnsLabel(),
    /** `local-ca` (self-signed CA inside the cluster) or `letsencrypt` (ACME HTTP-01). */
    issuer: s.enum(['local-ca', 'letsencrypt']),
    acmeEmail: s.email().optional(),
    acmeServer: s.url().optional(),
  }),
  storage: s.object({
    /** Render an encrypted gp3 StorageClass (EBS CSI) with this name. @default - use an existing class */
    gp3StorageClass: s.dnsLabel().optional(),
  }),
  monitoring: s.object({
    /** `release` label kube-prometheus-stack selects ServiceMonitors and rules by. */
    release: s.dnsLabel(),
    namespace: s.dnsLabel(),
    prometheusPodLabels: s.record(s.string({ pattern: /^[a-z0-9./-]+$/ }), s.string({ pattern: /^[A-Za-z0-9._-]{0,63}$/ })),
    /**
     * Alert routing of every stack (an AlertmanagerConfig per namespace): receivers per severity.
     * Without receivers alerts stay visible in Alertmanager's UI only. Critical defaults to warning's receiver.
     */
    alerting: s.object({ warning: alertReceiverSchema.optional(), critical: alertReceiverSchema.optional() }),
  }),
  secrets: s.object({
    provider: s.enum(['generated', 'aws-secrets-manager']),
    awsRegion: s.awsRegion().optional(),
    /**
     * aws-secrets-manager: a SecretStore per stack namespace, or a ClusterSecretStore per stack
     * (usable only from that namespace, same IRSA role). @default 'namespace'
     */
    storeScope: s.enum(['namespace', 'cluster']).optional(),
  }),
  /** Spread replicas across availability zones. */
  spreadAcrossZones: s.boolean(),
  /** Where Argo CD reads this repository from (dist/argocd/<env>/). */
  gitops: gitopsSchema,
  stacks: s.object({
    wondernest: wondernestSchema,
    pagodirecto: pagodirectoSchema,
  }),
}).refine((env, path) => environmentRules(env, path));

export type EnvironmentConfig = Infer<typeof environmentSchema>;
export type WonderNestConfig = Infer<typeof wondernestSchema>;
export type PagoDirectoConfig = Infer<typeof pagodirectoSchema>;

/** What the per-stack rules need to know about a stack. */
interface StackRuleFacts {
  /** Development tools by config key. */
  readonly tools: Readonly<Record<string, { readonly enabled: boolean }>>;
  /** Applications that may run a stand-in, by config key. */
  readonly apps: Readonly<Record<string, { readonly standIn: boolean }>>;
  readonly backups: { readonly target: string };
  readonly localstack: { readonly enabled: boolean };
  readonly aws?: unknown;
}

/** Rules every stack follows: dev tools, stand-ins and LocalStack only in dev, S3 and AWS wiring in prod. */
function stackRules(env: Infer<typeof environmentSchema>, at: (p: string) => string, key: string, st: StackRuleFacts): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  if (env.profile === 'prod') {
    for (const [tool, cfg] of Object.entries(st.tools)) {
      if (cfg.enabled) issues.push({ path: at(`stacks.${key}.${tool}.enabled`), value: true, expected: `false: ${tool} is a development tool and is not allowed in a prod profile` });
    }
    for (const [app, cfg] of Object.entries(st.apps)) {
      if (cfg.standIn) issues.push({ path: at(`stacks.${key}.${app}.standIn`), value: true, expected: `false: a stand-in image is only allowed in a dev profile; set ${app}.image to the real, pinned application image` });
    }
    if (st.backups.target !== 's3') issues.push({ path: at(`stacks.${key}.backups.target`), value: st.backups.target, expected: "'s3' in a prod profile" });
  }
  if (st.backups.target === 'localstack' && !st.localstack.enabled) {
    issues.push({ path: at(`stacks.${key}.backups.target`), value: 'localstack', expected: `'s3', or enable stacks.${key}.localstack` });
  }
  if ((st.backups.target === 's3' || env.secrets.provider === 'aws-secrets-manager') && !st.aws) {
    issues.push({ path: at(`stacks.${key}.aws`), value: undefined, expected: 'IRSA role ARNs and a Secrets Manager prefix (needed by backups.target s3 / secrets.provider aws-secrets-manager)' });
  }
  return issues;
}

/** PagoDirecto: connection budgets, a stricter auth limit, distinct role names. */
function pagodirectoRules(p: PagoDirectoConfig, at: (p: string) => string): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const key = 'stacks.pagodirecto';
  const pods = p.backend.autoscaling?.maxReplicas ?? p.backend.replicas;
  if (p.backend.connectionPoolSize * pods > p.roles.app.connectionLimit) {
    issues.push({
      path: at(`${key}.backend.connectionPoolSize`), value: p.backend.connectionPoolSize,
      expected: `at most roles.app.connectionLimit (${p.roles.app.connectionLimit}) / ${pods} backend pod(s) at most = ${Math.floor(p.roles.app.connectionLimit / pods)}`,
    });
  }
  const maxConnections = p.postgres.settings.max_connections;
  const reserved = typeof p.postgres.settings.superuser_reserved_connections === 'number' ? p.postgres.settings.superuser_reserved_connections : 3;
  // owner + app + readonly + postgres-exporter (3) must fit next to the superuser's reserved slots.
  const budget = p.roles.owner.connectionLimit + p.roles.app.connectionLimit + p.roles.readonly.connectionLimit + 3;
  if (typeof maxConnections !== 'number') {
    issues.push({ path: at(`${key}.postgres.settings.max_connections`), value: maxConnections, expected: `a number (the role connection limits add up to ${budget})` });
  } else if (budget > maxConnections - reserved) {
    issues.push({
      path: at(`${key}.postgres.settings.max_connections`), value: maxConnections,
      expected: `at least ${budget + reserved}: the role connection limits plus the exporter add up to ${budget}, and ${reserved} are reserved for the superuser`,
    });
  }
  if (perSecond(p.edge.authRateLimit) >= perSecond(p.edge.apiRateLimit)) {
    issues.push({
      path: at(`${key}.edge.authRateLimit`), value: p.edge.authRateLimit,
      expected: `a stricter limit than edge.apiRateLimit (${p.edge.apiRateLimit.average} per ${p.edge.apiRateLimit.period})`,
    });
  }
  const names = [p.roles.owner.name, p.roles.app.name, p.roles.readonly.name];
  if (new Set(names).size !== names.length) issues.push({ path: at(`${key}.roles`), value: names, expected: 'three different role names' });
  if (names.includes('postgres') || names.includes('postgres_exporter')) {
    issues.push({ path: at(`${key}.roles`), value: names, expected: "role names other than 'postgres' and 'postgres_exporter' (used by the superuser and the exporter)" });
  }
  return issues;
}

/** Cross-field rules that need the whole environment. */
function environmentRules(env: Infer<typeof environmentSchema>, path: string): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const at = (p: string): string => (path ? `${path}.${p}` : p);
  const w = env.stacks.wondernest;
  const p = env.stacks.pagodirecto;
  issues.push(...stackRules(env, at, 'wondernest', { tools: { pgadmin: w.pgadmin, localstack: w.localstack }, apps: { api: w.api }, backups: w.backups, localstack: w.localstack, aws: w.aws }));
  issues.push(...stackRules(env, at, 'pagodirecto', { tools: { adminer: p.adminer, localstack: p.localstack }, apps: { backend: p.backend, frontend: p.frontend }, backups: p.backups, localstack: p.localstack, aws: p.aws }));
  issues.push(...pagodirectoRules(p, at));
  if (env.profile === 'prod' && env.secrets.provider !== 'aws-secrets-manager') {
    issues.push({ path: at('secrets.provider'), value: env.secrets.provider, expected: "'aws-secrets-manager' in a prod profile (generated secrets are for dev)" });
  }
  if (env.secrets.storeScope !== undefined && env.secrets.provider !== 'aws-secrets-manager') {
    issues.push({ path: at('secrets.storeScope'), value: env.secrets.storeScope, expected: "unset unless secrets.provider is 'aws-secrets-manager'" });
  }
  if (env.secrets.provider === 'aws-secrets-manager' && !env.secrets.awsRegion) {
    issues.push({ path: at('secrets.awsRegion'), value: undefined, expected: 'an AWS region when secrets.provider is aws-secrets-manager' });
  }
  if (env.tls.issuer === 'letsencrypt' && !env.tls.acmeEmail) {
    issues.push({ path: at('tls.acmeEmail'), value: undefined, expected: 'an e-mail address for the ACME account when tls.issuer is letsencrypt' });
  }
  for (const severity of ['warning', 'critical'] as const) {
    if (env.monitoring.alerting[severity] && env.secrets.provider !== 'aws-secrets-manager') {
      issues.push({ path: at(`monitoring.alerting.${severity}`), value: env.monitoring.alerting[severity], expected: "no receiver, or secrets.provider 'aws-secrets-manager' (receiver URLs and passwords are read from AWS Secrets Manager, never generated)" });
    }
  }
  if (env.cluster.kind === 'kind' && env.storage.gp3StorageClass) {
    issues.push({ path: at('storage.gp3StorageClass'), value: env.storage.gp3StorageClass, expected: 'unset on kind (gp3 needs the EBS CSI driver on EKS)' });
  }
  return issues;
}
