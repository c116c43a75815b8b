/**
 * JVM and connection-pool panel sets for {@link GrafanaDashboard}, over the Micrometer binders any
 * JVM service exposes (Spring Boot actuator, Ktor MicrometerMetrics): memory, GC, threads and
 * HikariCP. Every query is scoped with `namespace="$namespace"` (the dashboard's constant
 * variable) and the scrape job given here.
 */
import { METRICS, RATE_WINDOW } from './alert-rules';
import type { DashboardPanel } from './grafana-dashboard';
import { checkSelectorValue, fail, selector } from './validation';

/** The dashboard's namespace variable, as used inside selectors. */
const NS = '$namespace';

/** Options for {@link jvmPanels} and {@link connectionPoolPanels}. */
export interface JvmPanelsProps {
  /** Scrape job of the JVM service. */
  readonly job: string;
  /**
   * Prepended to every panel title, e.g. `'API: '` when a dashboard shows several services.
   * @default ''
   */
  readonly titlePrefix?: string;
}

function scopeOf(where: string, props: JvmPanelsProps): { scope: string; job: string; prefix: string } {
  const job = checkSelectorValue(where, 'job', props.job);
  const prefix = props.titlePrefix ?? '';
  if (typeof prefix !== 'string') fail(where, 'titlePrefix', prefix, 'a string');
  return {
    scope: selector([
      ['namespace', '=', NS],
      ['job', '=', job],
    ]),
    job,
    prefix,
  };
}

/**
 * JVM memory and runtime: the fullest pod's heap share of its maximum (stat), heap used and max
 * per pod, non-heap used, GC pause time per second and live threads.
 */
export function jvmPanels(props: JvmPanelsProps): DashboardPanel[] {
  const { scope, job, prefix } = scopeOf('jvmPanels', props);
  const area = (a: 'heap' | 'nonheap') =>
    selector([
      ['namespace', '=', NS],
      ['job', '=', job],
      ['area', '=', a],
    ]);
  const heapUsed = `sum by (pod) (${METRICS.jvmMemoryUsed}${area('heap')})`;
  // Pools without a limit report max = -1: only positive maxima count.
  const heapMax = `sum by (pod) (${METRICS.jvmMemoryMax}${area('heap')} > 0)`;
  return [
    {
      title: `${prefix}Heap used (fullest pod)`,
      type: 'stat',
      unit: 'percentunit',
      description: 'Heap used over the heap maximum of the pod that is closest to it.',
      thresholds: [
        { value: 0.8, color: 'orange' },
        { value: 0.9, color: 'red' },
      ],
      exprs: [{ expr: `max(${heapUsed} / ${heapMax})` }],
    },
    {
      title: `${prefix}JVM heap`,
      type: 'timeseries',
      unit: 'bytes',
      exprs: [
        { expr: heapUsed, legend: '{{pod}} used' },
        { expr: heapMax, legend: '{{pod}} max' },
      ],
    },
    {
      title: `${prefix}JVM non-heap`,
      type: 'timeseries',
      unit: 'bytes',
      exprs: [{ expr: `sum by (pod) (${METRICS.jvmMemoryUsed}${area('nonheap')})`, legend: '{{pod}}' }],
    },
    {
      title: `${prefix}GC pause time`,
      type: 'timeseries',
      unit: 'percentunit',
      description: 'Share of wall-clock time spent in GC pauses.',
      exprs: [{ expr: `sum by (pod) (rate(${METRICS.jvmGcPauseSum}${scope}[${RATE_WINDOW}]))`, legend: '{{pod}}' }],
    },
    {
      title: `${prefix}Live threads`,
      type: 'timeseries',
      exprs: [{ expr: `sum by (pod) (${METRICS.jvmThreadsLive}${scope})`, legend: '{{pod}}' }],
    },
  ];
}

/**
 * HikariCP connection pool (Micrometer `hikaricp_connections_*`): the pool's usage of its
 * maximum and threads waiting for a connection (stats), active / idle / pending against the
 * maximum per pool, and connection timeouts per second.
 */
export function connectionPoolPanels(props: JvmPanelsProps): DashboardPanel[] {
  const { scope, prefix } = scopeOf('connectionPoolPanels', props);
  const byPool = (metric: string) => `sum by (pool) (${metric}${scope})`;
  return [
    {
      title: `${prefix}Connection pool used`,
      type: 'stat',
      unit: 'percentunit',
      thresholds: [
        { value: 0.8, color: 'orange' },
        { value: 0.9, color: 'red' },
      ],
      exprs: [{ expr: `max(${byPool(METRICS.hikariActive)} / (${byPool(METRICS.hikariMax)} > 0))` }],
    },
    {
      title: `${prefix}Threads waiting for a connection`,
      type: 'stat',
      thresholds: [{ value: 1, color: 'orange' }],
      exprs: [{ expr: `sum(${METRICS.hikariPending}${scope})` }],
    },
    {
      title: `${prefix}Connection pool`,
      type: 'timeseries',
      exprs: [
        { expr: byPool(METRICS.hikariActive), legend: '{{pool}} active' },
        { expr: byPool(METRICS.hikariIdle), legend: '{{pool}} idle' },
        { expr: byPool(METRICS.hikariPending), legend: '{{pool}} pending' },
        { expr: byPool(METRICS.hikariMax), legend: '{{pool}} max' },
      ],
    },
    {
      title: `${prefix}Connection timeouts`,
      type: 'timeseries',
      unit: 'ops',
      exprs: [{ expr: `sum by (pool) (rate(${METRICS.hikariTimeouts}${scope}[${RATE_WINDOW}]))`, legend: '{{pool}}' }],
    },
  ];
}
