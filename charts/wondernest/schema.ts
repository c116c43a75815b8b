import { z } from 'zod';
import * as f from '../../lib/config/fields';
import {
  appSchema,
  awsStackSchema,
  backupCommonShape,
  connectionPoolSchema,
  devToolSchema,
  postgresSchema,
  redisSchema,
  sharedBuffersWithinLimit,
} from '../../lib/config/stack-schemas';

/** WonderNest's block of an environment (`charts/wondernest/<env>.ts`). */
export const wondernestSchema = f.object({
  namespace: f.dnsLabel(),
  host: f.hostname(),
  corsAllowedOrigins: f.list(f.origin(), { minItems: 1 }),
  api: f.object({
    ...appSchema.shape,
    /** The api's HikariCP pool per pod (as wondernest_app). */
    pool: connectionPoolSchema,
  }),
  postgres: postgresSchema.superRefine(sharedBuffersWithinLimit),
  redis: redisSchema,
  /** Connection limits of the seed's roles. */
  appConnectionLimit: f.int({ min: 1 }),
  analyticsConnectionLimit: f.int({ min: 1 }),
  backups: f.object({ ...backupCommonShape, postgresSchedule: f.cron(), redisSchedule: f.cron() }),
  pgadmin: f.object({ enabled: f.boolean(), image: f.image(), email: f.email(), resources: devToolSchema.shape.resources }),
  localstack: devToolSchema,
  aws: awsStackSchema.optional(),
});

export type WonderNestConfig = z.output<typeof wondernestSchema>;
export type WonderNestConfigInput = z.input<typeof wondernestSchema>;
