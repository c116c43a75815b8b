import { z } from 'zod';
import * as f from '../../lib/config/fields';
import {
  appSchema,
  awsStackSchema,
  connectionPoolSchema,
  backupCommonShape,
  mongodbSchema,
  objectStoreServerSchema,
  rateLimitSchema,
  resourcesSchema,
  storageSchema,
} from '../../lib/config/stack-schemas';

/** The in-cluster error-tracking server (GlitchTip) with its own PostgreSQL and Redis. */
export const errorTrackerServerSchema = f.object({
  /** GlitchTip, pinned. */
  image: f.image(),
  /** Where people open the UI (GlitchTip's GLITCHTIP_DOMAIN), e.g. http://localhost:8000 through port-forward. */
  url: f.url(),
  /** Sender of GlitchTip's e-mails. */
  fromEmail: f.email(),
  /** The first user, owner of the organization (its password is the generated or stored `ADMIN_PASSWORD`). */
  adminEmail: f.email(),
  web: f.object({ replicas: f.int({ min: 1 }), resources: resourcesSchema, pool: connectionPoolSchema }),
  worker: f.object({ resources: resourcesSchema, pool: connectionPoolSchema }),
  /** The setup Job (migrations, organization, projects, keys) and the init containers that wait for the schema. */
  setupResources: resourcesSchema,
  postgres: f.object({
    image: f.image(),
    exporterImage: f.image(),
    resources: resourcesSchema,
    exporterResources: resourcesSchema,
    storage: storageSchema,
  }),
  redis: f.object({
    image: f.image(),
    exporterImage: f.image(),
    resources: resourcesSchema,
    exporterResources: resourcesSchema,
    storage: storageSchema,
    maxmemory: f.pattern(/^[1-9][0-9]*(kb|mb|gb)$/, "a Redis size such as '64mb'"),
  }),
  /** When its database and Redis are backed up (to the stack's backup bucket, with the stack's retention). */
  backups: f.object({ postgresSchedule: f.cron(), redisSchedule: f.cron() }),
});

/**
 * The e-commerce platform's block of an environment (`charts/ecommerce/<env>.ts`), seeds 002/003:
 * gateway (the only public service), backend, MongoDB, object storage, backups.
 */
