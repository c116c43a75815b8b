import { createHash } from 'crypto';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { dns1035Label, dnsLabel, dnsSubdomain, ianaServiceName, memory } from '../../core/formats';
import { componentLabels, selectorLabels } from '../../core/labels';
import { HelmValues } from '../../output/helm';
import { MetricsScrape } from '../monitoring/service-monitor';
import { GraphComponent } from '../network/service-graph';
import { ContainerSpec, renderContainer, ResourceSpec, SecretKeyRef, WritablePath, writableVolumes } from '../workloads/container';
import { RunAs } from '../workloads/pod-security';
import { renderPodTemplate } from '../workloads/pod-template';
import { bindImage, bindResources, VALUE_SCHEMAS, valueKey } from '../workloads/workload-values';

/** Persistent storage of a store (one PVC per replica). */
export interface StorageSpec {
  /** Requested size per replica, e.g. `10Gi`. */
  readonly size: string;
  /** StorageClass. */
  readonly storageClassName: string;
}

/** A file set mounted read-only from a ConfigMap the store creates. */
export interface StoreConfigFiles {
  /** Suffix of the ConfigMap name (`<store>-<suffix>`) and volume name. */
  readonly suffix: string;
  readonly mountPath: string;
  readonly files: Readonly<Record<string, string>>;
  /** File mode. @default 0o444 */
  readonly defaultMode?: number;
  /**
   * Mount each file on its own (subPath) into an existing directory of the image (e.g. one config
   * file beside the app's code) instead of replacing `mountPath` with the ConfigMap.
   * @default false
   */
  readonly asFiles?: boolean;
}

/** The main container of a store, without name/ports (the store sets them). */
export type StoreContainer = Omit<ContainerSpec, 'name' | 'ports' | 'volumeMounts'> & {
  /** Extra writable paths. @default - /tmp */
  readonly writablePaths?: readonly WritablePath[];
};

/**
 * Keys of a Secret mounted as files (read-only) into the main container, the exporter and/or the
 * init containers, e.g. a TLS certificate, its key and CA. Only the listed containers see them.
 */
export interface StoreSecretFiles {
  /** Volume name, a DNS-1123 label unique in the pod (not `data`, a config suffix or a writable path's volume). */
  readonly volume: string;
  /** The Secret. */
  readonly secretName: string;
  /** Keys of the Secret, each mounted as a file of the same name. */
  readonly keys: readonly string[];
  /** Directory the files appear in. */
  readonly mountPath: string;
  /**
   * File mode. The kubelet makes the files owned by root with the pod's fsGroup as group, so 0o440
   * lets the store's user (whose group is the fsGroup) read a private key that others cannot.
   * @default 0o440
   */
  readonly defaultMode?: number;
  /** Containers that mount it: the store (`main`), its `exporter`, and/or every init container (`init`). */
  readonly containers: readonly ('main' | 'exporter' | 'init')[];
}

/** The exporter sidecar. */
export interface ExporterSpec extends Omit<ContainerSpec, 'name' | 'ports' | 'volumeMounts' | 'readiness' | 'liveness'> {
  /** Port the exporter serves metrics on (the Service port `metrics`). */
  readonly port: number;
  /** Path Prometheus scrapes. @default '/metrics' */
  readonly path?: string;
}

/** Metrics served by the main container itself. */
export interface StoreMetrics {
  /** Name of the port (of `ports`) that serves them, e.g. `http`. */
  readonly port: string;
  /** Path Prometheus scrapes, e.g. `/_prometheus/metrics`. @default '/metrics' */
  readonly path?: string;
}

/**
 * A container run to completion before the store starts, restricted like the main container,
 * with the main container's mounts (data volume, configs, writable paths, /dev/shm), so it can
 * prepare files the store reads (a key file with strict permissions, a keystore, a data layout).
 */
