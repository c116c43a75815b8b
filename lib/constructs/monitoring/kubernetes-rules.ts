/**
 * Pure builders for alerting rules over the Kubernetes metrics kube-prometheus-stack collects by
 * default: cAdvisor (through the kubelet), the kubelet's own volume stats, and kube-state-metrics.
 *
 * How they differ from the chart's default rules (`KubePodCrashLooping`, `CPUThrottlingHigh`,
 * `KubePersistentVolumeFillingUp`, ...): those watch every namespace and go to whatever receiver
 * the cluster's Alertmanager routes them to. These are scoped to ONE namespace, live in the
 * stack's own `PrometheusRule`, and therefore reach the stack's receivers through its
 * `AlertmanagerConfig` (which only matches alerts carrying the stack's namespace). Their
 * thresholds are the stack's (e.g. 10 % free disk instead of the chart's 3 %) and their names
 * carry a mandatory prefix (`<Prefix>ContainerCpuNearLimit`, never a `Kube*` name), so an alert
 * from the stack is never mistaken for the cluster-wide default of the same condition.
 *
 * Selectors match kube-prometheus-stack's scrape jobs: cAdvisor series are
 * `{job="kubelet",metrics_path="/metrics/cadvisor"}`, volume stats
 * `{job="kubelet",metrics_path="/metrics"}`, kube-state-metrics series `{job="kube-state-metrics"}`
 * (the job names can be overridden). Both ServiceMonitors honour the exporters' `namespace`
 * label, so `namespace` is the namespace of the pod / PVC.
 */
import { AlertRule, RATE_WINDOW } from './alert-rules';
import { KubernetesScrapeJobs, kubernetesSelectors } from './kubernetes-selectors';
import { checkForDuration, checkOpenRatio, humanDuration } from './rule-checks';
import { checkAlertPrefix, checkNamespace, checkPositive, fail, num } from './validation';

export type { KubernetesScrapeJobs } from './kubernetes-selectors';

/** Metric names the Kubernetes rules and panels query. */
export const KUBERNETES_METRICS = {
  /** cAdvisor (kubelet `/metrics/cadvisor`). */
  containerCpuUsage: 'container_cpu_usage_seconds_total',
  containerMemoryWorkingSet: 'container_memory_working_set_bytes',
  /** kubelet `/metrics`. */
  volumeAvailable: 'kubelet_volume_stats_available_bytes',
  volumeCapacity: 'kubelet_volume_stats_capacity_bytes',
  /** kube-state-metrics. */
  containerLimits: 'kube_pod_container_resource_limits',
  containerRestarts: 'kube_pod_container_status_restarts_total',
  podReady: 'kube_pod_status_ready',
  podPhase: 'kube_pod_status_phase',
} as const;

// ---------------------------------------------------------------------------
// Container resources (cAdvisor + kube-state-metrics)
// ---------------------------------------------------------------------------

/** Options for {@link resourceUsageRules}. */
export interface ResourceUsageRulesProps extends KubernetesScrapeJobs {
  /** Namespace whose containers are watched. */
  readonly namespace: string;
  /** Prefix of every alert name; must not be empty (see the module comment). */
  readonly alertPrefix: string;
  /**
   * Share of its CPU limit (0 < x < 1) above which a container's CPU usage (5m rate) fires `<Prefix>ContainerCpuNearLimit`.
   * @default 0.9
   */
  readonly cpuRatio?: number;
  /**
   * Share of its memory limit (0 < x < 1) above which a container's working set fires `<Prefix>ContainerMemoryNearLimit`.
   * @default 0.9
   */
  readonly memoryRatio?: number;
  /**
   * Restarts of one container within an hour above which `<Prefix>ContainerRestartingOften` fires.
   * @default 3
   */
  readonly restartsPerHour?: number;
  /**
   * `for` of every alert.
   * @default '15m'
   */
  readonly for?: string;
}

