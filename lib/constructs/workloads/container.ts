import { k8s } from 'cdk8s-plus-27';
import { cpu, cpuMillis, memory, memoryBytes } from '../../core/formats';
import { restrictedContainerSecurityContext, RunAs } from './pod-security';

/** CPU and memory for one container. Memory request and limit and a CPU request are required. */
export interface ResourceSpec {
  /** CPU request, e.g. `250m`. */
  readonly cpuRequest: string;
  /** CPU limit. @default - none (CPU is compressible; a limit only throttles) */
  readonly cpuLimit?: string;
  /** Memory request, e.g. `256Mi`. */
  readonly memoryRequest: string;
  /** Memory limit, e.g. `512Mi`. Must be >= the request. */
  readonly memoryLimit: string;
}

/** A reference to one key of a Secret. */
export interface SecretKeyRef {
  /** Secret name. */
  readonly secret: string;
  /** Key inside the Secret. */
  readonly key: string;
}

/** An HTTP or exec check used for probes. */
export type ProbeCheck =
  | { readonly httpGet: { readonly path: string; readonly port: number | string } }
  | { readonly exec: readonly string[] }
  | { readonly tcpPort: number | string };

/** Probe timings. */
export interface ProbeTimings {
  readonly periodSeconds?: number;
  readonly timeoutSeconds?: number;
  readonly failureThreshold?: number;
  readonly initialDelaySeconds?: number;
}

/** A writable path backed by an emptyDir (the root filesystem is read-only). */
export interface WritablePath {
  /** Mount path. */
  readonly path: string;
  /** Size limit of the emptyDir. @default '64Mi' */
  readonly sizeLimit?: string;
  /** Back it with memory (tmpfs). @default false */
  readonly memory?: boolean;
}

