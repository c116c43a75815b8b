import { createHash } from 'crypto';
import { renderAsset, renderAssetLines } from '../../core/asset-template';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { ContainerSpec, renderContainer, ResourceSpec, SecretKeyRef, WritablePath, writableVolumes } from './container';
import { HelmValues } from '../../output/helm';
import { JvmOptions, jvmToolOptions } from './jvm-options';
import { componentLabels, selectorLabels } from '../../core/labels';
import { dnsSubdomain } from '../../core/formats';
import { renderPodTemplate } from './pod-template';
import { RunAs } from './pod-security';
import { GraphComponent } from '../network/service-graph';
import { MetricsScrape } from '../monitoring/service-monitor';
import { renderStaticSiteConfig, StaticSiteOptions } from './static-site-config';
import { bindImage, bindResources, VALUE_SCHEMAS, valueKey } from './workload-values';

/** Horizontal autoscaling bounds and targets. */
export interface AutoscalingSpec {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** Average CPU utilization target (percent of requests). @default 70 */
  readonly cpuUtilization?: number;
  /** Average memory utilization target (percent of requests). @default 80 */
  readonly memoryUtilization?: number;
}

/** A configuration file mounted read-only from a ConfigMap this construct creates. */
export interface MountedConfig {
  /** Directory to mount at. */
  readonly path: string;
  /** File name -> content. */
  readonly files: Readonly<Record<string, string>>;
  /** Mount each file on its own (subPath) into an existing directory of the image instead of replacing the directory. @default false */
  readonly asFiles?: boolean;
}

/** Keys of an existing Secret mounted read-only as files, e.g. the CA a client verifies its database with. */
export interface MountedSecretFiles {
  /** Directory to mount at. */
  readonly path: string;
  /** The Secret (created elsewhere: by cert-manager, External Secrets...). */
  readonly secretName: string;
  /** Keys of the Secret, each a file of the same name. Only these are projected. */
  readonly keys: readonly string[];
  /** File mode. @default 0o444 (public material such as a CA certificate) */
  readonly defaultMode?: number;
}

/** The public, version-pinned stand-in image that answers health and metrics paths in dev. */
export const STAND_IN_IMAGE = 'nginxinc/nginx-unprivileged:1.27.3-alpine';
const STAND_IN_UID = 101;

export interface WebServiceProps {
  readonly namespace: string;
  /** Component name: names the Deployment, Service, HPA, PDB and ServiceMonitor. */
  readonly name: string;
  /** The stack it belongs to (`app.kubernetes.io/part-of`). */
  readonly partOf: string;
  /** `app.kubernetes.io/component`. @default 'api' */
  readonly component?: string;
  /** Pinned image. */
  readonly image: string;
  /**
   * Serve the component's ports with a public stand-in (nginx answering the health and
   * metrics paths) instead of `image`, so a stack comes up before its app image exists.
   * Only for development environments: the config refuses it in production.
   * @default false
   */
  readonly standIn?: boolean;
  /** HTTP port the app listens on. */
  readonly port: number;
  readonly runAs: RunAs;
  readonly resources: ResourceSpec;
  /** Path answering readiness checks. */
  readonly readinessPath: string;
  /** Path answering liveness checks. @default - readinessPath */
  readonly livenessPath?: string;
  /** Path the startup probe checks (e.g. a full health check that also covers dependencies). @default - livenessPath */
  readonly startupPath?: string;
  /**
   * Annotations of a ServiceAccount of its own (named like the component; no API token mounted),
   * e.g. the IRSA role `eks.amazonaws.com/role-arn` of an app that calls AWS APIs.
   * @default - the namespace's default ServiceAccount
   */
  readonly serviceAccountAnnotations?: Readonly<Record<string, string>>;
  /** Seconds allowed for startup before liveness applies. @default 30 */
  readonly startupSeconds?: number;
  /** Metrics path scraped by Prometheus on the http port. @default - not scraped */
  readonly metricsPath?: string;
  /** kube-prometheus-stack release label (required with metricsPath). */
  readonly release?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly secretEnv?: Readonly<Record<string, SecretKeyRef>>;
  /** Fixed replica count, used when `autoscaling` is not set. */
  readonly replicas: number;
  /** Autoscale between bounds (the Deployment then carries no replica count). @default - fixed replicas */
  readonly autoscaling?: AutoscalingSpec;
  /** @default false */
  readonly spreadAcrossZones?: boolean;
  /** Writable emptyDir paths. @default - /tmp */
  readonly writablePaths?: readonly WritablePath[];
  /** Read-only configuration mounts. @default - none */
  readonly configs?: readonly MountedConfig[];
  /** Secret keys mounted read-only as files (e.g. `PostgresDatabase.clientTls`'s CA). @default - none */
  readonly secretFiles?: readonly MountedSecretFiles[];
  /** Args for the container. @default - image default */
  readonly args?: readonly string[];
  /** Seconds given to finish in-flight requests after SIGTERM. @default 30 */
  readonly terminationGracePeriodSeconds?: number;
  /** Seconds the pod keeps serving after removal from endpoints (preStop). @default 5 */
  readonly preStopSleepSeconds?: number;
  /** Dotted prefix of this component's Helm values. @default - name */
  readonly helmPrefix?: string;
  /**
   * Serve a static single-page application with the image's nginx (an nginx-unprivileged based
   * image holding the build): a complete nginx.conf from {@link renderStaticSiteConfig} (on
   * `port`, health on `readinessPath`) is mounted from a ConfigMap over `/etc/nginx/nginx.conf`,
   * with pid and temp files on the writable `/tmp`. The pods roll when the config changes. With
   * `standIn`, the public nginx-unprivileged image serves the same config (its default page
   * stands in for the build).
   * @default - not a static site
   */
  readonly staticSite?: Omit<StaticSiteOptions, 'port' | 'healthPath' | 'tempDir'>;
  /**
   * Run a JVM: sets `JAVA_TOOL_OPTIONS` ({@link jvmToolOptions}: G1 by default, heap a percentage
   * of `resources.memoryLimit`, exit on OutOfMemoryError).
   * @default - not a JVM service
   */
  readonly jvm?: JvmOptions;
}

