import { Testing } from 'cdk8s';
import {
  connectionPoolPanels,
  DashboardPanel,
  GrafanaDashboard,
  jvmPanels,
  latencySloPanels,
  METRICS,
  redisHitRatioPanels,
} from '../../lib/constructs/monitoring';
import { springBootEnv } from '../../lib/constructs/workloads/spring-boot';
import { unscopedMetrics, vectorSelectors } from './helpers';
import { Doc } from '../support/doc';

const exprs = (panels: DashboardPanel[]) => panels.flatMap((p) => p.exprs.map((e) => e.expr));

/** Every vector selector is scoped to the dashboard's namespace and the job; no known metric is used unscoped. */
function expectScoped(panels: DashboardPanel[], job: string): void {
  for (const expr of exprs(panels)) {
    const selectors = vectorSelectors(expr);
    expect([expr, selectors.length > 0]).toEqual([expr, true]);
    for (const s of selectors) expect(s.matchers).toContain(`namespace="$namespace",job="${job}"`);
    expect([expr, unscopedMetrics(expr)]).toEqual([expr, []]);
  }
}

const SLO = { thresholdSeconds: 0.2, objective: 0.95 };
const spring = { job: 'backend', bucketMetric: METRICS.springRequestsBucket, excludeUriRegex: '/actuator.*' };

describe('latencySloPanels', () => {
  test('without an SLO: one latency panel (p50/p95/p99), no threshold', () => {
    const panels = latencySloPanels({ job: 'api', bucketMetric: 'http_request_duration_seconds_bucket' });
    expect(panels.map((p) => p.title)).toEqual(['Latency p50 / p95 / p99']);
    expect(panels[0].exprs.map((e) => e.legend)).toEqual(['p50', 'p95', 'p99']);
    expect(panels[0].thresholds).toEqual([]);
    expectScoped(panels, 'api');
  });

  test('with an SLO: the bound as a red line, SLI on the le bucket of the bound, budget left and burn rate', () => {
    const panels = latencySloPanels({ ...spring, slo: SLO });
    expect(panels.map((p) => p.title)).toEqual([
      'Latency p50 / p95 / p99 (SLO: p95 under 200 ms)',
      'Requests under 200 ms (30d)',
      'Error budget left (30d)',
      'Error budget burn rate',
    ]);
    expect(panels[0].thresholds).toEqual([{ value: 0.2, color: 'red' }]);
    const [, sli, left, burn] = panels;
    expect(sli.exprs[0].expr).toBe(
      '(sum(rate(http_server_requests_seconds_bucket{namespace="$namespace",job="backend",uri!~"/actuator.*",le="0.2"}[30d]))' +
        ' / sum(rate(http_server_requests_seconds_count{namespace="$namespace",job="backend",uri!~"/actuator.*"}[30d])))',
    );
    expect(sli.thresholds).toEqual([{ value: 0.95, color: 'green' }]);
    expect(left.exprs[0].expr).toBe(`1 - (1 - ${sli.exprs[0].expr}) / 0.05`);
    expect(burn.exprs.map((e) => e.legend)).toEqual(['1h', '6h']);
    expect(burn.exprs[0].expr).toContain('[1h]');
    expect(burn.thresholds).toEqual([{ value: 1, color: 'red' }]);
    expectScoped(panels, 'backend');
    for (const e of exprs(panels)) expect(e).toContain('uri!~"/actuator.*"');
  });

  test('a custom window is used everywhere the SLO window applies', () => {
    const panels = latencySloPanels({ ...spring, slo: { ...SLO, window: '7d' } });
    expect(panels[1].title).toBe('Requests under 200 ms (7d)');
    expect(panels[2].exprs[0].expr).toContain('[7d]');
  });

  test.each([
    [{ bucketMetric: 'http_server_requests_seconds' }, /bucketMetric/],
    [{ job: '' }, /job/],
    [{ excludeUriRegex: '' }, /excludeUriRegex must be a non-empty regular expression, got ""/],
    [{ slo: { ...SLO, objective: 1 } }, /slo\.objective must be a share below 1 .*got 1/],
    [{ slo: { ...SLO, objective: 0 } }, /slo\.objective must be a ratio > 0.*got 0/],
    [{ slo: { ...SLO, thresholdSeconds: -0.2 } }, /slo\.thresholdSeconds must be a finite number > 0.*got -0\.2/],
    [{ slo: { ...SLO, window: 'a month' } }, /slo\.window must be a Prometheus duration.*got "a month"/],
  ])('rejects %j', (override, message) => {
    expect(() => latencySloPanels({ ...spring, slo: SLO, ...override } as Doc)).toThrow(message);
  });
});

