import { Testing } from 'cdk8s';
import {
  backupPanels,
  backupRules,
  buildDashboard,
  DashboardPanel,
  GrafanaDashboard,
  GrafanaDashboardProps,
  httpServicePanels,
  httpServiceRules,
  jvmHttpPanels,
  jvmHttpRules,
  METRICS,
  postgresPanels,
  postgresRules,
  redisPanels,
  redisRules,
} from '../../lib/constructs/monitoring';
import { unscopedMetrics, vectorSelectors } from './helpers';
import { Doc } from '../support/doc';

const NS = 'wondernest';

function panels(): DashboardPanel[] {
  return [
    ...httpServicePanels({ job: 'wondernest-api', latencyBucketMetric: 'http_request_duration_seconds_bucket' }),
    ...postgresPanels({ job: 'wondernest-postgres-exporter' }),
    ...redisPanels({ job: 'wondernest-redis-exporter' }),
    ...backupPanels({ cronJob: 'wondernest-pg-backup' }),
  ];
}

function synth(props: Partial<GrafanaDashboardProps> = {}) {
  const chart = Testing.chart();
  const dashboard = new GrafanaDashboard(chart, 'Dashboard', {
    namespace: NS,
    name: 'wondernest-overview',
    title: 'WonderNest overview',
    release: 'kube-prometheus-stack',
    folder: 'WonderNest',
    panels: panels(),
    ...props,
  });
  const manifests = Testing.synth(chart);
  const cm = manifests[0];
  const model = JSON.parse(cm.data[`${props.name ?? 'wondernest-overview'}.json`]);
  return { dashboard, manifests, cm, model };
}

/** Metric names used in an expression (selectors only). */
function metricsOf(exprs: string[]): Set<string> {
  return new Set(exprs.flatMap((e) => vectorSelectors(e).map((s) => s.metric)));
}

