import { z } from 'zod';
import * as f from '../../lib/config/fields';
import {
  appSchema,
  awsStackSchema,
  backupCommonShape,
  connectionPoolSchema,
  hikariTimeoutsSchema,
  devToolSchema,
  postgresPitrSchema,
  postgresSchema,
  redisSchema,
  sharedBuffersWithinLimit,
  statefulDevToolSchema,
  storageSchema,
  storageWhenEnabled,
} from '../../lib/config/stack-schemas';
import { KEY_PREFIX_RE } from '../../lib/constructs/storage/object-storage';

/** WonderNest's block of an environment (`charts/wondernest/<env>.ts`). */
export const wondernestSchema = f.object({
  namespace: f.dnsLabel(),
  host: f.hostname(),
  corsAllowedOrigins: f.list(f.origin(), { minItems: 1 }),
  api: f.object({
    ...appSchema.shape,
    /** The api's HikariCP pool per pod (as wondernest_app). */
    pool: connectionPoolSchema,
    /** The api's HikariCP timeouts. */
    poolTimeouts: hikariTimeoutsSchema,
  }),
  postgres: postgresSchema.superRefine(sharedBuffersWithinLimit),
  redis: redisSchema,
  /** Connection limits of the seed's roles. */
  appConnectionLimit: f.int({ min: 1 }),
  analyticsConnectionLimit: f.int({ min: 1 }),
  backups: f.object({ ...backupCommonShape, postgresSchedule: f.cron(), redisSchedule: f.cron(), postgresPitr: postgresPitrSchema }),
  /** The seed's Flyway settings: the api migrates the schemas at start. */
  flyway: f.object({ enabled: f.boolean(), baselineOnMigrate: f.boolean() }),
  /** What the api uses of AWS (the seed: S3, SES, SNS, SQS); its IAM policy is derived from this. */
  apiAws: f.object({
    region: f.awsRegion(),
    /** Where user uploads go (the seed's /app/uploads): objects under this bucket and prefix, never a pod volume. */
    uploads: f.object({
      bucket: f.s3Bucket(),
      prefix: f.pattern(KEY_PREFIX_RE, "a key prefix such as 'uploads' (letters, digits, '.', '_', '-' and single '/')"),
    }),
    /** SES identity (domain or address) the api sends e-mail from. */
    emailIdentity: f.sesIdentity(),
    /** SNS topics the api publishes to. */
    topics: f.list(f.awsMessagingName(), { minItems: 1, unique: true }),
    /** SQS queues the api sends to, receives from and deletes from. */
    queues: f.list(f.awsMessagingName(), { minItems: 1, unique: true }),
  }),
  /** pgAdmin (dev); its settings and saved state on a PVC (`storage`, required when enabled). */
  pgadmin: f
    .object({
      enabled: f.boolean(),
      image: f.image(),
      email: f.email(),
      resources: devToolSchema.shape.resources,
      storage: storageSchema.optional(),
    })
    .superRefine(storageWhenEnabled),
  localstack: statefulDevToolSchema,
  /** Required without LocalStack (prod): IRSA roles and the Secrets Manager prefix. */
  aws: f
    .object({
      ...awsStackSchema.shape,
      /** IRSA role of the api; its policy is written to dist/<env>/iam/wondernest-api-policy.json. */
      apiRoleArn: f.iamRoleArn(),
    })
    .optional(),
});

export type WonderNestConfig = z.output<typeof wondernestSchema>;
export type WonderNestConfigInput = z.input<typeof wondernestSchema>;
