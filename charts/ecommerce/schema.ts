import { z } from 'zod';
import * as f from '../../lib/config/fields';
import {
  appSchema,
  awsStackSchema,
  backupCommonShape,
  mongodbSchema,
  objectStoreServerSchema,
  rateLimitSchema,
} from '../../lib/config/stack-schemas';

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
  /** Sentry-protocol error tracking: the apps get their DSNs from the `error-tracking-dsn` Secret. */
  errorTracking: f.object({ enabled: f.boolean() }),
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
  /** Development UIs (the object store console): reachable only through an Ingress on this host that admits these client addresses. Required when one is enabled. */
  tools: f.object({ host: f.hostname(), allowedCidrs: f.list(f.cidr(), { minItems: 1 }) }).optional(),
  aws: f
    .object({
      ...awsStackSchema.shape,
      /** IRSA role of the backend: objects of the application bucket. */
      backendRoleArn: f.iamRoleArn(),
      /** IRSA role of the bucket setup Job: bucket versioning, encryption, lifecycle and policy. */
      bucketAdminRoleArn: f.iamRoleArn(),
    })
    .optional(),
});

export type EcommerceConfig = z.output<typeof ecommerceSchema>;
export type EcommerceConfigInput = z.input<typeof ecommerceSchema>;
