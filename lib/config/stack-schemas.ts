import { z } from 'zod';
import { memoryBytes } from '../core/formats';
import * as f from './fields';

/**
 * Building blocks of stack config schemas (`charts/<stack>/schema.ts`): workloads, stores,
 * backups and AWS wiring, each validated the same way in every stack.
 */

/** Requests and limits of one container; the memory limit may not be below the request. */
export const resourcesSchema = f
  .object({
    cpuRequest: f.cpu(),
    cpuLimit: f.cpu().optional(),
    memoryRequest: f.memory(),
    memoryLimit: f.memory(),
  })
  .superRefine((r, ctx) => {
    if (memoryBytes(r.memoryLimit) < memoryBytes(r.memoryRequest)) {
      ctx.addIssue({
        code: 'custom',
        path: ['memoryLimit'],
        input: r.memoryLimit,
        message: `a memory quantity >= memoryRequest (${r.memoryRequest})`,
      });
    }
  });

/** HorizontalPodAutoscaler bounds and targets. */
export const autoscalingSchema = f
  .object({
    minReplicas: f.int({ min: 1 }),
    maxReplicas: f.int({ min: 1 }),
    cpuUtilization: f.int({ min: 1, max: 100 }).optional(),
    memoryUtilization: f.int({ min: 1, max: 100 }).optional(),
  })
  .superRefine((a, ctx) => {
    if (a.minReplicas > a.maxReplicas) {
      ctx.addIssue({
        code: 'custom',
        path: ['minReplicas'],
        input: a.minReplicas,
        message: `an integer <= maxReplicas (${a.maxReplicas})`,
      });
    }
  });

/**
 * A database connection pool per pod: its maximum size and the connections it keeps open while
 * idle (at most the maximum). The connection-budget check holds pods x maxSize to the role's limit.
 */
export const connectionPoolSchema = f
  .object({
    maxSize: f.int({ min: 1, max: 500 }),
    minIdle: f.int({ min: 0, max: 500 }),
  })
  .superRefine((p, ctx) => {
    if (p.minIdle > p.maxSize) {
      ctx.addIssue({ code: 'custom', path: ['minIdle'], input: p.minIdle, message: `an integer <= maxSize (${p.maxSize})` });
    }
  });

/**
 * HikariCP's timeouts, in milliseconds, checked against Hikari's own rules: it silently replaces a
 * value that breaks them with its default at start, so a bad value would otherwise go unnoticed.
 */
export const hikariTimeoutsSchema = f
  .object({
    /** Longest wait for a connection from the pool before the request fails (Hikari: at least 250). */
    connectionMs: f.int({ min: 250, max: 600_000 }),
    /** An idle connection above minIdle is closed after this (Hikari: at least 10000, below maxLifetimeMs). */
    idleMs: f.int({ min: 10_000, max: 86_400_000 }),
    /** Every connection is replaced after this (Hikari: at least 30000). */
    maxLifetimeMs: f.int({ min: 30_000, max: 86_400_000 }),
    /** A connection held longer than this is logged as a possible leak; 0 is off (Hikari: 0 or at least 2000, below maxLifetimeMs). */
    leakDetectionMs: f.int({ min: 0, max: 86_400_000 }),
  })
  .superRefine((t, ctx) => {
    if (t.idleMs >= t.maxLifetimeMs)
      ctx.addIssue({ code: 'custom', path: ['idleMs'], input: t.idleMs, message: `an integer below maxLifetimeMs (${t.maxLifetimeMs})` });
    if (t.leakDetectionMs !== 0 && (t.leakDetectionMs < 2000 || t.leakDetectionMs >= t.maxLifetimeMs))
      ctx.addIssue({
        code: 'custom',
        path: ['leakDetectionMs'],
        input: t.leakDetectionMs,
        message: `0 (off) or an integer from 2000 to below maxLifetimeMs (${t.maxLifetimeMs})`,
      });
  });

/** An application workload built from the user's own image. */
export const appSchema = f.object({
  image: f.image(),
  /** Serve the ports with a public stand-in until the real image exists (dev only). */
  standIn: f.boolean(),
  replicas: f.int({ min: 0 }),
  autoscaling: autoscalingSchema.optional(),
  resources: resourcesSchema,
});

/** A development tool (pgAdmin, Adminer, LocalStack...): allowed in dev profiles only. */
export const devToolSchema = f.object({ enabled: f.boolean(), image: f.image(), resources: resourcesSchema });

