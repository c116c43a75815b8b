import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { applyDataProtection, applySyncWaves } from '../lib/output/argocd';
import { EnvironmentConfig } from '../config';
import { PagoDirectoChart } from './pagodirecto';
import { WonderNestChart } from './wondernest';

/** A deployable stack: one Chart per environment, one Helm chart in dist/helm/<name>. */
export interface StackDefinition {
  /** Stack name: names the output file, the Helm chart and the Argo CD application. */
  readonly name: string;
  readonly description: string;
  readonly create: (scope: Construct, id: string, env: EnvironmentConfig) => Chart;
  /** NOTES.txt shown after `helm install`. */
  readonly notes: string;
}

/**
 * Argo CD metadata on every object of a stack: its sync wave (namespace, identities, secrets,
 * config, services, stores, apps) and `Prune=false,Delete=false` on what holds data.
 */
export function forGitOps<T extends Chart>(chart: T): T {
  applySyncWaves(chart);
  applyDataProtection(chart);
  return chart;
}

/** Every stack the project deploys. Add a stack here (and its config in config/). */
export const STACKS: readonly StackDefinition[] = [
  {
    name: 'wondernest',
    description: 'WonderNest: Ktor API, PostgreSQL 15, Redis 7.2, backups and monitoring',
    create: (scope, id, env) => forGitOps(new WonderNestChart(scope, id, { env })),
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
  },
  {
    name: 'pagodirecto',
    description: 'PagoDirecto CRM: Spring Boot backend, React frontend, PostgreSQL 16 with row-level security, edge policies, backups and monitoring',
    create: (scope, id, env) => forGitOps(new PagoDirectoChart(scope, id, { env })),
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
      '{{- if eq .Values.environment "dev" }}',
      'Adminer:    kubectl -n pagodirecto port-forward svc/adminer 8081:8080, then http://localhost:8081',
      '{{- end }}',
      '',
    ].join('\n'),
  },
];
