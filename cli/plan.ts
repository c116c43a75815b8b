/**
 * Orders objects into deploy stages. Each stage is applied, then waited on until ready, before
 * the next one starts:
 *
 *   crds -> namespaces -> config (RBAC, config, secrets, issuers, policies, services)
 *        -> stores (volumes, StatefulSets) -> jobs -> apps (Deployments, ingress, monitoring)
 *        -> cronjobs
 *
 * Inside a stage, objects are ordered by a rank (ServiceAccounts before RoleBindings, Secret
 * generators before SecretStores before ExternalSecrets, issuers before Certificates...), then
 * by their position in the manifests.
 */
import { ManifestObject } from './manifests';
import type { ICustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition';
import { asKind, describeObject, groupOf, keyOf, namespaceOf } from './objects';

export const STAGE_NAMES = ['crds', 'namespaces', 'config', 'stores', 'jobs', 'apps', 'cronjobs'] as const;
export type StageName = (typeof STAGE_NAMES)[number];

export const STAGE_TITLES: Record<StageName, string> = {
  crds: 'custom resource definitions',
  namespaces: 'namespaces',
  config: 'RBAC, config, secrets, issuers, policies, services',
  stores: 'volumes and stateful stores',
  jobs: 'one-off jobs',
  apps: 'applications, ingress, monitoring',
  cronjobs: 'scheduled jobs',
};

export interface Stage {
  name: StageName;
  title: string;
  items: ManifestObject[];
}

export interface Plan {
  stages: Stage[];
  /** Every object, in deploy order. */
  items: ManifestObject[];
  /** `group/Kind` of every kind a CustomResourceDefinition of the plan defines. */
  definedKinds: Set<string>;
  /** Namespaces created by the plan's Namespace objects. */
  namespaces: Set<string>;
}

interface Placement {
  stage: StageName;
  rank: number;
}

/** Placement by `group/Kind` (`/Kind` for the core group). */
const PLACEMENTS: Record<string, Placement> = {};
function place(stage: StageName, rank: number, ...keys: string[]): void {
  for (const key of keys) PLACEMENTS[key] = { stage, rank };
}

place('crds', 0, 'apiextensions.k8s.io/CustomResourceDefinition');
place('namespaces', 0, '/Namespace');

place(
  'config',
  0,
  'scheduling.k8s.io/PriorityClass',
  'storage.k8s.io/StorageClass',
  'networking.k8s.io/IngressClass',
  'node.k8s.io/RuntimeClass',
);
place('config', 1, '/ServiceAccount', 'rbac.authorization.k8s.io/ClusterRole', 'rbac.authorization.k8s.io/Role');
place('config', 2, 'rbac.authorization.k8s.io/ClusterRoleBinding', 'rbac.authorization.k8s.io/RoleBinding');
place('config', 3, '/ResourceQuota', '/LimitRange');
place('config', 4, '/ConfigMap', '/Secret');
// External Secrets: generators, then stores, then the ExternalSecrets that read them.
place('config', 6, 'external-secrets.io/SecretStore', 'external-secrets.io/ClusterSecretStore');
place('config', 7, 'external-secrets.io/ExternalSecret', 'external-secrets.io/ClusterExternalSecret', 'external-secrets.io/PushSecret');
// cert-manager: issuers, then certificates.
place('config', 8, 'cert-manager.io/ClusterIssuer', 'cert-manager.io/Issuer');
place('config', 9, 'cert-manager.io/Certificate');
place('config', 10, 'networking.k8s.io/NetworkPolicy');
place('config', 11, '/Service', '/Endpoints', 'discovery.k8s.io/EndpointSlice');
place(
  'config',
  12,
  'traefik.io/Middleware',
  'traefik.io/MiddlewareTCP',
  'traefik.io/TLSOption',
  'traefik.io/TLSStore',
  'traefik.io/ServersTransport',
  'traefik.containo.us/Middleware',
  'traefik.containo.us/TLSOption',
);

place('stores', 0, '/PersistentVolume');
place('stores', 1, '/PersistentVolumeClaim');
place('stores', 2, 'apps/StatefulSet');

place('jobs', 0, 'batch/Job');

place('apps', 0, 'apps/Deployment', 'apps/DaemonSet', 'apps/ReplicaSet', '/ReplicationController', '/Pod');
place('apps', 1, 'autoscaling/HorizontalPodAutoscaler', 'policy/PodDisruptionBudget');
place(
  'apps',
  2,
  'networking.k8s.io/Ingress',
  'traefik.io/IngressRoute',
  'traefik.io/IngressRouteTCP',
  'traefik.io/IngressRouteUDP',
  'traefik.containo.us/IngressRoute',
);
place(
  'apps',
  3,
  'monitoring.coreos.com/ServiceMonitor',
  'monitoring.coreos.com/PodMonitor',
  'monitoring.coreos.com/PrometheusRule',
  'monitoring.coreos.com/Probe',
  'monitoring.coreos.com/AlertmanagerConfig',
);
// Webhooks and aggregated APIs point at a workload: register them once it runs.
place(
  'apps',
  5,
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'apiregistration.k8s.io/APIService',
);

place('cronjobs', 0, 'batch/CronJob');

/** Unknown kinds (other custom resources) go with the apps, after the known ones. */
const DEFAULT_PLACEMENT: Placement = { stage: 'apps', rank: 4 };

/** Where an object of this apiVersion/kind is deployed. */
export function placementOf(apiVersion: string, kind: string): Placement {
  const group = groupOf(apiVersion);
  const known = PLACEMENTS[`${group}/${kind}`];
  if (known) return known;
  if (group === 'generators.external-secrets.io') return { stage: 'config', rank: 5 };
  return DEFAULT_PLACEMENT;
}

/** `group/Kind` keys of the kinds a CRD object defines. */
function crdKind(item: ManifestObject): string | undefined {
  const spec = asKind<ICustomResourceDefinition>(item.object).spec;
  if (!spec?.group || !spec?.names?.kind) return undefined;
  return `${spec.group}/${spec.names.kind}`;
}

/**
 * Sorts objects into stages.
 * @throws Error on an object listed twice (same kind, namespace and name), naming both files
 */
export function planDeployment(items: readonly ManifestObject[]): Plan {
  const seen = new Map<string, ManifestObject>();
  for (const item of items) {
    const key = keyOf(item.object);
    const previous = seen.get(key);
    if (previous) {
      throw new Error(
        `${describeObject(item.object)} is defined twice: ${previous.file} (document ${previous.index + 1}) and ${item.file} (document ${item.index + 1})`,
      );
    }
    seen.set(key, item);
  }

  const positioned = items.map((item, position) => ({ item, position, placement: placementOf(item.object.apiVersion, item.object.kind) }));
  const stages: Stage[] = STAGE_NAMES.map((name) => ({
    name,
    title: STAGE_TITLES[name],
    items: positioned
      .filter((p) => p.placement.stage === name)
      .sort((a, b) => a.placement.rank - b.placement.rank || a.position - b.position)
      .map((p) => p.item),
  }));

  const definedKinds = new Set<string>();
  for (const item of items) {
    if (item.object.kind === 'CustomResourceDefinition' && groupOf(item.object.apiVersion) === 'apiextensions.k8s.io') {
      const k = crdKind(item);
      if (k) definedKinds.add(k);
    }
  }
  const namespaces = new Set(
    items.filter((i) => i.object.kind === 'Namespace' && groupOf(i.object.apiVersion) === '').map((i) => i.object.metadata.name),
  );
  return { stages, items: stages.flatMap((s) => s.items), definedKinds, namespaces };
}

/** `group/Kind` of an object, the key used by {@link Plan.definedKinds}. */
export function kindKey(apiVersion: string, kind: string): string {
  return `${groupOf(apiVersion)}/${kind}`;
}

/** Namespaces the plan's namespaced objects live in (cluster-scoped built-ins excluded). */
export function referencedNamespaces(plan: Plan): Set<string> {
  const out = new Set<string>();
  for (const item of plan.items) {
    const ns = namespaceOf(item.object);
    if (ns) out.add(ns);
  }
  return out;
}