export const storageSchema = f.object({
  size: f.memory(),
  storageClassName: f.dnsSubdomain(),
});

/** A tool that keeps data needs its `storage` (a PVC) when it is `enabled`. */
export function storageWhenEnabled(t: { readonly enabled: boolean; readonly storage?: unknown }, ctx: z.RefinementCtx): void {
  if (t.enabled && !t.storage)
    ctx.addIssue({
      code: 'custom',
      path: ['storage'],
      input: t.storage,
      message: "a PVC such as { size: '2Gi', storageClassName: 'standard' } when enabled",
    });
}

/** A development tool that keeps data (LocalStack): its PVC is required when it is enabled. */
export const statefulDevToolSchema = f
  .object({ ...devToolSchema.shape, storage: storageSchema.optional() })
  .superRefine(storageWhenEnabled);

const storeBase = {
  image: f.image(),
  exporterImage: f.image(),
  resources: resourcesSchema,
  exporterResources: resourcesSchema,
  storage: storageSchema,
};

export const POSTGRES_EXTENSIONS = [
  'uuid-ossp',
  'pgcrypto',
  'pg_stat_statements',
  'pg_trgm',
  'citext',
  'hstore',
  'btree_gin',
  'btree_gist',
] as const;

/** A PostgreSQL instance: image, exporter, sizes, database, schemas, extensions, settings, client CIDRs. */
export const postgresSchema = f.object({
  ...storeBase,
  database: f.pgIdentifier(),
  schemas: f.list(f.pgIdentifier(), { minItems: 1, unique: true }),
  extensions: f.list(f.oneOf(POSTGRES_EXTENSIONS), { unique: true }),
  /** postgresql.conf tuning. */
  settings: f.record(f.pattern(/^[a-z][a-z0-9_.]*$/, 'a postgresql.conf setting name'), f.scalar()),
  allowedCidrs: f.list(f.cidr(), { minItems: 1 }),
  /**
   * A hot standby in another zone (PostgresDatabase `standby`): replication role and slot,
   * `<name>-replica`, the read-only Service `<name>-ro`, the promotion CronJob, and a drain of the
   * primary's node blocked until an operator fails over (README: PostgreSQL high availability).
   */
  standby: f.object({ enabled: f.boolean() }),
});

/** postgresql.conf `shared_buffers` may take at most half of the container's memory limit. */
export function sharedBuffersWithinLimit(
  p: { readonly settings: Readonly<Record<string, string | number | boolean>>; readonly resources: { readonly memoryLimit: string } },
  ctx: z.RefinementCtx,
): void {
  const sb = p.settings.shared_buffers;
  if (typeof sb === 'string' && /^[0-9]+(kB|MB|GB)$/.test(sb)) {
    const bytes =
      Number(sb.replace(/[a-zA-Z]+$/, '')) *
      ({ kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 } as Record<string, number>)[sb.replace(/^[0-9]+/, '')];
    if (bytes > memoryBytes(p.resources.memoryLimit) / 2) {
      ctx.addIssue({
        code: 'custom',
        path: ['settings', 'shared_buffers'],
        input: sb,
        message: `at most half of resources.memoryLimit (${p.resources.memoryLimit})`,
      });
    }
  }
}

export const REDIS_EVICTION_POLICIES = [
  'allkeys-lru',
  'allkeys-lfu',
  'volatile-lru',
  'volatile-lfu',
  'allkeys-random',
  'volatile-random',
  'volatile-ttl',
  'noeviction',
] as const;

/** A Redis instance. */
export const redisSchema = f.object({
  ...storeBase,
  maxmemory: f.pattern(/^[1-9][0-9]*(kb|mb|gb)$/, "a Redis size such as '256mb'"),
  maxmemoryPolicy: f.oneOf(REDIS_EVICTION_POLICIES),
});

/** Where backups go and how long they are kept (shared part of every stack's `backups`). */
export const backupCommonShape = {
  /** `localstack` (dev, the in-namespace LocalStack) or `s3` (Amazon S3 via IRSA). */
  target: f.oneOf(['localstack', 's3']),
  bucket: f.s3Bucket(),
  region: f.awsRegion(),
  /**
   * KMS key the uploads are encrypted with (SSE-KMS); required with target `s3`, where the upload
   * script refuses to run without it. In-cluster targets use SSE-S3 where the server supports it.
   */
  kmsKeyId: f.kmsKeyId().optional(),
  retentionDays: f.int({ min: 1, max: 3650 }),
  /** Alert when the newest successful backup is older than this. */
  maxAgeHours: f.int({ min: 1 }),
  uploaderImage: f.image(),
  resources: resourcesSchema,
};