export interface StoreInitContainer {
  /** Container name (not the store's, not `exporter`). */
  readonly name: string;
  /** @default - the main container's image */
  readonly image?: string;
  readonly command: readonly string[];
  /** @default - none */
  readonly args?: readonly string[];
  /** @default - none */
  readonly env?: Readonly<Record<string, string>>;
  /** @default - none */
  readonly secretEnv?: Readonly<Record<string, SecretKeyRef>>;
  /** @default - the main container's resources */
  readonly resources?: ResourceSpec;
  /** @default - the store's runAs */
  readonly runAs?: RunAs;
  /**
   * Mount some of the main container's volumes at another path in this container, by the main
   * container's mount path, e.g. `{ '/usr/share/app/config': '/mnt/config' }`: the image's own files
   * under the main path stay visible, so the container can copy them into the emptyDir that covers
   * that path in the main container.
   * @default - every mount at the main container's path
   */
  readonly remount?: Readonly<Record<string, string>>;
}

/** How StatefulSet pods are started and stopped. */
export type PodManagementPolicy = 'OrderedReady' | 'Parallel';

/** Keeping replicas off one node: `required` (never two on a node), `preferred` (when possible), `none`. */
export type StoreAntiAffinity = 'required' | 'preferred' | 'none';

export interface StatefulStoreProps {
  readonly namespace: string;
  /** Names the StatefulSet, headless Service, ConfigMaps, PDB and ServiceMonitor (a DNS-1035 label). */
  readonly name: string;
  readonly partOf: string;
  /** `app.kubernetes.io/component`, e.g. `database`, `cache`, `search`. */
  readonly component: string;
  /**
   * Named ports of the main container, e.g. `{ postgres: 5432 }` or `{ http: 9200, transport: 9300 }`
   * (IANA port names, numbers 1-65535, each number once). All are on the headless Service.
   */
  readonly ports: Readonly<Record<string, number>>;
  /** The port clients use ({@link StatefulStore.port}): a name of `ports`. @default - the only port (required with several) */
  readonly clientPort?: string;
  /** Pods. Fixed at synth (not a Helm value): peer lists, the PDB and quorum derive from it. @default 1 */
  readonly replicas?: number;
  /**
   * `OrderedReady` starts pods one by one, each after the previous is ready; `Parallel` starts them
   * together (stores whose members must see each other to become ready, e.g. a search cluster
   * forming its first quorum).
   * @default 'OrderedReady'
   */
  readonly podManagementPolicy?: PodManagementPolicy;
  /** Spread pods across zones (hard) and nodes (soft), the same constraints as WebService. @default false */
  readonly spreadAcrossZones?: boolean;
  /** Pod anti-affinity across nodes. @default - 'preferred' with more than one replica, 'none' with one */
  readonly podAntiAffinity?: StoreAntiAffinity;
  readonly runAs: RunAs;
  readonly container: StoreContainer;
  /** Init containers, in order. @default - none */
  readonly initContainers?: readonly StoreInitContainer[];
  /** Where the data volume is mounted in the main container. */
  readonly dataPath: string;
  readonly storage: StorageSpec;
  readonly configs?: readonly StoreConfigFiles[];
  /** Secret keys mounted as files into the main container and/or the exporter. @default - none */
  readonly secretFiles?: readonly StoreSecretFiles[];
  /** Metrics served by the main container (exclusive with `exporter`). @default - none */
  readonly metrics?: StoreMetrics;
  /** Metrics exporter sidecar (exclusive with `metrics`). @default - none */
  readonly exporter?: ExporterSpec;
  /** Release label for the ServiceMonitor (required with `metrics` or `exporter`). @default - none */
  readonly release?: string;
  /** Memory-backed /dev/shm size (databases using shared memory). @default - none */
  readonly shmSize?: string;
  /** @default 60 */
  readonly terminationGracePeriodSeconds?: number;
  /**
   * Further containers after the main one and the exporter, e.g. a sidecar that uploads what the
   * store writes into a shared volume (rendered with `renderContainer`, so restricted like the rest).
   * @default - none
   */
  readonly sidecars?: readonly k8s.Container[];
  /** Further pod volumes, for {@link extraMounts} and the sidecars' mounts. @default - none */
  readonly extraVolumes?: readonly k8s.Volume[];
  /** Further mounts of the main container (volumes of {@link extraVolumes}). @default - none */
  readonly extraMounts?: readonly k8s.VolumeMount[];
  /** Service account of the pods (e.g. one annotated for IRSA); its API token is not mounted. @default - the namespace's default account */
  readonly serviceAccountName?: string;
  /** Dotted prefix of this store's Helm values. @default - name */
  readonly helmPrefix?: string;
}