/** The pod's volumes and the app container's mounts of them. */
interface PodStorage {
  readonly volumes: k8s.Volume[];
  readonly mounts: k8s.VolumeMount[];
}

/** Where {@link WebServiceProps.staticSite} mounts its nginx.conf. */
export const STATIC_SITE_CONFIG_DIR = '/etc/nginx';

/**
 * A stateless HTTP service: Deployment (restricted, zero-downtime rolling update,
 * graceful shutdown), Service, optional HPA (CPU and memory), PDB when more than one
 * replica runs, and a ServiceMonitor when it exposes metrics.
 */
export class WebService extends Construct implements GraphComponent {
  public readonly name: string;
  public readonly podLabels: Readonly<Record<string, string>>;
  public readonly ports: Readonly<Record<string, number>>;
  public readonly metricsPorts: readonly string[];
  public readonly deployment: k8s.KubeDeployment;
  public readonly service: k8s.KubeService;
  public readonly autoscaler?: k8s.KubeHorizontalPodAutoscalerV2;
  public readonly disruptionBudget?: k8s.KubePodDisruptionBudget;
  /** Its own ServiceAccount (with `serviceAccountAnnotations`). */
  public readonly serviceAccountName?: string;
  /** Cluster DNS name of the Service. */
  public readonly host: string;

  private readonly props: WebServiceProps;
  /** Labels of every object (`app.kubernetes.io/*`). */
  private readonly labels: Readonly<Record<string, string>>;
  /** Dotted prefix of this component's Helm values. */
  private readonly helmPrefix: string;

  constructor(scope: Construct, id: string, props: WebServiceProps) {
    super(scope, id);
    validateProps(props);
    const identity = { name: props.name, partOf: props.partOf, component: props.component ?? 'api' };
    this.props = props;
    this.labels = componentLabels(identity);
    this.helmPrefix = props.helmPrefix ?? valueKey(props.name);
    this.name = props.name;
    this.podLabels = selectorLabels(identity);
    this.ports = { http: props.port };
    this.metricsPorts = props.metricsPath ? ['http'] : [];
    this.host = `${props.name}.${props.namespace}.svc.cluster.local`;

    const configs = mountedConfigs(props);
    if (props.serviceAccountAnnotations) this.serviceAccountName = this.addServiceAccount(props.serviceAccountAnnotations);
    this.deployment = this.addDeployment(configs, this.addConfigMaps(configs));
    this.service = this.addService();
    if (props.autoscaling) this.autoscaler = this.addAutoscaler(props.autoscaling);
    const minRunning = props.autoscaling ? props.autoscaling.minReplicas : props.replicas;
    if (minRunning > 1) this.disruptionBudget = this.addDisruptionBudget();
    if (props.metricsPath) this.addMetricsScrape(props.metricsPath);
  }

