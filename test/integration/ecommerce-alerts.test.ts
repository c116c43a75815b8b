/**
 * The e-commerce stack's synthesized PrometheusRule through the real promtool: the seeds' alerts
 * as this stack configures them (HighErrorRate: 5xx above 5 % for 10m, critical; <App>Down after
 * 2m, critical; HighLatency: p95 above 1 s for 5m over http_request_duration_seconds_bucket,
 * warning) fire on bad series and stay silent on good ones, each at its own threshold and `for`.
 */
import { loadEnvironment } from '../../config';
import { AlertRule } from '../../lib/constructs/monitoring';
import { Doc } from '../support/doc';
import { Promtool, Scenario } from '../support/promtool-scenarios';
import { envConfig, find, synthStack } from '../support/synth';

const NS = 'ecommerce';
const rules = (env: 'dev' | 'prod'): AlertRule[] =>
  (find(synthStack('ecommerce', loadEnvironment(envConfig(env))), 'PrometheusRule', 'ecommerce').spec.groups as Doc[]).flatMap(
    (g: Doc) => g.rules as AlertRule[],
  );

const me = (job: string) => `namespace="${NS}",job="${job}"`;
/** Request counters of a job: `ok` and `errors` requests per minute, as rates over 40 minutes. */
function traffic(job: string, ok: number, errors: number): Record<string, string> {
  return {
    [`up{${me(job)},pod="${job}-1"}`]: '1x40',
    [`http_requests_total{${me(job)},status="200"}`]: `0+${ok}x40`,
    [`http_requests_total{${me(job)},status="500"}`]: `0+${errors}x40`,
  };
}
/** Latency buckets of a job: every request under 0.5 s, or between 1 and 2.5 s. */
function latency(job: string, slow: boolean): Record<string, string> {
  const b = (le: string) => `http_request_duration_seconds_bucket{${me(job)},le="${le}"}`;
  return {
    [b('0.5')]: slow ? '0x40' : '0+600x40',
    [b('1')]: slow ? '0x40' : '0+600x40',
    [b('2.5')]: '0+600x40',
    [b('+Inf')]: '0+600x40',
  };
}

let promtool: Promtool;
beforeAll(() => (promtool = new Promtool()));
afterAll(() => promtool?.dispose());

test.each(['dev', 'prod'] as const)('promtool check rules accepts the %s rules', (env) => {
  expect(promtool.checkRules(`ecommerce-${env}`, rules(env))).toMatch(/SUCCESS: \d+ rules found/);
});

const scenarios: Scenario[] = [
  {
    name: 'healthy: 2 % errors, fast, all up',
    series: { ...traffic('gateway', 980, 20), ...latency('gateway', false), ...traffic('backend', 1000, 0), ...latency('backend', false) },
    checks: ['GatewayHighErrorRate', 'GatewayHighLatency', 'GatewayDown', 'BackendHighLatency', 'BackendDown'].map((alert) => ({
      at: '30m',
      alert,
      fires: [],
    })),
  },
  {
    name: 'the gateway answers 10 % 5xx: fires after 10m, not before',
    series: { ...traffic('gateway', 900, 100), ...latency('gateway', false), ...traffic('backend', 1000, 0) },
    checks: [
      { at: '9m', alert: 'GatewayHighErrorRate', fires: [] },
      { at: '20m', alert: 'GatewayHighErrorRate', fires: [{ namespace: NS, job: 'gateway' }] },
      { at: '20m', alert: 'BackendHighErrorRate', fires: [] },
    ],
  },
  {
    name: 'the backend has no traffic at all: no error-ratio alert',
    series: { [`up{${me('backend')},pod="backend-1"}`]: '1x40', [`http_requests_total{${me('backend')},status="200"}`]: '0x40' },
    checks: [{ at: '30m', alert: 'BackendHighErrorRate', fires: [] }],
  },
  {
    name: 'the backend p95 is between 1 and 2.5 s: HighLatency after 5m',
    series: { ...traffic('backend', 600, 0), ...latency('backend', true), ...traffic('gateway', 600, 0), ...latency('gateway', false) },
    checks: [
      { at: '30m', alert: 'BackendHighLatency', fires: [{ namespace: NS, job: 'backend' }] },
      { at: '30m', alert: 'GatewayHighLatency', fires: [] },
    ],
  },
  {
    name: 'the backend is down: BackendDown after 2m',
    series: { [`up{${me('backend')},pod="backend-1"}`]: '1x5 0x20', ...traffic('gateway', 600, 0) },
    checks: [
      { at: '6m', alert: 'BackendDown', fires: [] },
      { at: '10m', alert: 'BackendDown', fires: [{ namespace: NS, job: 'backend' }] },
      { at: '10m', alert: 'GatewayDown', fires: [] },
    ],
  },
];

test.each(scenarios.map((s) => [s.name, s] as const))('prod: %s', (_name, scenario) => {
  const all = rules('prod');
  const names = new Set(scenario.checks.map((c) => c.alert));
  promtool.testScenario(
    'ecommerce',
    all.filter((r) => names.has(r.alert)),
    scenario,
  );
});
