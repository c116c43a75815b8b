import { memoryBytes, s, SchemaIssue, Infer } from '../lib/config-schema';

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
  postgres: postgresSchema.refine((p, path): SchemaIssue[] => {
    const sb = p.settings.shared_buffers;
    if (typeof sb === 'string' && /^[0-9]+(kB|MB|GB)$/.test(sb)) {
      const bytes = Number(sb.replace(/[a-zA-Z]+$/, '')) * ({ kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 } as Record<string, number>)[sb.replace(/^[0-9]+/, '')];
      if (bytes > memoryBytes(p.resources.memoryLimit) / 2) {
        return [{ path: `${path}.settings.shared_buffers`, value: sb, expected: `at most half of resources.memoryLimit (${p.resources.memoryLimit})` }];
      }
    }
    return [];
  }),
  redis: redisSchema,
  /** Connection limits of the seed's roles. */
  appConnectionLimit: s.int({ min: 1 }),
  analyticsConnectionLimit: s.int({ min: 1 }),
  backups: backupSchema,
  pgadmin: s.object({ enabled: s.boolean(), image: s.image(), email: s.email(), resources }),
  localstack: s.object({ enabled: s.boolean(), image: s.image(), resources }),
  aws: awsStackSchema.optional(),
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
  }),
  secrets: s.object({
    provider: s.enum(['generated', 'aws-secrets-manager']),
    awsRegion: s.awsRegion().optional(),
  }),
  /** Spread replicas across availability zones. */
  spreadAcrossZones: s.boolean(),
  stacks: s.object({
    wondernest: wondernestSchema,
  }),
}).refine((env, path) => environmentRules(env, path));

export type EnvironmentConfig = Infer<typeof environmentSchema>;
export type WonderNestConfig = Infer<typeof wondernestSchema>;

/** Cross-field rules that need the whole environment. */
function environmentRules(env: Infer<typeof environmentSchema>, path: string): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const at = (p: string): string => (path ? `${path}.${p}` : p);
  const w = env.stacks.wondernest;
  if (env.profile === 'prod') {
    for (const [tool, cfg] of Object.entries({ pgadmin: w.pgadmin, localstack: w.localstack })) {
      if (cfg.enabled) issues.push({ path: at(`stacks.wondernest.${tool}.enabled`), value: true, expected: `false: ${tool} is a development tool and is not allowed in a prod profile` });
    }
    if (w.api.standIn) issues.push({ path: at('stacks.wondernest.api.standIn'), value: true, expected: 'false: a stand-in image is only allowed in a dev profile; set api.image to the real, pinned application image' });
    if (w.backups.target !== 's3') issues.push({ path: at('stacks.wondernest.backups.target'), value: w.backups.target, expected: "'s3' in a prod profile" });
    if (env.secrets.provider !== 'aws-secrets-manager') issues.push({ path: at('secrets.provider'), value: env.secrets.provider, expected: "'aws-secrets-manager' in a prod profile (generated secrets are for dev)" });
  }
  if (w.backups.target === 'localstack' && !w.localstack.enabled) {
    issues.push({ path: at('stacks.wondernest.backups.target'), value: 'localstack', expected: "'s3', or enable stacks.wondernest.localstack" });
  }
  if ((w.backups.target === 's3' || env.secrets.provider === 'aws-secrets-manager') && !w.aws) {
    issues.push({ path: at('stacks.wondernest.aws'), value: undefined, expected: 'IRSA role ARNs and a Secrets Manager prefix (needed by backups.target s3 / secrets.provider aws-secrets-manager)' });
  }
  if (env.secrets.provider === 'aws-secrets-manager' && !env.secrets.awsRegion) {
    issues.push({ path: at('secrets.awsRegion'), value: undefined, expected: 'an AWS region when secrets.provider is aws-secrets-manager' });
  }
  if (env.tls.issuer === 'letsencrypt' && !env.tls.acmeEmail) {
    issues.push({ path: at('tls.acmeEmail'), value: undefined, expected: 'an e-mail address for the ACME account when tls.issuer is letsencrypt' });
  }
  if (env.cluster.kind === 'kind' && env.storage.gp3StorageClass) {
    issues.push({ path: at('storage.gp3StorageClass'), value: env.storage.gp3StorageClass, expected: 'unset on kind (gp3 needs the EBS CSI driver on EKS)' });
  }
  return issues;
}
