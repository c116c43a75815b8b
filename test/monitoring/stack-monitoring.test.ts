/**
 * stackMonitoring: one PrometheusRule and the main dashboard as before, plus optional further
 * dashboards (the e-commerce seed ships four).
 */
import { Chart, Testing } from 'cdk8s';
import { httpServicePanels, httpServiceRules, namespaceOverviewPanels, resourceUsagePanels } from '../../lib/constructs/monitoring';
import { StackDashboard, stackMonitoring } from '../../lib/stack/stack-wiring';
import { Doc } from '../support/doc';

const NS = 'shop';

function build(dashboards?: StackDashboard[], chart: Chart = Testing.chart()) {
  const result = stackMonitoring(chart, {
    namespace: NS,
    name: 'shop',
    title: 'Shop · Platform Overview',
    release: 'kube-prometheus-stack',
    rules: httpServiceRules({ namespace: NS, job: 'backend', alertPrefix: 'Backend' }),
    panels: namespaceOverviewPanels(),
    backups: { cronJobs: [{ cronJob: 'store-backup', label: 'Store' }], maxAgeHours: 26 },
    ...(dashboards ? { dashboards } : {}),
  });
  return { chart, result, manifests: Testing.synth(chart) };
}

const configMaps = (manifests: Doc[]) => manifests.filter((m) => m.kind === 'ConfigMap');
const model = (cm: Doc) => JSON.parse(Object.values(cm.data as Record<string, string>)[0]);

const services: StackDashboard = {
  name: 'shop-dashboard-services',
  title: 'Shop · Service Health',
  panels: httpServicePanels({ job: 'backend', titlePrefix: 'Backend: ' }),
};
const resources: StackDashboard = { name: 'shop-dashboard-resources', title: 'Shop · System Resources', panels: resourceUsagePanels() };

describe('stackMonitoring', () => {
  test('without dashboards: one PrometheusRule and one dashboard, as before', () => {
    const { manifests, result } = build();
    expect(manifests.map((m) => [m.kind, m.metadata.name])).toEqual([
      ['PrometheusRule', 'shop'],
      ['ConfigMap', 'shop'],
    ]);
    expect(result.dashboards).toHaveLength(1);
    expect(result.alerts.rules.map((r) => r.alert)).toEqual([
      'BackendDown',
      'BackendHighErrorRate',
      'StoreBackupFailed',
      'StoreBackupMissing',
    ]);
    // the backup panels follow the stack's panels on the main dashboard
    expect(model(configMaps(manifests)[0]).panels.map((p: Doc) => p.title)).toEqual([
      ...namespaceOverviewPanels().map((p) => p.title),
      'Store: Since last successful backup',
      'Store: Failed backup jobs',
      'Store: Failed pods per backup job',
    ]);
  });

  test('dashboards: empty array = no extra dashboard (same manifests)', () => {
    expect(build([]).manifests).toEqual(build().manifests);
  });

  test('further dashboards become ConfigMaps of their own, after the main one (snapshot of their metadata)', () => {
    const { manifests, result } = build([services, resources]);
    const cms = configMaps(manifests);
    expect(cms.map((cm) => ({ metadata: cm.metadata, keys: Object.keys(cm.data) }))).toMatchSnapshot();
    expect(cms.map((cm) => cm.metadata.name)).toEqual(['shop', 'shop-dashboard-services', 'shop-dashboard-resources']);
    expect(cms.map((cm) => model(cm).title)).toEqual(['Shop · Platform Overview', 'Shop · Service Health', 'Shop · System Resources']);
    for (const cm of cms) {
      expect(cm.metadata.namespace).toBe(NS);
      expect(cm.metadata.labels).toEqual({ grafana_dashboard: '1', release: 'kube-prometheus-stack' });
    }
    expect(new Set(cms.map((cm) => model(cm).uid)).size).toBe(3);
    expect(result.dashboards.map((d) => d.fileName)).toEqual([
      'shop.json',
      'shop-dashboard-services.json',
      'shop-dashboard-resources.json',
    ]);
    // the backup panels stay on the main dashboard only; the others hold exactly their panels
    expect(model(cms[1]).panels.map((p: Doc) => p.title)).toEqual(services.panels.map((p) => p.title));
    expect(model(cms[2]).panels.map((p: Doc) => p.title)).toEqual(resources.panels.map((p) => p.title));
    // still one PrometheusRule
    expect(manifests.filter((m) => m.kind === 'PrometheusRule')).toHaveLength(1);
  });

  test('the main dashboard and the PrometheusRule are the same with or without further dashboards', () => {
    const without = build().manifests;
    const withMore = build([services, resources]).manifests;
    expect(withMore.slice(0, 2)).toEqual(without);
  });

  test.each([
    [
      [{ ...services, name: 'shop' }],
      `stackMonitoring: dashboards[0].name must be unique among the stack's dashboards (name has it), got "shop"`,
    ],
    [
      [services, { ...resources, name: services.name }],
      `stackMonitoring: dashboards[1].name must be unique among the stack's dashboards (dashboards[0].name has it), got "shop-dashboard-services"`,
    ],
    [
      [{ ...services, title: 'Shop · Platform Overview' }],
      `stackMonitoring: dashboards[0].title must be unique among the stack's dashboards (title has it), got "Shop · Platform Overview"`,
    ],
    [
      [services, { ...resources, title: services.title }],
      `stackMonitoring: dashboards[1].title must be unique among the stack's dashboards (dashboards[0].title has it), got "Shop · Service Health"`,
    ],
  ])('rejects duplicate names and titles (%#)', (dashboards, message) => {
    expect(() => build(dashboards)).toThrow(message);
  });

  test('an invalid dashboard name or empty panels fail in GrafanaDashboard, naming the field', () => {
    expect(() => build([{ ...services, name: 'Shop_Services' }])).toThrow(/name must be a Kubernetes object name.*got "Shop_Services"/);
    expect(() => build([{ ...services, panels: [] }])).toThrow(/panels must be a non-empty array of panels, got \[\]/);
  });
});