describe('GrafanaDashboard', () => {
  test('synthesizes one ConfigMap (snapshot)', () => {
    const { manifests } = synth();
    expect(manifests).toHaveLength(1);
    expect(manifests).toMatchSnapshot();
  });

  test('ConfigMap is labelled for the Grafana sidecar, with release and folder', () => {
    const { cm, dashboard } = synth({ labels: { 'app.kubernetes.io/part-of': 'wondernest' } });
    expect(cm.kind).toBe('ConfigMap');
    expect(cm.metadata.name).toBe('wondernest-overview');
    expect(cm.metadata.namespace).toBe(NS);
    expect(cm.metadata.labels).toEqual({
      grafana_dashboard: '1',
      release: 'kube-prometheus-stack',
      'app.kubernetes.io/part-of': 'wondernest',
    });
    expect(cm.metadata.annotations).toEqual({ grafana_folder: 'WonderNest' });
    expect(Object.keys(cm.data)).toEqual(['wondernest-overview.json']);
    expect(dashboard.fileName).toBe('wondernest-overview.json');
  });

  test('no release label and no folder annotation unless asked', () => {
    const { cm } = synth({ release: undefined, folder: undefined });
    expect(cm.metadata.labels).toEqual({ grafana_dashboard: '1' });
    expect(cm.metadata.annotations).toBeUndefined();
  });

  test('dashboard JSON: schemaVersion 39, deterministic uid, datasource + namespace variables, no ${DS_...} inputs', () => {
    const { model, dashboard, cm } = synth();
    expect(model.schemaVersion).toBe(39);
    expect(model.title).toBe('WonderNest overview');
    expect(model.uid).toBe(dashboard.uid);
    expect(model.uid).toMatch(/^[A-Za-z0-9_-]{1,40}$/);
    expect(model.uid).toBe(synth().model.uid);
    expect(model.uid).toBe(GrafanaDashboard.uidFor(NS, 'wondernest-overview'));
    expect(model.__inputs).toBeUndefined();
    expect(cm.data['wondernest-overview.json']).not.toMatch(/DS_PROMETHEUS/);

    const vars = model.templating.list;
    expect(vars.map((v: Doc) => [v.name, v.type])).toEqual([
      ['datasource', 'datasource'],
      ['namespace', 'constant'],
    ]);
    expect(vars[0].query).toBe('prometheus');
    expect(vars[1].query).toBe(NS);
    expect(vars[1].hide).toBe(2);
    for (const panel of model.panels) {
      expect(panel.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      for (const target of panel.targets) expect(target.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
    }
  });

  test('uid differs per namespace and name, and stays within 40 chars for long names', () => {
    const a = GrafanaDashboard.uidFor('shop', 'overview');
    expect(a).not.toBe(GrafanaDashboard.uidFor('wondernest', 'overview'));
    expect(a).not.toBe(GrafanaDashboard.uidFor('shop', 'overview-2'));
    const long = GrafanaDashboard.uidFor('ns', `${'a'.repeat(100)}.example.com`);
    expect(long.length).toBeLessThanOrEqual(40);
    expect(long).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  test('panels are laid out on the 24-column grid without overlap, ids unique, targets have refIds', () => {
    const { model } = synth();
    const boxes = model.panels.map((p: Doc) => p.gridPos);
    for (const b of boxes) {
      expect(b.x + b.w).toBeLessThanOrEqual(24);
      expect(b.x).toBeGreaterThanOrEqual(0);
    }
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const [a, b] = [boxes[i], boxes[j]];
        const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        expect({ i, j, overlap }).toEqual({ i, j, overlap: false });
      }
    }
    expect(new Set(model.panels.map((p: Doc) => p.id)).size).toBe(model.panels.length);
    for (const p of model.panels) {
      expect(p.targets.map((t: Doc) => t.refId)).toEqual(p.targets.map((_: unknown, k: number) => String.fromCharCode(65 + k)));
    }
  });

  test('gridPos follows the documented sizes: stat 6x4, timeseries 12x8, wrapping rows', () => {
    const model = buildDashboard({
      uid: 'u',
      title: 't',
      namespace: NS,
      panels: [
        { title: 's1', type: 'stat', exprs: [{ expr: 'up' }] },
        { title: 's2', type: 'stat', exprs: [{ expr: 'up' }] },
        { title: 't1', type: 'timeseries', exprs: [{ expr: 'up' }] },
        { title: 't2', type: 'timeseries', exprs: [{ expr: 'up' }] },
        { title: 'wide', type: 'timeseries', width: 24, exprs: [{ expr: 'up' }] },
      ],
    }) as Doc;
    expect(model.panels.map((p: Doc) => p.gridPos)).toEqual([
      { x: 0, y: 0, w: 6, h: 4 },
      { x: 6, y: 0, w: 6, h: 4 },
      { x: 12, y: 0, w: 12, h: 8 },
      { x: 0, y: 8, w: 12, h: 8 },
      { x: 0, y: 16, w: 24, h: 8 },
    ]);
  });

  test('panel types, units, legends and instant/range queries', () => {
    const { model } = synth();
    const byTitle = Object.fromEntries(model.panels.map((p: Doc) => [p.title, p]));
    expect(byTitle['Requests by status'].type).toBe('timeseries');
    expect(byTitle['Requests by status'].fieldConfig.defaults.unit).toBe('reqps');
    expect(byTitle['Requests by status'].targets[0].legendFormat).toBe('{{status}}');
    expect(byTitle['Requests by status'].targets[0].range).toBe(true);
    expect(byTitle['PostgreSQL up'].type).toBe('stat');
    expect(byTitle['PostgreSQL up'].targets[0].instant).toBe(true);
    expect(byTitle['Connections used'].fieldConfig.defaults.unit).toBe('percentunit');
    expect(byTitle.Latency.targets.map((t: Doc) => t.legendFormat)).toEqual(['p50', 'p95', 'p99']);
  });

  describe('validation', () => {
    test.each([
      [{ namespace: 'NS' }, /GrafanaDashboard .*Dashboard: namespace must be a Kubernetes namespace name.*got "NS"/],
      [{ name: 'Overview' }, /name must be a Kubernetes object name.*got "Overview"/],
      [{ title: '' }, /title must be a non-empty string, got ""/],
      [{ folder: '' }, /folder must be a non-empty string, got ""/],
      [{ release: 'a b' }, /release must be a Kubernetes label value.*got "a b"/],
      [{ panels: [] }, /panels must be a non-empty array of panels, got \[\]/],
      [
        { panels: [{ title: 'x', type: 'graph', exprs: [{ expr: 'up' }] }] },
        /panels\[0\]\.type must be "timeseries", "stat" or "logs", got "graph"/,
      ],
      [{ panels: [{ title: 'x', type: 'stat', exprs: [] }] }, /panels\[0\]\.exprs must be a non-empty array/],
      [{ panels: [{ title: 'x', type: 'stat', exprs: [{ expr: '' }] }] }, /panels\[0\]\.exprs\[0\]\.expr must be a non-empty string/],
      [{ panels: [{ title: '', type: 'stat', exprs: [{ expr: 'up' }] }] }, /panels\[0\]\.title must be a non-empty string/],
      [
        { panels: [{ title: 'x', type: 'stat', width: 25, exprs: [{ expr: 'up' }] }] },
        /panels\[0\]\.width must be an integer from 1 to 24, got 25/,
      ],
    ])('rejects %p', (props, message) => {
      expect(() => synth(props as Partial<GrafanaDashboardProps>)).toThrow(message);
    });
  });
});

describe('panel sets', () => {
  test.each([
    ['httpServicePanels', httpServicePanels({ job: 'api', latencyBucketMetric: 'http_request_duration_seconds_bucket' })],
    ['jvmHttpPanels', jvmHttpPanels({ job: 'orders' })],
    ['postgresPanels', postgresPanels({ job: 'pg' })],
    ['redisPanels', redisPanels({ job: 'redis' })],
    ['backupPanels', backupPanels({ cronJob: 'pg-backup' })],
  ])('%s: every selector uses namespace="$namespace"; no known metric unscoped', (_name, set) => {
    const exprs = set.flatMap((p) => p.exprs.map((e) => e.expr));
    expect(exprs.length).toBeGreaterThan(0);
    for (const expr of exprs) {
      for (const s of vectorSelectors(expr))
        expect({ expr, ok: s.matchers.includes('namespace="$namespace"') }).toEqual({ expr, ok: true });
      expect(unscopedMetrics(expr)).toEqual([]);
    }
  });

  test.each([
    [
      'http',
      httpServicePanels({ job: 'api', latencyBucketMetric: 'http_request_duration_seconds_bucket' }),
      httpServiceRules({
        namespace: NS,
        job: 'api',
        alertPrefix: '',
        latencyP95Seconds: 1,
        latencyBucketMetric: 'http_request_duration_seconds_bucket',
      }),
    ],
    ['jvm', jvmHttpPanels({ job: 'orders' }), jvmHttpRules({ namespace: NS, job: 'orders', alertPrefix: 'O' })],
    ['postgres', postgresPanels({ job: 'pg' }), postgresRules({ namespace: NS, job: 'pg', alertPrefix: '' })],
    ['redis', redisPanels({ job: 'redis' }), redisRules({ namespace: NS, job: 'redis', alertPrefix: '' })],
  ])('%s panels query every metric its alerts use', (_name, set, rules) => {
    const panelMetrics = metricsOf(set.flatMap((p) => p.exprs.map((e) => e.expr)));
    const ruleMetrics = metricsOf(rules.map((r) => r.expr));
    expect([...ruleMetrics].filter((m) => !panelMetrics.has(m))).toEqual([]);
  });

  test('backup panels use the same kube-state-metrics series as backupRules', () => {
    const panelMetrics = metricsOf(backupPanels({ cronJob: 'b' }).flatMap((p) => p.exprs.map((e) => e.expr)));
    const ruleMetrics = metricsOf(backupRules({ namespace: NS, cronJob: 'b', alertPrefix: '', maxAgeHours: 1 }).map((r) => r.expr));
    for (const m of [METRICS.cronJobLastSuccess, METRICS.jobFailed, METRICS.jobOwner]) {
      expect(panelMetrics.has(m)).toBe(true);
      expect(ruleMetrics.has(m)).toBe(true);
    }
  });

  test('backupPanels titlePrefix tells several backups apart', () => {
    expect(backupPanels({ cronJob: 'b' }).map((p) => p.title)).toEqual([
      'Since last successful backup',
      'Failed backup jobs',
      'Failed pods per backup job',
    ]);
    expect(backupPanels({ cronJob: 'b', titlePrefix: 'Redis: ' })[0].title).toBe('Redis: Since last successful backup');
  });

  test('custom status label and metric in httpServicePanels', () => {
    const set = httpServicePanels({ job: 'api', errorMetric: 'ktor_requests_total', statusLabel: 'code' });
    const byStatus = set.find((p) => p.title === 'Requests by status')!;
    expect(byStatus.exprs[0]).toEqual({
      expr: 'sum by (code) (rate(ktor_requests_total{namespace="$namespace",job="api"}[5m]))',
      legend: '{{code}}',
    });
    expect(set.find((p) => p.title === 'Latency')).toBeUndefined();
  });

  test.each([
    [() => httpServicePanels({ job: '' }), /httpServicePanels: job must be a non-empty label value/],
    [
      () => httpServicePanels({ job: 'a', latencyBucketMetric: 'latency' }),
      /httpServicePanels: latencyBucketMetric .* ending in "_bucket", got "latency"/,
    ],
    [() => postgresPanels({ job: '' }), /postgresPanels: job must be/],
    [() => redisPanels({ job: '' }), /redisPanels: job must be/],
    [() => backupPanels({ cronJob: 'Bad' }), /backupPanels: cronJob must be a Kubernetes object name.*got "Bad"/],
  ])('panel builders validate (%#)', (build, message) => {
    expect(build).toThrow(message);
  });
});
