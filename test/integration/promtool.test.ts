/**
 * Runs the REAL promtool against the rules produced by every builder:
 * - `promtool check rules` on each builder's rule file and on the spec of a
 *   synthesized PrometheusRule;
 * - `promtool test rules` scenarios that make EVERY alert fire on bad series
 *   (honouring its `for`) and stay silent on healthy series, including series
 *   of other namespaces / jobs (scoping).
 *
 * Fails (never skips) when promtool is missing: run scripts/install-prom-tools.sh.
 */
import { spawnSync } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import * as YAML from 'yaml';
import {
  AlertRule,
  AlertRuleGroup,
  backupPanels,
  connectionPoolPanels,
  GrafanaDashboard,
  jvmPanels,
  latencySloPanels,
  redisHitRatioPanels,
  backupRules,
  httpServicePanels,
  httpServiceRules,
  jvmHttpPanels,
  jvmHttpRules,
  postgresPanels,
  postgresRules,
  postgresWalArchiveRules,
  redisPanels,
  redisRules,
} from '../../lib/constructs/monitoring';
import { findTool } from '../support/tools';
import { STACKS } from '../../charts';
import { ENVIRONMENTS, loadEnvironment } from '../../config';
import { Doc } from '../support/doc';

const INSTALL_HINT =
  'Install it with `scripts/install-prom-tools.sh` (puts promtool and amtool into .tools/bin), or set PROMTOOL=/path/to/promtool.';

let promtool: string;
let workDir: string;

beforeAll(() => {
  promtool = findTool('promtool', INSTALL_HINT);
  const version = spawnSync(promtool, ['--version'], { encoding: 'utf8' });
  if (version.status !== 0) throw new Error(`${promtool} --version failed: ${version.stderr}`);
  workDir = mkdtempSync(path.join(tmpdir(), 'promtool-test-'));
});

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------
// harness
// ---------------------------------------------------------------------------

const NS = 'shop';
const OTHER_NS = 'other';

let fileCounter = 0;
function writeYaml(prefix: string, doc: unknown): string {
  const file = path.join(workDir, `${prefix}-${++fileCounter}.yaml`);
  writeFileSync(file, YAML.stringify(doc, { lineWidth: 0 }));
  return file;
}

function run(args: string[]): { status: number | null; output: string } {
  const res = spawnSync(promtool, args, { cwd: workDir, encoding: 'utf8' });
  return { status: res.status, output: `${res.stdout ?? ''}${res.stderr ?? ''}` };
}

function expectPromtoolOk(args: string[], context: string): string {
  const { status, output } = run(args);
  if (status !== 0) {
    throw new Error(`promtool ${args.join(' ')} exited with ${status} (${context}):\n${output}`);
  }
  return output;
}

