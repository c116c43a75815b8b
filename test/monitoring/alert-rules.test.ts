import {
  AlertRule,
  backupRules,
  httpServiceRules,
  jvmHttpRules,
  METRICS,
  postgresRules,
  redisRules,
} from '../../lib/constructs/monitoring';
import { byName, unscopedMetrics, vectorSelectors } from './helpers';

const NS = 'wondernest';

const builders: Array<[string, () => AlertRule[]]> = [
  [
    'httpServiceRules',
    () =>
      httpServiceRules({
        namespace: NS,
        job: 'wondernest-api',
        alertPrefix: '',
        latencyP95Seconds: 0.5,
        latencyBucketMetric: 'http_request_duration_seconds_bucket',
      }),
  ],
  ['jvmHttpRules', () => jvmHttpRules({ namespace: NS, job: 'orders', alertPrefix: 'Orders' })],
  ['postgresRules', () => postgresRules({ namespace: NS, job: 'pg-exporter', alertPrefix: '' })],
  ['redisRules', () => redisRules({ namespace: NS, job: 'redis-exporter', alertPrefix: '' })],
  ['backupRules', () => backupRules({ namespace: NS, cronJob: 'pg-backup', alertPrefix: '', maxAgeHours: 26 })],
];

describe.each(builders)('%s: common contract', (_name, build) => {
  const rules = build();

  test('every alert has a valid name, a for, a severity and summary + description', () => {
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      expect(rule.alert).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
      expect(rule.for).toMatch(/^\d+[smh]$/);
      expect(['critical', 'warning']).toContain(rule.labels.severity);
      expect(rule.annotations.summary.length).toBeGreaterThan(0);
      expect(rule.annotations.description).toContain('{{ $labels.namespace }}');
    }
    expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
  });

  test('every vector selector is scoped to the namespace; no known metric is used unscoped', () => {
    for (const rule of rules) {
      const selectors = vectorSelectors(rule.expr);
      expect(selectors.length).toBeGreaterThan(0);
      for (const s of selectors) {
        expect({ alert: rule.alert, metric: s.metric, scoped: s.matchers.includes(`namespace="${NS}"`) }).toEqual({
          alert: rule.alert,
          metric: s.metric,
          scoped: true,
        });
      }
      expect({ alert: rule.alert, unscoped: unscopedMetrics(rule.expr) }).toEqual({ alert: rule.alert, unscoped: [] });
    }
  });

  test('is pure: two calls return equal, independent objects', () => {
    const again = build();
    expect(again).toEqual(rules);
    expect(again[0]).not.toBe(rules[0]);
  });
});