  /** Its own ServiceAccount (no API token mounted; IRSA uses its own projected token). */
  private addServiceAccount(annotations: Readonly<Record<string, string>>): string {
    return new k8s.KubeServiceAccount(this, 'service-account', {
      metadata: { ...this.metadata(), annotations: { ...annotations } },
      automountServiceAccountToken: false,
    }).name;
  }

  /** Metadata of an object of this service: its name, namespace and labels. */
  private metadata(): k8s.ObjectMeta {
    return { name: this.props.name, namespace: this.props.namespace, labels: this.labels };
  }

  /** One ConfigMap per mounted config; returns the pod's volumes and the container's mounts (config, then writable paths). */
  private addConfigMaps(configs: readonly MountedConfig[]): PodStorage {
    const volumes: k8s.Volume[] = [];
    const mounts: k8s.VolumeMount[] = [];
    configs.forEach((c, i) => {
      const cmName = `${this.props.name}-config${i === 0 ? '' : `-${i}`}`;
      new k8s.KubeConfigMap(this, `config-${i}`, { metadata: { ...this.metadata(), name: cmName }, data: { ...c.files } });
      volumes.push({ name: `config-${i}`, configMap: { name: cmName } });
      if (c.asFiles) {
        for (const file of Object.keys(c.files))
          mounts.push({ name: `config-${i}`, mountPath: `${c.path}/${file}`, subPath: file, readOnly: true });
      } else {
        mounts.push({ name: `config-${i}`, mountPath: c.path, readOnly: true });
      }
    });
    (this.props.secretFiles ?? []).forEach((f, i) => {
      volumes.push({
        name: `secret-${i}`,
        secret: { secretName: f.secretName, defaultMode: f.defaultMode ?? 0o444, items: f.keys.map((key) => ({ key, path: key })) },
      });
      mounts.push({ name: `secret-${i}`, mountPath: f.path, readOnly: true });
    });
    const rw = writableVolumes('app', this.props.writablePaths ?? [{ path: '/tmp' }]);
    return { volumes: [...volumes, ...rw.volumes], mounts: [...mounts, ...rw.mounts] };
  }

  /** The app container: the stand-in or the image, probes on the http port, preStop drain. */
  private containerSpec(mounts: readonly k8s.VolumeMount[]): ContainerSpec {
    const p = this.props;
    const standIn = p.standIn ?? false;
    return {
      name: p.name,
      image: standIn ? STAND_IN_IMAGE : p.image,
      runAs: standIn ? { user: STAND_IN_UID } : p.runAs,
      resources: p.resources,
      ports: { http: p.port },
      env: p.jvm ? { ...p.env, JAVA_TOOL_OPTIONS: named(p.name, () => jvmToolOptions(p.jvm!, p.resources.memoryLimit)) } : p.env,
      secretEnv: p.secretEnv,
      args: standIn ? undefined : p.args,
      readiness: { httpGet: { path: p.readinessPath, port: 'http' } },
      liveness: { httpGet: { path: p.livenessPath ?? p.readinessPath, port: 'http' } },
      ...(p.startupPath !== undefined ? { startup: { httpGet: { path: p.startupPath, port: 'http' } } } : {}),
      startupSeconds: p.startupSeconds ?? 30,
      volumeMounts: [...mounts],
      preStopSleepSeconds: p.preStopSleepSeconds ?? 5,
    };
  }

  /** The restricted pod template; a static site's pods roll when its config changes (checksum annotation). */
  private podTemplate(configs: readonly MountedConfig[], storage: PodStorage): k8s.PodTemplateSpec {
    const p = this.props;
    return renderPodTemplate({
      labels: this.labels,
      selector: this.podLabels,
      runAs: p.standIn ? { user: STAND_IN_UID } : p.runAs,
      containers: [renderContainer(this.containerSpec(storage.mounts))],
      volumes: storage.volumes,
      ...(this.serviceAccountName ? { serviceAccountName: this.serviceAccountName } : {}),
      spreadAcrossZones: p.spreadAcrossZones,
      terminationGracePeriodSeconds: p.terminationGracePeriodSeconds ?? 30,
      ...(p.staticSite ? { annotations: { 'checksum/config': createHash('sha256').update(JSON.stringify(configs)).digest('hex') } } : {}),
    });
  }