const EXPORTER_PORT_NAME = 'metrics';

/**
 * A stateful store: StatefulSet (restricted pods, config checksum so config changes roll it),
 * a headless Service that gives each pod a stable name (`<name>-<i>.<name>.<namespace>.svc.cluster.local`,
 * published before the pods are ready when there are several, so members find each other),
 * one PVC per pod from volumeClaimTemplates, RETAINED when the StatefulSet is deleted or scaled
 * down, optional init containers, and metrics (from the main container or an exporter sidecar)
 * with their ServiceMonitor.
 *
 * With more than one replica it also renders a PodDisruptionBudget with `maxUnavailable: 1`:
 * voluntary disruptions (node drains) take one member at a time, which keeps a majority for
 * three or more members (quorum stores: MongoDB replica sets, Elasticsearch masters), and still
 * lets a drain proceed with two (a `minAvailable` of the quorum would block every drain there).
 * Pods prefer different nodes by default, and can be spread across zones.
 */
export class StatefulStore extends Construct implements GraphComponent {
  public readonly name: string;
  public readonly podLabels: Readonly<Record<string, string>>;
  /** Every Service port by name (the main container's, and the exporter's `metrics`). */
  public readonly ports: Readonly<Record<string, number>>;
  public readonly metricsPorts: readonly string[];
  public readonly statefulSet: k8s.KubeStatefulSet;
  /** The headless Service (stable pod names; clients resolve {@link host} through it). */
  public readonly service: k8s.KubeService;
  /** The PodDisruptionBudget (with more than one replica). */
  public readonly disruptionBudget?: k8s.KubePodDisruptionBudget;
  /** Cluster DNS name of the store. */
  public readonly host: string;
  /** The client port's number. */
  public readonly port: number;
  /** The client port's name. */
  public readonly clientPort: string;
  public readonly replicas: number;
  /** Stable DNS name of each pod, by ordinal: `<name>-<i>.<name>.<namespace>.svc.cluster.local`. */
  public readonly peerHosts: readonly string[];
  /** The data PVC of each pod, by ordinal: `data-<name>-<i>`. */
  public readonly dataClaimNames: readonly string[];

