/**
 * The REAL promtool against the rules added for the e-commerce stack (seeds 002/003), built
 * generically:
 * - httpServiceRules with an error RATIO, `errorFor` and `latencyFor` (the seed's HighErrorRate
 *   5 % for 10m, HighLatency p95 > 1s for 5m over the histogram buckets);
 * - resourceUsageRules (cAdvisor + kube-state-metrics) and volumeSpaceRules (kubelet volume stats).
 * `promtool check rules` on every rendered group, and `promtool test rules` scenarios in which each
 * alert fires on one set of series and stays silent on another, including the traps: zero traffic,
 * containers without limits, cAdvisor's pod-level `container=""` series, a restarted container's
 * two cgroups, other namespaces.
 *
 * Fails (never skips) when promtool is missing: run scripts/install-prom-tools.sh.
 */
import { Chart, Testing } from 'cdk8s';
import {
  AlertRule,
  httpServicePanels,
  httpServiceRules,
  namespaceOverviewPanels,
  resourceUsagePanels,
  resourceUsageRules,
  volumeSpaceRules,
} from '../../lib/constructs/monitoring';
import { stackMonitoring } from '../../lib/stack/stack-wiring';
import { coverageGaps, Promtool, Scenario } from '../support/promtool-scenarios';

let promtool: Promtool;
beforeAll(() => (promtool = new Promtool()));
afterAll(() => promtool?.dispose());

const NS = 'shop';
const OTHER_NS = 'other';

function defineScenarios(groupName: string, rules: AlertRule[], scenarios: Scenario[]): void {
  test(`${groupName}: promtool check rules`, () => {
    expect(promtool.checkRules(groupName, rules)).toContain(`SUCCESS: ${rules.length} rules found`);
  });
  test(`${groupName}: every alert fires in one scenario and is silent in another`, () => {
    expect(coverageGaps(rules, scenarios)).toEqual({ neverFires: [], neverSilent: [] });
  });
  for (const scenario of scenarios) {
    test(`${groupName}: ${scenario.name}`, () => promtool.testScenario(groupName, rules, scenario));
  }
}

const silent = (alerts: string[], ...at: string[]) => alerts.flatMap((alert) => at.map((t) => ({ at: t, alert, fires: [] })));

// ---------------------------------------------------------------------------
// httpServiceRules: the e-commerce seed's settings
// ---------------------------------------------------------------------------

