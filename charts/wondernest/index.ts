import { defineStack, stackValues } from '../../lib/config/stack-module';
import { WonderNestChart } from './chart';
import { dev } from './dev';
import { prod } from './prod';
import { wondernestSchema } from './schema';

export { WonderNestChart } from './chart';
export type { WonderNestConfig, WonderNestConfigInput } from './schema';
export { wondernestSchema } from './schema';

/** The wondernest stack: schema, values per environment, chart. Registered in charts/stacks.ts. */
export const stack = defineStack({
  name: 'wondernest',
  description: 'WonderNest: Ktor API, PostgreSQL 15, Redis 7.2, backups and monitoring',
  schema: wondernestSchema,
  environments: { dev: stackValues(__dirname, 'dev.ts', dev), prod: stackValues(__dirname, 'prod.ts', prod) },
  profileFacts: (c) => ({
    devTools: { pgadmin: c.pgadmin, localstack: c.localstack },
    apps: { api: c.api },
    backupTarget: c.backups.target,
    backupKmsKeyId: c.backups.kmsKeyId,
    postgresPitrEnabled: c.backups.postgresPitr.enabled,
    localstackEnabled: c.localstack.enabled,
    aws: c.aws,
  }),
  create: (scope, id, props) => new WonderNestChart(scope, id, props),
  notes: [
    'WonderNest {{ .Values.environment }} is deployed to namespace wondernest.',
    '',
    'API:        https://{{ .Values.ingress.host }}/health',
    'Secrets:    generated in-cluster (dev) or read from AWS Secrets Manager (prod); none are in this chart.',
    'Backups:    kubectl -n wondernest get cronjobs',
    'Restore:    kubectl -n wondernest create job --from=cronjob/postgres-restore postgres-restore-$(date +%s)',
    '            Redis: scale statefulset/redis to 0, create a job from cronjob/redis-restore, wait, scale back to 1',
    '',
  ].join('\n'),
});