describe('httpServiceRules', () => {
  test('keeps the seed alert name, threshold, for and severity with alertPrefix ""', () => {
    const rules = byName(httpServiceRules({ namespace: NS, job: 'wondernest-api', alertPrefix: '' }));
    expect(Object.keys(rules)).toEqual(['ServiceDown', 'HighErrorRate']);
    expect(rules.HighErrorRate).toMatchObject({
      for: '2m',
      labels: { severity: 'critical' },
      annotations: { summary: 'High error rate detected' },
    });
    expect(rules.HighErrorRate.expr).toBe(
      'sum by (namespace, job) (rate(http_requests_total{namespace="wondernest",job="wondernest-api",status=~"5.."}[5m])) > 0.1',
    );
    expect(rules.ServiceDown.expr).toBe(
      'sum by (namespace, job) (up{namespace="wondernest",job="wondernest-api"}) == 0 or absent(up{namespace="wondernest",job="wondernest-api"})',
    );
    expect(rules.ServiceDown.labels.severity).toBe('critical');
  });

  test('prefixes every alert and adds the latency alert when both latency options are set', () => {
    const rules = httpServiceRules({
      namespace: NS,
      job: 'api',
      alertPrefix: 'WonderNestApi',
      statusLabel: 'code',
      errorMetric: 'ktor_requests_total',
      errorRateThreshold: 2.5,
      latencyP95Seconds: 0.75,
      latencyBucketMetric: 'ktor_http_server_requests_seconds_bucket',
    });
    expect(rules.map((r) => r.alert)).toEqual(['WonderNestApiDown', 'WonderNestApiHighErrorRate', 'WonderNestApiHighLatency']);
    const r = byName(rules);
    expect(r.WonderNestApiHighErrorRate.expr).toContain('ktor_requests_total{namespace="wondernest",job="api",code=~"5.."}');
    expect(r.WonderNestApiHighErrorRate.expr).toMatch(/> 2\.5$/);
    expect(r.WonderNestApiHighLatency.expr).toBe(
      'histogram_quantile(0.95, sum by (namespace, job, le) (rate(ktor_http_server_requests_seconds_bucket{namespace="wondernest",job="api"}[5m]))) > 0.75',
    );
    expect(r.WonderNestApiHighLatency.labels.severity).toBe('warning');
  });

  test('escapes quotes and backslashes in selector values', () => {
    const [down] = httpServiceRules({ namespace: NS, job: 'we"ird\\job', alertPrefix: 'X' });
    expect(down.expr).toContain('job="we\\"ird\\\\job"');
  });

  test.each([
    [{ namespace: 'Bad_NS' }, /httpServiceRules: namespace must be a Kubernetes namespace name.*got "Bad_NS"/],
    [{ namespace: '' }, /namespace must be .* got ""/],
    [{ job: '' }, /httpServiceRules: job must be a non-empty label value.*got ""/],
    [{ alertPrefix: '1Api' }, /httpServiceRules: alertPrefix must be "" or an identifier.*got "1Api"/],
    [{ alertPrefix: 'Wonder-Nest' }, /alertPrefix .* got "Wonder-Nest"/],
    [{ errorRateThreshold: 0 }, /httpServiceRules: errorRateThreshold must be a finite number > 0 \(requests\/second\), got 0/],
    [{ errorRateThreshold: -1 }, /errorRateThreshold .* got -1/],
    [{ errorRateThreshold: Number.NaN }, /errorRateThreshold .* got NaN/],
    [{ errorMetric: 'http-requests' }, /errorMetric must be a Prometheus metric name.*got "http-requests"/],
    [{ statusLabel: '__name__' }, /statusLabel must be a Prometheus label name.*got "__name__"/],
    [{ latencyP95Seconds: 1 }, /latencyBucketMetric must be set .* got undefined/],
    [{ latencyBucketMetric: 'x_bucket' }, /latencyP95Seconds must be set .* got undefined/],
    [
      { latencyP95Seconds: 1, latencyBucketMetric: 'http_request_duration_seconds' },
      /latencyBucketMetric .* ending in "_bucket", got "http_request_duration_seconds"/,
    ],
    [{ latencyP95Seconds: -0.5, latencyBucketMetric: 'x_bucket' }, /latencyP95Seconds must be a finite number > 0 \(seconds\), got -0.5/],
  ])('rejects %p', (override, message) => {
    expect(() => httpServiceRules({ namespace: NS, job: 'api', alertPrefix: 'Api', ...override })).toThrow(message);
  });
});

