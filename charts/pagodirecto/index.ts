import { defineStack, stackValues } from '../../lib/config/stack-module';
import { PagoDirectoChart } from './chart';
import { dev } from './dev';
import { prod } from './prod';
import { pagodirectoSchema } from './schema';

export { PagoDirectoChart } from './chart';
export type { PagoDirectoConfig, PagoDirectoConfigInput } from './schema';
export { pagodirectoSchema } from './schema';

/** The pagodirecto stack: schema, values per environment, chart. Registered in charts/stacks.ts. */
export const stack = defineStack({
  name: 'pagodirecto',
  description:
    'PagoDirecto CRM: Spring Boot backend, React frontend, PostgreSQL 16 with row-level security, edge policies, backups and monitoring',
  schema: pagodirectoSchema,
  environments: { dev: stackValues(__dirname, 'dev.ts', dev), prod: stackValues(__dirname, 'prod.ts', prod) },
  profileFacts: (c) => ({
    devTools: { adminer: c.adminer, localstack: c.localstack },
    apps: { backend: c.backend, frontend: c.frontend },
    backupTarget: c.backups.target,
    backupKmsKeyId: c.backups.kmsKeyId,
    postgresPitrEnabled: c.backups.postgresPitr.enabled,
    localstackEnabled: c.localstack.enabled,
    aws: c.aws,
  }),
  create: (scope, id, props) => new PagoDirectoChart(scope, id, props),
  notes: [
    'PagoDirecto CRM {{ .Values.environment }} is deployed to namespace pagodirecto.',
    '',
    'Frontend:   https://{{ .Values.ingress.host }}/',
    'API:        https://{{ .Values.ingress.host }}/api (auth endpoints have a stricter rate limit)',
    'Health:     kubectl -n pagodirecto get pods; the backend answers /actuator/health/readiness',
    'Secrets:    generated in-cluster (dev) or read from AWS Secrets Manager (prod); none are in this chart.',
    'Backups:    kubectl -n pagodirecto get cronjobs',
    'Restore:    kubectl -n pagodirecto create job --from=cronjob/postgres-restore postgres-restore-$(date +%s)',
    '            (verifies the dump, uploads a safety dump, rebuilds the database in a new one, swaps it in, verifies)',
    '{{- if .Values.adminer.enabled }}',
    'Adminer:    kubectl -n pagodirecto port-forward svc/adminer 8081:8080, then http://localhost:8081',
    '{{- end }}',
    '',
  ].join('\n'),
});