  constructor(scope: Construct, id: string, props: StatefulStoreProps) {
    super(scope, id);
    validateProps(props);
    this.name = props.name;
    this.replicas = props.replicas ?? 1;
    const identity = { name: props.name, partOf: props.partOf, component: props.component };
    const labels = componentLabels(identity);
    this.podLabels = selectorLabels(identity);
    this.clientPort = props.clientPort ?? Object.keys(props.ports)[0];
    this.port = props.ports[this.clientPort];
    this.ports = { ...props.ports, ...(props.exporter ? { [EXPORTER_PORT_NAME]: props.exporter.port } : {}) };
    this.metricsPorts = props.exporter ? [EXPORTER_PORT_NAME] : props.metrics ? [props.metrics.port] : [];
    this.host = `${props.name}.${props.namespace}.svc.cluster.local`;
    const ordinals = [...Array(this.replicas).keys()];
    this.peerHosts = ordinals.map((i) => `${props.name}-${i}.${this.host}`);
    this.dataClaimNames = ordinals.map((i) => `data-${props.name}-${i}`);
    const prefix = props.helmPrefix ?? valueKey(props.name);

    const { volumes, mounts, checksum } = this.renderConfigs(props, labels);
    const secretMounts = (container: 'main' | 'exporter' | 'init'): k8s.VolumeMount[] =>
      (props.secretFiles ?? [])
        .filter((f) => f.containers.includes(container))
        .map((f) => ({ name: f.volume, mountPath: f.mountPath, readOnly: true }));
    for (const f of props.secretFiles ?? []) {
      volumes.push({
        name: f.volume,
        secret: { secretName: f.secretName, defaultMode: f.defaultMode ?? 0o440, items: f.keys.map((key) => ({ key, path: key })) },
      });
    }
    const { writablePaths: _ignored, ...main } = props.container;
    const containers = [
      renderContainer({
        ...main,
        name: props.name,
        ports: { ...props.ports },
        volumeMounts: [...mounts, ...secretMounts('main'), ...(props.extraMounts ?? [])],
      }),
    ];
    if (props.exporter) containers.push(renderExporter(props.exporter, secretMounts('exporter')));
    containers.push(...(props.sidecars ?? []));
    volumes.push(...(props.extraVolumes ?? []));
    const initContainers = (props.initContainers ?? []).map((c) =>
      renderContainer({
        name: c.name,
        image: c.image ?? props.container.image,
        runAs: c.runAs ?? props.runAs,
        resources: c.resources ?? props.container.resources,
        command: c.command,
        ...(c.args ? { args: c.args } : {}),
        ...(c.env ? { env: c.env } : {}),
        ...(c.secretEnv ? { secretEnv: c.secretEnv } : {}),
        volumeMounts: [
          ...(c.remount ? mounts.map((m) => ({ ...m, mountPath: c.remount![m.mountPath] ?? m.mountPath })) : mounts),
          ...secretMounts('init'),
        ],
      }),
    );

    this.service = new k8s.KubeService(this, 'service', {
      metadata: { name: props.name, namespace: props.namespace, labels },
      spec: {
        clusterIp: 'None',
        ...(this.replicas > 1 ? { publishNotReadyAddresses: true } : {}),
        selector: { ...this.podLabels },
        ports: Object.entries(this.ports).map(([name, port]) => ({
          name,
          port,
          targetPort: k8s.IntOrString.fromString(name),
          protocol: 'TCP',
        })),
      },
    });

    const template = renderPodTemplate({
      labels,
      selector: this.podLabels,
      runAs: props.runAs,
      initContainers,
      containers,
      volumes,
      spreadAcrossZones: props.spreadAcrossZones,
      serviceAccountName: props.serviceAccountName,
      terminationGracePeriodSeconds: props.terminationGracePeriodSeconds ?? 60,
      annotations: { 'checksum/config': checksum },
    });
    const affinity = antiAffinity(props.podAntiAffinity ?? (this.replicas > 1 ? 'preferred' : 'none'), this.podLabels);
    this.statefulSet = new k8s.KubeStatefulSet(this, 'statefulset', {
      metadata: { name: props.name, namespace: props.namespace, labels },
      spec: {
        serviceName: props.name,
        replicas: this.replicas,
        revisionHistoryLimit: 5,
        podManagementPolicy: props.podManagementPolicy ?? 'OrderedReady',
        updateStrategy: { type: 'RollingUpdate' },
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
        selector: { matchLabels: { ...this.podLabels } },
        template: affinity ? { ...template, spec: { ...template.spec!, affinity } } : template,
        volumeClaimTemplates: [
          {
            metadata: { name: 'data', labels: { ...labels } },
            spec: {
              accessModes: ['ReadWriteOnce'],
              storageClassName: props.storage.storageClassName,
              resources: { requests: { storage: k8s.Quantity.fromString(props.storage.size) } },
            },
          },
        ],
      },
    });
    this.bindHelmValues(props, prefix);

    if (this.replicas > 1) {
      this.disruptionBudget = new k8s.KubePodDisruptionBudget(this, 'pdb', {
        metadata: { name: props.name, namespace: props.namespace, labels },
        spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: { ...this.podLabels } } },
      });
    }

    const endpoint = props.exporter
      ? { port: EXPORTER_PORT_NAME, ...(props.exporter.path ? { path: props.exporter.path } : {}) }
      : props.metrics
        ? { port: props.metrics.port, ...(props.metrics.path ? { path: props.metrics.path } : {}) }
        : undefined;
    if (endpoint) {
      new MetricsScrape(this, 'metrics', {
        namespace: props.namespace,
        name: props.name,
        labels,
        serviceSelector: this.podLabels,
        release: props.release!,
        endpoints: [endpoint],
      });
    }
  }

  /** The data PVC of the pod with this ordinal, e.g. `data-redis-0`. */
  public dataClaimName(ordinal: number): string {
    const claim = this.dataClaimNames[ordinal];
    if (claim === undefined)
      throw new Error(
        `StatefulStore '${this.name}': ordinal ${ordinal}; expected an integer from 0 to ${this.replicas - 1} (replicas: ${this.replicas})`,
      );
    return claim;
  }

  /** ConfigMaps, volumes and mounts (data, configs, writable paths, /dev/shm) and the config checksum. */
  private renderConfigs(
    props: StatefulStoreProps,
    labels: Record<string, string>,
  ): { volumes: k8s.Volume[]; mounts: k8s.VolumeMount[]; checksum: string } {
    const volumes: k8s.Volume[] = [];
    const mounts: k8s.VolumeMount[] = [{ name: 'data', mountPath: props.dataPath }];
    const checksum = createHash('sha256');
    for (const c of props.configs ?? []) {
      const cmName = `${props.name}-${c.suffix}`;
      new k8s.KubeConfigMap(this, `config-${c.suffix}`, {
        metadata: { name: cmName, namespace: props.namespace, labels },
        data: { ...c.files },
      });
      volumes.push({ name: c.suffix, configMap: { name: cmName, defaultMode: c.defaultMode ?? 0o444 } });
      if (c.asFiles) {
        for (const file of Object.keys(c.files))
          mounts.push({ name: c.suffix, mountPath: `${c.mountPath}/${file}`, subPath: file, readOnly: true });
      } else {
        mounts.push({ name: c.suffix, mountPath: c.mountPath, readOnly: true });
      }
      checksum.update(JSON.stringify([c.suffix, c.files]));
    }
    const rw = writableVolumes(props.name, props.container.writablePaths ?? [{ path: '/tmp' }]);
    volumes.push(...rw.volumes);
    mounts.push(...rw.mounts);
    if (props.shmSize) {
      volumes.push({ name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString(props.shmSize) } });
      mounts.push({ name: 'dshm', mountPath: '/dev/shm' });
    }
    return { volumes, mounts, checksum: checksum.digest('hex') };
  }

  /** Helm values: image, resources and storage of the store, image and resources of the exporter. */
  private bindHelmValues(props: StatefulStoreProps, prefix: string): void {
    const helm = HelmValues.of(this);
    bindImage(this.statefulSet, '/spec/template/spec/containers/0/image', prefix);
    bindResources(this.statefulSet, '/spec/template/spec/containers/0', prefix, props.container.resources.cpuLimit !== undefined);
    helm.bind(
      this.statefulSet,
      '/spec/volumeClaimTemplates/0/spec/resources/requests/storage',
      `${prefix}.storage.size`,
      VALUE_SCHEMAS.memory,
    );
    helm.bind(this.statefulSet, '/spec/volumeClaimTemplates/0/spec/storageClassName', `${prefix}.storage.className`, VALUE_SCHEMAS.dnsName);
    if (props.exporter) {
      bindImage(this.statefulSet, '/spec/template/spec/containers/1/image', `${prefix}.exporter`);
      bindResources(
        this.statefulSet,
        '/spec/template/spec/containers/1',
        `${prefix}.exporter`,
        props.exporter.resources.cpuLimit !== undefined,
      );
    }
  }
}