describe('jvmHttpRules', () => {
  const rules = byName(jvmHttpRules({ namespace: NS, job: 'orders', alertPrefix: 'Orders' }));

  test('builds down, latency, error-ratio and Hikari alerts from Micrometer metrics', () => {
    expect(Object.keys(rules)).toEqual(['OrdersDown', 'OrdersHighLatency', 'OrdersHighErrorRatio', 'OrdersConnectionPoolSaturated']);
    expect(rules.OrdersHighLatency.expr).toContain(
      `${METRICS.springRequestsBucket}{namespace="wondernest",job="orders",uri!~"/actuator.*"}`,
    );
    expect(rules.OrdersHighLatency.expr).toMatch(/^histogram_quantile\(0\.95, .*\) > 1$/);
    expect(rules.OrdersHighErrorRatio.expr).toContain('status=~"5.."');
    expect(rules.OrdersHighErrorRatio.expr).toMatch(/> 0\.05$/);
    expect(rules.OrdersConnectionPoolSaturated.expr).toBe(
      'max by (namespace, job, pod, pool) (hikaricp_connections_active{namespace="wondernest",job="orders"} / (hikaricp_connections_max{namespace="wondernest",job="orders"} > 0)) > 0.9',
    );
    expect(rules.OrdersHighErrorRatio.labels.severity).toBe('critical');
    expect(rules.OrdersConnectionPoolSaturated.labels.severity).toBe('warning');
  });

  test('excludeUriRegex "" keeps every URI', () => {
    const all = jvmHttpRules({ namespace: NS, job: 'orders', alertPrefix: 'Orders', excludeUriRegex: '' });
    expect(all.map((r) => r.expr).join('\n')).not.toContain('uri');
  });

  test.each([
    [{ connectionPoolRatio: 1.5 }, /jvmHttpRules: connectionPoolRatio must be a ratio > 0 and <= 1.*got 1.5/],
    [{ errorRatioThreshold: 0 }, /errorRatioThreshold must be a ratio .* got 0/],
    [{ latencyP95Seconds: 0 }, /latencyP95Seconds must be a finite number > 0 \(seconds\), got 0/],
    [{ excludeUriRegex: '(' }, /excludeUriRegex must be a regular expression.*got "\("/],
  ])('rejects %p', (override, message) => {
    expect(() => jvmHttpRules({ namespace: NS, job: 'orders', alertPrefix: 'Orders', ...override })).toThrow(message);
  });
});

describe('postgresRules', () => {
  test('keeps the seed DatabaseConnectionsHigh (80, 1m, warning), scoped, plus down and near-max', () => {
    const rules = byName(postgresRules({ namespace: NS, job: 'pg-exporter', alertPrefix: '' }));
    expect(Object.keys(rules)).toEqual(['PostgresDown', 'DatabaseConnectionsHigh', 'DatabaseConnectionsNearMax']);
    expect(rules.DatabaseConnectionsHigh).toMatchObject({
      expr: 'sum by (namespace, job) (pg_stat_activity_count{namespace="wondernest",job="pg-exporter"}) > 80',
      for: '1m',
      labels: { severity: 'warning' },
      annotations: { summary: 'Database connection pool nearly exhausted' },
    });
    expect(rules.PostgresDown.expr).toContain('absent(pg_up{namespace="wondernest",job="pg-exporter"})');
    expect(rules.PostgresDown.labels.severity).toBe('critical');
    expect(rules.DatabaseConnectionsNearMax.expr).toContain(
      'pg_settings_max_connections{namespace="wondernest",job="pg-exporter"}) > 0) > 0.8',
    );
  });

  test('prefix and thresholds', () => {
    const rules = postgresRules({ namespace: NS, job: 'pg', alertPrefix: 'Pago', connectionsThreshold: 150, maxConnectionsRatio: 0.95 });
    expect(rules.map((r) => r.alert)).toEqual(['PagoPostgresDown', 'PagoDatabaseConnectionsHigh', 'PagoDatabaseConnectionsNearMax']);
    expect(rules[1].expr).toMatch(/> 150$/);
    expect(rules[2].expr).toMatch(/> 0\.95$/);
  });

  test.each([
    [{ connectionsThreshold: 0 }, /postgresRules: connectionsThreshold must be a finite number > 0 \(connections\), got 0/],
    [{ connectionsThreshold: Infinity }, /connectionsThreshold .* got Infinity/],
    [{ maxConnectionsRatio: 2 }, /postgresRules: maxConnectionsRatio must be a ratio > 0 and <= 1.*got 2/],
    [{ namespace: 'x'.repeat(64) }, /postgresRules: namespace must be .*1-63 chars/],
  ])('rejects %p', (override, message) => {
    expect(() => postgresRules({ namespace: NS, job: 'pg', alertPrefix: '', ...override })).toThrow(message);
  });
});