describe('httpServiceRules with errorRatioThreshold, errorFor and latencyFor (seed 003)', () => {
  const rules = httpServiceRules({
    namespace: NS,
    job: 'backend',
    alertPrefix: '',
    errorRatioThreshold: 0.05,
    errorFor: '10m',
    latencyP95Seconds: 1,
    latencyBucketMetric: 'http_request_duration_seconds_bucket',
    latencyFor: '5m',
  });
  const me = `namespace="${NS}",job="backend"`;
  const fired = [{ namespace: NS, job: 'backend' }];
  const req = (status: string, pod = 'backend-1') => `http_requests_total{${me},pod="${pod}",status="${status}"}`;
  const bucket = (le: string, ns = NS) => `http_request_duration_seconds_bucket{namespace="${ns}",job="backend",le="${le}"}`;
  const healthy = {
    [`up{${me},pod="backend-1"}`]: '1x40',
    // 10/s, of which 0.2/s fail: 2 % (the seed's absolute 0.1/s rule would fire on this)
    [req('200')]: '0+588x40',
    [req('500')]: '0+12x40',
    [bucket('0.25')]: '0+590x40',
    [bucket('0.5')]: '0+600x40',
    [bucket('1')]: '0+600x40',
    [bucket('2.5')]: '0+600x40',
    [bucket('+Inf')]: '0+600x40',
  };
  const badNeighbours = {
    [`up{namespace="${OTHER_NS}",job="backend"}`]: '0x40',
    [`http_requests_total{namespace="${OTHER_NS}",job="backend",status="500"}`]: '0+600x40',
    [`http_requests_total{namespace="${NS}",job="gateway",status="502"}`]: '0+600x40',
    [bucket('1', OTHER_NS)]: '0x40',
    [bucket('+Inf', OTHER_NS)]: '0+600x40',
  };
  const all = ['ServiceDown', 'HighErrorRate', 'HighLatency'];

  test('builds the seed names with the seed for and severity', () => {
    expect(rules.map((r) => [r.alert, r.for, r.labels.severity])).toEqual([
      ['ServiceDown', '2m', 'critical'],
      ['HighErrorRate', '10m', 'critical'],
      ['HighLatency', '5m', 'warning'],
    ]);
  });

  defineScenarios('http-ratio', rules, [
    {
      name: 'healthy backend (2 % errors, fast) with broken neighbours stays silent',
      series: { ...healthy, ...badNeighbours },
      checks: silent(all, '5m', '30m'),
    },
    {
      name: 'zero traffic (counters flat) does not fire HighErrorRate or HighLatency',
      series: {
        [`up{${me},pod="backend-1"}`]: '1x40',
        [req('200')]: '1000x40',
        [req('500')]: '100x40',
        [bucket('1')]: '1100x40',
        [bucket('+Inf')]: '1100x40',
      },
      checks: silent(['HighErrorRate', 'HighLatency'], '5m', '15m', '30m'),
    },
    {
      name: 'no request series at all does not fire HighErrorRate',
      series: { [`up{${me},pod="backend-1"}`]: '1x40' },
      checks: silent(['HighErrorRate', 'HighLatency', 'ServiceDown'], '20m'),
    },
    {
      name: '10 % 5xx fires HighErrorRate only after 10m',
      series: { ...healthy, [req('200')]: '0+540x40', [req('500')]: '0+60x40' },
      checks: [
        { at: '9m', alert: 'HighErrorRate', fires: [] },
        { at: '12m', alert: 'HighErrorRate', fires: fired },
        { at: '12m', alert: 'ServiceDown', fires: [] },
      ],
    },
    {
      name: '4 % 5xx stays below the 5 % threshold',
      series: { ...healthy, [req('200')]: '0+576x40', [req('500')]: '0+24x40' },
      checks: silent(['HighErrorRate'], '15m', '30m'),
    },
    {
      name: 'the ratio is over the whole job: one failing low-traffic pod among busy healthy ones stays silent',
      series: {
        ...healthy,
        [req('200')]: '0+900x40',
        [req('500')]: '0x40',
        [req('200', 'backend-2')]: '0+90x40',
        [req('500', 'backend-2')]: '0+10x40', // 10 % of backend-2, 1 % of the job
      },
      checks: silent(['HighErrorRate'], '15m', '30m'),
    },
    {
      name: 'p95 above 1s (all requests between 1s and 2.5s) fires HighLatency after 5m',
      series: { ...healthy, [bucket('0.25')]: '0x40', [bucket('0.5')]: '0x40', [bucket('1')]: '0x40' },
      checks: [
        { at: '4m', alert: 'HighLatency', fires: [] },
        { at: '8m', alert: 'HighLatency', fires: fired },
      ],
    },
    {
      name: 'p95 just below 1s (all requests between 0.5s and 1s) stays silent',
      series: { ...healthy, [bucket('0.25')]: '0x40', [bucket('0.5')]: '0x40' },
      checks: silent(['HighLatency'], '10m', '30m'),
    },
    {
      name: 'no target up fires ServiceDown after 2m',
      series: { ...healthy, [`up{${me},pod="backend-1"}`]: '0x40' },
      checks: [
        { at: '1m', alert: 'ServiceDown', fires: [] },
        { at: '3m', alert: 'ServiceDown', fires: fired },
      ],
    },
  ]);
});

// ---------------------------------------------------------------------------
// resourceUsageRules: cAdvisor + kube-state-metrics
// ---------------------------------------------------------------------------