  /** The Deployment (zero-downtime rolling update; no replica count under an HPA) and its Helm value bindings. */
  private addDeployment(configs: readonly MountedConfig[], storage: PodStorage): k8s.KubeDeployment {
    const p = this.props;
    const deployment = new k8s.KubeDeployment(this, 'deployment', {
      metadata: this.metadata(),
      spec: {
        ...(p.autoscaling ? {} : { replicas: p.replicas }),
        revisionHistoryLimit: 5,
        selector: { matchLabels: { ...this.podLabels } },
        strategy: {
          type: 'RollingUpdate',
          rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge: k8s.IntOrString.fromNumber(1) },
        },
        minReadySeconds: 5,
        progressDeadlineSeconds: Math.max(600, (p.startupSeconds ?? 30) * 3),
        template: this.podTemplate(configs, storage),
      },
    });
    bindImage(deployment, '/spec/template/spec/containers/0/image', this.helmPrefix);
    bindResources(deployment, '/spec/template/spec/containers/0', this.helmPrefix, p.resources.cpuLimit !== undefined);
    if (!p.autoscaling) HelmValues.of(this).bind(deployment, '/spec/replicas', `${this.helmPrefix}.replicas`, VALUE_SCHEMAS.replicas);
    return deployment;
  }

  /** ClusterIP Service on the named http port. */
  private addService(): k8s.KubeService {
    return new k8s.KubeService(this, 'service', {
      metadata: this.metadata(),
      spec: {
        type: 'ClusterIP',
        selector: { ...this.podLabels },
        ports: [{ name: 'http', port: this.props.port, targetPort: k8s.IntOrString.fromString('http'), protocol: 'TCP' }],
      },
    });
  }

  /** HPA on CPU and memory (scale up fast, down one pod a minute after 5 minutes), bounds bound to Helm values. */
  private addAutoscaler(a: AutoscalingSpec): k8s.KubeHorizontalPodAutoscalerV2 {
    const hpa = new k8s.KubeHorizontalPodAutoscalerV2(this, 'hpa', {
      metadata: this.metadata(),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: this.props.name },
        minReplicas: a.minReplicas,
        maxReplicas: a.maxReplicas,
        metrics: [
          { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: a.cpuUtilization ?? 70 } } },
          {
            type: 'Resource',
            resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: a.memoryUtilization ?? 80 } },
          },
        ],
        behavior: {
          scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] },
          scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Percent', value: 100, periodSeconds: 30 }] },
        },
      },
    });
    const helm = HelmValues.of(this);
    helm.bind(hpa, '/spec/minReplicas', `${this.helmPrefix}.autoscaling.minReplicas`, VALUE_SCHEMAS.positiveInt);
    helm.bind(hpa, '/spec/maxReplicas', `${this.helmPrefix}.autoscaling.maxReplicas`, VALUE_SCHEMAS.positiveInt);
    helm.gate(hpa, `${this.helmPrefix}.autoscaling.enabled`, {
      description: 'Scale with a HorizontalPodAutoscaler (minReplicas..maxReplicas) instead of a fixed replica count',
    });
    return hpa;
  }

  /** At most one pod down at a time during voluntary disruptions (only when more than one runs). */
  private addDisruptionBudget(): k8s.KubePodDisruptionBudget {
    const pdb = new k8s.KubePodDisruptionBudget(this, 'pdb', {
      metadata: this.metadata(),
      spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: { ...this.podLabels } } },
    });
    HelmValues.of(this).gate(pdb, `${this.helmPrefix}.disruptionBudget.enabled`, {
      description: 'A PodDisruptionBudget (at most one pod down at a time), for a service that runs more than one pod',
    });
    return pdb;
  }

  /** ServiceMonitor scraping `metricsPath` on the http port. */
  private addMetricsScrape(metricsPath: string): void {
    new MetricsScrape(this, 'metrics', {
      namespace: this.props.namespace,
      name: this.props.name,
      labels: this.labels,
      serviceSelector: this.podLabels,
      release: this.props.release!,
      endpoints: [{ port: 'http', path: metricsPath }],
    });
  }
}

/**
 * The configs to mount: the caller's, then the static site's nginx.conf (over the image's, file
 * by file) or, for a stand-in, its nginx server config.
 */
function mountedConfigs(p: WebServiceProps): MountedConfig[] {
  const configs = [...(p.configs ?? [])];
  if (p.staticSite) {
    const conf = named(p.name, () =>
      renderStaticSiteConfig({ ...p.staticSite!, port: p.port, healthPath: p.readinessPath, tempDir: '/tmp' }),
    );
    configs.push({ path: STATIC_SITE_CONFIG_DIR, asFiles: true, files: { 'nginx.conf': conf } });
  } else if (p.standIn) {
    configs.push({ path: '/etc/nginx/conf.d', files: { 'default.conf': standInConfig(p) } });
  }
  return configs;
}

