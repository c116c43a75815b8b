import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { kind as kindFormat } from '../../core/formats';

/**
 * Argo CD sync waves. Argo CD applies lower waves first and waits until every object of a wave
 * is healthy before starting the next one, so waves encode dependency order:
 *
 * - in the App of Apps (one Application per wave): CRDs and operators (-10..-5), cluster
 *   configuration such as ClusterIssuers and StorageClasses (-8, between the operators that
 *   provide CRDs and those that claim storage), stacks (0);
 * - inside a stack's chart ({@link syncWaveForKind}): namespace, then identities and policies,
 *   then secret sources, then secrets and configuration, then services, then data stores, then
 *   the applications and their jobs.
 */
export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';

/** Waves of the App of Apps' child Applications. */
export const APP_WAVES = {
  /** The AppProject: before any Application that references it. */
  project: -20,
  /** First wave of platform operators (CRDs and controllers). */
  operatorsFirst: -10,
  /** Last wave of platform operators. */
  operatorsLast: -5,
  /**
   * Cluster configuration (ClusterIssuers, StorageClasses): right after cert-manager and
   * external-secrets, so that charts which claim storage (kube-prometheus-stack) find their
   * StorageClass. No platform chart may use this wave.
   */
  clusterConfig: -8,
  /** The stacks. */
  stacks: 0,
} as const;

/** Waves of the objects inside a stack, lowest first. */
export const OBJECT_WAVES = {
  /** Namespaces (and other cluster-scoped prerequisites such as StorageClasses). */
  namespace: -4,
  /** Identities and policies: ServiceAccounts, RBAC, NetworkPolicies (before any pod runs), quotas. */
  identity: -3,
  /** Where secrets come from: SecretStores, External Secrets generators, issuers. */
  secretSources: -2,
  /** Secrets and configuration: ExternalSecrets, Secrets, ConfigMaps, PVCs, Certificates. */
  config: -1,
  /** Routing and monitoring definitions: Services, Middlewares, ServiceMonitors, rules. */
  services: 0,
  /** Data stores: StatefulSets. */
  stores: 1,
  /** Applications and what acts on them: Deployments, HPAs, PDBs, Ingresses, Jobs, CronJobs. */
  apps: 2,
} as const;

const BY_KIND: Readonly<Record<string, number>> = {
  Namespace: OBJECT_WAVES.namespace,
  StorageClass: OBJECT_WAVES.namespace,
  PriorityClass: OBJECT_WAVES.namespace,
  IngressClass: OBJECT_WAVES.namespace,
  CustomResourceDefinition: OBJECT_WAVES.namespace,

  ServiceAccount: OBJECT_WAVES.identity,
  Role: OBJECT_WAVES.identity,
  RoleBinding: OBJECT_WAVES.identity,
  ClusterRole: OBJECT_WAVES.identity,
  ClusterRoleBinding: OBJECT_WAVES.identity,
  NetworkPolicy: OBJECT_WAVES.identity,
  ResourceQuota: OBJECT_WAVES.identity,
  LimitRange: OBJECT_WAVES.identity,

  SecretStore: OBJECT_WAVES.secretSources,
  ClusterSecretStore: OBJECT_WAVES.secretSources,
  Issuer: OBJECT_WAVES.secretSources,
  ClusterIssuer: OBJECT_WAVES.secretSources,

  ExternalSecret: OBJECT_WAVES.config,
  Secret: OBJECT_WAVES.config,
  ConfigMap: OBJECT_WAVES.config,
  PersistentVolumeClaim: OBJECT_WAVES.config,
  Certificate: OBJECT_WAVES.config,

  Service: OBJECT_WAVES.services,
  Middleware: OBJECT_WAVES.services,
  MiddlewareTCP: OBJECT_WAVES.services,
  ServersTransport: OBJECT_WAVES.services,
  TLSOption: OBJECT_WAVES.services,
  ServiceMonitor: OBJECT_WAVES.services,
  PodMonitor: OBJECT_WAVES.services,
  PrometheusRule: OBJECT_WAVES.services,
  AlertmanagerConfig: OBJECT_WAVES.services,

  StatefulSet: OBJECT_WAVES.stores,

  Deployment: OBJECT_WAVES.apps,
  DaemonSet: OBJECT_WAVES.apps,
  HorizontalPodAutoscaler: OBJECT_WAVES.apps,
  PodDisruptionBudget: OBJECT_WAVES.apps,
  Ingress: OBJECT_WAVES.apps,
  IngressRoute: OBJECT_WAVES.apps,
  Job: OBJECT_WAVES.apps,
  CronJob: OBJECT_WAVES.apps,
};

/** API group of the External Secrets generators (Password, UUID, ...): secret sources. */
const GENERATOR_GROUP = 'generators.external-secrets.io';

/**
 * The sync wave of an object of the given kind inside a stack (see {@link OBJECT_WAVES}).
 * @param kind e.g. `StatefulSet`
 * @param apiVersion e.g. `generators.external-secrets.io/v1alpha1`; every kind of the External
 *   Secrets generator group is a secret source
 * @returns the wave; kinds not listed get 0 (Argo CD's default)
 */
export function syncWaveForKind(kind: string, apiVersion?: string): number {
  if (!kindFormat.test(kind)) {
    throw new Error(`syncWaveForKind: kind: got ${JSON.stringify(kind)}; expected a Kubernetes kind such as 'Deployment' (PascalCase)`);
  }
  if (apiVersion !== undefined && apiVersion.split('/')[0] === GENERATOR_GROUP && apiVersion.includes('/'))
    return OBJECT_WAVES.secretSources;
  return BY_KIND[kind] ?? 0;
}

/**
 * Annotates every ApiObject under `scope` with its {@link syncWaveForKind} wave. An object that
 * already carries a sync-wave annotation keeps it.
 * @returns the number of objects annotated
 */
export function applySyncWaves(scope: IConstruct): number {
  let count = 0;
  for (const c of scope.node.findAll()) {
    if (!ApiObject.isApiObject(c)) continue;
    const existing = (c.metadata.toJson() as IPod['metadata'])?.annotations?.[SYNC_WAVE_ANNOTATION];
    if (existing !== undefined) continue;
    c.metadata.addAnnotation(SYNC_WAVE_ANNOTATION, String(syncWaveForKind(c.kind, c.apiVersion)));
    count++;
  }
  return count;
}
