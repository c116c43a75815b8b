/**
 * The e-commerce error tracker's alerts (dev: GlitchTip in the cluster) through the real promtool:
 * ErrorTrackerDown fires after 5m when the web tier or the worker has no available pod, or when
 * kube-state-metrics reports nothing for one of them, and stays silent while both run; the library's
 * PostgreSQL and Redis alerts watch GlitchTip's own stores under their own jobs.
 */
import { loadEnvironment } from '../../config';
import { AlertRule } from '../../lib/constructs/monitoring';
import { Doc } from '../support/doc';
import { Promtool, Scenario } from '../support/promtool-scenarios';
import { envConfig, find, synthStack } from '../support/synth';

const NS = 'ecommerce';
const rules: AlertRule[] = (
  find(synthStack('ecommerce', loadEnvironment(envConfig('dev'))), 'PrometheusRule', 'ecommerce').spec.groups as Doc[]
).flatMap((g: Doc) => g.rules as AlertRule[]);
const tracked = rules.filter((r) => r.alert.startsWith('ErrorTracker'));

const available = (deployment: string, values: string) => ({
  [`kube_deployment_status_replicas_available{job="kube-state-metrics",namespace="${NS}",deployment="${deployment}"}`]: values,
});
const store = (metric: string, job: string, values: string) => ({ [`${metric}{namespace="${NS}",job="${job}"}`]: values });

let promtool: Promtool;
beforeAll(() => (promtool = new Promtool()));
afterAll(() => promtool?.dispose());

test('promtool check rules accepts them; the tracker, its PostgreSQL and its Redis are watched', () => {
  expect(promtool.checkRules('ecommerce-error-tracker', tracked)).toMatch(/SUCCESS: \d+ rules found/);
  expect(tracked.map((r) => r.alert)).toEqual(
    expect.arrayContaining(['ErrorTrackerDown', 'ErrorTrackerPostgresDown', 'ErrorTrackerRedisDown', 'ErrorTrackerRedisMemoryHigh']),
  );
});

const scenarios: Scenario[] = [
  {
    name: 'web and worker run, the stores answer: silent',
    series: {
      ...available('glitchtip-web', '1x30'),
      ...available('glitchtip-worker', '1x30'),
      ...store('pg_up', 'glitchtip-postgres', '1x30'),
      ...store('redis_up', 'glitchtip-redis', '1x30'),
    },
    checks: ['ErrorTrackerDown', 'ErrorTrackerPostgresDown', 'ErrorTrackerRedisDown'].map((alert) => ({ at: '20m', alert, fires: [] })),
  },
  {
    name: 'the web tier loses its pod: ErrorTrackerDown for the web Deployment after 5m, not before',
    series: { ...available('glitchtip-web', '1x5 0x25'), ...available('glitchtip-worker', '1x30') },
    checks: [
      { at: '9m', alert: 'ErrorTrackerDown', fires: [] },
      { at: '12m', alert: 'ErrorTrackerDown', fires: [{ namespace: NS, deployment: 'glitchtip-web' }] },
    ],
  },
  {
    name: 'the worker is gone from kube-state-metrics (Deployment deleted): ErrorTrackerDown for it',
    series: { ...available('glitchtip-web', '1x30'), ...available('glitchtip-worker', '1x5') },
    checks: [
      { at: '5m', alert: 'ErrorTrackerDown', fires: [] },
      {
        at: '20m',
        alert: 'ErrorTrackerDown',
        fires: [{ job: 'kube-state-metrics', namespace: NS, deployment: 'glitchtip-worker' }],
      },
    ],
  },
  {
    name: "GlitchTip's PostgreSQL is down: ErrorTrackerPostgresDown after 2m",
    series: { ...store('pg_up', 'glitchtip-postgres', '1x5 0x20'), ...store('redis_up', 'glitchtip-redis', '1x25') },
    checks: [
      { at: '10m', alert: 'ErrorTrackerPostgresDown', fires: [{ namespace: NS, job: 'glitchtip-postgres' }] },
      { at: '10m', alert: 'ErrorTrackerRedisDown', fires: [] },
    ],
  },
];

test.each(scenarios.map((s) => [s.name, s] as const))('dev: %s', (_name, scenario) => {
  const names = new Set(scenario.checks.map((c) => c.alert));
  promtool.testScenario(
    'ecommerce',
    tracked.filter((r) => names.has(r.alert)),
    scenario,
  );
});