describe('resourceUsageRules', () => {
  const rules = resourceUsageRules({ namespace: NS, alertPrefix: 'Shop' });
  const all = ['ShopContainerCpuNearLimit', 'ShopContainerMemoryNearLimit', 'ShopContainerRestartingOften'];
  const MI = 1024 * 1024;
  /** A cAdvisor series of kube-prometheus-stack's kubelet job. */
  const cadvisor = (metric: string, pod: string, container: string, extra: string, ns = NS) =>
    `${metric}{job="kubelet",metrics_path="/metrics/cadvisor",namespace="${ns}",pod="${pod}",container="${container}",${extra}}`;
  const cpu = (pod: string, container: string, extra = 'image="shop/api:1",id="/kubepods/c-1",name="c-1"', ns = NS) =>
    cadvisor('container_cpu_usage_seconds_total', pod, container, extra, ns);
  const mem = (pod: string, container: string, extra = 'image="shop/api:1",id="/kubepods/c-1",name="c-1"', ns = NS) =>
    cadvisor('container_memory_working_set_bytes', pod, container, extra, ns);
  const ksm = (metric: string, pod: string, container: string, extra = '', ns = NS) =>
    `${metric}{job="kube-state-metrics",namespace="${ns}",pod="${pod}",container="${container}",uid="u-${pod}"${extra}}`;
  const limit = (pod: string, container: string, resource: 'cpu' | 'memory', ns = NS) =>
    ksm(
      'kube_pod_container_resource_limits',
      pod,
      container,
      `,node="node-1",resource="${resource}",unit="${resource === 'cpu' ? 'core' : 'byte'}"`,
      ns,
    );
  const restarts = (pod: string, container: string, ns = NS) => ksm('kube_pod_container_status_restarts_total', pod, container, '', ns);
  const api = { namespace: NS, pod: 'api-1', container: 'api' };

  // api-1: container "api" (limits 0.5 cores / 256Mi) and a "log-shipper" sidecar without limits.
  const healthy = {
    [limit('api-1', 'api', 'cpu')]: '0.5x80',
    [limit('api-1', 'api', 'memory')]: `${256 * MI}x80`,
    [cpu('api-1', 'api')]: '0+12x80', // 0.2 cores: 40 %
    [mem('api-1', 'api')]: `${128 * MI}x80`, // 50 %
    [cpu('api-1', 'log-shipper', 'image="shipper:1",id="/kubepods/c-2",name="c-2"')]: '0+18x80',
    [mem('api-1', 'log-shipper', 'image="shipper:1",id="/kubepods/c-2",name="c-2"')]: `${200 * MI}x80`,
    // The pod's cgroup (container=""): both containers together, 0.5 cores and ~330Mi, i.e. 100 % and
    // 129 % of the api container's limits: a rule joining on the pod alone would fire on it.
    [cpu('api-1', '', 'image="",id="/kubepods/pod-u-api-1"')]: '0+30x80',
    [mem('api-1', '', 'image="",id="/kubepods/pod-u-api-1"')]: `${330 * MI}x80`,
    // containerd's sandbox (container="", pause image) and dockershim's pause container (container="POD").
    [cpu('api-1', '', 'image="registry.k8s.io/pause:3.9",id="/kubepods/pod-u-api-1/sandbox",name="sandbox"')]: '0+0.06x80',
    [cpu('api-1', 'POD', 'image="k8s.gcr.io/pause:3.2",id="/kubepods/pod-u-api-1/pause",name="pause"')]: '0+0.06x80',
    [mem('api-1', 'POD', 'image="k8s.gcr.io/pause:3.2",id="/kubepods/pod-u-api-1/pause",name="pause"')]: `${1 * MI}x80`,
    [restarts('api-1', 'api')]: '0x80',
    [restarts('api-1', 'log-shipper')]: '2x80', // restarted long ago, not any more
  };
  const badNeighbours = {
    [limit('api-1', 'api', 'cpu', OTHER_NS)]: '0.5x80',
    [limit('api-1', 'api', 'memory', OTHER_NS)]: `${256 * MI}x80`,
    [cpu('api-1', 'api', undefined, OTHER_NS)]: '0+30x80',
    [mem('api-1', 'api', undefined, OTHER_NS)]: `${256 * MI}x80`,
    [restarts('api-1', 'api', OTHER_NS)]: '0+1x80',
  };

  test('builds the three alerts, all warnings', () => {
    expect(rules.map((r) => [r.alert, r.labels.severity, r.for])).toEqual(all.map((a) => [a, 'warning', '15m']));
  });

  defineScenarios('resources', rules, [
    {
      name: 'healthy pod (sidecar without limits, pod-level and pause series, broken neighbours) stays silent',
      series: { ...healthy, ...badNeighbours },
      checks: silent(all, '10m', '30m', '70m'),
    },
    {
      // rate() divides by the whole 5m window: the counter starting at 0 reaches 96 % at 5m, fires at 20m.
      name: 'CPU at 96 % of the limit fires ContainerCpuNearLimit after 15m',
      series: { ...healthy, [cpu('api-1', 'api')]: '0+28.8x80' },
      checks: [
        { at: '18m', alert: 'ShopContainerCpuNearLimit', fires: [] },
        { at: '22m', alert: 'ShopContainerCpuNearLimit', fires: [api] },
        { at: '22m', alert: 'ShopContainerMemoryNearLimit', fires: [] },
      ],
    },
    {
      name: 'a restarted container (old and new cgroup, new image) keeps one value per container',
      // Without the aggregation the two api series (10m-15m) would make the join fail (many-to-one):
      // the alert would start its 15m again at 15m and fire at 30m instead of 20m.
      series: {
        ...healthy,
        [cpu('api-1', 'api')]: '0+28.8x10 stale',
        [cpu('api-1', 'api', 'image="shop/api:2",id="/kubepods/c-3",name="c-3"')]: '_x10 0+28.8x70',
        [mem('api-1', 'api')]: `${240 * MI}x10 stale`,
        [mem('api-1', 'api', 'image="shop/api:2",id="/kubepods/c-3",name="c-3"')]: `_x10 ${240 * MI}x70`,
      },
      checks: [
        { at: '22m', alert: 'ShopContainerCpuNearLimit', fires: [api] },
        { at: '22m', alert: 'ShopContainerMemoryNearLimit', fires: [api] },
      ],
    },
    {
      name: 'working set at 94 % of the limit fires ContainerMemoryNearLimit after 15m',
      series: { ...healthy, [mem('api-1', 'api')]: `${240 * MI}x80` },
      checks: [
        { at: '13m', alert: 'ShopContainerMemoryNearLimit', fires: [] },
        { at: '17m', alert: 'ShopContainerMemoryNearLimit', fires: [api] },
        { at: '17m', alert: 'ShopContainerCpuNearLimit', fires: [] },
      ],
    },
    {
      name: 'containers without limits never fire, however much they use',
      series: {
        ...healthy,
        [cpu('api-1', 'log-shipper', 'image="shipper:1",id="/kubepods/c-2",name="c-2"')]: '0+240x80', // 4 cores
        [mem('api-1', 'log-shipper', 'image="shipper:1",id="/kubepods/c-2",name="c-2"')]: `${4096 * MI}x80`,
        // a worker with a memory limit only: its CPU is unlimited
        [limit('worker-1', 'worker', 'memory')]: `${512 * MI}x80`,
        [cpu('worker-1', 'worker', 'image="shop/worker:1",id="/kubepods/c-9",name="c-9"')]: '0+120x80',
        [mem('worker-1', 'worker', 'image="shop/worker:1",id="/kubepods/c-9",name="c-9"')]: `${100 * MI}x80`,
      },
      checks: silent(['ShopContainerCpuNearLimit', 'ShopContainerMemoryNearLimit'], '20m', '60m'),
    },
    {
      name: '5 restarts within minutes fire ContainerRestartingOften after 15m',
      series: { ...healthy, [restarts('api-1', 'api')]: '0x10 1 2 3 4 5x65' },
      checks: [
        { at: '25m', alert: 'ShopContainerRestartingOften', fires: [] },
        { at: '35m', alert: 'ShopContainerRestartingOften', fires: [api] },
      ],
    },
    {
      name: 'one restart in an hour stays silent',
      series: { ...healthy, [restarts('api-1', 'api')]: '0x10 1x70' },
      checks: silent(['ShopContainerRestartingOften'], '30m', '60m'),
    },
  ]);
});