describe('jvmPanels, connectionPoolPanels, redisHitRatioPanels', () => {
  test('JVM: heap share of max (only positive maxima), heap, non-heap, GC pauses, threads; all scoped', () => {
    const panels = jvmPanels({ job: 'api', titlePrefix: 'API: ' });
    expect(panels.map((p) => p.title)).toEqual([
      'API: Heap used (fullest pod)',
      'API: JVM heap',
      'API: JVM non-heap',
      'API: GC pause time',
      'API: Live threads',
    ]);
    expect(panels[0].exprs[0].expr).toContain(`${METRICS.jvmMemoryMax}{namespace="$namespace",job="api",area="heap"} > 0`);
    expect(exprs(panels).join(' ')).toContain(METRICS.jvmGcPauseSum);
    expectScoped(panels, 'api');
  });

  test('connection pool: usage of max, waiting threads, active/idle/pending/max, timeouts', () => {
    const panels = connectionPoolPanels({ job: 'backend' });
    expect(panels.find((p) => p.title === 'Connection pool')!.exprs.map((e) => e.legend)).toEqual([
      '{{pool}} active',
      '{{pool}} idle',
      '{{pool}} pending',
      '{{pool}} max',
    ]);
    for (const m of [METRICS.hikariActive, METRICS.hikariIdle, METRICS.hikariPending, METRICS.hikariMax, METRICS.hikariTimeouts]) {
      expect(exprs(panels).join(' ')).toContain(m);
    }
    expectScoped(panels, 'backend');
  });

  test('Redis hit ratio: hits over hits + misses', () => {
    const panels = redisHitRatioPanels({ job: 'redis' });
    expect(panels[0].exprs[0].expr).toBe(
      'sum(rate(redis_keyspace_hits_total{namespace="$namespace",job="redis"}[5m])) / (sum(rate(redis_keyspace_hits_total{namespace="$namespace",job="redis"}[5m])) + sum(rate(redis_keyspace_misses_total{namespace="$namespace",job="redis"}[5m])))',
    );
    expectScoped(panels, 'redis');
  });

  test.each([
    () => jvmPanels({ job: '' }),
    () => connectionPoolPanels({ job: '' }),
    () => redisHitRatioPanels({ job: '' }),
    () => jvmPanels({ job: 'api', titlePrefix: 3 as unknown as string }),
  ])('rejects a bad job or prefix (%#)', (build) => {
    expect(build).toThrow(/job|titlePrefix/);
  });
});

describe('dashboard panel thresholds', () => {
  const render = (panel: Partial<DashboardPanel>) => {
    const chart = Testing.chart();
    new GrafanaDashboard(chart, 'd', {
      namespace: 'shop',
      name: 'shop',
      title: 'Shop',
      panels: [{ title: 'p', type: 'timeseries', exprs: [{ expr: 'up' }], ...panel }],
    });
    const cm = Testing.synth(chart).find((o: Doc) => o.kind === 'ConfigMap');
    return JSON.parse(cm.data['shop.json']).panels[0].fieldConfig.defaults;
  };

  test('steps after the base colour; a timeseries draws them dashed', () => {
    const d = render({ thresholds: [{ value: 0.2, color: 'red' }], baseColor: 'blue' });
    expect(d.thresholds.steps).toEqual([
      { color: 'blue', value: null },
      { color: 'red', value: 0.2 },
    ]);
    expect(d.custom.thresholdsStyle).toEqual({ mode: 'dashed' });
  });

  test('without thresholds: the green base only, no threshold style', () => {
    const d = render({});
    expect(d.thresholds.steps).toEqual([{ color: 'green', value: null }]);
    expect(d.custom.thresholdsStyle).toBeUndefined();
  });

  test.each([
    [
      {
        thresholds: [
          { value: 1, color: 'red' },
          { value: 1, color: 'green' },
        ],
      },
      /thresholds\[1\]\.value.*above the previous threshold/,
    ],
    [{ thresholds: [{ value: Number.NaN, color: 'red' }] }, /thresholds\[0\]\.value/],
    [{ thresholds: [{ value: 1, color: 'red!' }] }, /thresholds\[0\]\.color/],
    [{ baseColor: '' }, /baseColor/],
  ])('rejects %j', (panel, message) => {
    expect(() => render(panel as Partial<DashboardPanel>)).toThrow(message);
  });
});

describe('springBootEnv latencySloSeconds', () => {
  test('adds the bounds as http.server.requests SLO buckets, in milliseconds', () => {
    expect(springBootEnv({ port: 8080, latencySloSeconds: [0.2, 1] }).MANAGEMENT_METRICS_DISTRIBUTION_SLO_HTTP_SERVER_REQUESTS).toBe(
      '200ms,1000ms',
    );
    expect(springBootEnv({ port: 8080 }).MANAGEMENT_METRICS_DISTRIBUTION_SLO_HTTP_SERVER_REQUESTS).toBeUndefined();
  });

  test.each([[0], [-1], [0.0005]])('rejects %p', (v) => {
    expect(() => springBootEnv({ port: 8080, latencySloSeconds: [v] })).toThrow(/latencySloSeconds\[0\].*whole milliseconds/);
  });
});