function renderExporter(spec: ExporterSpec, volumeMounts: k8s.VolumeMount[]): k8s.Container {
  const { port, path: _path, ...exporter } = spec;
  return renderContainer({
    ...exporter,
    name: 'exporter',
    volumeMounts,
    ports: { [EXPORTER_PORT_NAME]: port },
    readiness: { httpGet: { path: '/', port: EXPORTER_PORT_NAME } },
    liveness: { httpGet: { path: '/', port: EXPORTER_PORT_NAME } },
  });
}

/** Pod anti-affinity across nodes (`kubernetes.io/hostname`) for the store's own pods. */
function antiAffinity(mode: StoreAntiAffinity, selector: Readonly<Record<string, string>>): k8s.Affinity | undefined {
  const term = { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { ...selector } } };
  if (mode === 'required') return { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } };
  if (mode === 'preferred')
    return { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term }] } };
  return undefined;
}

/** Mount paths of the main container (data, configs, writable paths, /dev/shm), as renderConfigs mounts them. */
function storeMountPaths(p: StatefulStoreProps): string[] {
  return [
    p.dataPath,
    ...(p.configs ?? []).map((c) => c.mountPath),
    ...(p.container.writablePaths ?? [{ path: '/tmp' }]).map((w) => w.path),
    ...(p.shmSize ? ['/dev/shm'] : []),
  ];
}