// ---------------------------------------------------------------------------
// volumeSpaceRules: kubelet volume stats
// ---------------------------------------------------------------------------

describe('volumeSpaceRules', () => {
  const rules = volumeSpaceRules({ namespace: NS, alertPrefix: 'Shop' });
  const all = ['ShopVolumeSpaceLow', 'ShopVolumeSpaceCritical', 'ShopVolumeFillingUp'];
  const stats = (metric: string, pvc: string, node = 'node-1', ns = NS) =>
    `kubelet_volume_stats_${metric}_bytes{job="kubelet",metrics_path="/metrics",namespace="${ns}",persistentvolumeclaim="${pvc}",node="${node}"}`;
  /** One PVC of capacity 1,000,000 bytes reporting `available` (promtool notation). */
  const pvc = (name: string, available: string, samples = 40, node = 'node-1', ns = NS) => ({
    [stats('capacity', name, node, ns)]: `1000000x${samples}`,
    [stats('available', name, node, ns)]: available,
  });
  const data = { namespace: NS, persistentvolumeclaim: 'data-mongodb-0' };
  const neighbours = { ...pvc('data-mongodb-0', '10000x40', 40, 'node-1', OTHER_NS), ...pvc('logs', '0x40', 40, 'node-1', OTHER_NS) };

  test('builds warning, critical and filling-up alerts', () => {
    expect(rules.map((r) => [r.alert, r.labels.severity, r.for])).toEqual([
      ['ShopVolumeSpaceLow', 'warning', '5m'],
      ['ShopVolumeSpaceCritical', 'critical', '5m'],
      ['ShopVolumeFillingUp', 'warning', '1h'],
    ]);
  });

  defineScenarios('volumes', rules, [
    {
      name: '20 % free (steady) stays silent, full volumes of other namespaces too',
      series: { ...pvc('data-mongodb-0', '200000x40'), ...neighbours },
      checks: silent(all, '10m', '30m'),
    },
    {
      name: '8 % free fires VolumeSpaceLow after 5m (once per claim, though two nodes report it), not VolumeSpaceCritical',
      series: { ...pvc('data-mongodb-0', '80000x40'), ...pvc('data-mongodb-0', '81000x40', 40, 'node-2') },
      checks: [
        { at: '4m', alert: 'ShopVolumeSpaceLow', fires: [] },
        { at: '7m', alert: 'ShopVolumeSpaceLow', fires: [data] },
        { at: '7m', alert: 'ShopVolumeSpaceCritical', fires: [] },
        { at: '30m', alert: 'ShopVolumeSpaceCritical', fires: [] },
        { at: '30m', alert: 'ShopVolumeFillingUp', fires: [] },
      ],
    },
    {
      name: '4 % free fires VolumeSpaceCritical (and VolumeSpaceLow) after 5m',
      series: pvc('data-mongodb-0', '40000x40'),
      checks: [
        { at: '4m', alert: 'ShopVolumeSpaceCritical', fires: [] },
        { at: '7m', alert: 'ShopVolumeSpaceCritical', fires: [data] },
        { at: '7m', alert: 'ShopVolumeSpaceLow', fires: [data] },
      ],
    },
    {
      name: 'a claim reporting capacity 0 is ignored',
      series: { [stats('capacity', 'scratch')]: '0x40', [stats('available', 'scratch')]: '0x40' },
      checks: silent(all, '30m'),
    },
    {
      name: 'losing 500 bytes/min (full in 20h) fires VolumeFillingUp after 1h, while still 50 % free',
      series: pvc('data-mongodb-0', '600000-500x200', 200),
      checks: [
        { at: '50m', alert: 'ShopVolumeFillingUp', fires: [] },
        { at: '70m', alert: 'ShopVolumeFillingUp', fires: [data] },
        { at: '3h', alert: 'ShopVolumeFillingUp', fires: [data] },
        { at: '3h', alert: 'ShopVolumeSpaceLow', fires: [] },
      ],
    },
    {
      name: 'losing 100 bytes/min (full in 100h) stays silent',
      series: pvc('data-mongodb-0', '600000-100x300', 300),
      checks: silent(['ShopVolumeFillingUp'], '2h', '5h'),
    },
  ]);
});

