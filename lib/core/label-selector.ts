/** Kubernetes label selectors (workloads' `spec.selector`, NetworkPolicy peers, PDBs): one matcher for the checks and the CLI. */
import type { IDeploymentSpec } from 'kubernetes-models/apps/v1/DeploymentSpec';

/** A LabelSelector (matchLabels, matchExpressions), as kubernetes-models types it. */
export type LabelSelector = IDeploymentSpec['selector'];

/** True when every label of `selector` is present with the same value in `labels`. */
export function matchesLabels(selector: Readonly<Record<string, string>> | undefined, labels: Readonly<Record<string, string>>): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}

/**
 * Evaluates a LabelSelector against labels, as the API server does: an empty selector matches
 * everything, an absent one nothing. An operator other than `In`, `NotIn`, `Exists` and
 * `DoesNotExist` matches nothing (the API server refuses such a selector; the schema check
 * reports it), so a bad selector never widens what a policy or a check lets through.
 */
export function matchesSelector(selector: LabelSelector | undefined, labels: Readonly<Record<string, string>> | undefined): boolean {
  if (!selector) return false;
  const l = labels ?? {};
  if (!matchesLabels(selector.matchLabels, l)) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, e.key);
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!has || !values.includes(l[e.key])) return false;
        break;
      case 'NotIn':
        if (has && values.includes(l[e.key])) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}
