/**
 * An in-memory stand-in for an API server, for the CLI's unit tests: discovery from a resource
 * table (CRDs add their kinds once applied), server-side apply that refuses objects in missing
 * namespaces and unknown kinds as a real server does, dry runs that persist nothing, and a
 * "controller" that writes status: ready at once, after a delay, or never (stuck), as a test
 * chooses. Also served over HTTP by fake-api-server.ts.
 */
import { ApiError, ApplyOptions, Cluster, ResourceInfo } from '../../../cli/cluster';
import type { ICustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition';
import { asKind, describeObject, fieldOf, groupOf, KubeObject, ObjectRef } from '../../../cli/objects';

export interface FakeResource {
  apiVersion: string;
  kind: string;
  /** plural */
  name: string;
  namespaced: boolean;
}

const r = (apiVersion: string, kind: string, name: string, namespaced = true): FakeResource => ({ apiVersion, kind, name, namespaced });

/** What every cluster serves. */
export const BUILT_IN_RESOURCES: FakeResource[] = [
  r('v1', 'Namespace', 'namespaces', false),
  r('v1', 'ConfigMap', 'configmaps'),
  r('v1', 'Secret', 'secrets'),
  r('v1', 'Service', 'services'),
  r('v1', 'ServiceAccount', 'serviceaccounts'),
  r('v1', 'Pod', 'pods'),
  r('v1', 'Event', 'events'),
  r('v1', 'PersistentVolumeClaim', 'persistentvolumeclaims'),
  r('apps/v1', 'Deployment', 'deployments'),
  r('apps/v1', 'StatefulSet', 'statefulsets'),
  r('apps/v1', 'DaemonSet', 'daemonsets'),
  r('apps/v1', 'ReplicaSet', 'replicasets'),
  r('batch/v1', 'Job', 'jobs'),
  r('batch/v1', 'CronJob', 'cronjobs'),
  r('networking.k8s.io/v1', 'NetworkPolicy', 'networkpolicies'),
  r('networking.k8s.io/v1', 'Ingress', 'ingresses'),
  r('policy/v1', 'PodDisruptionBudget', 'poddisruptionbudgets'),
  r('autoscaling/v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers'),
  r('storage.k8s.io/v1', 'StorageClass', 'storageclasses', false),
  r('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'customresourcedefinitions', false),
  r('rbac.authorization.k8s.io/v1', 'Role', 'roles'),
  r('rbac.authorization.k8s.io/v1', 'RoleBinding', 'rolebindings'),
];

/** What the platform operators (cert-manager, External Secrets, Prometheus Operator, Traefik) add. */
export const OPERATOR_RESOURCES: FakeResource[] = [
  r('cert-manager.io/v1', 'ClusterIssuer', 'clusterissuers', false),
  r('cert-manager.io/v1', 'Issuer', 'issuers'),
  r('cert-manager.io/v1', 'Certificate', 'certificates'),
  r('external-secrets.io/v1', 'ExternalSecret', 'externalsecrets'),
  r('external-secrets.io/v1', 'SecretStore', 'secretstores'),
  r('external-secrets.io/v1', 'ClusterSecretStore', 'clustersecretstores', false),
  r('generators.external-secrets.io/v1alpha1', 'Password', 'passwords'),
  r('monitoring.coreos.com/v1', 'ServiceMonitor', 'servicemonitors'),
  r('monitoring.coreos.com/v1', 'PrometheusRule', 'prometheusrules'),
  r('monitoring.coreos.com/v1alpha1', 'AlertmanagerConfig', 'alertmanagerconfigs'),
  r('traefik.io/v1alpha1', 'Middleware', 'middlewares'),
  r('traefik.io/v1alpha1', 'IngressRoute', 'ingressroutes'),
];

export interface FakeClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** A clock whose sleep() advances time instantly. */
export function fakeClock(start = 1_700_000_000_000): FakeClock & { t: number; sleeps: number[] } {
  const c = {
    t: start,
    sleeps: [] as number[],
    now: () => c.t,
    sleep: async (ms: number) => {
      c.sleeps.push(ms);
      c.t += ms;
    },
  };
  return c;
}

export interface ApplyRecord {
  what: string;
  dryRun: boolean;
  fieldManager: string;
  force: boolean;
}

const keyOf = (apiVersion: string, kind: string, namespace: string | undefined, name: string): string =>
  `${groupOf(apiVersion)}/${kind}/${namespace ?? ''}/${name}`;

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

export interface FakeClusterOptions {
  resources?: FakeResource[];
  clock?: FakeClock;
  /** `describeObject` of objects whose controller never reports ready. */
  stuck?: string[];
  /** `describeObject` -> ms after apply until ready. */
  readyAfterMs?: Record<string, number>;
  /** `describeObject` -> the status its controller writes (a failed Job, a Terminating namespace...). */
  statuses?: Record<string, unknown>;
  /** `describeObject` -> error thrown by apply. */
  applyErrors?: Record<string, ApiError>;
  /** Existing namespaces (besides those applied). */
  namespaces?: string[];
}

export class FakeCluster implements Cluster {
  readonly description = 'context fake (https://fake.invalid)';
  readonly resources: FakeResource[];
  readonly objects = new Map<string, KubeObject>();
  readonly applied: ApplyRecord[] = [];
  discoveryRefreshes = 0;
  private readonly appliedAt = new Map<string, number>();
  private readonly clock: FakeClock;
  private readonly stuck: Set<string>;
  private readonly readyAfterMs: Record<string, number>;
  private readonly applyErrors: Record<string, ApiError>;
  private readonly statuses: Record<string, unknown>;

  constructor(options: FakeClusterOptions = {}) {
    this.resources = [...(options.resources ?? [...BUILT_IN_RESOURCES, ...OPERATOR_RESOURCES])];
    this.clock = options.clock ?? fakeClock();
    this.stuck = new Set(options.stuck ?? []);
    this.readyAfterMs = options.readyAfterMs ?? {};
    this.applyErrors = options.applyErrors ?? {};
    this.statuses = options.statuses ?? {};
    for (const ns of options.namespaces ?? ['default', 'kube-system']) {
      this.add({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns }, status: { phase: 'Active' } });
    }
  }

  private info(apiVersion: string, kind: string): FakeResource | undefined {
    return this.resources.find((x) => x.apiVersion === apiVersion && x.kind === kind);
  }

  /** Puts an object in the store as is (pods, events, pre-existing objects). */
  add(obj: KubeObject): void {
    const res = this.info(obj.apiVersion, obj.kind);
    const ns = res && !res.namespaced ? undefined : obj.metadata.namespace;
    this.objects.set(keyOf(obj.apiVersion, obj.kind, ns, obj.metadata.name), clone(obj));
  }

  async resourceInfo(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    const res = this.info(apiVersion, kind);
    return res ? { name: res.name, namespaced: res.namespaced } : undefined;
  }

  refreshDiscovery(): void {
    this.discoveryRefreshes++;
  }

  async apply(obj: KubeObject, options: ApplyOptions): Promise<KubeObject> {
    const what = describeObject(obj);
    this.applied.push({ what, dryRun: options.dryRun, fieldManager: options.fieldManager, force: options.force });
    const error = this.applyErrors[what];
    if (error) throw error;
    const res = this.info(obj.apiVersion, obj.kind);
    if (!res) throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${obj.apiVersion} ${obj.kind})`);
    const ns = res.namespaced ? obj.metadata.namespace : undefined;
    if (res.namespaced && !this.objects.has(keyOf('v1', 'Namespace', undefined, ns ?? ''))) {
      throw new ApiError(404, 'NotFound', `namespaces "${ns}" not found`);
    }
    const key = keyOf(obj.apiVersion, obj.kind, ns, obj.metadata.name);
    const existing = this.objects.get(key);
    const next: KubeObject = clone({ ...obj, metadata: { ...obj.metadata } });
    if (!res.namespaced) delete next.metadata.namespace;
    const specChanged = !existing || JSON.stringify(existing.spec) !== JSON.stringify(next.spec);
    next.metadata.uid = existing?.metadata.uid ?? `uid-${this.objects.size + 1}`;
    next.metadata.generation = (existing?.metadata.generation ?? 0) + (specChanged ? 1 : 0);
    next.metadata.resourceVersion = String(Number(existing?.metadata.resourceVersion ?? 0) + 1);
    next.metadata.creationTimestamp = existing?.metadata.creationTimestamp ?? new Date(this.clock.now()).toISOString();
    next.metadata.managedFields = [{ manager: options.fieldManager, operation: 'Apply', time: new Date(this.clock.now()).toISOString() }];
    next.status = existing?.status;
    if (options.dryRun) return next;
    this.objects.set(key, next);
    this.appliedAt.set(key, this.clock.now());
    if (obj.kind === 'CustomResourceDefinition') {
      const spec = asKind<ICustomResourceDefinition>(obj).spec;
      const version = spec.versions.find((v) => v.served)?.name ?? 'v1';
      this.resources.push({
        apiVersion: `${spec.group}/${version}`,
        kind: spec.names.kind,
        name: spec.names.plural,
        namespaced: spec.scope === 'Namespaced',
      });
    }
    this.reconcile(key);
    return clone(this.objects.get(key)!);
  }

  /** The "controllers": write the status the object would have now. */
  private reconcile(key: string): void {
    const obj = this.objects.get(key);
    if (!obj || !this.appliedAt.has(key)) return;
    const what = describeObject(obj);
    if (this.statuses[what] !== undefined) {
      obj.status = clone(this.statuses[what]);
      return;
    }
    const delay = this.readyAfterMs[what];
    const ready = !this.stuck.has(what) && (delay === undefined || this.clock.now() - this.appliedAt.get(key)! >= delay);
    obj.status = ready ? readyStatus(obj) : notReadyStatus(obj);
  }

  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    const res = this.info(ref.apiVersion, ref.kind);
    if (!res) throw new ApiError(404, 'NotFound', `the cluster does not serve ${ref.apiVersion} ${ref.kind}`);
    const key = keyOf(ref.apiVersion, ref.kind, res.namespaced ? ref.namespace : undefined, ref.name);
    this.reconcile(key);
    const obj = this.objects.get(key);
    return obj ? clone(obj) : undefined;
  }

  async list(apiVersion: string, kind: string, namespace?: string): Promise<KubeObject[]> {
    if (!this.info(apiVersion, kind)) throw new ApiError(404, 'NotFound', `the cluster does not serve ${apiVersion} ${kind}`);
    return [...this.objects.values()]
      .filter((o) => o.apiVersion === apiVersion && o.kind === kind && (namespace === undefined || o.metadata.namespace === namespace))
      .map(clone);
  }
}

/** Status of a healthy object of each kind, as the real controllers write it. */
export function readyStatus(obj: KubeObject): unknown {
  const generation = obj.metadata.generation ?? 1;
  const replicas = fieldOf(obj.spec, 'replicas') ?? 1;
  switch (obj.kind) {
    case 'Namespace':
      return { phase: 'Active' };
    case 'Deployment':
      return {
        observedGeneration: generation,
        replicas,
        updatedReplicas: replicas,
        readyReplicas: replicas,
        availableReplicas: replicas,
        conditions: [
          { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
          { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' },
        ],
      };
    case 'StatefulSet':
      return {
        observedGeneration: generation,
        replicas,
        readyReplicas: replicas,
        currentReplicas: replicas,
        updatedReplicas: replicas,
        availableReplicas: replicas,
        currentRevision: `${obj.metadata.name}-5d4f7b9c8`,
        updateRevision: `${obj.metadata.name}-5d4f7b9c8`,
      };
    case 'DaemonSet':
      return {
        observedGeneration: generation,
        desiredNumberScheduled: 2,
        currentNumberScheduled: 2,
        updatedNumberScheduled: 2,
        numberReady: 2,
        numberAvailable: 2,
      };
    case 'Job':
      return { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] };
    case 'CustomResourceDefinition':
      return {
        conditions: [
          { type: 'NamesAccepted', status: 'True' },
          { type: 'Established', status: 'True' },
        ],
      };
    case 'PersistentVolumeClaim':
      return { phase: 'Bound' };
    case 'ExternalSecret':
    case 'SecretStore':
    case 'ClusterSecretStore':
    case 'Certificate':
    case 'Issuer':
    case 'ClusterIssuer':
      return { conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', message: 'ok', observedGeneration: generation }] };
    default:
      return obj.status;
  }
}

/** Status of an object whose controller has not made it ready. */
export function notReadyStatus(obj: KubeObject): unknown {
  const generation = obj.metadata.generation ?? 1;
  const replicas = fieldOf(obj.spec, 'replicas') ?? 1;
  switch (obj.kind) {
    case 'Deployment':
      return {
        observedGeneration: generation,
        replicas,
        updatedReplicas: replicas,
        readyReplicas: 0,
        availableReplicas: 0,
        unavailableReplicas: replicas,
        conditions: [{ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' }],
      };
    case 'StatefulSet':
      return {
        observedGeneration: generation,
        replicas,
        readyReplicas: 0,
        currentReplicas: replicas,
        updatedReplicas: replicas,
        currentRevision: `${obj.metadata.name}-5d4f7b9c8`,
        updateRevision: `${obj.metadata.name}-5d4f7b9c8`,
      };
    case 'Job':
      return { active: 1, failed: 2 };
    case 'CustomResourceDefinition':
      return {
        conditions: [
          { type: 'NamesAccepted', status: 'True' },
          { type: 'Established', status: 'False', reason: 'Installing' },
        ],
      };
    case 'PersistentVolumeClaim':
      return { phase: 'Pending' };
    case 'ExternalSecret':
    case 'SecretStore':
    case 'ClusterSecretStore':
    case 'Certificate':
    case 'Issuer':
    case 'ClusterIssuer':
      return {
        conditions: [
          {
            type: 'Ready',
            status: 'False',
            reason: 'SecretSyncedError',
            message: 'could not get secret data from provider',
            observedGeneration: generation,
          },
        ],
      };
    default:
      return readyStatus(obj);
  }
}
