/**
 * Availability alerts for Deployments that expose no metrics of their own, from kube-state-metrics
 * (`kube_deployment_status_replicas_available`), e.g. an error tracker whose web tier and worker
 * serve no Prometheus endpoint.
 */
import { AlertRule } from './alert-rules';
import { checkForDuration } from './rule-checks';
import { checkNamespace, checkNonEmpty, checkObjectName, fail, selector } from './validation';

/** The kube-state-metrics series the rule reads. */
export const DEPLOYMENT_AVAILABLE_METRIC = 'kube_deployment_status_replicas_available';

/** Options for {@link deploymentDownRules}. */
export interface DeploymentDownRulesProps {
  /** Namespace of the Deployments. */
  readonly namespace: string;
  /** Deployments that together make the service: the alert fires for each one with no available pod. */
  readonly deployments: readonly string[];
  /** Alert name, e.g. `ErrorTrackerDown`. */
  readonly alert: string;
  /** What is down, for the summary, e.g. `The error-tracking server`. */
  readonly what: string;
  /** @default '5m' */
  readonly for?: string;
  /** kube-state-metrics scrape job. @default 'kube-state-metrics' */
  readonly kubeStateMetricsJob?: string;
}

/**
 * `<alert>` (critical): a Deployment of the list has had no available replica for `for`, or
 * kube-state-metrics reports nothing for it (deleted, or not scraped). One alert per Deployment,
 * labelled `deployment`.
 */
export function deploymentDownRules(props: DeploymentDownRulesProps): AlertRule[] {
  const where = 'deploymentDownRules';
  const namespace = checkNamespace(where, 'namespace', props.namespace);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(props.alert)) fail(where, 'alert', props.alert, 'an alert name such as ErrorTrackerDown');
  const what = checkNonEmpty(where, 'what', props.what);
  const forDuration = checkForDuration(where, 'for', props.for ?? '5m');
  if (props.deployments.length === 0) fail(where, 'deployments', props.deployments, 'at least one Deployment name');
  const job = props.kubeStateMetricsJob ?? 'kube-state-metrics';
  const terms = props.deployments.map((d, i) => {
    const name = checkObjectName(where, `deployments[${i}]`, d);
    const series = `${DEPLOYMENT_AVAILABLE_METRIC}${selector([
      ['job', '=', job],
      ['namespace', '=', namespace],
      ['deployment', '=', name],
    ])}`;
    return `(max by (namespace, deployment) (${series}) == 0) or absent(${series})`;
  });
  return [
    {
      alert: props.alert,
      expr: terms.join(' or '),
      for: forDuration,
      labels: { severity: 'critical' },
      annotations: {
        summary: `${what} is down`,
        description: `Deployment {{ $labels.deployment }} in namespace {{ $labels.namespace }} has had no available pod for ${forDuration}, or kube-state-metrics reports nothing for it.`,
      },
    },
  ];
}
