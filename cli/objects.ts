/**
 * Kubernetes objects as plain JSON, and the small vocabulary the CLI uses to talk about them.
 * No dependency on @kubernetes/client-node: everything here works on what YAML.parse or the API
 * server's JSON gives. Kind-specific fields are read through kubernetes-models' interfaces
 * (JSON-shaped: timestamps are strings), with {@link asKind}.
 */

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  generation?: number;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }>;
  [key: string]: unknown;
}

/** Any Kubernetes object. `spec`/`status` are unknown here: readers see them through {@link asKind}. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: unknown;
  status?: unknown;
  [key: string]: unknown;
}

/** A {@link KubeObject} with the fields of a kubernetes-models kind (`IDeployment`, `IPod`...). */
export type KubeObjectAs<T> = KubeObject & Omit<T, 'apiVersion' | 'kind' | 'metadata'>;

/**
 * Reads an object as a kubernetes-models kind. Unchecked: call it once apiVersion/kind say what
 * the object is (what the API server returns for a kind has that kind's shape).
 */
export function asKind<T>(obj: KubeObject): KubeObjectAs<T> {
  return obj as KubeObjectAs<T>;
}

/** `value[key]` when `value` is an object, else undefined: one step into untyped JSON. */
export function fieldOf(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
}

/** What identifies one object on a cluster. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** API groups served by Kubernetes itself (anything else comes from a CRD or an aggregated API). */
export const BUILT_IN_GROUPS: ReadonlySet<string> = new Set([
  '',
  'apps',
  'batch',
  'autoscaling',
  'policy',
  'networking.k8s.io',
  'rbac.authorization.k8s.io',
  'storage.k8s.io',
  'apiextensions.k8s.io',
  'scheduling.k8s.io',
  'admissionregistration.k8s.io',
  'apiregistration.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
  'node.k8s.io',
  'certificates.k8s.io',
  'events.k8s.io',
  'flowcontrol.apiserver.k8s.io',
  'resource.k8s.io',
]);

/** Built-in kinds that are cluster-scoped (`metadata.namespace` is meaningless on them). */
export const CLUSTER_SCOPED_BUILT_INS: ReadonlySet<string> = new Set([
  'Namespace',
  'Node',
  'PersistentVolume',
  'StorageClass',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PriorityClass',
  'IngressClass',
  'RuntimeClass',
  'CSIDriver',
  'CSINode',
  'VolumeAttachment',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'APIService',
  'CertificateSigningRequest',
  'FlowSchema',
  'PriorityLevelConfiguration',
]);

/** `apps/v1` -> `apps`, `v1` -> `` (the core group). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** `apps/v1` -> `v1`. */
export function versionOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
}

export function isBuiltInGroup(apiVersion: string): boolean {
  return BUILT_IN_GROUPS.has(groupOf(apiVersion));
}

/** True for built-in kinds known to be cluster-scoped. Custom kinds need discovery to know. */
export function isKnownClusterScoped(apiVersion: string, kind: string): boolean {
  return isBuiltInGroup(apiVersion) && CLUSTER_SCOPED_BUILT_INS.has(kind);
}

/** The namespace an object lives in, or undefined when cluster-scoped (or not set). */
export function namespaceOf(obj: KubeObject | ObjectRef): string | undefined {
  const ns = 'metadata' in obj ? obj.metadata?.namespace : obj.namespace;
  if (!ns) return undefined;
  return isKnownClusterScoped(obj.apiVersion, obj.kind) ? undefined : ns;
}

export function refOf(obj: KubeObject): ObjectRef {
  const namespace = namespaceOf(obj);
  return { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name, ...(namespace ? { namespace } : {}) };
}

/** Identity of an object regardless of API version: `apps/Deployment/wondernest/api`. */
export function keyOf(obj: KubeObject | ObjectRef): string {
  const name = 'metadata' in obj ? obj.metadata.name : obj.name;
  return `${groupOf(obj.apiVersion)}/${obj.kind}/${namespaceOf(obj) ?? ''}/${name}`;
}

/** `Deployment wondernest/api`, `ClusterIssuer local-ca`. */
export function describeObject(obj: KubeObject | ObjectRef): string {
  const name = 'metadata' in obj ? obj.metadata.name : obj.name;
  const ns = namespaceOf(obj);
  return `${obj.kind} ${ns ? `${ns}/` : ''}${name}`;
}

/** `apps/v1 Deployment wondernest/api`. */
export function describeWithVersion(obj: KubeObject | ObjectRef): string {
  return `${obj.apiVersion} ${describeObject(obj)}`;
}

/** A `status.conditions[]` entry. */
export interface Condition {
  type: string;
  /** `True`, `False` or `Unknown`. */
  status: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}

export function conditionOf(obj: KubeObject | undefined, type: string): Condition | undefined {
  const conditions = fieldOf(obj?.status, 'conditions');
  if (!Array.isArray(conditions)) return undefined;
  return conditions.find((c): c is Condition => !!c && typeof c === 'object' && (c as Condition).type === type);
}

/** Checks that a parsed YAML document is shaped like a Kubernetes object; returns the problem or undefined. */
export function objectShapeProblem(doc: unknown): string | undefined {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return 'is not a mapping';
  const o = doc as Record<string, unknown>;
  if (typeof o.apiVersion !== 'string' || !o.apiVersion) return 'has no apiVersion';
  if (typeof o.kind !== 'string' || !o.kind) return 'has no kind';
  const meta = o.metadata as Record<string, unknown> | undefined;
  if (!meta || typeof meta !== 'object') return 'has no metadata';
  if (typeof meta.name !== 'string' || !meta.name) return 'has no metadata.name (generateName is not supported by apply)';
  return undefined;
}