describe('redisRules', () => {
  test('down and memory alerts, guarding maxmemory 0', () => {
    const rules = byName(redisRules({ namespace: NS, job: 'redis-exporter', alertPrefix: 'WonderNest' }));
    expect(Object.keys(rules)).toEqual(['WonderNestRedisDown', 'WonderNestRedisMemoryHigh']);
    expect(rules.WonderNestRedisMemoryHigh.expr).toBe(
      'max by (namespace, job) (redis_memory_used_bytes{namespace="wondernest",job="redis-exporter"} / (redis_memory_max_bytes{namespace="wondernest",job="redis-exporter"} > 0)) > 0.9',
    );
    expect(rules.WonderNestRedisDown.labels.severity).toBe('critical');
    expect(rules.WonderNestRedisMemoryHigh.labels.severity).toBe('warning');
  });

  test.each([0, -0.1, 1.01, Number.NaN])('rejects memoryRatio %p', (ratio) => {
    expect(() => redisRules({ namespace: NS, job: 'r', alertPrefix: '', memoryRatio: ratio })).toThrow(
      /redisRules: memoryRatio must be a ratio > 0 and <= 1/,
    );
  });
});

describe('backupRules', () => {
  const rules = byName(backupRules({ namespace: NS, cronJob: 'pg-backup', alertPrefix: '', maxAgeHours: 26 }));

  test('BackupFailed joins failed Jobs with their CronJob owner', () => {
    const expr = rules.BackupFailed.expr;
    expect(expr).toContain('kube_job_status_failed{namespace="wondernest"}');
    expect(expr).toContain(
      'and on (namespace, job_name) kube_job_owner{namespace="wondernest",owner_kind="CronJob",owner_name="pg-backup"}',
    );
    expect(expr).toContain('kube_cronjob_status_last_successful_time{namespace="wondernest",cronjob="pg-backup"}');
    expect(rules.BackupFailed.labels.severity).toBe('warning');
  });

  test('BackupMissing compares the last success with maxAgeHours and covers absence', () => {
    const expr = rules.BackupMissing.expr;
    expect(expr).toContain(
      'time() - max by (namespace, cronjob) (kube_cronjob_status_last_successful_time{namespace="wondernest",cronjob="pg-backup"}) > 93600',
    );
    expect(expr).toContain('absent(kube_cronjob_status_last_successful_time{namespace="wondernest",cronjob="pg-backup"})');
    expect(rules.BackupMissing.labels.severity).toBe('critical');
    expect(rules.BackupMissing.annotations.description).toContain('26h');
  });

  test('fractional hours are rendered without float noise', () => {
    const [, missing] = backupRules({ namespace: NS, cronJob: 'b', alertPrefix: 'X', maxAgeHours: 0.1 });
    expect(missing.expr).toContain('> 360');
    expect(missing.expr).not.toMatch(/360\.0000/);
  });

  test.each([
    [{ maxAgeHours: 0 }, /backupRules: maxAgeHours must be a finite number > 0 \(hours\), got 0/],
    [{ maxAgeHours: -24 }, /maxAgeHours .* got -24/],
    [{ cronJob: 'PG_Backup' }, /backupRules: cronJob must be a Kubernetes object name.*got "PG_Backup"/],
    [{ cronJob: 'a'.repeat(53) }, /cronJob must be .*1-52 chars/],
  ])('rejects %p', (override, message) => {
    expect(() => backupRules({ namespace: NS, cronJob: 'pg-backup', alertPrefix: '', maxAgeHours: 24, ...override })).toThrow(message);
  });
});