/**
 * Container resource alerts for one namespace (all warning, `for` 15m by default):
 * - `<Prefix>ContainerCpuNearLimit`: CPU usage (5m rate, summed per container) / the container's CPU
 *   limit above `cpuRatio`; the container is being, or is about to be, throttled.
 * - `<Prefix>ContainerMemoryNearLimit`: working set / the container's memory limit above
 *   `memoryRatio`; the container is close to being OOM-killed.
 * - `<Prefix>ContainerRestartingOften`: more than `restartsPerHour` restarts within the last hour.
 *
 * Containers without a limit never fire the two limit alerts: the usage is joined
 * `on (namespace, pod, container)` with their `kube_pod_container_resource_limits` (> 0), which they lack.
 * cAdvisor's pod-level `container=""` series and the pause container are left out by the selector;
 * the remaining series are aggregated per (namespace, pod, container) before the join (CPU: sum of
 * the rates; memory: max), so series that differ only in `image`, `id` or `name` (a restarted
 * container's old cgroup lingers for a few minutes) make one value instead of a matching error.
 */
export function resourceUsageRules(props: ResourceUsageRulesProps): AlertRule[] {
  const where = 'resourceUsageRules';
  const namespace = checkNamespace(where, 'namespace', props.namespace);
  const prefix = checkRequiredPrefix(where, props.alertPrefix);
  const cpuRatio = checkOpenRatio(where, 'cpuRatio', props.cpuRatio ?? 0.9);
  const memoryRatio = checkOpenRatio(where, 'memoryRatio', props.memoryRatio ?? 0.9);
  const restarts = checkPositive(where, 'restartsPerHour', props.restartsPerHour ?? 3, 'restarts');
  const forDuration = checkForDuration(where, 'for', props.for ?? '15m');
  const sel = kubernetesSelectors(where, namespace, props);
  const M = KUBERNETES_METRICS;
  const key = '(namespace, pod, container)';
  const limit = (resource: string) => `(max by ${key} (${M.containerLimits}${sel.ksm([['resource', '=', resource]])}) > 0)`;
  const lasting = humanDuration(forDuration);

  return [
    {
      alert: `${prefix}ContainerCpuNearLimit`,
      expr: `sum by ${key} (rate(${M.containerCpuUsage}${sel.containers()}[${RATE_WINDOW}])) / on ${key} ${limit('cpu')} > ${num(cpuRatio)}`,
      for: forDuration,
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Container CPU usage near its limit',
        description: `Container {{ $labels.container }} of pod {{ $labels.pod }} in namespace {{ $labels.namespace }} has used more than ${num(cpuRatio * 100)}% of its CPU limit for ${lasting}; it is throttled whenever it bursts to the limit.`,
      },
    },
    {
      alert: `${prefix}ContainerMemoryNearLimit`,
      expr: `max by ${key} (${M.containerMemoryWorkingSet}${sel.containers()}) / on ${key} ${limit('memory')} > ${num(memoryRatio)}`,
      for: forDuration,
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Container memory near its limit',
        description: `The working set of container {{ $labels.container }} of pod {{ $labels.pod }} in namespace {{ $labels.namespace }} has been above ${num(memoryRatio * 100)}% of its memory limit for ${lasting}; it will be OOM-killed when it reaches the limit.`,
      },
    },
    {
      alert: `${prefix}ContainerRestartingOften`,
      expr: `max by ${key} (increase(${M.containerRestarts}${sel.ksm()}[1h])) > ${num(restarts)}`,
      for: forDuration,
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Container restarting often',
        description: `Container {{ $labels.container }} of pod {{ $labels.pod }} in namespace {{ $labels.namespace }} has restarted more than ${num(restarts)} times within an hour.`,
      },
    },
  ];
}

// ---------------------------------------------------------------------------
// Persistent volumes (kubelet volume stats)
// ---------------------------------------------------------------------------

/** Options for {@link volumeSpaceRules}. */
export interface VolumeSpaceRulesProps extends Pick<KubernetesScrapeJobs, 'kubeletJob'> {
  /** Namespace whose PersistentVolumeClaims are watched. */
  readonly namespace: string;
  /** Prefix of every alert name; must not be empty (see the module comment). */
  readonly alertPrefix: string;
  /**
   * Free share (0 < x < 1) below which `<Prefix>VolumeSpaceLow` (warning) fires.
   * @default 0.1
   */
  readonly freeRatio?: number;
  /**
   * Free share below which `<Prefix>VolumeSpaceCritical` (critical) fires; must be below `freeRatio`.
   * @default 0.05
   */
  readonly criticalFreeRatio?: number;
  /**
   * `for` of the two free-space alerts.
   * @default '5m'
   */
  readonly for?: string;
  /**
   * Hours ahead for which `<Prefix>VolumeFillingUp` extrapolates the last 6 hours of free space.
   * @default 24
   */
  readonly fillHorizonHours?: number;
  /**
   * `for` of `<Prefix>VolumeFillingUp`; long, because a linear fit over 6 hours swings with every burst of writes.
   * @default '1h'
   */
  readonly fillFor?: string;
}

