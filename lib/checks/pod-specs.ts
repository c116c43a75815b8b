import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import { KubeObject, ManifestObject } from './types';

export { matchesLabels, matchesSelector } from '../core/label-selector';

/** A pod template found in a workload. */
export interface PodTemplateRef {
  readonly owner: ManifestObject;
  /** The pod spec (`{}` when the template has none). */
  readonly spec: Partial<IPodSpec>;
  /** Labels of the pods it creates. */
  readonly labels: Readonly<Record<string, string>>;
  /** Annotations of the pods it creates. */
  readonly annotations: Readonly<Record<string, string>>;
  /** JSON path of the pod spec inside the owner, e.g. `spec.template.spec`. */
  readonly path: string;
  /** Pods that are meant to keep running (Deployments, StatefulSets, DaemonSets, ReplicaSets, bare Pods). */
  readonly longRunning: boolean;
}

/** A container of a pod template, with its path. */
export interface ContainerRef {
  readonly container: IContainer;
  readonly path: string;
  /** `containers`, `initContainers` or `ephemeralContainers`. */
  readonly list: 'containers' | 'initContainers' | 'ephemeralContainers';
}

const TEMPLATE_PATHS: Readonly<Record<string, { path: string[]; longRunning: boolean }>> = {
  Deployment: { path: ['spec', 'template'], longRunning: true },
  StatefulSet: { path: ['spec', 'template'], longRunning: true },
  DaemonSet: { path: ['spec', 'template'], longRunning: true },
  ReplicaSet: { path: ['spec', 'template'], longRunning: true },
  Job: { path: ['spec', 'template'], longRunning: false },
  CronJob: { path: ['spec', 'jobTemplate', 'spec', 'template'], longRunning: false },
};

/** The pod template of a workload object, or undefined for other kinds. */
export function podTemplateOf(m: ManifestObject): PodTemplateRef | undefined {
  const o: KubeObject | undefined = m.object;
  if (o?.kind === 'Pod')
    return {
      owner: m,
      spec: (o.spec as IPodSpec | undefined) ?? {},
      labels: o.metadata?.labels ?? {},
      annotations: o.metadata?.annotations ?? {},
      path: 'spec',
      longRunning: true,
    };
  const t = o?.kind === undefined ? undefined : TEMPLATE_PATHS[o.kind];
  if (!t) return undefined;
  // The template sits at a kind-specific path (spec.template, or spec.jobTemplate.spec.template).
  let node: unknown = o;
  for (const p of t.path) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[p] : undefined;
  if (!node || typeof node !== 'object') return undefined;
  const template = node as IPodTemplateSpec;
  return {
    owner: m,
    spec: template.spec ?? {},
    labels: template.metadata?.labels ?? {},
    annotations: template.metadata?.annotations ?? {},
    path: `${t.path.join('.')}.spec`,
    longRunning: t.longRunning,
  };
}

/** Every pod template of a set of objects. */
export function podTemplates(objects: readonly ManifestObject[]): PodTemplateRef[] {
  return objects.map(podTemplateOf).filter((t): t is PodTemplateRef => t !== undefined);
}

/** Every container (regular, init, ephemeral) of a pod template. */
export function containersOf(t: PodTemplateRef): ContainerRef[] {
  const out: ContainerRef[] = [];
  for (const list of ['initContainers', 'containers', 'ephemeralContainers'] as const) {
    const containers: readonly IContainer[] = t.spec[list] ?? [];
    containers.forEach((c, i) => out.push({ container: c, path: `${t.path}.${list}[${i}]`, list }));
  }
  return out;
}