function validateProps(p: StatefulStoreProps): void {
  const where = `StatefulStore '${p.name}'`;
  if (!dns1035Label.test(p.name)) throw new Error(`${where}: name '${p.name}'; expected ${dns1035Label.expected} (it names the Service)`);
  const replicas = p.replicas ?? 1;
  if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`${where}: replicas ${replicas}; expected an integer >= 1`);
  const policy = p.podManagementPolicy ?? 'OrderedReady';
  if (policy !== 'OrderedReady' && policy !== 'Parallel')
    throw new Error(`${where}: podManagementPolicy '${policy as string}'; expected 'OrderedReady' or 'Parallel'`);
  if (p.podAntiAffinity !== undefined && !['required', 'preferred', 'none'].includes(p.podAntiAffinity)) {
    throw new Error(`${where}: podAntiAffinity '${p.podAntiAffinity as string}'; expected 'required', 'preferred' or 'none'`);
  }

  const names = Object.keys(p.ports);
  if (names.length === 0) throw new Error(`${where}: ports is empty; expected at least the client port, e.g. { postgres: 5432 }`);
  const all = { ...p.ports, ...(p.exporter ? { [EXPORTER_PORT_NAME]: p.exporter.port } : {}) };
  if (p.exporter && EXPORTER_PORT_NAME in p.ports)
    throw new Error(
      `${where}: ports has '${EXPORTER_PORT_NAME}', the exporter's port name; expected another name, or metrics from the main container instead of an exporter`,
    );
  const byNumber = new Map<number, string>();
  for (const [name, number] of Object.entries(all)) {
    const field = name === EXPORTER_PORT_NAME && p.exporter ? 'exporter.port' : `ports.${name}`;
    if (!ianaServiceName.test(name)) throw new Error(`${where}: port name '${name}'; expected ${ianaServiceName.expected}`);
    if (!Number.isInteger(number) || number < 1 || number > 65535)
      throw new Error(`${where}: ${field} ${number}; expected an integer between 1 and 65535`);
    const other = byNumber.get(number);
    if (other !== undefined) throw new Error(`${where}: ${field} ${number} is also port '${other}'; expected each port number once`);
    byNumber.set(number, name);
  }
  if (p.clientPort === undefined && names.length > 1)
    throw new Error(`${where}: clientPort is missing with several ports (${names.join(', ')}); expected the name of the port clients use`);
  if (p.clientPort !== undefined && !(p.clientPort in p.ports))
    throw new Error(`${where}: clientPort '${p.clientPort}'; expected one of ports: ${names.join(', ')}`);

  if (p.metrics && p.exporter)
    throw new Error(
      `${where}: metrics and exporter are both set; expected one source of metrics (the main container's port, or an exporter sidecar)`,
    );
  if (p.metrics && !(p.metrics.port in p.ports))
    throw new Error(`${where}: metrics.port '${p.metrics.port}'; expected one of ports: ${names.join(', ')}`);
  for (const [field, path] of [
    ['metrics.path', p.metrics?.path],
    ['exporter.path', p.exporter?.path],
  ] as const) {
    if (path !== undefined && (!path.startsWith('/') || /\s/.test(path)))
      throw new Error(`${where}: ${field} '${path}'; expected an absolute URL path such as /metrics`);
  }
  if ((p.metrics || p.exporter) && !p.release)
    throw new Error(
      `${where}: ${p.exporter ? 'exporter' : 'metrics'} is set but release is missing; expected the kube-prometheus-stack release label value`,
    );

  const containerNames = new Set([p.name, ...(p.exporter ? ['exporter'] : [])]);
  for (const c of p.initContainers ?? []) {
    if (containerNames.has(c.name))
      throw new Error(
        `${where}: init container '${c.name}' has the name of another container (${[...containerNames].join(', ')}); expected unique names`,
      );
    containerNames.add(c.name);
    if (c.command.length === 0) throw new Error(`${where}: init container '${c.name}' has an empty command; expected the program to run`);
    const mountPaths = storeMountPaths(p);
    for (const [from, to] of Object.entries(c.remount ?? {})) {
      if (!mountPaths.includes(from))
        throw new Error(
          `${where}: init container '${c.name}' remount '${from}'; expected a mount path of the main container: ${mountPaths.join(', ')}`,
        );
      if (!to.startsWith('/') || mountPaths.includes(to))
        throw new Error(
          `${where}: init container '${c.name}' remount '${from}' to '${to}'; expected an absolute path that no other volume is mounted at`,
        );
    }
  }

  const volumeNames = new Set(['data', 'dshm', ...(p.configs ?? []).map((c) => c.suffix)]);
  (p.secretFiles ?? []).forEach((f, i) => {
    const field = `secretFiles[${i}]`;
    if (!dnsLabel.test(f.volume) || volumeNames.has(f.volume))
      throw new Error(
        `${where}: ${field}.volume '${f.volume}'; expected ${dnsLabel.expected}, not one of the pod's other volumes (${[...volumeNames].join(', ')})`,
      );
    volumeNames.add(f.volume);
    if (!dnsSubdomain.test(f.secretName))
      throw new Error(`${where}: ${field}.secretName '${f.secretName}'; expected ${dnsSubdomain.expected}`);
    if (f.keys.length === 0) throw new Error(`${where}: ${field}.keys is empty; expected the Secret keys to mount, e.g. ['ca.crt']`);
    const hasInit = (p.initContainers ?? []).length > 0;
    if (
      f.containers.length === 0 ||
      f.containers.some((c) => c !== 'main' && !(c === 'exporter' && p.exporter) && !(c === 'init' && hasInit))
    )
      throw new Error(
        `${where}: ${field}.containers ${JSON.stringify(f.containers)}; expected some of 'main'${p.exporter ? ", 'exporter'" : ''}${hasInit ? ", 'init'" : ''}` +
          `${p.exporter ? '' : ' (there is no exporter)'}${hasInit ? '' : ' (there are no init containers)'}`,
      );
  });

  const podVolumes = new Set([
    ...volumeNames,
    ...writableVolumes(p.name, p.container.writablePaths ?? [{ path: '/tmp' }]).volumes.map((v) => v.name),
  ]);
  (p.extraVolumes ?? []).forEach((v, i) => {
    if (!dnsLabel.test(v.name) || podVolumes.has(v.name))
      throw new Error(
        `${where}: extraVolumes[${i}].name '${v.name}'; expected ${dnsLabel.expected}, not one of the pod's other volumes (${[...podVolumes].join(', ')})`,
      );
    podVolumes.add(v.name);
  });
  const extraVolumeNames = (p.extraVolumes ?? []).map((v) => v.name);
  (p.extraMounts ?? []).forEach((m, i) => {
    if (!extraVolumeNames.includes(m.name))
      throw new Error(
        `${where}: extraMounts[${i}].name '${m.name}'; expected one of extraVolumes (${extraVolumeNames.join(', ') || 'none'})`,
      );
  });
  (p.sidecars ?? []).forEach((c, i) => {
    if (containerNames.has(c.name))
      throw new Error(
        `${where}: sidecars[${i}].name '${c.name}' is another container's (${[...containerNames].join(', ')}); expected a unique name`,
      );
    containerNames.add(c.name);
  });

  if (!memory.test(p.storage.size)) throw new Error(`${where}: storage.size '${p.storage.size}'; expected ${memory.expected}`);
  if (!dnsSubdomain.test(p.storage.storageClassName))
    throw new Error(`${where}: storage.storageClassName '${p.storage.storageClassName}'; expected ${dnsSubdomain.expected}`);
}