export const ecommerceSchema = f.object({
  namespace: f.dnsLabel(),
  /** Public host of the gateway. */
  host: f.hostname(),
  gateway: appSchema,
  backend: appSchema,
  /** Requests per client at the edge, in front of the gateway. */
  rateLimit: rateLimitSchema,
  /**
   * Sentry-protocol error tracking. `in-cluster`: GlitchTip in the namespace (`server` required),
   * the apps' DSNs composed from generated (or stored) project keys. `external`: a Sentry (or other
   * Sentry-protocol) service elsewhere, the apps' DSNs from the `error-tracking-dsn` Secret
   * (GATEWAY_DSN, BACKEND_DSN), no server. `disabled`: no DSN, the SDKs stay off.
   */
  errorTracking: f.object({
    mode: f.oneOf(['in-cluster', 'external', 'disabled']),
    server: errorTrackerServerSchema.optional(),
  }),
  mongodb: mongodbSchema,
  objectStore: f.object({
    /** `in-cluster`: an S3-compatible server in the namespace (dev); `s3`: Amazon S3 through IRSA (prod). */
    provider: f.oneOf(['in-cluster', 's3']),
    region: f.awsRegion(),
    /** The seed's buckets: application files, database backups, log archives. */
    buckets: f.object({ app: f.s3Bucket(), backups: f.s3Bucket(), logs: f.s3Bucket() }),
    /** Days a replaced or deleted object version is kept (versioning is on for every bucket). */
    noncurrentVersionDays: f.int({ min: 1, max: 3650 }),
    /** Required with provider `in-cluster`. */
    server: objectStoreServerSchema.optional(),
  }),
  backups: f.object({
    retentionDays: backupCommonShape.retentionDays,
    maxAgeHours: backupCommonShape.maxAgeHours,
    uploaderImage: backupCommonShape.uploaderImage,
    /** KMS key of the uploads to Amazon S3 (required with objectStore.provider s3). */
    kmsKeyId: backupCommonShape.kmsKeyId,
    resources: backupCommonShape.resources,
    /** Daily `mongodump` (the seed: 02:00). */
    mongodbSchedule: f.cron(),
    /** Mirror of the application bucket to the backup bucket. */
    mirrorSchedule: f.cron(),
  }),
  /** Elasticsearch for the platform's logs (seeds 002/003), its exporter and the setup Job that makes users, log storage and snapshots exist. */
  search: f.object({
    image: f.image(),
    /** `cluster.name` (seed prod: `ecommerce-prod`). */
    clusterName: f.pattern(
      /^[a-z0-9][a-z0-9_-]{0,63}$/,
      "a cluster name of lowercase letters, digits, '-' and '_' such as 'ecommerce-prod'",
    ),
    /** Nodes, each master-eligible and data: an odd count keeps a majority of masters. */
    nodes: f.int({ min: 1, max: 7 }).refine((n) => n % 2 === 1, {
      error: 'an odd number of nodes (1, 3, 5 or 7): an even count cannot keep a majority of master-eligible nodes',
    }),
    /** JVM heap of each node, at most half of resources.memoryLimit (e.g. '512m', '1g'). */
    heap: f.pattern(/^[1-9][0-9]*[mg]$/, "a JVM heap size such as '512m' or '1g'"),
    /** TLS on HTTP and transport (required with more than one node, and in a prod profile). */
    tls: f.boolean(),
    resources: resourcesSchema,
    storage: storageSchema,
    exporterImage: f.image(),
    exporterResources: resourcesSchema,
    /** Image with sh and curl for the setup Job. */
    setupImage: f.image(),
    setupResources: resourcesSchema,
    /** Days log data streams keep their documents (ILM deletes older backing indices). */
    logRetentionDays: f.int({ min: 1, max: 3650 }),
    /** Daily snapshots of the log data streams to the logs bucket. */
    snapshots: f.object({
      /** Folder in the logs bucket. */
      prefix: f.pattern(
        /^[a-z0-9]+([/_-][a-z0-9]+)*$/,
        "a folder such as 'elasticsearch' or 'logs/elasticsearch' (lowercase, no leading, trailing or double '/')",
      ),
      /** Elasticsearch cron, seconds first (e.g. '0 30 1 * * ?'). */
      schedule: f.pattern(/^\S+( \S+){5,6}$/, "an Elasticsearch cron expression with seconds first such as '0 30 1 * * ?'"),
      retentionDays: f.int({ min: 1, max: 3650 }),
    }),
  }),
  /** Kibana on the search cluster. */
  kibana: f.object({
    image: f.image(),
    resources: resourcesSchema,
    /** An Ingress on `host` that admits only `tools.allowedCidrs` (development only; in prod use a port-forward). */
    ingress: f.object({ enabled: f.boolean(), host: f.hostname().optional() }),
  }),
  /** The log shipper (a Fluent Bit agent per node, namespace `logging`): this namespace's container logs into the log streams. */
  logShipping: f.object({ image: f.image(), resources: resourcesSchema }),
  /** Development UIs (the object store console): reachable only through an Ingress on this host that admits these client addresses. Required when one is enabled. */
  tools: f.object({ host: f.hostname(), allowedCidrs: f.list(f.cidr(), { minItems: 1 }) }).optional(),
  aws: f
    .object({
      ...awsStackSchema.shape,
      /** IRSA role of the backend: objects of the application bucket. */
      backendRoleArn: f.iamRoleArn(),
      /** IRSA role of the bucket setup Job: bucket versioning, encryption, lifecycle and policy. */
      bucketAdminRoleArn: f.iamRoleArn(),
      /** IRSA role of the Elasticsearch nodes: the snapshot folder of the logs bucket. */
      searchSnapshotRoleArn: f.iamRoleArn(),
    })
    .optional(),
});

export type EcommerceConfig = z.output<typeof ecommerceSchema>;
export type EcommerceConfigInput = z.input<typeof ecommerceSchema>;
