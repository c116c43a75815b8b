/**
 * Label matchers for the Kubernetes metrics of kube-prometheus-stack, shared by
 * `kubernetes-rules.ts` and `kubernetes-panels.ts`. Internal: not exported from the package index.
 */
import { checkSelectorValue, selector } from './validation';

/** Scrape jobs of kube-prometheus-stack's kubelet and kube-state-metrics ServiceMonitors. */
export interface KubernetesScrapeJobs {
  /**
   * `job` of the kubelet's cAdvisor (`/metrics/cadvisor`) and `/metrics` endpoints.
   * @default 'kubelet'
   */
  readonly kubeletJob?: string;
  /**
   * `job` of kube-state-metrics.
   * @default 'kube-state-metrics'
   */
  readonly kubeStateMetricsJob?: string;
}

type Matcher = readonly [string, '=' | '!=' | '=~' | '!~', string];

/** Selector builders for one namespace (or the `$namespace` dashboard variable), validating the job names. */
export function kubernetesSelectors(where: string, namespace: string, jobs: KubernetesScrapeJobs) {
  const kubelet = checkSelectorValue(where, 'kubeletJob', jobs.kubeletJob ?? 'kubelet');
  const ksm = checkSelectorValue(where, 'kubeStateMetricsJob', jobs.kubeStateMetricsJob ?? 'kube-state-metrics');
  const ns: Matcher = ['namespace', '=', namespace];
  return {
    /**
     * cAdvisor series of real containers. `container=""` is the pod's cgroup (the sum of its
     * containers, plus the sandbox under containerd) and `container="POD"` the pause container
     * under dockershim: both would double count, and neither has a limit of its own.
     */
    containers: () =>
      selector([
        ['job', '=', kubelet],
        ['metrics_path', '=', '/metrics/cadvisor'],
        ns,
        ['container', '!=', ''],
        ['container', '!=', 'POD'],
      ]),
    /** The kubelet's own `/metrics` (volume stats). */
    kubelet: () => selector([['job', '=', kubelet], ['metrics_path', '=', '/metrics'], ns]),
    /** kube-state-metrics. */
    ksm: (extra: Matcher[] = []) => selector([['job', '=', ksm], ns, ...extra]),
  };
}
