/** Shared types of the manifest checks (schema, pod security, best practices, secrets, reachability). */
import type { ICronJob } from 'kubernetes-models/batch/v1/CronJob';
import type { IDaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { INamespace } from 'kubernetes-models/v1/Namespace';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IReplicaSet } from 'kubernetes-models/apps/v1/ReplicaSet';
import type { IClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import type { IRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import type { IRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';

/** Object metadata (ObjectMeta), as kubernetes-models types it. */
export type ObjectMeta = NonNullable<IPod['metadata']>;
export type { LabelSelector } from '../core/label-selector';

/**
 * A document of the synthesized output. Only the envelope is typed: the checks narrow to a kind
 * with {@link isKind}. A document that is not an object at all is the schema check's to report.
 */
export interface KubeObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: ObjectMeta;
  readonly [field: string]: unknown;
}

/** The built-in kinds the checks look inside, by kind. */
export interface KindTypes {
  ClusterRoleBinding: IClusterRoleBinding;
  CronJob: ICronJob;
  DaemonSet: IDaemonSet;
  Deployment: IDeployment;
  HorizontalPodAutoscaler: IHorizontalPodAutoscaler;
  Job: IJob;
  Namespace: INamespace;
  NetworkPolicy: INetworkPolicy;
  Pod: IPod;
  PodDisruptionBudget: IPodDisruptionBudget;
  ReplicaSet: IReplicaSet;
  Role: IRole;
  RoleBinding: IRoleBinding;
  Secret: ISecret;
  Service: IService;
  ServiceAccount: IServiceAccount;
  StatefulSet: IStatefulSet;
}

/** A {@link KubeObject} of a known kind. */
export type KubeObjectOf<K extends keyof KindTypes> = KubeObject & KindTypes[K];

/** True when the object is of `kind` (any apiVersion, as the checks always matched). */
export function isKind<K extends keyof KindTypes>(o: KubeObject | undefined, kind: K): o is KubeObjectOf<K> {
  return o?.kind === kind;
}

/** A {@link ManifestObject} whose object is of a known kind. */
export type ManifestObjectOf<K extends keyof KindTypes> = ManifestObject & { readonly object: KubeObjectOf<K> };

/** The objects of one kind. */
export function objectsOf<K extends keyof KindTypes>(objects: readonly ManifestObject[], kind: K): Array<ManifestObjectOf<K>> {
  return objects.filter((m): m is ManifestObjectOf<K> => isKind(m.object, kind));
}

/** One object of the synthesized output, with where it came from. */
export interface ManifestObject {
  /** Environment the object belongs to (`dev`, `prod`, ...). */
  readonly env: string;
  /** File it was read from, relative to the output folder (e.g. `dev/wondernest.k8s.yaml`). */
  readonly file: string;
  /** Position of the document in the file. */
  readonly index: number;
  /** The object as parsed. */
  readonly object: KubeObject;
  /** Path of the construct that produced it. @default - unknown (no construct metadata) */
  readonly constructPath?: string;
}

/** The offline check families. */
export type CheckFamily =
  'schema' | 'pod-security' | 'best-practices' | 'secrets' | 'reachability' | 'connections' | 'disruption' | 'capacity';

/** A rule a check family enforces. */
export interface RuleInfo {
  readonly id: string;
  readonly family: CheckFamily;
  readonly description: string;
}

/** One broken rule on one object. */
export interface Violation {
  /** Rule id, e.g. `schema/unknown-field`. */
  readonly rule: string;
  /** What is wrong, naming the bad value and what is allowed. */
  readonly message: string;
  /** The object (absent for environment-wide findings such as a missing flow). */
  readonly object?: ManifestObject;
  /** JSON path inside the object, e.g. `spec.template.spec.containers[0].image`. @default - the whole object */
  readonly field?: string;
}

/** A stack's declared service graph, as recorded at synth. */
export interface DeclaredGraph {
  readonly namespace: string;
  readonly components: Readonly<
    Record<string, { readonly podLabels: Readonly<Record<string, string>>; readonly ports: Readonly<Record<string, number>> }>
  >;
  readonly externals: Readonly<Record<string, { readonly namespace: string; readonly podLabels?: Readonly<Record<string, string>> }>>;
  /** Peers outside the pod network by IPv4 CIDRs (e.g. the API server's endpoints). @default - none */
  readonly addresses?: Readonly<Record<string, readonly string[]>>;
  readonly dns: { readonly namespace: string; readonly podLabels?: Readonly<Record<string, string>> };
  readonly flows: ReadonlyArray<{ readonly from: string; readonly to: string; readonly port: number; readonly protocol: 'TCP' | 'UDP' }>;
}

/**
 * A database's declared connection budget, as recorded at synth: `max_connections`, the login
 * roles' limits, connections outside them, and the workloads that connect with a pool (whose
 * replica counts and pool sizes the checks read from the rendered objects).
 */
export interface DeclaredDatabase {
  readonly namespace: string;
  readonly name: string;
  readonly maxConnections: number;
  /** Role name -> connection limit (-1 = unlimited). */
  readonly roles: Readonly<Record<string, number>>;
  readonly reserved: ReadonlyArray<{ readonly what: string; readonly connections: number }>;
  readonly clients: ReadonlyArray<{
    readonly kind: string;
    readonly name: string;
    readonly container: string;
    readonly role: string;
    /** Environment variables holding the pool's maximum size and minimum idle connections. */
    readonly env: { readonly maxSize: string; readonly minIdle: string };
  }>;
}

/**
 * Pods the cluster runs that are not in the synthesized output (the platform charts' pods, from
 * their Helm values, and the cluster's own add-ons), with the requests of one pod.
 */
export interface DeclaredPods {
  /** What runs, e.g. `traefik` or `kube-prometheus-stack/prometheus`. */
  readonly name: string;
  /** Pods (ignored with `perNode`). */
  readonly replicas: number;
  /** A DaemonSet: one pod on every node. @default false */
  readonly perNode?: boolean;
  /** CPU request of one pod (all its containers). */
  readonly cpu: string;
  /** Memory request of one pod (all its containers). */
  readonly memory: string;
}

/** The worker nodes of an environment (`cluster.nodes`, `cluster.autoscaler`). */
export interface DeclaredNodes {
  readonly zones: readonly string[];
  readonly minPerZone: number;
  readonly maxPerZone: number;
  readonly instanceType: string;
  /** A node's capacity and allocatable resources. */
  readonly capacity: { readonly cpu: string; readonly memory: string };
  readonly allocatable: { readonly cpu: string; readonly memory: string };
  /**
   * The node autoscaler and its cluster-wide limits (Cluster Autoscaler `--max-nodes-total`,
   * `--cores-total`, `--memory-total`). @default - none: the nodes are fixed at minPerZone
   */
  readonly autoscaler?: { readonly name: string; readonly maxNodes: number; readonly maxCores: number; readonly maxMemoryGiB: number };
}

/** The cluster besides the output: its nodes and the platform's pods. */
export interface DeclaredCapacity {
  /** @default - not declared (kind: the laptop's); requests are reported, not placed */
  readonly nodes?: DeclaredNodes;
  /** Platform and cluster add-on pods. */
  readonly platform: readonly DeclaredPods[];
}

/** What the checks need to know about one environment besides its objects. */
export interface EnvironmentFacts {
  /** `release` label ServiceMonitors, PodMonitors and PrometheusRules must carry. */
  readonly monitoringRelease: string;
  /** Declared service graphs by namespace. */
  readonly graphs: Readonly<Record<string, DeclaredGraph>>;
  /** Declared database connection budgets. @default - none */
  readonly databases?: readonly DeclaredDatabase[];
  /** The cluster's nodes and platform pods. @default - not declared (requests are reported, not placed) */
  readonly capacity?: DeclaredCapacity;
}

/** Input of a check run. */
export interface CheckInput {
  readonly objects: readonly ManifestObject[];
  /** Facts per environment name. */
  readonly environments: Readonly<Record<string, EnvironmentFacts>>;
}

/** A check family: its rules and how to run them. */
export interface Check {
  readonly family: CheckFamily;
  readonly rules: readonly RuleInfo[];
  run(input: CheckInput): Violation[];
}

/** `kind namespace/name` of an object, for messages. */
export function describeObject(o: KubeObject | undefined): string {
  const ns = o?.metadata?.namespace ? `${o.metadata.namespace}/` : '';
  return `${o?.kind ?? '<no kind>'} ${ns}${o?.metadata?.name ?? '<no name>'}`;
}

/** Stable key of an object inside an environment: `<env>/<kind>/<namespace or _>/<name>`. */
export function objectKey(env: string, o: KubeObject | undefined): string {
  return `${env}/${o?.kind}/${o?.metadata?.namespace ?? '_'}/${o?.metadata?.name}`;
}
