import type { IHorizontalPodAutoscalerSpec } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscalerSpec';
import { ClusterResourceKind } from './platform-release';

/** The parts of a rendered Kubernetes object this module reads; `spec` is read per kind. */
export interface RenderedObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: { readonly name?: string; readonly namespace?: string; readonly annotations?: Readonly<Record<string, string>> };
  readonly spec?: unknown;
}

/** A workload whose replica count an HorizontalPodAutoscaler owns. */
export interface HpaManagedWorkload {
  /** API group of the workload (`apps`). */
  readonly group: string;
  readonly kind: 'Deployment' | 'StatefulSet';
  readonly name: string;
  readonly namespace: string;
}

/**
 * Built-in kinds that are cluster-scoped. Custom kinds are recognised by having no namespace
 * (the project's schema check rejects a namespaced custom resource without one).
 */
const CLUSTER_SCOPED_BUILTINS: ReadonlyArray<readonly [string, string]> = [
  ['', 'Namespace'],
  ['', 'Node'],
  ['', 'PersistentVolume'],
  ['rbac.authorization.k8s.io', 'ClusterRole'],
  ['rbac.authorization.k8s.io', 'ClusterRoleBinding'],
  ['apiextensions.k8s.io', 'CustomResourceDefinition'],
  ['apiregistration.k8s.io', 'APIService'],
  ['admissionregistration.k8s.io', 'ValidatingWebhookConfiguration'],
  ['admissionregistration.k8s.io', 'MutatingWebhookConfiguration'],
  ['admissionregistration.k8s.io', 'ValidatingAdmissionPolicy'],
  ['admissionregistration.k8s.io', 'ValidatingAdmissionPolicyBinding'],
  ['storage.k8s.io', 'StorageClass'],
  ['storage.k8s.io', 'CSIDriver'],
  ['storage.k8s.io', 'VolumeAttachment'],
  ['scheduling.k8s.io', 'PriorityClass'],
  ['networking.k8s.io', 'IngressClass'],
  ['node.k8s.io', 'RuntimeClass'],
  ['flowcontrol.apiserver.k8s.io', 'FlowSchema'],
  ['flowcontrol.apiserver.k8s.io', 'PriorityLevelConfiguration'],
];

/** API group of an apiVersion (`''` for `v1`). */
export function groupOf(apiVersion: string | undefined): string {
  return apiVersion && apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
}

/** True when the object is cluster-scoped. */
export function isClusterScoped(o: RenderedObject): boolean {
  const group = groupOf(o.apiVersion);
  if (CLUSTER_SCOPED_BUILTINS.some(([g, k]) => g === group && k === o.kind)) return true;
  return !o.metadata?.namespace;
}

/** The namespaces a set of objects lives in or creates (Namespace objects count by name), sorted. */
export function namespacesOf(objects: readonly RenderedObject[]): string[] {
  const out = new Set<string>();
  for (const o of objects) {
    if (o.kind === 'Namespace' && groupOf(o.apiVersion) === '' && o.metadata?.name) out.add(o.metadata.name);
    else if (!isClusterScoped(o) && o.metadata?.namespace) out.add(o.metadata.namespace);
  }
  return [...out].sort();
}

/**
 * The namespace an Application of these objects targets: the one its Namespace object creates;
 * when it creates several (a stack with a node agent in a namespace of its own Pod Security level),
 * the created one most objects live in; else the one most objects live in.
 * @throws when several created namespaces hold equally many objects, or none is found
 */
export function primaryNamespaceOf(objects: readonly RenderedObject[], what: string): string {
  const created = objects
    .filter((o) => o.kind === 'Namespace' && groupOf(o.apiVersion) === '')
    .map((o) => o.metadata?.name)
    .filter((n): n is string => !!n);
  if (created.length === 1) return created[0];
  const counts = new Map<string, number>();
  for (const o of objects)
    if (!isClusterScoped(o) && o.metadata?.namespace) counts.set(o.metadata.namespace, (counts.get(o.metadata.namespace) ?? 0) + 1);
  if (created.length > 1) {
    const ranked = created.map((n) => [n, counts.get(n) ?? 0] as const).sort((a, b) => b[1] - a[1]);
    if (ranked[0][1] === ranked[1][1])
      throw new Error(
        `${what}: creates namespaces ${created.map((n) => `'${n}'`).join(', ')} with ${ranked[0][1]} objects each in the largest; expected one namespace holding most of the objects (the Application's destination) or one Application per namespace`,
      );
    return ranked[0][0];
  }
  const best = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0];
  if (!best) throw new Error(`${what}: has no namespaced object and no Namespace; expected objects in at least one namespace`);
  return best[0];
}

/** The cluster-scoped kinds among the objects, sorted by group then kind. */
export function clusterKindsOf(objects: readonly RenderedObject[]): ClusterResourceKind[] {
  const out = new Map<string, ClusterResourceKind>();
  for (const o of objects) {
    if (!o.kind || !isClusterScoped(o)) continue;
    const group = groupOf(o.apiVersion);
    out.set(`${group}/${o.kind}`, { group, kind: o.kind });
  }
  return sortKinds([...out.values()]);
}

/** Sorts and de-duplicates group/kind pairs. */
export function sortKinds(kinds: readonly ClusterResourceKind[]): ClusterResourceKind[] {
  const unique = new Map(kinds.map((k) => [`${k.group}/${k.kind}`, k]));
  return [...unique.values()].sort((a, b) => a.group.localeCompare(b.group) || a.kind.localeCompare(b.kind));
}

/**
 * Deployments and StatefulSets whose replica count an HPA of the same objects owns, sorted. An
 * HPA whose target is not among the objects is ignored (nothing of ours to ignore).
 */
export function hpaManagedWorkloads(objects: readonly RenderedObject[]): HpaManagedWorkload[] {
  const out: HpaManagedWorkload[] = [];
  for (const hpa of objects) {
    if (hpa.kind !== 'HorizontalPodAutoscaler' || groupOf(hpa.apiVersion) !== 'autoscaling') continue;
    const ref = (hpa.spec as IHorizontalPodAutoscalerSpec | undefined)?.scaleTargetRef;
    const namespace = hpa.metadata?.namespace;
    if (!ref || (ref.kind !== 'Deployment' && ref.kind !== 'StatefulSet') || groupOf(ref.apiVersion) !== 'apps' || !namespace) continue;
    const target = objects.find(
      (o) =>
        o.kind === ref.kind && groupOf(o.apiVersion) === 'apps' && o.metadata?.name === ref.name && o.metadata?.namespace === namespace,
    );
    if (!target) continue;
    if (!out.some((w) => w.kind === ref.kind && w.name === ref.name && w.namespace === namespace)) {
      out.push({ group: 'apps', kind: ref.kind, name: ref.name, namespace });
    }
  }
  return out.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
}
