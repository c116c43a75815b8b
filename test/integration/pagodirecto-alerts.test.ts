/**
 * PagoDirecto's synthesized PrometheusRule through the real promtool: `check rules` for both
 * environments, and `test rules` for the seed's SLO: the backend's p95 latency above 200 ms fires
 * BackendHighLatency, below it stays silent; the Hikari pool near exhaustion fires
 * BackendConnectionPoolSaturated; Postgres down fires PostgresDown.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as YAML from 'yaml';
import { loadEnvironment } from '../../config';
import { envConfig, find, synthStack } from '../support/synth';
import { findTool } from '../support/tools';
import { Doc } from '../support/doc';

const INSTALL_HINT =
  'Install it with `scripts/install-prom-tools.sh` (puts promtool and amtool into .tools/bin), or set PROMTOOL=/path/to/promtool.';
const groups = (env: 'dev' | 'prod') =>
  find(synthStack('pagodirecto', loadEnvironment(envConfig(env))), 'PrometheusRule', 'pagodirecto').spec.groups;

let promtool: string;
let dir: string;
beforeAll(() => {
  promtool = findTool('promtool', INSTALL_HINT);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pagodirecto-alerts-'));
});
afterAll(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

function promtoolRun(args: string[]): string {
  const r = spawnSync(promtool, args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`promtool ${args.join(' ')} exited ${r.status}:\n${r.stdout}${r.stderr}`);
  return r.stdout + r.stderr;
}

test.each(['dev', 'prod'] as const)('promtool check rules accepts the %s rules', (env) => {
  fs.writeFileSync(path.join(dir, `rules-${env}.yaml`), YAML.stringify({ groups: groups(env) }));
  expect(promtoolRun(['check', 'rules', `rules-${env}.yaml`])).toMatch(/SUCCESS: \d+ rules found/);
});

test('the seed SLOs fire on bad series and stay silent on good ones', () => {
  fs.writeFileSync(path.join(dir, 'rules.yaml'), YAML.stringify({ groups: groups('prod') }));
  const me = 'namespace="pagodirecto",job="backend"';
  const req = `${me},uri="/api/v1/customers",status="200",method="GET"`;
  const bucket = (le: string) => `http_server_requests_seconds_bucket{${req},le="${le}"}`;
  const pool = `${me},pod="backend-1",pool="HikariPool-1"`;
  const pg = 'namespace="pagodirecto",job="postgres"';
  const test = (name: string, series: Record<string, string>, checks: Array<[string, string, boolean]>) => ({
    name,
    interval: '1m',
    input_series: Object.entries(series).map(([s, values]) => ({ series: s, values })),
    alert_rule_test: checks.map(([at, alertname, fires]) => ({
      eval_time: at,
      alertname,
      exp_alerts: fires ? [{}] : [],
    })),
  });
  const base = {
    [`up{${me}}`]: '1x40',
    [`http_server_requests_seconds_count{${req}}`]: '0+600x40',
    [`hikaricp_connections_max{${pool}}`]: '20x40',
    [`pg_up{${pg}}`]: '1x40',
  };
  const fast = {
    ...base,
    [bucket('0.1')]: '0+600x40',
    [bucket('0.25')]: '0+600x40',
    [bucket('+Inf')]: '0+600x40',
    [`hikaricp_connections_active{${pool}}`]: '5x40',
  };
  // Every request between 100 and 250 ms: p95 = 0.1 + 0.95 * 0.15 = 242.5 ms > 200 ms.
  const slow = {
    ...base,
    [bucket('0.1')]: '0x40',
    [bucket('0.25')]: '0+600x40',
    [bucket('+Inf')]: '0+600x40',
    [`hikaricp_connections_active{${pool}}`]: '19x40',
    [`pg_up{${pg}}`]: '0x40',
  };

  const file = {
    rule_files: ['rules.yaml'],
    evaluation_interval: '1m',
    tests: [
      test('healthy', fast, [
        ['30m', 'BackendHighLatency', false],
        ['30m', 'BackendConnectionPoolSaturated', false],
        ['30m', 'PostgresDown', false],
      ]),
      test('slow, pool exhausted, postgres down', slow, [
        ['30m', 'BackendHighLatency', true],
        ['30m', 'BackendConnectionPoolSaturated', true],
        ['30m', 'PostgresDown', true],
      ]),
    ],
  };
  // promtool compares exact label sets: fill them in from the rules (severity) and the series.
  const rules = Object.fromEntries(
    groups('prod')
      .flatMap((g: Doc) => g.rules)
      .map((r: Doc) => [r.alert, r]),
  );
  const labels: Record<string, Record<string, string>> = {
    BackendHighLatency: { namespace: 'pagodirecto', job: 'backend' },
    BackendConnectionPoolSaturated: { namespace: 'pagodirecto', job: 'backend', pod: 'backend-1', pool: 'HikariPool-1' },
    PostgresDown: { namespace: 'pagodirecto', job: 'postgres' },
  };
  for (const t of file.tests) {
    for (const c of t.alert_rule_test) {
      const r = rules[c.alertname];
      const all = { ...labels[c.alertname], ...r.labels };
      c.exp_alerts = c.exp_alerts.length
        ? [
            {
              exp_labels: all,
              exp_annotations: Object.fromEntries(
                Object.entries(r.annotations as Record<string, string>).map(([k, v]) => [
                  k,
                  v.replace(/\{\{\s*\$labels\.(\w+)\s*\}\}/g, (_, n: string) => all[n]),
                ]),
              ),
            },
          ]
        : [];
    }
  }
  fs.writeFileSync(path.join(dir, 'tests.yaml'), YAML.stringify(file, { lineWidth: 0 }));
  expect(promtoolRun(['test', 'rules', 'tests.yaml'])).toMatch(/SUCCESS/);
});
