/** Label selectors (`spec.selector` of workloads): matching labels, and the query-string form. */
import type { IDeploymentSpec } from 'kubernetes-models/apps/v1/DeploymentSpec';

/** A LabelSelector (matchLabels, matchExpressions), as kubernetes-models types it. */
export type LabelSelector = IDeploymentSpec['selector'];
/** One `matchExpressions` entry; operator `In`, `NotIn`, `Exists` or `DoesNotExist`. */
export type LabelSelectorRequirement = NonNullable<LabelSelector['matchExpressions']>[number];

/** True when `labels` satisfy `selector`. An empty selector matches everything; an absent one, nothing. */
export function matchesSelector(labels: Record<string, string> | undefined, selector: LabelSelector | undefined): boolean {
  if (!selector) return false;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (l[k] !== v) return false;
  }
  for (const req of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, req.key);
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
        if (!has || !values.includes(l[req.key])) return false;
        break;
      case 'NotIn':
        if (has && values.includes(l[req.key])) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        throw new Error(`unsupported label selector operator '${req.operator}' (allowed: In, NotIn, Exists, DoesNotExist)`);
    }
  }
  return true;
}

/** The `labelSelector=` query form: `app=api,tier in (web,api),!legacy`. */
export function selectorToString(selector: LabelSelector): string {
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const req of selector.matchExpressions ?? []) {
    const values = (req.values ?? []).join(',');
    switch (req.operator) {
      case 'In':
        parts.push(`${req.key} in (${values})`);
        break;
      case 'NotIn':
        parts.push(`${req.key} notin (${values})`);
        break;
      case 'Exists':
        parts.push(req.key);
        break;
      case 'DoesNotExist':
        parts.push(`!${req.key}`);
        break;
      default:
        throw new Error(`unsupported label selector operator '${req.operator}' (allowed: In, NotIn, Exists, DoesNotExist)`);
    }
  }
  return parts.join(',');
}
