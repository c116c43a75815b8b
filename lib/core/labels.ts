/** Recommended `app.kubernetes.io/*` labels shared by every object of a component. */

/** Identity of a component inside a stack. */
export interface ComponentIdentity {
  /** Component name, e.g. `api`, `postgres`. DNS-1123 label. */
  readonly name: string;
  /** The stack (application) the component belongs to, e.g. the namespace name. */
  readonly partOf: string;
  /** Role of the component, e.g. `api`, `database`, `cache`, `backup`. */
  readonly component: string;
  /** Version shown in `app.kubernetes.io/version` (usually the image tag). @default - no version label */
  readonly version?: string;
}

/** The labels used in selectors: stable for the life of the workload (never the version). */
export function selectorLabels(id: Pick<ComponentIdentity, 'name' | 'partOf'>): Record<string, string> {
  return { 'app.kubernetes.io/name': id.name, 'app.kubernetes.io/instance': id.partOf };
}

/** All recommended labels for the objects of a component. */
export function componentLabels(id: ComponentIdentity): Record<string, string> {
  return {
    ...selectorLabels(id),
    'app.kubernetes.io/component': id.component,
    'app.kubernetes.io/part-of': id.partOf,
    'app.kubernetes.io/managed-by': 'cdk8s',
    ...(id.version ? { 'app.kubernetes.io/version': sanitizeLabelValue(id.version) } : {}),
  };
}

/** Makes a string a legal label value (63 chars, alphanumerics, '-', '_', '.', alphanumeric ends). */
export function sanitizeLabelValue(v: string): string {
  const cleaned = v.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 63);
  return cleaned.replace(/^[^A-Za-z0-9]+/, '').replace(/[^A-Za-z0-9]+$/, '');
}

/**
 * Labels for every object of a stack (pass as the Chart's `labels`): the application it is part
 * of and the tool that manages it. Component constructs add name/instance/component on top.
 */
export function stackLabels(partOf: string): Record<string, string> {
  return { 'app.kubernetes.io/part-of': partOf, 'app.kubernetes.io/managed-by': 'cdk8s' };
}