/** Everything needed to render one restricted container. */
export interface ContainerSpec {
  readonly name: string;
  readonly image: string;
  readonly runAs: RunAs;
  readonly resources: ResourceSpec;
  readonly ports?: Readonly<Record<string, number>>;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  /** Plain environment values. Never put a secret here: use `secretEnv`. */
  readonly env?: Readonly<Record<string, string>>;
  /** Environment variables read from Secrets. */
  readonly secretEnv?: Readonly<Record<string, SecretKeyRef>>;
  /** Readiness check. @default - none (only for run-to-completion containers) */
  readonly readiness?: ProbeCheck & ProbeTimings;
  /** Liveness check. @default - same check as readiness with a higher failure threshold */
  readonly liveness?: ProbeCheck & ProbeTimings;
  /** Startup allowance in seconds before liveness applies. @default - no startup probe */
  readonly startupSeconds?: number;
  /** What the startup probe checks (with `startupSeconds`). @default - the liveness check */
  readonly startup?: ProbeCheck;
  /** Extra volume mounts (configuration, data). */
  readonly volumeMounts?: readonly k8s.VolumeMount[];
  /** Seconds the container keeps serving after it is asked to stop (preStop `sleep`), so endpoints drain first. @default - no preStop hook */
  readonly preStopSleepSeconds?: number;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Checks a resource spec; throws naming the field, the value and what is allowed. */
export function validateResources(where: string, r: ResourceSpec): void {
  for (const [field, value, format, example] of [
    ['memoryRequest', r.memoryRequest, memory, "'256Mi'"],
    ['memoryLimit', r.memoryLimit, memory, "'512Mi'"],
    ['cpuRequest', r.cpuRequest, cpu, "'250m' or '1'"],
    ...(r.cpuLimit !== undefined ? [['cpuLimit', r.cpuLimit, cpu, "'500m' or '2'"] as const] : []),
  ] as const) {
    if (!format.test(value)) {
      throw new Error(
        `${where}.${field}: got ${JSON.stringify(value)}; expected a Kubernetes ${format === memory ? 'memory' : 'CPU'} quantity such as ${example}`,
      );
    }
  }
  if (memoryBytes(r.memoryLimit) < memoryBytes(r.memoryRequest)) {
    throw new Error(`${where}.memoryLimit: got '${r.memoryLimit}'; expected a value >= memoryRequest '${r.memoryRequest}'`);
  }
  if (r.cpuLimit !== undefined && cpuMillis(r.cpuLimit) < cpuMillis(r.cpuRequest)) {
    throw new Error(`${where}.cpuLimit: got '${r.cpuLimit}'; expected a value >= cpuRequest '${r.cpuRequest}'`);
  }
}

function port(p: number | string): k8s.IntOrString {
  return typeof p === 'number' ? k8s.IntOrString.fromNumber(p) : k8s.IntOrString.fromString(p);
}

/** A check without the timings that make up an allowance (period, threshold, delay); its timeout is the check's own cost and stays. */
function checkAction(check: (ProbeCheck & ProbeTimings) | undefined): (ProbeCheck & ProbeTimings) | undefined {
  if (!check) return undefined;
  const timeout = check.timeoutSeconds !== undefined ? { timeoutSeconds: check.timeoutSeconds } : {};
  if ('httpGet' in check) return { httpGet: check.httpGet, ...timeout };
  if ('exec' in check) return { exec: check.exec, ...timeout };
  return { tcpPort: check.tcpPort, ...timeout };
}

function probe(check: ProbeCheck & ProbeTimings, defaults: ProbeTimings): k8s.Probe {
  const action: k8s.Probe =
    'httpGet' in check
      ? { httpGet: { path: check.httpGet.path, port: port(check.httpGet.port) } }
      : 'exec' in check
        ? { exec: { command: [...check.exec] } }
        : { tcpSocket: { port: port(check.tcpPort) } };
  return {
    ...action,
    periodSeconds: check.periodSeconds ?? defaults.periodSeconds,
    timeoutSeconds: check.timeoutSeconds ?? defaults.timeoutSeconds,
    failureThreshold: check.failureThreshold ?? defaults.failureThreshold,
    ...(check.initialDelaySeconds !== undefined ? { initialDelaySeconds: check.initialDelaySeconds } : {}),
  };
}

/** Renders a restricted container: non-root, read-only root fs, all capabilities dropped, pinned image, resources. */
export function renderContainer(spec: ContainerSpec): k8s.Container {
  validateResources(`${spec.name}.resources`, spec.resources);
  for (const name of [...Object.keys(spec.env ?? {}), ...Object.keys(spec.secretEnv ?? {})]) {
    if (!ENV_NAME.test(name))
      throw new Error(`${spec.name}.env: got '${name}'; expected an environment variable name matching ${ENV_NAME}`);
  }
  const clash = Object.keys(spec.env ?? {}).filter((k) => k in (spec.secretEnv ?? {}));
  if (clash.length)
    throw new Error(`${spec.name}.env: ${clash.join(', ')} set both as a plain value and from a Secret; expected each variable once`);

  const env: k8s.EnvVar[] = [
    ...Object.entries(spec.env ?? {}).map(([name, value]) => ({ name, value })),
    ...Object.entries(spec.secretEnv ?? {}).map(([name, ref]) => ({
      name,
      valueFrom: { secretKeyRef: { name: ref.secret, key: ref.key } },
    })),
  ].sort((a, b) => a.name.localeCompare(b.name));

  const readiness = spec.readiness ? probe(spec.readiness, { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 }) : undefined;
  const livenessCheck = spec.liveness ?? spec.readiness;
  const liveness = livenessCheck ? probe(livenessCheck, { periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 }) : undefined;
  // Only the check's action: the liveness check's own period and threshold would override the
  // startup allowance (startupSeconds = period x threshold), cutting a slow first start short.
  const startupCheck = checkAction(spec.startup ?? livenessCheck);
  const startup =
    spec.startupSeconds && startupCheck
      ? probe(startupCheck, { periodSeconds: 5, timeoutSeconds: 5, failureThreshold: Math.max(1, Math.ceil(spec.startupSeconds / 5)) })
      : undefined;

  const requests: Record<string, k8s.Quantity> = {
    cpu: k8s.Quantity.fromString(spec.resources.cpuRequest),
    memory: k8s.Quantity.fromString(spec.resources.memoryRequest),
  };
  const limits: Record<string, k8s.Quantity> = { memory: k8s.Quantity.fromString(spec.resources.memoryLimit) };
  if (spec.resources.cpuLimit) limits.cpu = k8s.Quantity.fromString(spec.resources.cpuLimit);

  return {
    name: spec.name,
    image: spec.image,
    imagePullPolicy: 'IfNotPresent',
    ...(spec.command ? { command: [...spec.command] } : {}),
    ...(spec.args ? { args: [...spec.args] } : {}),
    ...(env.length ? { env } : {}),
    ...(spec.ports ? { ports: Object.entries(spec.ports).map(([name, containerPort]) => ({ name, containerPort, protocol: 'TCP' })) } : {}),
    resources: { requests, limits },
    securityContext: restrictedContainerSecurityContext(spec.runAs),
    ...(readiness ? { readinessProbe: readiness } : {}),
    ...(liveness ? { livenessProbe: liveness } : {}),
    ...(startup ? { startupProbe: startup } : {}),
    ...(spec.preStopSleepSeconds ? { lifecycle: { preStop: { exec: { command: ['sleep', String(spec.preStopSleepSeconds)] } } } } : {}),
    ...(spec.volumeMounts?.length ? { volumeMounts: [...spec.volumeMounts] } : {}),
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
}

/** Volumes + mounts for writable emptyDir paths. */
export function writableVolumes(prefix: string, paths: readonly WritablePath[]): { volumes: k8s.Volume[]; mounts: k8s.VolumeMount[] } {
  const volumes: k8s.Volume[] = [];
  const mounts: k8s.VolumeMount[] = [];
  paths.forEach((p, i) => {
    const name = `${prefix}-rw-${i}`;
    volumes.push({
      name,
      emptyDir: { sizeLimit: k8s.Quantity.fromString(p.sizeLimit ?? '64Mi'), ...(p.memory ? { medium: 'Memory' } : {}) },
    });
    mounts.push({ name, mountPath: p.path });
  });
  return { volumes, mounts };
}