/** Runs a renderer, prefixing its error with the WebService's name. */
function named<T>(name: string, render: () => T): T {
  try {
    return render();
  } catch (e) {
    throw new Error(`WebService '${name}': ${(e as Error).message}`, { cause: e });
  }
}

function validateProps(p: WebServiceProps): void {
  const where = `WebService '${p.name}'`;
  if (!Number.isInteger(p.port) || p.port < 1024 || p.port > 65535) {
    throw new Error(`${where}: port ${p.port}; expected an unprivileged port between 1024 and 65535 (the container runs as non-root)`);
  }
  if (!Number.isInteger(p.replicas) || p.replicas < 0) throw new Error(`${where}: replicas ${p.replicas}; expected an integer >= 0`);
  if (p.autoscaling) {
    const { minReplicas: min, maxReplicas: max } = p.autoscaling;
    if (!Number.isInteger(min) || min < 1) throw new Error(`${where}: autoscaling.minReplicas ${min}; expected an integer >= 1`);
    if (!Number.isInteger(max) || max < min)
      throw new Error(`${where}: autoscaling.maxReplicas ${max}; expected an integer >= minReplicas (${min})`);
  }
  for (const [field, path] of Object.entries({
    readinessPath: p.readinessPath,
    livenessPath: p.livenessPath,
    startupPath: p.startupPath,
    metricsPath: p.metricsPath,
  })) {
    if (path !== undefined && !/^\/[A-Za-z0-9_\-./{}]*$/.test(path))
      throw new Error(`${where}: ${field} '${path}'; expected an absolute URL path such as /health`);
  }
  (p.secretFiles ?? []).forEach((f, i) => {
    if (!dnsSubdomain.test(f.secretName))
      throw new Error(`${where}: secretFiles[${i}].secretName '${f.secretName}'; expected ${dnsSubdomain.expected}`);
    if (f.keys.length === 0)
      throw new Error(`${where}: secretFiles[${i}].keys is empty; expected the Secret keys to mount, e.g. ['ca.crt']`);
    if (!f.path.startsWith('/')) throw new Error(`${where}: secretFiles[${i}].path '${f.path}'; expected an absolute directory`);
  });
  if (p.metricsPath && !p.release)
    throw new Error(`${where}: metricsPath is set but release is missing; expected the kube-prometheus-stack release label value`);
  if (p.staticSite && p.metricsPath)
    throw new Error(
      `${where}: metricsPath '${p.metricsPath}' is set with staticSite; expected no metricsPath (the static site's nginx serves no metrics)`,
    );
  if (p.staticSite && p.livenessPath !== undefined && p.livenessPath !== p.readinessPath) {
    throw new Error(
      `${where}: livenessPath '${p.livenessPath}' differs from readinessPath '${p.readinessPath}' with staticSite; expected one health path (the static site answers only readinessPath)`,
    );
  }
  if (p.staticSite && p.configs?.some((c) => c.path === STATIC_SITE_CONFIG_DIR || c.path.startsWith(`${STATIC_SITE_CONFIG_DIR}/`))) {
    throw new Error(
      `${where}: configs mount under ${STATIC_SITE_CONFIG_DIR} with staticSite; expected other paths (staticSite owns ${STATIC_SITE_CONFIG_DIR}/nginx.conf)`,
    );
  }
  if (p.jvm && p.env && 'JAVA_TOOL_OPTIONS' in p.env)
    throw new Error(`${where}: env.JAVA_TOOL_OPTIONS is set together with jvm; expected one of them (jvm renders JAVA_TOOL_OPTIONS)`);
}

/** nginx config for the stand-in (`assets/stand-in-nginx.conf`): answers the component's probe and metrics paths on its port. */
function standInConfig(p: WebServiceProps): string {
  const paths = [...new Set([p.readinessPath, p.livenessPath ?? p.readinessPath, p.startupPath ?? p.readinessPath])];
  return renderAsset(__dirname, 'assets/stand-in-nginx.conf', {
    name: p.name,
    port: String(p.port),
    and_metrics: p.metricsPath ? ' and metrics' : '',
    health_locations: paths.flatMap((path) => renderAssetLines(__dirname, 'assets/stand-in-health-location.conf', { path })),
    metrics_location: p.metricsPath
      ? renderAssetLines(__dirname, 'assets/stand-in-metrics-location.conf', { path: p.metricsPath, name: p.name })
      : [],
  });
}