/**
 * Point-in-time recovery of a stack's PostgreSQL (`backups.postgresPitr`): continuous WAL
 * archiving, daily physical base backups kept `retentionDays` (the WAL with them), and a restore
 * CronJob that recovers to a given time (see WalArchive and PostgresPointInTimeRecovery).
 */
export const postgresPitrSchema = f.object({
  enabled: f.boolean(),
  /** Cron (UTC) of the physical base backups. */
  baseBackupSchedule: f.cron(),
  /** `archive_timeout`: a committed transaction reaches the archive within about this many seconds (the RPO). */
  archiveTimeoutSeconds: f.int({ min: 1, max: 3600 }),
  /** Resources of the wal-ship sidecar in the PostgreSQL pod. */
  shipperResources: resourcesSchema,
});

/** AWS wiring of a stack (EKS): IRSA roles and Secrets Manager names. */
export const awsStackSchema = f.object({
  backupRoleArn: f.iamRoleArn(),
  secretsRoleArn: f.iamRoleArn(),
  secretsKeyPrefix: f.pattern(/^[A-Za-z0-9/_+=.@-]+$/, "a Secrets Manager name prefix such as 'prod/shop'"),
});

export type AwsStackConfig = z.output<typeof awsStackSchema>;
export type PostgresConfig = z.output<typeof postgresSchema>;
export type PostgresPitrConfig = z.output<typeof postgresPitrSchema>;
export type RedisConfig = z.output<typeof redisSchema>;
export type AppConfig = z.output<typeof appSchema>;
export type DevToolConfig = z.output<typeof devToolSchema>;
export type StatefulDevToolConfig = z.output<typeof statefulDevToolSchema>;

/** An edge rate limit: `average` requests per `period` per client, `burst` on top. */
export const rateLimitSchema = f.object({
  average: f.int({ min: 1 }),
  burst: f.int({ min: 1 }),
  period: f.pattern(/^[1-9][0-9]*(s|m|h)$/, "a period such as '1s', '1m' or '1h'"),
});

/** Requests per second a rate limit allows on average. */
export function perSecond(r: z.output<typeof rateLimitSchema>): number {
  const unit = { s: 1, m: 60, h: 3600 }[r.period.slice(-1) as 's' | 'm' | 'h'];
  return r.average / (Number(r.period.slice(0, -1)) * unit);
}

/** A MongoDB database name: 1-63 characters, none of `/\. "$*<>:|?` (MongoDB's rules), e.g. `ecommerce`. */
export const MONGODB_NAME_RE = /^[A-Za-z0-9_-]{1,63}$/;

/**
 * A MongoDB replica set. `replicas` is the member count: odd, because a replica set elects a
 * primary only with a majority, and an even count split in half has none (3 tolerates one member
 * down, 4 still only one).
 */
export const mongodbSchema = f.object({
  ...storeBase,
  replicas: f.int({ min: 1, max: 7 }).refine((n) => n % 2 === 1, {
    error: 'an odd number of members (1, 3, 5 or 7): an even replica set cannot keep a majority when split in half',
  }),
  database: f.pattern(MONGODB_NAME_RE, "a MongoDB database name such as 'ecommerce' (letters, digits, '_', '-'; at most 63)"),
  appUser: f.pattern(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, "a user name such as 'app_user' (a letter, then letters, digits, '_', '-')"),
  /** TLS between clients and members (a cert-manager certificate from the stack's CA issuer). */
  tls: f.boolean(),
});

/** An S3-compatible server run in the stack's namespace (dev). */
export const objectStoreServerSchema = f.object({
  image: f.image(),
  /** Image of the bucket setup Job and the mirror (the AWS CLI). */
  clientImage: f.image(),
  resources: resourcesSchema,
  storage: storageSchema,
  /** The server's web console (a development tool, reached through the tools ingress). */
  console: f.object({ enabled: f.boolean() }),
});

export type MongodbConfig = z.output<typeof mongodbSchema>;
export type ObjectStoreServerConfig = z.output<typeof objectStoreServerSchema>;