/** Renders `{{ $labels.x }}` like Prometheus; throws on a label the alert does not carry. */
function render(template: string, labels: Record<string, string>, alert: string): string {
  const out = template.replace(/\{\{\s*\$labels\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_, name: string) => {
    if (!(name in labels))
      throw new Error(`${alert}: annotation uses $labels.${name}, but the alert only has labels ${JSON.stringify(labels)}`);
    return labels[name];
  });
  if (out.includes('{{')) throw new Error(`${alert}: unsupported template in test renderer: ${template}`);
  return out;
}

interface Check {
  /** Evaluation time, e.g. `5m`. */
  readonly at: string;
  /** Alert name. */
  readonly alert: string;
  /** Label sets (from the expression, without severity) of the alerts expected to FIRE; `[]` = silent. */
  readonly fires: Array<Record<string, string>>;
}

interface Scenario {
  readonly name: string;
  /** series selector -> promtool expanding notation. */
  readonly series: Record<string, string>;
  readonly checks: Check[];
  /** @default '1m' */
  readonly interval?: string;
}

function toPromtoolTest(rules: readonly AlertRule[], scenario: Scenario) {
  const byName = new Map(rules.map((r) => [r.alert, r]));
  return {
    name: scenario.name,
    interval: scenario.interval ?? '1m',
    input_series: Object.entries(scenario.series).map(([series, values]) => ({ series, values })),
    alert_rule_test: scenario.checks.map((check) => {
      const rule = byName.get(check.alert);
      if (!rule) throw new Error(`scenario "${scenario.name}": no rule named ${check.alert} (have ${[...byName.keys()].join(', ')})`);
      return {
        eval_time: check.at,
        alertname: check.alert,
        exp_alerts: check.fires.map((labels) => {
          const all = { ...labels, ...rule.labels };
          return {
            exp_labels: all,
            exp_annotations: Object.fromEntries(
              Object.entries(rule.annotations).map(([k, v]) => [k, render(v, { ...all, alertname: rule.alert }, rule.alert)]),
            ),
          };
        }),
      };
    }),
  };
}

/** Writes the rules + one promtool test file and runs `promtool test rules`. */
function runScenario(groupName: string, rules: AlertRule[], scenario: Scenario): void {
  const rulesFile = writeYaml(`${groupName}-rules`, AlertRuleGroup.toRulesFile({ name: groupName, rules }));
  const testFile = writeYaml(`${groupName}-test`, {
    rule_files: [path.basename(rulesFile)],
    evaluation_interval: '1m',
    tests: [toPromtoolTest(rules, scenario)],
  });
  expectPromtoolOk(['test', 'rules', testFile], `scenario "${scenario.name}"`);
}

/** Every alert must fire in some scenario and be asserted silent in another one. */
function expectFullCoverage(rules: readonly AlertRule[], scenarios: readonly Scenario[]): void {
  const fired = new Set<string>();
  const silent = new Set<string>();
  for (const s of scenarios) {
    for (const c of s.checks) (c.fires.length > 0 ? fired : silent).add(c.alert);
  }
  const names = rules.map((r) => r.alert);
  expect(names.filter((n) => !fired.has(n))).toEqual([]);
  expect(names.filter((n) => !silent.has(n))).toEqual([]);
}

function defineScenarios(groupName: string, rules: AlertRule[], scenarios: Scenario[]): void {
  test(`${groupName}: promtool check rules`, () => {
    const file = writeYaml(`${groupName}-check`, AlertRuleGroup.toRulesFile({ name: groupName, rules }));
    const out = expectPromtoolOk(['check', 'rules', file], groupName);
    expect(out).toContain(`SUCCESS: ${rules.length} rules found`);
  });
  test(`${groupName}: every alert fires in one scenario and is silent in another`, () => {
    expectFullCoverage(rules, scenarios);
  });
  for (const scenario of scenarios) {
    test(`${groupName}: ${scenario.name}`, () => runScenario(groupName, rules, scenario));
  }
}

// ---------------------------------------------------------------------------
// httpServiceRules (WonderNest Ktor app style)
// ---------------------------------------------------------------------------

describe('httpServiceRules', () => {
  const rules = httpServiceRules({
    namespace: NS,
    job: 'api',
    alertPrefix: 'WonderNestApi',
    errorMetric: 'http_requests_total',
    statusLabel: 'status',
    errorRateThreshold: 0.1,
    latencyP95Seconds: 0.5,
    latencyBucketMetric: 'http_request_duration_seconds_bucket',
  });
  const me = `namespace="${NS}",job="api"`;
  const other = `namespace="${OTHER_NS}",job="api"`;
  const healthyApi = {
    [`up{${me},pod="api-1"}`]: '1x40',
    [`up{${me},pod="api-2"}`]: '1x40',
    [`http_requests_total{${me},pod="api-1",status="200"}`]: '0+600x40',
    [`http_requests_total{${me},pod="api-1",status="500"}`]: '0+1x40', // 1/min ~ 0.017/s
    [`http_request_duration_seconds_bucket{${me},le="0.1"}`]: '0+600x40',
    [`http_request_duration_seconds_bucket{${me},le="0.5"}`]: '0+600x40',
    [`http_request_duration_seconds_bucket{${me},le="+Inf"}`]: '0+600x40',
  };
  const badNeighbours = {
    // another stack's api in another namespace, and another job in our namespace: all broken
    [`up{${other}}`]: '0x40',
    [`up{namespace="${NS}",job="worker"}`]: '0x40',
    [`http_requests_total{${other},status="500"}`]: '0+6000x40',
    [`http_requests_total{namespace="${NS}",job="worker",status="503"}`]: '0+6000x40',
    [`http_request_duration_seconds_bucket{${other},le="0.5"}`]: '0x40',
    [`http_request_duration_seconds_bucket{${other},le="+Inf"}`]: '0+600x40',
  };
  const all = ['WonderNestApiDown', 'WonderNestApiHighErrorRate', 'WonderNestApiHighLatency'];
  const silentAt = (at: string) => all.map((alert) => ({ at, alert, fires: [] }));

  test('builds the three alerts', () => {
    expect(rules.map((r) => r.alert)).toEqual(all);
  });

  defineScenarios('http', rules, [
    {
      name: 'healthy service with broken neighbours stays silent',
      series: { ...healthyApi, ...badNeighbours },
      checks: [...silentAt('5m'), ...silentAt('30m')],
    },
    {
      name: 'all targets down fires Down after 2m',
      series: { ...healthyApi, [`up{${me},pod="api-1"}`]: '0x40', [`up{${me},pod="api-2"}`]: '0x40' },
      checks: [
        { at: '1m', alert: 'WonderNestApiDown', fires: [] },
        { at: '3m', alert: 'WonderNestApiDown', fires: [{ namespace: NS, job: 'api' }] },
      ],
    },
    {
      name: 'one target of two down does not fire Down',
      series: { ...healthyApi, [`up{${me},pod="api-2"}`]: '0x40' },
      checks: [{ at: '10m', alert: 'WonderNestApiDown', fires: [] }],
    },
    {
      name: 'no up series at all (not scraped) fires Down via absent()',
      series: { ...badNeighbours },
      checks: [
        { at: '1m', alert: 'WonderNestApiDown', fires: [] },
        { at: '3m', alert: 'WonderNestApiDown', fires: [{ namespace: NS, job: 'api' }] },
      ],
    },
    {
      name: '5xx above 0.1/s summed over pods fires HighErrorRate after 2m',
      series: {
        ...healthyApi,
        // 0.07/s per pod: each below the threshold, together 0.14/s
        [`http_requests_total{${me},pod="api-1",status="500"}`]: '0+4.2x40',
        [`http_requests_total{${me},pod="api-2",status="502"}`]: '0+4.2x40',
      },
      checks: [
        { at: '10m', alert: 'WonderNestApiHighErrorRate', fires: [{ namespace: NS, job: 'api' }] },
        { at: '10m', alert: 'WonderNestApiDown', fires: [] },
      ],
    },
    {
      name: 'error burst starting at 10m fires HighErrorRate only after 2m (for)',
      series: {
        ...healthyApi,
        // flat until 10m, then 1 error/s: the 5m rate crosses 0.1/s at 11m
        [`http_requests_total{${me},pod="api-1",status="500"}`]: '0x10 60+60x30',
      },
      checks: [
        { at: '10m', alert: 'WonderNestApiHighErrorRate', fires: [] },
        { at: '12m', alert: 'WonderNestApiHighErrorRate', fires: [] },
        { at: '14m', alert: 'WonderNestApiHighErrorRate', fires: [{ namespace: NS, job: 'api' }] },
      ],
    },
    {
      name: 'p95 above 0.5s fires HighLatency after 10m',
      series: {
        ...healthyApi,
        [`http_request_duration_seconds_bucket{${me},le="0.1"}`]: '0x40',
        [`http_request_duration_seconds_bucket{${me},le="0.5"}`]: '0x40',
        [`http_request_duration_seconds_bucket{${me},le="1"}`]: '0+600x40',
        [`http_request_duration_seconds_bucket{${me},le="+Inf"}`]: '0+600x40',
      },
      checks: [
        { at: '8m', alert: 'WonderNestApiHighLatency', fires: [] },
        { at: '15m', alert: 'WonderNestApiHighLatency', fires: [{ namespace: NS, job: 'api' }] },
      ],
    },
  ]);
});

describe('httpServiceRules with the seed names (alertPrefix "")', () => {
  const rules = httpServiceRules({ namespace: NS, job: 'wondernest-api', alertPrefix: '' });
  const me = `namespace="${NS}",job="wondernest-api"`;
  defineScenarios('seed-http', rules, [
    {
      name: 'seed HighErrorRate fires on 1 req/s of 500s',
      series: { [`up{${me}}`]: '1x20', [`http_requests_total{${me},status="500"}`]: '0+60x20' },
      checks: [
        { at: '10m', alert: 'HighErrorRate', fires: [{ namespace: NS, job: 'wondernest-api' }] },
        { at: '10m', alert: 'ServiceDown', fires: [] },
      ],
    },
    {
      name: 'seed HighErrorRate silent on 200s, ServiceDown fires when down',
      series: { [`up{${me}}`]: '0x20', [`http_requests_total{${me},status="200"}`]: '0+600x20' },
      checks: [
        { at: '10m', alert: 'HighErrorRate', fires: [] },
        { at: '10m', alert: 'ServiceDown', fires: [{ namespace: NS, job: 'wondernest-api' }] },
      ],
    },
  ]);
});

// ---------------------------------------------------------------------------
// jvmHttpRules (Spring Boot)
// ---------------------------------------------------------------------------

describe('jvmHttpRules', () => {
  const rules = jvmHttpRules({ namespace: NS, job: 'orders', alertPrefix: 'Orders' });
  const me = `namespace="${NS}",job="orders"`;
  const other = `namespace="${OTHER_NS}",job="orders"`;
  const pool = 'pod="orders-1",pool="HikariPool-1"';
  const healthy = {
    [`up{${me}}`]: '1x40',
    [`http_server_requests_seconds_count{${me},uri="/api/orders",status="200"}`]: '0+600x40',
    [`http_server_requests_seconds_count{${me},uri="/api/orders",status="500"}`]: '0+6x40', // 1%
    [`http_server_requests_seconds_bucket{${me},uri="/api/orders",status="200",le="0.25"}`]: '0+600x40',
    [`http_server_requests_seconds_bucket{${me},uri="/api/orders",status="200",le="+Inf"}`]: '0+600x40',
    // actuator: all errors and slow, but excluded by uri!~"/actuator.*"
    [`http_server_requests_seconds_count{${me},uri="/actuator/health",status="503"}`]: '0+6000x40',
    [`http_server_requests_seconds_bucket{${me},uri="/actuator/health",status="503",le="0.25"}`]: '0x40',
    [`http_server_requests_seconds_bucket{${me},uri="/actuator/health",status="503",le="+Inf"}`]: '0+6000x40',
    [`hikaricp_connections_active{${me},${pool}}`]: '5x40',
    [`hikaricp_connections_max{${me},${pool}}`]: '10x40',
  };
  const badNeighbours = {
    [`up{${other}}`]: '0x40',
    [`http_server_requests_seconds_count{${other},uri="/api",status="500"}`]: '0+600x40',
    [`http_server_requests_seconds_bucket{${other},uri="/api",status="500",le="0.25"}`]: '0x40',
    [`http_server_requests_seconds_bucket{${other},uri="/api",status="500",le="+Inf"}`]: '0+600x40',
    [`hikaricp_connections_active{${other},${pool}}`]: '10x40',
    [`hikaricp_connections_max{${other},${pool}}`]: '10x40',
  };
  const all = ['OrdersDown', 'OrdersHighLatency', 'OrdersHighErrorRatio', 'OrdersConnectionPoolSaturated'];

  test('builds the four alerts', () => {
    expect(rules.map((r) => r.alert)).toEqual(all);
  });

  defineScenarios('jvm', rules, [
    {
      name: 'healthy app (noisy actuator, broken neighbours) stays silent',
      series: { ...healthy, ...badNeighbours },
      checks: all.flatMap((alert) => [
        { at: '5m', alert, fires: [] },
        { at: '30m', alert, fires: [] },
      ]),
    },
    {
      name: 'down fires OrdersDown after 2m',
      series: { ...healthy, [`up{${me}}`]: '0x40' },
      checks: [
        { at: '1m', alert: 'OrdersDown', fires: [] },
        { at: '3m', alert: 'OrdersDown', fires: [{ namespace: NS, job: 'orders' }] },
      ],
    },
    {
      name: '9% 5xx fires OrdersHighErrorRatio after 5m',
      series: { ...healthy, [`http_server_requests_seconds_count{${me},uri="/api/orders",status="500"}`]: '0+60x40' },
      checks: [
        { at: '4m', alert: 'OrdersHighErrorRatio', fires: [] },
        { at: '10m', alert: 'OrdersHighErrorRatio', fires: [{ namespace: NS, job: 'orders' }] },
      ],
    },
    {
      name: 'p95 of ~2.4s fires OrdersHighLatency after 10m',
      series: {
        ...healthy,
        [`http_server_requests_seconds_bucket{${me},uri="/api/orders",status="200",le="0.25"}`]: '0x40',
        [`http_server_requests_seconds_bucket{${me},uri="/api/orders",status="200",le="1"}`]: '0x40',
        [`http_server_requests_seconds_bucket{${me},uri="/api/orders",status="200",le="2.5"}`]: '0+600x40',
      },
      checks: [
        { at: '8m', alert: 'OrdersHighLatency', fires: [] },
        { at: '15m', alert: 'OrdersHighLatency', fires: [{ namespace: NS, job: 'orders' }] },
      ],
    },
    {
      name: 'pool 10/10 fires OrdersConnectionPoolSaturated after 5m; max 0 is ignored',
      series: {
        ...healthy,
        [`hikaricp_connections_active{${me},${pool}}`]: '10x40',
        [`hikaricp_connections_active{${me},pod="orders-2",pool="HikariPool-1"}`]: '7x40',
        [`hikaricp_connections_max{${me},pod="orders-2",pool="HikariPool-1"}`]: '0x40',
      },
      checks: [
        { at: '4m', alert: 'OrdersConnectionPoolSaturated', fires: [] },
        {
          at: '10m',
          alert: 'OrdersConnectionPoolSaturated',
          fires: [{ namespace: NS, job: 'orders', pod: 'orders-1', pool: 'HikariPool-1' }],
        },
      ],
    },
  ]);
});

// ---------------------------------------------------------------------------
// postgresRules
// ---------------------------------------------------------------------------

describe('postgresRules', () => {
  const rules = postgresRules({ namespace: NS, job: 'pg-exporter', alertPrefix: 'WonderNest', connectionsThreshold: 80 });
  const me = `namespace="${NS}",job="pg-exporter"`;
  const other = `namespace="${OTHER_NS}",job="pg-exporter"`;
  const healthy = {
    [`pg_up{${me}}`]: '1x30',
    [`pg_stat_activity_count{${me},datname="app",state="active"}`]: '10x30',
    [`pg_stat_activity_count{${me},datname="app",state="idle"}`]: '20x30',
    [`pg_settings_max_connections{${me}}`]: '100x30',
  };
  const badNeighbours = {
    [`pg_up{${other}}`]: '0x30',
    [`pg_stat_activity_count{${other},datname="app",state="active"}`]: '500x30',
    [`pg_settings_max_connections{${other}}`]: '100x30',
    [`pg_up{namespace="${NS}",job="analytics-pg-exporter"}`]: '0x30',
    [`pg_stat_activity_count{namespace="${NS}",job="analytics-pg-exporter",datname="x",state="active"}`]: '500x30',
  };
  const all = ['WonderNestPostgresDown', 'WonderNestDatabaseConnectionsHigh', 'WonderNestDatabaseConnectionsNearMax'];

  test('builds the three alerts', () => {
    expect(rules.map((r) => r.alert)).toEqual(all);
  });

  defineScenarios('postgres', rules, [
    {
      name: 'healthy database with broken neighbours stays silent',
      series: { ...healthy, ...badNeighbours },
      checks: all.flatMap((alert) => [
        { at: '2m', alert, fires: [] },
        { at: '20m', alert, fires: [] },
      ]),
    },
    {
      name: 'pg_up 0 fires PostgresDown after 2m',
      series: { ...healthy, [`pg_up{${me}}`]: '0x30' },
      checks: [
        { at: '1m', alert: 'WonderNestPostgresDown', fires: [] },
        { at: '3m', alert: 'WonderNestPostgresDown', fires: [{ namespace: NS, job: 'pg-exporter' }] },
      ],
    },
    {
      name: 'no pg_up series (exporter gone) fires PostgresDown',
      series: { ...badNeighbours },
      checks: [{ at: '3m', alert: 'WonderNestPostgresDown', fires: [{ namespace: NS, job: 'pg-exporter' }] }],
    },
    {
      name: '50 active + 40 idle (> 80 in total) fires DatabaseConnectionsHigh after 1m',
      series: {
        ...healthy,
        [`pg_stat_activity_count{${me},datname="app",state="active"}`]: '50x30',
        [`pg_stat_activity_count{${me},datname="app",state="idle"}`]: '40x30',
        [`pg_settings_max_connections{${me}}`]: '200x30',
      },
      checks: [
        { at: '0m', alert: 'WonderNestDatabaseConnectionsHigh', fires: [] },
        { at: '2m', alert: 'WonderNestDatabaseConnectionsHigh', fires: [{ namespace: NS, job: 'pg-exporter' }] },
        { at: '10m', alert: 'WonderNestDatabaseConnectionsNearMax', fires: [] },
      ],
    },
    {
      name: '50 of max_connections 60 fires DatabaseConnectionsNearMax after 5m',
      series: {
        ...healthy,
        [`pg_stat_activity_count{${me},datname="app",state="active"}`]: '30x30',
        [`pg_settings_max_connections{${me}}`]: '60x30',
      },
      checks: [
        { at: '4m', alert: 'WonderNestDatabaseConnectionsNearMax', fires: [] },
        { at: '6m', alert: 'WonderNestDatabaseConnectionsNearMax', fires: [{ namespace: NS, job: 'pg-exporter' }] },
        { at: '6m', alert: 'WonderNestDatabaseConnectionsHigh', fires: [] },
      ],
    },
    {
      name: 'max_connections 0 never divides into NearMax',
      series: { ...healthy, [`pg_settings_max_connections{${me}}`]: '0x30' },
      checks: [{ at: '10m', alert: 'WonderNestDatabaseConnectionsNearMax', fires: [] }],
    },
  ]);
});

describe('postgresRules with the seed names (alertPrefix "")', () => {
  const rules = postgresRules({ namespace: NS, job: 'pg-exporter', alertPrefix: '' });
  const me = `namespace="${NS}",job="pg-exporter"`;
  defineScenarios('seed-postgres', rules, [
    {
      name: 'seed DatabaseConnectionsHigh fires above 80 and not at 80',
      series: {
        [`pg_up{${me}}`]: '1x20',
        [`pg_stat_activity_count{${me},datname="app",state="active"}`]: '80x5 81x15',
        [`pg_settings_max_connections{${me}}`]: '1000x20',
      },
      checks: [
        { at: '5m', alert: 'DatabaseConnectionsHigh', fires: [] },
        { at: '8m', alert: 'DatabaseConnectionsHigh', fires: [{ namespace: NS, job: 'pg-exporter' }] },
        { at: '8m', alert: 'PostgresDown', fires: [] },
        { at: '8m', alert: 'DatabaseConnectionsNearMax', fires: [] },
      ],
    },
    {
      name: 'PostgresDown and DatabaseConnectionsNearMax fire',
      series: {
        [`pg_up{${me}}`]: '0x20',
        [`pg_stat_activity_count{${me},datname="app",state="active"}`]: '9x20',
        [`pg_settings_max_connections{${me}}`]: '10x20',
      },
      checks: [
        { at: '10m', alert: 'PostgresDown', fires: [{ namespace: NS, job: 'pg-exporter' }] },
        { at: '10m', alert: 'DatabaseConnectionsNearMax', fires: [{ namespace: NS, job: 'pg-exporter' }] },
        { at: '10m', alert: 'DatabaseConnectionsHigh', fires: [] },
      ],
    },
  ]);
});

// ---------------------------------------------------------------------------
// redisRules
// ---------------------------------------------------------------------------

// ---------------------------------------------------------------------------
// postgresWalArchiveRules
// ---------------------------------------------------------------------------

describe('postgresWalArchiveRules', () => {
  const rules = postgresWalArchiveRules({ namespace: NS, job: 'postgres', alertPrefix: 'Shop', maxArchiveAgeHours: 26 });
  const me = `namespace="${NS}",job="postgres"`;
  const other = `namespace="${OTHER_NS}",job="postgres"`;
  const healthy = {
    [`pg_stat_archiver_archived_count{${me}}`]: '0+1x60',
    [`pg_stat_archiver_failed_count{${me}}`]: '0x60',
    [`pg_stat_archiver_last_archive_age{${me}}`]: '30x60',
  };
  const badNeighbours = {
    [`pg_stat_archiver_archived_count{${other}}`]: '5x60',
    [`pg_stat_archiver_failed_count{${other}}`]: '0+1x60',
    [`pg_stat_archiver_last_archive_age{${other}}`]: '200000x60',
  };
  const all = ['ShopPostgresWalArchivingFailing', 'ShopPostgresWalArchiveStale'];

  test('builds the two alerts', () => {
    expect(rules.map((r) => r.alert)).toEqual(all);
  });

  defineScenarios('postgres-wal-archive', rules, [
    {
      name: 'archiving healthy, neighbours failing and stale: silent',
      series: { ...healthy, ...badNeighbours },
      checks: all.flatMap((alert) => [
        { at: '5m', alert, fires: [] },
        { at: '40m', alert, fires: [] },
      ]),
    },
    {
      name: 'archive_command failing with nothing archived fires WalArchivingFailing after 15m',
      series: {
        ...healthy,
        [`pg_stat_archiver_archived_count{${me}}`]: '5x60',
        [`pg_stat_archiver_failed_count{${me}}`]: '0+1x60',
      },
      checks: [
        { at: '10m', alert: 'ShopPostgresWalArchivingFailing', fires: [] },
        { at: '25m', alert: 'ShopPostgresWalArchivingFailing', fires: [{ namespace: NS, job: 'postgres' }] },
      ],
    },
    {
      name: 'failures while segments still get archived (a retry that succeeded) stay silent',
      series: {
        ...healthy,
        [`pg_stat_archiver_failed_count{${me}}`]: '0+1x60',
      },
      checks: [{ at: '30m', alert: 'ShopPostgresWalArchivingFailing', fires: [] }],
    },
    {
      name: 'no WAL archived for more than 26 hours fires WalArchiveStale after 15m',
      series: { ...healthy, [`pg_stat_archiver_last_archive_age{${me}}`]: '100000+60x60' },
      checks: [
        { at: '10m', alert: 'ShopPostgresWalArchiveStale', fires: [] },
        { at: '20m', alert: 'ShopPostgresWalArchiveStale', fires: [{ namespace: NS, job: 'postgres' }] },
      ],
    },
  ]);
});

describe('redisRules', () => {
  const rules = redisRules({ namespace: NS, job: 'redis-exporter', alertPrefix: 'WonderNest' });
  const me = `namespace="${NS}",job="redis-exporter"`;
  const other = `namespace="${OTHER_NS}",job="redis-exporter"`;
  const healthy = {
    [`redis_up{${me}}`]: '1x30',
    [`redis_memory_used_bytes{${me}}`]: '500x30',
    [`redis_memory_max_bytes{${me}}`]: '1000x30',
  };
  const badNeighbours = {
    [`redis_up{${other}}`]: '0x30',
    [`redis_memory_used_bytes{${other}}`]: '990x30',
    [`redis_memory_max_bytes{${other}}`]: '1000x30',
  };
  const all = ['WonderNestRedisDown', 'WonderNestRedisMemoryHigh'];

  test('builds the two alerts', () => {
    expect(rules.map((r) => r.alert)).toEqual(all);
  });

  defineScenarios('redis', rules, [
    {
      name: 'healthy redis with broken neighbours stays silent',
      series: { ...healthy, ...badNeighbours },
      checks: all.flatMap((alert) => [
        { at: '2m', alert, fires: [] },
        { at: '20m', alert, fires: [] },
      ]),
    },
    {
      name: 'redis_up 0 fires RedisDown after 2m',
      series: { ...healthy, [`redis_up{${me}}`]: '0x30' },
      checks: [
        { at: '1m', alert: 'WonderNestRedisDown', fires: [] },
        { at: '3m', alert: 'WonderNestRedisDown', fires: [{ namespace: NS, job: 'redis-exporter' }] },
      ],
    },
    {
      name: 'no redis_up series fires RedisDown',
      series: { ...badNeighbours },
      checks: [{ at: '3m', alert: 'WonderNestRedisDown', fires: [{ namespace: NS, job: 'redis-exporter' }] }],
    },
    {
      name: '95% of maxmemory fires RedisMemoryHigh after 5m',
      series: { ...healthy, [`redis_memory_used_bytes{${me}}`]: '950x30' },
      checks: [
        { at: '4m', alert: 'WonderNestRedisMemoryHigh', fires: [] },
        { at: '6m', alert: 'WonderNestRedisMemoryHigh', fires: [{ namespace: NS, job: 'redis-exporter' }] },
      ],
    },
    {
      name: 'maxmemory unset (0) never fires RedisMemoryHigh',
      series: { ...healthy, [`redis_memory_used_bytes{${me}}`]: '1e9x30', [`redis_memory_max_bytes{${me}}`]: '0x30' },
      checks: [{ at: '20m', alert: 'WonderNestRedisMemoryHigh', fires: [] }],
    },
  ]);
});

// ---------------------------------------------------------------------------
// backupRules (kube-state-metrics); promtool's clock starts at time() == 0
// ---------------------------------------------------------------------------

describe('backupRules', () => {
  const rules = backupRules({ namespace: NS, cronJob: 'pg-backup', alertPrefix: 'WonderNest', maxAgeHours: 24 });
  const cron = `namespace="${NS}",cronjob="pg-backup"`;
  const job = (name: string, ns = NS) => `namespace="${ns}",job_name="${name}"`;
  const owner = (name: string, cronJob = 'pg-backup', ns = NS) =>
    `kube_job_owner{${job(name, ns)},owner_kind="CronJob",owner_name="${cronJob}",owner_is_controller="true"}`;
  const failedJob = (name: string, startedAt: number, ns = NS, cronJob = 'pg-backup') => ({
    [owner(name, cronJob, ns)]: '1x60',
    [`kube_job_status_failed{${job(name, ns)},reason="BackoffLimitExceeded"}`]: '1x60',
    [`kube_job_status_failed{${job(name, ns)},reason="DeadlineExceeded"}`]: '0x60',
    [`kube_job_status_start_time{${job(name, ns)}}`]: `${startedAt}x60`,
  });
  const succeededJob = (name: string, startedAt: number) => ({
    [owner(name)]: '1x60',
    [`kube_job_status_failed{${job(name)}}`]: '0x60',
    [`kube_job_status_start_time{${job(name)}}`]: `${startedAt}x60`,
  });
  const all = ['WonderNestBackupFailed', 'WonderNestBackupMissing'];
  // 1-minute samples over 27 hours
  const DAY_PLUS = 27 * 60;

  test('builds the two alerts', () => {
    expect(rules.map((r) => r.alert)).toEqual(all);
  });

  defineScenarios('backup', rules, [
    {
      name: 'recent success, older failure superseded, neighbours failing: silent',
      series: {
        [`kube_cronjob_created{${cron}}`]: '0x60',
        [`kube_cronjob_status_last_successful_time{${cron}}`]: '600x60',
        ...failedJob('pg-backup-1', 60), // failed at 1m, superseded by the success at 10m
        ...succeededJob('pg-backup-2', 300),
        ...failedJob('pg-backup-9', 900, OTHER_NS), // same CronJob name, other namespace
        ...failedJob('reports-1', 900, NS, 'reports'), // other CronJob in our namespace
        [`kube_cronjob_status_last_successful_time{namespace="${OTHER_NS}",cronjob="pg-backup"}`]: '0x60',
      },
      checks: all.flatMap((alert) => [
        { at: '10m', alert, fires: [] },
        { at: '50m', alert, fires: [] },
      ]),
    },
    {
      name: 'failed job newer than the last success fires BackupFailed after 5m',
      series: {
        [`kube_cronjob_created{${cron}}`]: '0x60',
        [`kube_cronjob_status_last_successful_time{${cron}}`]: '60x60',
        ...succeededJob('pg-backup-1', 30),
        ...failedJob('pg-backup-2', 120),
      },
      checks: [
        { at: '4m', alert: 'WonderNestBackupFailed', fires: [] },
        { at: '10m', alert: 'WonderNestBackupFailed', fires: [{ namespace: NS, job_name: 'pg-backup-2' }] },
        { at: '10m', alert: 'WonderNestBackupMissing', fires: [] },
      ],
    },
    {
      name: 'failed job and no success ever fires BackupFailed (fresh CronJob: no BackupMissing yet)',
      series: {
        [`kube_cronjob_created{${cron}}`]: '0x60',
        ...failedJob('pg-backup-1', 60),
      },
      checks: [
        { at: '10m', alert: 'WonderNestBackupFailed', fires: [{ namespace: NS, job_name: 'pg-backup-1' }] },
        { at: '50m', alert: 'WonderNestBackupMissing', fires: [] },
      ],
    },
    {
      name: 'daily successes stay silent for 27h',
      series: {
        [`kube_cronjob_created{${cron}}`]: `0x${DAY_PLUS}`,
        // success at t=0, then at t=24h (86400 s)
        [`kube_cronjob_status_last_successful_time{${cron}}`]: `0x1439 86400x${DAY_PLUS - 1440}`,
      },
      checks: [
        { at: '23h59m', alert: 'WonderNestBackupMissing', fires: [] },
        { at: '26h', alert: 'WonderNestBackupMissing', fires: [] },
        { at: '26h', alert: 'WonderNestBackupFailed', fires: [] },
      ],
    },
    {
      name: 'last success older than 24h fires BackupMissing after 10m',
      series: {
        [`kube_cronjob_created{${cron}}`]: `0x${DAY_PLUS}`,
        [`kube_cronjob_status_last_successful_time{${cron}}`]: `0x${DAY_PLUS}`,
      },
      checks: [
        { at: '24h5m', alert: 'WonderNestBackupMissing', fires: [] },
        { at: '24h15m', alert: 'WonderNestBackupMissing', fires: [{ namespace: NS, cronjob: 'pg-backup' }] },
      ],
    },
    {
      name: 'CronJob older than 24h that never succeeded fires BackupMissing',
      series: { [`kube_cronjob_created{${cron}}`]: `0x${DAY_PLUS}` },
      checks: [
        { at: '23h', alert: 'WonderNestBackupMissing', fires: [] },
        { at: '24h15m', alert: 'WonderNestBackupMissing', fires: [{ namespace: NS, cronjob: 'pg-backup' }] },
      ],
    },
    {
      name: 'CronJob unknown to kube-state-metrics fires BackupMissing after 10m',
      series: { [`kube_cronjob_created{namespace="${OTHER_NS}",cronjob="pg-backup"}`]: '0x60' },
      checks: [
        { at: '5m', alert: 'WonderNestBackupMissing', fires: [] },
        { at: '15m', alert: 'WonderNestBackupMissing', fires: [{ namespace: NS, cronjob: 'pg-backup' }] },
      ],
    },
  ]);
});

// ---------------------------------------------------------------------------
// the synthesized PrometheusRule itself
// ---------------------------------------------------------------------------

describe('AlertRuleGroup manifest', () => {
  test('promtool check rules accepts the spec of a synthesized PrometheusRule with every builder', () => {
    const chart = Testing.chart();
    const group = new AlertRuleGroup(chart, 'Alerts', {
      namespace: NS,
      name: 'shop-alerts',
      release: 'kube-prometheus-stack',
      rules: [
        ...httpServiceRules({
          namespace: NS,
          job: 'api',
          alertPrefix: '',
          latencyP95Seconds: 1,
          latencyBucketMetric: 'http_request_duration_seconds_bucket',
        }),
        ...jvmHttpRules({ namespace: NS, job: 'orders', alertPrefix: 'Orders' }),
        ...postgresRules({ namespace: NS, job: 'pg-exporter', alertPrefix: '' }),
        ...redisRules({ namespace: NS, job: 'redis-exporter', alertPrefix: '' }),
        ...backupRules({ namespace: NS, cronJob: 'pg-backup', alertPrefix: '', maxAgeHours: 26 }),
      ],
    });
    const [manifest] = Testing.synth(chart);
    expect(manifest.kind).toBe('PrometheusRule');
    const file = writeYaml('manifest-spec', manifest.spec);
    const out = expectPromtoolOk(['check', 'rules', file], 'synthesized PrometheusRule spec');
    expect(out).toContain(`SUCCESS: ${group.rules.length} rules found`);
    // the manifest spec is exactly the rules file the construct reports
    expect(manifest.spec).toEqual(group.toRulesFile());
  });

  test('promtool check rules rejects a broken expression (the check is real)', () => {
    const file = writeYaml(
      'broken',
      AlertRuleGroup.toRulesFile({
        name: 'broken',
        rules: [
          {
            alert: 'Broken',
            expr: 'sum by (job (up)',
            for: '1m',
            labels: { severity: 'warning' },
            annotations: { summary: 's', description: 'd' },
          },
        ],
      }),
    );
    const { status, output } = run(['check', 'rules', file]);
    expect(status).not.toBe(0);
    expect(output).toMatch(/parse error|unexpected/i);
  });
});

// ---------------------------------------------------------------------------
// dashboard queries must be valid PromQL too
// ---------------------------------------------------------------------------

describe('dashboard panel queries', () => {
  test('every query of every panel set parses (checked as recording rules)', () => {
    const exprs = [
      ...httpServicePanels({ job: 'api', latencyBucketMetric: 'http_request_duration_seconds_bucket' }),
      ...jvmHttpPanels({ job: 'orders' }),
      ...postgresPanels({ job: 'pg-exporter' }),
      ...redisPanels({ job: 'redis-exporter' }),
      ...backupPanels({ cronJob: 'pg-backup' }),
      ...latencySloPanels({ job: 'api', bucketMetric: 'http_request_duration_seconds_bucket' }),
      ...latencySloPanels({
        job: 'orders',
        bucketMetric: 'http_server_requests_seconds_bucket',
        excludeUriRegex: '/actuator.*',
        slo: { thresholdSeconds: 0.2, objective: 0.95 },
      }),
      ...jvmPanels({ job: 'orders' }),
      ...connectionPoolPanels({ job: 'orders' }),
      ...redisHitRatioPanels({ job: 'redis-exporter' }),
    ].flatMap((p) => p.exprs.map((e) => e.expr));
    // `$namespace` only ever appears inside label-value strings, so the queries parse as-is.
    const file = writeYaml('dashboard-queries', {
      groups: [{ name: 'dashboard-queries', rules: exprs.map((expr, i) => ({ record: `dashboard:query_${i}`, expr })) }],
    });
    const out = expectPromtoolOk(['check', 'rules', file], 'dashboard queries');
    expect(out).toContain(`SUCCESS: ${exprs.length} rules found`);
  });
});

/** Every target expression of every Grafana dashboard ConfigMap among `objects`, named by dashboard and panel. */
function dashboardQueries(objects: Doc[]): Array<{ where: string; expr: string }> {
  return objects
    .filter((o) => o.kind === 'ConfigMap' && o.metadata.labels?.grafana_dashboard === '1')
    .flatMap((cm) =>
      Object.values(cm.data as Record<string, string>).flatMap((json) => {
        const dashboard = JSON.parse(json);
        return dashboard.panels.flatMap((panel: Doc) =>
          // PromQL targets only: a logs panel queries Elasticsearch (Lucene).
          (panel.targets as Doc[])
            .filter((t) => t.datasource?.type === 'prometheus')
            .map((t: Doc) => ({ where: `${dashboard.title} » ${panel.title} » ${t.refId}`, expr: t.expr as string })),
        );
      }),
    );
}

/** One recording rule per query: `promtool check rules` parses each expression with the real PromQL parser. */
function checkQueries(name: string, queries: Array<{ where: string; expr: string }>): { status: number | null; output: string } {
  const file = writeYaml(name, {
    groups: [{ name, rules: queries.map((q, i) => ({ record: `dashboard:query_${i}`, expr: q.expr, labels: { panel: q.where } })) }],
  });
  return run(['check', 'rules', file]);
}

describe('every synthesized dashboard', () => {
  const cases = Object.keys(ENVIRONMENTS).flatMap((env) => STACKS.map((stack) => [env, stack.name] as const));
  test.each(cases)('%s/%s: every panel query passes promtool', (env, stackName) => {
    const chart = STACKS.find((x) => x.name === stackName)!.create(Testing.app(), stackName, loadEnvironment(ENVIRONMENTS[env], env));
    const queries = dashboardQueries(Testing.synth(chart));
    expect(queries.length).toBeGreaterThan(0);
    const { status, output } = checkQueries(`${env}-${stackName}-dashboards`, queries);
    expect([status, output]).toEqual([0, expect.stringContaining(`SUCCESS: ${queries.length} rules found`)]);
  });

  test("the seeds' dashboards are there: WonderNest System Health and PagoDirecto CRM Performance", () => {
    const titles = (stackName: string) => {
      const chart = STACKS.find((x) => x.name === stackName)!.create(Testing.app(), stackName, loadEnvironment(ENVIRONMENTS.dev, 'dev'));
      return dashboardQueries(Testing.synth(chart)).map((q) => q.where.split(' » ').slice(0, 2).join(' » '));
    };
    expect(titles('wondernest')).toEqual(
      expect.arrayContaining([
        'WonderNest System Health » Latency p50 / p95 / p99',
        'WonderNest System Health » JVM heap',
        'WonderNest System Health » Connection pool',
        'WonderNest System Health » Redis hit ratio',
      ]),
    );
    expect(titles('pagodirecto')).toEqual(
      expect.arrayContaining([
        'PagoDirecto CRM Performance » Latency p50 / p95 / p99 (SLO: p95 under 200 ms)',
        'PagoDirecto CRM Performance » Error budget left (30d)',
        'PagoDirecto CRM Performance » Error budget burn rate',
        'PagoDirecto CRM Performance » JVM heap',
      ]),
    );
  });

  test('a dashboard with a broken panel query fails the same check, naming the panel', () => {
    const chart = Testing.chart();
    new GrafanaDashboard(chart, 'd', {
      namespace: NS,
      name: 'broken',
      title: 'Broken',
      panels: [
        { title: 'Fine', type: 'stat', exprs: [{ expr: 'sum(up{namespace="$namespace"})' }] },
        { title: 'Unclosed', type: 'timeseries', exprs: [{ expr: 'sum(rate(http_requests_total{namespace="$namespace"}[5m])' }] },
      ],
    });
    const queries = dashboardQueries(Testing.synth(chart));
    expect(queries).toHaveLength(2);
    const { status, output } = checkQueries('broken-dashboard', queries);
    expect(status).not.toBe(0);
    expect(output).toMatch(/parse error|unclosed|unexpected/i);
    expect(checkQueries('fine-dashboard', queries.slice(0, 1)).status).toBe(0);
  });
});

// ---------------------------------------------------------------------------
// the SLO panels compute what they claim (promtool test rules, promql_expr_test)
// ---------------------------------------------------------------------------

describe('latency SLO panel values', () => {
  test('95 of 100 requests per minute under 200 ms: SLI 0.95, burn rate 1, budget left 0; 99 of 100: burn rate 0.2', () => {
    const panels = latencySloPanels({
      job: 'orders',
      bucketMetric: 'http_server_requests_seconds_bucket',
      slo: { thresholdSeconds: 0.2, objective: 0.95, window: '1h' },
    });
    const expr = (title: RegExp, i = 0) =>
      panels
        .find((p) => title.test(p.title))!
        .exprs[i].expr.split('$namespace')
        .join(NS);
    const series = (fast: number, other = OTHER_NS) => [
      { series: `http_server_requests_seconds_bucket{namespace="${NS}",job="orders",le="0.2"}`, values: `0+${fast}x120` },
      { series: `http_server_requests_seconds_bucket{namespace="${NS}",job="orders",le="+Inf"}`, values: '0+100x120' },
      { series: `http_server_requests_seconds_count{namespace="${NS}",job="orders"}`, values: '0+100x120' },
      // Another namespace's slow traffic must not count.
      { series: `http_server_requests_seconds_bucket{namespace="${other}",job="orders",le="0.2"}`, values: '0+0x120' },
      { series: `http_server_requests_seconds_count{namespace="${other}",job="orders"}`, values: '0+100x120' },
    ];
    const near = (v: number) => [{ labels: '{}', value: v }];
    const testFile = writeYaml('slo-values-test', {
      evaluation_interval: '1m',
      tests: [
        {
          name: 'exactly on budget',
          interval: '1m',
          input_series: series(95),
          promql_expr_test: [
            { expr: expr(/^Requests under/), eval_time: '90m', exp_samples: near(0.95) },
            { expr: `round(${expr(/^Error budget burn/)}, 0.001)`, eval_time: '90m', exp_samples: near(1) },
            { expr: `round(${expr(/^Error budget left/)}, 0.001)`, eval_time: '90m', exp_samples: near(0) },
          ],
        },
        {
          name: 'well within budget',
          interval: '1m',
          input_series: series(99),
          promql_expr_test: [
            { expr: `round(${expr(/^Error budget burn/)}, 0.001)`, eval_time: '90m', exp_samples: near(0.2) },
            { expr: `round(${expr(/^Error budget left/)}, 0.001)`, eval_time: '90m', exp_samples: near(0.8) },
          ],
        },
      ],
    });
    expectPromtoolOk(['test', 'rules', testFile], 'SLO panel values');
  });
});

// ---------------------------------------------------------------------------
// every PrometheusRule the project synthesizes (all stacks, all environments)
// ---------------------------------------------------------------------------

describe('every synthesized PrometheusRule', () => {
  const cases = Object.keys(ENVIRONMENTS).flatMap((env) => STACKS.map((stack) => [env, stack.name] as const));
  test.each(cases)('%s/%s passes promtool check rules; every alert has a severity, a summary and a for', (env, stackName) => {
    const chart = STACKS.find((x) => x.name === stackName)!.create(Testing.app(), stackName, loadEnvironment(ENVIRONMENTS[env], env));
    const rules = Testing.synth(chart).filter((o: Doc) => o.kind === 'PrometheusRule');
    expect(rules.length).toBeGreaterThan(0);
    for (const r of rules) {
      const file = writeYaml(`${env}-${stackName}-${r.metadata.name}`, r.spec);
      const alerts = r.spec.groups.flatMap((g: Doc) => g.rules);
      expect(expectPromtoolOk(['check', 'rules', file], `${env}/${stackName} ${r.metadata.name}`)).toContain(
        `SUCCESS: ${alerts.length} rules found`,
      );
      for (const a of alerts) {
        expect([a.alert, ['critical', 'warning'].includes(a.labels?.severity)]).toEqual([a.alert, true]);
        expect([a.alert, typeof a.annotations?.summary === 'string' && a.annotations.summary.length > 0]).toEqual([a.alert, true]);
        expect([a.alert, typeof a.for === 'string']).toEqual([a.alert, true]);
      }
    }
  });
});
