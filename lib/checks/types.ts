/** Shared types of the manifest checks (schema, pod security, best practices, secrets, reachability). */

/** One object of the synthesized output, with where it came from. */
export interface ManifestObject {
  /** Environment the object belongs to (`dev`, `prod`, ...). */
  readonly env: string;
  /** File it was read from, relative to the output folder (e.g. `dev/wondernest.k8s.yaml`). */
  readonly file: string;
  /** Position of the document in the file. */
  readonly index: number;
  /** The object as parsed. */
  readonly object: any;
  /** Path of the construct that produced it. @default - unknown (no construct metadata) */
  readonly constructPath?: string;
}

/** The five offline check families. */
export type CheckFamily = 'schema' | 'pod-security' | 'best-practices' | 'secrets' | 'reachability';

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
  readonly dns: { readonly namespace: string; readonly podLabels?: Readonly<Record<string, string>> };
  readonly flows: ReadonlyArray<{ readonly from: string; readonly to: string; readonly port: number; readonly protocol: 'TCP' | 'UDP' }>;
}

/** What the checks need to know about one environment besides its objects. */
export interface EnvironmentFacts {
  /** `release` label ServiceMonitors, PodMonitors and PrometheusRules must carry. */
  readonly monitoringRelease: string;
  /** Declared service graphs by namespace. */
  readonly graphs: Readonly<Record<string, DeclaredGraph>>;
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
export function describeObject(o: any): string {
  const ns = o?.metadata?.namespace ? `${o.metadata.namespace}/` : '';
  return `${o?.kind ?? '<no kind>'} ${ns}${o?.metadata?.name ?? '<no name>'}`;
}

/** Stable key of an object inside an environment: `<env>/<kind>/<namespace or _>/<name>`. */
export function objectKey(env: string, o: any): string {
  return `${env}/${o?.kind}/${o?.metadata?.namespace ?? '_'}/${o?.metadata?.name}`;
}
