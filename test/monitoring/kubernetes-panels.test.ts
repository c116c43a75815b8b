import { Testing } from 'cdk8s';
import {
  DashboardPanel,
  GrafanaDashboard,
  httpServicePanels,
  KUBERNETES_METRICS,
  namespaceOverviewPanels,
  resourceUsagePanels,
} from '../../lib/constructs/monitoring';
import { vectorSelectors } from './helpers';

const exprsOf = (panels: DashboardPanel[]) => panels.flatMap((p) => p.exprs.map((e) => e.expr));

const panelSets: Array<[string, (props?: { titlePrefix?: string }) => DashboardPanel[]]> = [
  ['resourceUsagePanels', (props) => resourceUsagePanels(props)],
  ['namespaceOverviewPanels', (props) => namespaceOverviewPanels(props)],
];

describe.each(panelSets)('%s', (name, build) => {
  test('panels (snapshot)', () => {
    expect(build()).toMatchSnapshot();
  });

  test('every selector is scoped with namespace="$namespace"; kube-state-metrics and kubelet series also by job', () => {
    for (const expr of exprsOf(build())) {
      for (const s of vectorSelectors(expr)) {
        expect({ expr, metric: s.metric, scoped: s.matchers.includes('namespace="$namespace"') }).toEqual({
          expr,
          metric: s.metric,
          scoped: true,
        });
        if ((Object.values(KUBERNETES_METRICS) as string[]).includes(s.metric)) expect(s.matchers).toMatch(/^job="/);
      }
      for (const metric of Object.values(KUBERNETES_METRICS)) expect(expr).not.toMatch(new RegExp(`\\b${metric}\\b(?!\\{)`));
    }
  });

  test('fits a GrafanaDashboard (titles unique, layout valid)', () => {
    const panels = build();
    expect(new Set(panels.map((p) => p.title)).size).toBe(panels.length);
    const chart = Testing.chart();
    const dashboard = new GrafanaDashboard(chart, 'D', { namespace: 'shop', name: 'shop-resources', title: 'Shop · Resources', panels });
    expect((dashboard.dashboard.panels as unknown[]).length).toBe(panels.length);
  });

  test('titlePrefix prefixes every title; a non-string is refused', () => {
    const prefixed = build({ titlePrefix: 'Shop: ' });
    expect(prefixed).toEqual(build().map((p) => ({ ...p, title: `Shop: ${p.title}` })));
    expect(() => build({ titlePrefix: 3 as unknown as string })).toThrow(`${name}: titlePrefix must be a string, got 3`);
  });
});

describe('resourceUsagePanels', () => {
  const panels = resourceUsagePanels();
  const byTitle = Object.fromEntries(panels.map((p) => [p.title, p]));

  test('CPU and memory use of the limit join per container, like the alerts', () => {
    expect(byTitle['CPU use of limit per container'].exprs[0].expr).toBe(
      'sum by (namespace, pod, container) (rate(container_cpu_usage_seconds_total{job="kubelet",metrics_path="/metrics/cadvisor",namespace="$namespace",container!="",container!="POD"}[5m]))' +
        ' / on (namespace, pod, container) (max by (namespace, pod, container) (kube_pod_container_resource_limits{job="kube-state-metrics",namespace="$namespace",resource="cpu"}) > 0)',
    );
    expect(byTitle['Memory use of limit per container'].exprs[0].expr).toContain('resource="memory"');
    expect(byTitle['Memory per pod'].exprs.map((e) => e.legend)).toEqual(['{{pod}}', '{{pod}} limit']);
    expect(byTitle['Volume space used'].exprs[0]).toEqual({
      expr: 'max by (persistentvolumeclaim) (1 - kubelet_volume_stats_available_bytes{job="kubelet",metrics_path="/metrics",namespace="$namespace"} / (kubelet_volume_stats_capacity_bytes{job="kubelet",metrics_path="/metrics",namespace="$namespace"} > 0))',
      legend: '{{persistentvolumeclaim}}',
    });
  });

  test('scrape jobs can be overridden and are validated', () => {
    const exprs = exprsOf(resourceUsagePanels({ kubeletJob: 'k', kubeStateMetricsJob: 'ksm' })).join('\n');
    expect(exprs).not.toMatch(/job="kube(let|-state-metrics)"/);
    expect(exprs).toContain('job="k",metrics_path="/metrics/cadvisor"');
    expect(exprs).toContain('job="ksm",namespace="$namespace"');
    expect(() => resourceUsagePanels({ kubeletJob: '' })).toThrow(
      /^resourceUsagePanels: kubeletJob must be a non-empty label value .*got ""$/,
    );
  });
});

describe('namespaceOverviewPanels', () => {
  test('firing alerts of the namespace, targets down, pods not ready', () => {
    const exprs = exprsOf(namespaceOverviewPanels());
    expect(exprs).toContain('count(ALERTS{namespace="$namespace",alertstate="firing"}) or vector(0)');
    expect(exprs).toContain('count(up{namespace="$namespace"} == 0) or vector(0)');
    expect(exprs).toContain('sum(kube_pod_status_ready{job="kube-state-metrics",namespace="$namespace",condition="false"}) or vector(0)');
  });
});

describe('httpServicePanels: errorRatio and titlePrefix', () => {
  const props = { job: 'backend', latencyBucketMetric: 'http_request_duration_seconds_bucket' };

  test('without them the panels are unchanged', () => {
    expect(httpServicePanels({ ...props, errorRatio: false, titlePrefix: '' })).toEqual(httpServicePanels(props));
    expect(httpServicePanels(props).map((p) => p.title)).toEqual([
      'Targets up',
      '5xx rate',
      'Requests by status',
      '5xx error rate',
      'Latency',
    ]);
  });

  test('errorRatio adds a 5xx ratio stat after the 5xx rate', () => {
    const panels = httpServicePanels({ ...props, errorRatio: true });
    expect(panels.map((p) => p.title)).toEqual(['Targets up', '5xx rate', '5xx ratio', 'Requests by status', '5xx error rate', 'Latency']);
    expect(panels[2]).toEqual({
      title: '5xx ratio',
      type: 'stat',
      unit: 'percentunit',
      exprs: [
        {
          expr: '(sum(rate(http_requests_total{namespace="$namespace",job="backend",status=~"5.."}[5m])) or vector(0)) / sum(rate(http_requests_total{namespace="$namespace",job="backend"}[5m]))',
        },
      ],
    });
  });

  test('titlePrefix prefixes every title, the rest is unchanged', () => {
    const plain = httpServicePanels({ ...props, errorRatio: true });
    const prefixed = httpServicePanels({ ...props, errorRatio: true, titlePrefix: 'Gateway: ' });
    expect(prefixed).toEqual(plain.map((p) => ({ ...p, title: `Gateway: ${p.title}` })));
  });

  test.each([
    [{ errorRatio: 'yes' }, /^httpServicePanels: errorRatio must be a boolean, got "yes"$/],
    [{ titlePrefix: 1 }, /^httpServicePanels: titlePrefix must be a string, got 1$/],
  ])('rejects %p', (override, message) => {
    expect(() => httpServicePanels({ ...props, ...(override as object) })).toThrow(message);
  });
});