// ---------------------------------------------------------------------------
// the synthesized objects
// ---------------------------------------------------------------------------

describe('stackMonitoring with the new builders', () => {
  function synth() {
    const chart: Chart = Testing.chart();
    const result = stackMonitoring(chart, {
      namespace: NS,
      name: 'shop',
      title: 'Shop · Platform Overview',
      release: 'kube-prometheus-stack',
      rules: [
        ...httpServiceRules({
          namespace: NS,
          job: 'backend',
          alertPrefix: '',
          errorRatioThreshold: 0.05,
          errorFor: '10m',
          latencyP95Seconds: 1,
          latencyBucketMetric: 'http_request_duration_seconds_bucket',
          latencyFor: '5m',
        }),
        ...resourceUsageRules({ namespace: NS, alertPrefix: 'Shop' }),
        ...volumeSpaceRules({ namespace: NS, alertPrefix: 'Shop' }),
      ],
      panels: namespaceOverviewPanels(),
      backups: { cronJobs: [{ cronJob: 'store-backup', label: 'Store' }], maxAgeHours: 26 },
      dashboards: [
        {
          name: 'shop-dashboard-services',
          title: 'Shop · Service Health',
          panels: httpServicePanels({
            job: 'backend',
            errorRatio: true,
            titlePrefix: 'Backend: ',
            latencyBucketMetric: 'http_request_duration_seconds_bucket',
          }),
        },
        { name: 'shop-dashboard-resources', title: 'Shop · System Resources', panels: resourceUsagePanels() },
      ],
    });
    return { result, manifests: Testing.synth(chart) };
  }

  test('promtool check rules accepts the synthesized PrometheusRule', () => {
    const { result, manifests } = synth();
    const rule = manifests.find((m) => m.kind === 'PrometheusRule');
    const file = promtool.writeYaml('stack-rule', rule.spec);
    expect(promtool.ok(['check', 'rules', file], 'stack PrometheusRule')).toContain(`SUCCESS: ${result.alerts.rules.length} rules found`);
  });

  test('every query of every dashboard parses (checked as recording rules)', () => {
    const { manifests } = synth();
    const exprs = manifests
      .filter((m) => m.kind === 'ConfigMap')
      .flatMap((cm) => Object.values(cm.data as Record<string, string>))
      .flatMap((json) => (JSON.parse(json) as { panels: Array<{ targets: Array<{ expr: string }> }> }).panels)
      .flatMap((p) => p.targets.map((t) => t.expr));
    expect(exprs.length).toBeGreaterThan(20);
    const file = promtool.writeYaml('stack-dashboards', {
      groups: [{ name: 'dashboard-queries', rules: exprs.map((expr, i) => ({ record: `dashboard:query_${i}`, expr })) }],
    });
    expect(promtool.ok(['check', 'rules', file], 'dashboard queries')).toContain(`SUCCESS: ${exprs.length} rules found`);
  });
});