/**
 * Free-space alerts for the PersistentVolumeClaims of one namespace, from the kubelet's volume
 * stats (only mounted volumes report them; a claim mounted on several nodes counts by its
 * fullest report):
 * - `<Prefix>VolumeSpaceLow` (warning, 5m): less than `freeRatio` (10 %) free.
 * - `<Prefix>VolumeSpaceCritical` (critical, 5m): less than `criticalFreeRatio` (5 %) free. 5 % rather
 *   than the chart's 3 %: Elasticsearch turns its indices read-only at its 95 % flood-stage
 *   watermark, and databases need headroom to checkpoint and compact, so at 5 % the store is
 *   already failing or about to. Below 5 % both alerts fire (different names: the warning is
 *   not inhibited), the critical one going to the critical receiver.
 * - `<Prefix>VolumeFillingUp` (warning, 1h): free bytes, extrapolated linearly from the last 6 hours,
 *   reach 0 within `fillHorizonHours` (24).
 * Claims reporting a capacity of 0 are ignored.
 */
export function volumeSpaceRules(props: VolumeSpaceRulesProps): AlertRule[] {
  const where = 'volumeSpaceRules';
  const namespace = checkNamespace(where, 'namespace', props.namespace);
  const prefix = checkRequiredPrefix(where, props.alertPrefix);
  const freeRatio = checkOpenRatio(where, 'freeRatio', props.freeRatio ?? 0.1);
  const criticalRatio = checkOpenRatio(where, 'criticalFreeRatio', props.criticalFreeRatio ?? 0.05);
  if (criticalRatio >= freeRatio) {
    fail(where, 'criticalFreeRatio', criticalRatio, `below freeRatio (${num(freeRatio)})`);
  }
  const forDuration = checkForDuration(where, 'for', props.for ?? '5m');
  const horizonHours = checkPositive(where, 'fillHorizonHours', props.fillHorizonHours ?? 24, 'hours');
  const fillFor = checkForDuration(where, 'fillFor', props.fillFor ?? '1h');
  const vol = kubernetesSelectors(where, namespace, props).kubelet();
  const M = KUBERNETES_METRICS;
  const key = '(namespace, persistentvolumeclaim)';
  const free = `min by ${key} (${M.volumeAvailable}${vol} / (${M.volumeCapacity}${vol} > 0))`;
  const claim = 'PersistentVolumeClaim {{ $labels.persistentvolumeclaim }} in namespace {{ $labels.namespace }}';

  return [
    {
      alert: `${prefix}VolumeSpaceLow`,
      expr: `${free} < ${num(freeRatio)}`,
      for: forDuration,
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Persistent volume running out of space',
        description: `${claim} has had less than ${num(freeRatio * 100)}% free space for ${humanDuration(forDuration)}.`,
      },
    },
    {
      alert: `${prefix}VolumeSpaceCritical`,
      expr: `${free} < ${num(criticalRatio)}`,
      for: forDuration,
      labels: { severity: 'critical' },
      annotations: {
        summary: 'Persistent volume almost full',
        description: `${claim} has had less than ${num(criticalRatio * 100)}% free space for ${humanDuration(forDuration)}; writes will fail when it is full.`,
      },
    },
    {
      alert: `${prefix}VolumeFillingUp`,
      expr: `min by ${key} (predict_linear(${M.volumeAvailable}${vol}[6h], ${num(horizonHours * 3600)})) < 0`,
      for: fillFor,
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Persistent volume filling up',
        description: `${claim} will be full within ${num(horizonHours)}h at the rate it has been filling over the last 6 hours.`,
      },
    },
  ];
}

/** Like `checkAlertPrefix`, but `''` is refused: unprefixed names would read like the chart's cluster-wide rules. */
function checkRequiredPrefix(where: string, value: unknown): string {
  const prefix = checkAlertPrefix(where, value);
  if (prefix === '') {
    fail(
      where,
      'alertPrefix',
      prefix,
      'a non-empty identifier (e.g. "Shop"), so the alerts are told apart from the cluster-wide Kube* rules',
    );
  }
  return prefix;
}
