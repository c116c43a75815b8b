/**
 * Panel sets for {@link GrafanaDashboard} over the Kubernetes metrics of kube-prometheus-stack
 * (cAdvisor, kubelet volume stats, kube-state-metrics), querying the same series as
 * `kubernetes-rules.ts`. Like the other panel sets, every query is scoped with
 * `namespace="$namespace"`, the dashboard's constant variable (the namespace of its ConfigMap).
 */
import { RATE_WINDOW, METRICS } from './alert-rules';
import type { DashboardPanel } from './grafana-dashboard';
import { KUBERNETES_METRICS as K } from './kubernetes-rules';
import { KubernetesScrapeJobs, kubernetesSelectors } from './kubernetes-selectors';
import { fail, selector } from './validation';

/** The dashboard's namespace variable, as used inside selectors. */
const NS = '$namespace';

/** Options for {@link resourceUsagePanels}. */
export interface ResourceUsagePanelsProps extends KubernetesScrapeJobs {
  /**
   * Prepended to every panel title.
   * @default ''
   */
  readonly titlePrefix?: string;
}

/**
 * Container resources of the namespace, next to the limits `resourceUsageRules` alerts on:
 * the highest CPU / memory share of a limit, restarts and the fullest volume as stats; CPU and
 * memory per pod with their limits, the share of its limits per container, restarts per
 * container and the used share of every PersistentVolumeClaim over time.
 */
export function resourceUsagePanels(props: ResourceUsagePanelsProps = {}): DashboardPanel[] {
  const where = 'resourceUsagePanels';
  const prefix = titlePrefix(where, props.titlePrefix);
  const sel = kubernetesSelectors(where, NS, props);
  const key = '(namespace, pod, container)';
  const cpu = `sum by ${key} (rate(${K.containerCpuUsage}${sel.containers()}[${RATE_WINDOW}]))`;
  const memory = `max by ${key} (${K.containerMemoryWorkingSet}${sel.containers()})`;
  const limits = (resource: string) => `${K.containerLimits}${sel.ksm([['resource', '=', resource]])}`;
  const limit = (resource: string) => `(max by ${key} (${limits(resource)}) > 0)`;
  const cpuShare = `${cpu} / on ${key} ${limit('cpu')}`;
  const memoryShare = `${memory} / on ${key} ${limit('memory')}`;
  const restarts = `increase(${K.containerRestarts}${sel.ksm()}[1h])`;
  const vol = sel.kubelet();
  const used = `max by (persistentvolumeclaim) (1 - ${K.volumeAvailable}${vol} / (${K.volumeCapacity}${vol} > 0))`;
  const perContainer = '{{pod}}/{{container}}';
  return [
    {
      title: `${prefix}Highest CPU use of a limit`,
      type: 'stat',
      unit: 'percentunit',
      description: 'Containers without a CPU limit are not counted.',
      exprs: [{ expr: `max(${cpuShare})` }],
    },
    {
      title: `${prefix}Highest memory use of a limit`,
      type: 'stat',
      unit: 'percentunit',
      description: 'Working set over the memory limit; containers without a memory limit are not counted.',
      exprs: [{ expr: `max(${memoryShare})` }],
    },
    {
      title: `${prefix}Container restarts (1h)`,
      type: 'stat',
      exprs: [{ expr: `round(sum(${restarts})) or vector(0)` }],
    },
    {
      title: `${prefix}Fullest volume`,
      type: 'stat',
      unit: 'percentunit',
      exprs: [{ expr: `max(${used})` }],
    },
    {
      title: `${prefix}CPU per pod`,
      type: 'timeseries',
      description: 'CPU cores used (5m rate) and the sum of the CPU limits of the containers that have one.',
      exprs: [
        { expr: `sum by (pod) (${cpu})`, legend: '{{pod}}' },
        { expr: `sum by (pod) (${limits('cpu')})`, legend: '{{pod}} limit' },
      ],
    },
    {
      title: `${prefix}Memory per pod`,
      type: 'timeseries',
      unit: 'bytes',
      description: 'Working set and the sum of the memory limits of the containers that have one.',
      exprs: [
        { expr: `sum by (pod) (${memory})`, legend: '{{pod}}' },
        { expr: `sum by (pod) (${limits('memory')})`, legend: '{{pod}} limit' },
      ],
    },
    {
      title: `${prefix}CPU use of limit per container`,
      type: 'timeseries',
      unit: 'percentunit',
      exprs: [{ expr: cpuShare, legend: perContainer }],
    },
    {
      title: `${prefix}Memory use of limit per container`,
      type: 'timeseries',
      unit: 'percentunit',
      exprs: [{ expr: memoryShare, legend: perContainer }],
    },
    {
      title: `${prefix}Restarts per container (1h)`,
      type: 'timeseries',
      exprs: [{ expr: `max by (pod, container) (${restarts})`, legend: perContainer }],
    },
    {
      title: `${prefix}Volume space used`,
      type: 'timeseries',
      unit: 'percentunit',
      exprs: [{ expr: used, legend: '{{persistentvolumeclaim}}' }],
    },
  ];
}

/** Options for {@link namespaceOverviewPanels}. */
export interface NamespaceOverviewPanelsProps extends Pick<KubernetesScrapeJobs, 'kubeStateMetricsJob'> {
  /**
   * Prepended to every panel title.
   * @default ''
   */
  readonly titlePrefix?: string;
}

/**
 * A namespace at a glance, for a stack's overview dashboard: firing alerts, scrape targets down,
 * pods not ready and restarts as stats; targets up per job and pods per phase over time.
 */
export function namespaceOverviewPanels(props: NamespaceOverviewPanelsProps = {}): DashboardPanel[] {
  const where = 'namespaceOverviewPanels';
  const prefix = titlePrefix(where, props.titlePrefix);
  const sel = kubernetesSelectors(where, NS, props);
  const ns = selector([['namespace', '=', NS]]);
  return [
    {
      title: `${prefix}Firing alerts`,
      type: 'stat',
      exprs: [
        {
          expr: `count(ALERTS${selector([
            ['namespace', '=', NS],
            ['alertstate', '=', 'firing'],
          ])}) or vector(0)`,
        },
      ],
    },
    {
      title: `${prefix}Scrape targets down`,
      type: 'stat',
      exprs: [{ expr: `count(${METRICS.up}${ns} == 0) or vector(0)` }],
    },
    {
      title: `${prefix}Pods not ready`,
      type: 'stat',
      exprs: [{ expr: `sum(${K.podReady}${sel.ksm([['condition', '=', 'false']])}) or vector(0)` }],
    },
    {
      title: `${prefix}Container restarts (1h)`,
      type: 'stat',
      exprs: [{ expr: `round(sum(increase(${K.containerRestarts}${sel.ksm()}[1h]))) or vector(0)` }],
    },
    {
      title: `${prefix}Targets up per job`,
      type: 'timeseries',
      exprs: [
        { expr: `sum by (job) (${METRICS.up}${ns})`, legend: '{{job}} up' },
        { expr: `count by (job) (${METRICS.up}${ns})`, legend: '{{job}} targets' },
      ],
    },
    {
      title: `${prefix}Pods per phase`,
      type: 'timeseries',
      exprs: [{ expr: `sum by (phase) (${K.podPhase}${sel.ksm()})`, legend: '{{phase}}' }],
    },
  ];
}

function titlePrefix(where: string, value: unknown): string {
  const prefix = value ?? '';
  if (typeof prefix !== 'string') fail(where, 'titlePrefix', prefix, 'a string');
  return prefix;
}
