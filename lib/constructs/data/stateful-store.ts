import { createHash } from 'crypto';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { ContainerSpec, renderContainer, WritablePath, writableVolumes } from '../workloads/container';
import { HelmValues } from '../../output/helm';
import { componentLabels, selectorLabels } from '../../core/labels';
import { renderPodTemplate } from '../workloads/pod-template';
import { RunAs } from '../workloads/pod-security';
import { GraphComponent } from '../network/service-graph';
import { MetricsScrape } from '../monitoring/service-monitor';
import { bindImage, bindResources, VALUE_SCHEMAS, valueKey } from '../workloads/workload-values';

/** Persistent storage of a store. */
export interface StorageSpec {
  /** Requested size, e.g. `10Gi`. */
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
}

/** The main container of a store, without name/ports (the store sets them). */
export type StoreContainer = Omit<ContainerSpec, 'name' | 'ports' | 'volumeMounts'> & {
  /** Extra writable paths. @default - /tmp */
  readonly writablePaths?: readonly WritablePath[];
};

/** The exporter sidecar. */
export interface ExporterSpec extends Omit<ContainerSpec, 'name' | 'ports' | 'volumeMounts' | 'readiness' | 'liveness'> {
  /** Port the exporter serves metrics on. */
  readonly port: number;
}

export interface StatefulStoreProps {
  readonly namespace: string;
  /** Names the StatefulSet, headless Service, ConfigMaps and ServiceMonitor. */
  readonly name: string;
  readonly partOf: string;
  /** `app.kubernetes.io/component`, e.g. `database`, `cache`. */
  readonly component: string;
  /** Named port of the main container (e.g. `postgres: 5432`). */
  readonly port: { readonly name: string; readonly number: number };
  readonly runAs: RunAs;
  readonly container: StoreContainer;
  /** Where the data volume is mounted in the main container. */
  readonly dataPath: string;
  readonly storage: StorageSpec;
  readonly configs?: readonly StoreConfigFiles[];
  /** Metrics exporter sidecar. @default - none */
  readonly exporter?: ExporterSpec;
  /** Release label for the ServiceMonitor (required with exporter). */
  readonly release?: string;
  /** Memory-backed /dev/shm size (databases using shared memory). @default - none */
  readonly shmSize?: string;
  /** @default 60 */
  readonly terminationGracePeriodSeconds?: number;
  /** Dotted prefix of this store's Helm values. @default - name */
  readonly helmPrefix?: string;
}

/**
 * A single-instance stateful store: StatefulSet (restricted pod, config checksum
 * so config changes roll it), headless Service, a PVC from volumeClaimTemplates that
 * is RETAINED when the StatefulSet is deleted or scaled down, an optional exporter
 * sidecar with its ServiceMonitor.
 */
export class StatefulStore extends Construct implements GraphComponent {
  public readonly name: string;
  public readonly podLabels: Readonly<Record<string, string>>;
  public readonly ports: Readonly<Record<string, number>>;
  public readonly metricsPorts: readonly string[];
  public readonly statefulSet: k8s.KubeStatefulSet;
  /** PVC of the first replica's data volume (from volumeClaimTemplates), e.g. `data-redis-0`. */
  public readonly dataClaimName: string;
  public readonly service: k8s.KubeService;
  /** Cluster DNS name of the store. */
  public readonly host: string;
  /** The store's main port. */
  public readonly port: number;

  constructor(scope: Construct, id: string, props: StatefulStoreProps) {
    super(scope, id);
    this.name = props.name;
    const identity = { name: props.name, partOf: props.partOf, component: props.component };
    const labels = componentLabels(identity);
    this.podLabels = selectorLabels(identity);
    this.port = props.port.number;
    this.ports = { [props.port.name]: props.port.number, ...(props.exporter ? { metrics: props.exporter.port } : {}) };
    this.metricsPorts = props.exporter ? ['metrics'] : [];
    this.host = `${props.name}.${props.namespace}.svc.cluster.local`;
    const prefix = props.helmPrefix ?? valueKey(props.name);
    if (props.exporter && !props.release) throw new Error(`StatefulStore '${props.name}': exporter is set but release is missing; expected the kube-prometheus-stack release label value`);

    const volumes: k8s.Volume[] = [];
    const mounts: k8s.VolumeMount[] = [{ name: 'data', mountPath: props.dataPath }];
    const checksum = createHash('sha256');
    for (const c of props.configs ?? []) {
      const cmName = `${props.name}-${c.suffix}`;
      new k8s.KubeConfigMap(this, `config-${c.suffix}`, { metadata: { name: cmName, namespace: props.namespace, labels }, data: { ...c.files } });
      volumes.push({ name: c.suffix, configMap: { name: cmName, defaultMode: c.defaultMode ?? 0o444 } });
      mounts.push({ name: c.suffix, mountPath: c.mountPath, readOnly: true });
      checksum.update(JSON.stringify([c.suffix, c.files]));
    }
    const rw = writableVolumes(props.name, props.container.writablePaths ?? [{ path: '/tmp' }]);
    volumes.push(...rw.volumes);
    mounts.push(...rw.mounts);
    if (props.shmSize) {
      volumes.push({ name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString(props.shmSize) } });
      mounts.push({ name: 'dshm', mountPath: '/dev/shm' });
    }

    const { writablePaths: _ignored, ...main } = props.container;
    const containers = [renderContainer({ ...main, name: props.name, ports: { [props.port.name]: props.port.number }, volumeMounts: mounts })];
    if (props.exporter) {
      const { port, ...exporter } = props.exporter;
      containers.push(renderContainer({
        ...exporter,
        name: 'exporter',
        ports: { metrics: port },
        readiness: { httpGet: { path: '/', port: 'metrics' } },
        liveness: { httpGet: { path: '/', port: 'metrics' } },
      }));
    }

    this.service = new k8s.KubeService(this, 'service', {
      metadata: { name: props.name, namespace: props.namespace, labels },
      spec: {
        clusterIp: 'None',
        selector: { ...this.podLabels },
        ports: Object.entries(this.ports).map(([name, port]) => ({ name, port, targetPort: k8s.IntOrString.fromString(name), protocol: 'TCP' })),
      },
    });

    this.dataClaimName = `data-${this.name}-0`;
    this.statefulSet = new k8s.KubeStatefulSet(this, 'statefulset', {
      metadata: { name: props.name, namespace: props.namespace, labels },
      spec: {
        serviceName: props.name,
        replicas: 1,
        revisionHistoryLimit: 5,
        podManagementPolicy: 'OrderedReady',
        updateStrategy: { type: 'RollingUpdate' },
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
        selector: { matchLabels: { ...this.podLabels } },
        template: renderPodTemplate({
          labels,
          selector: this.podLabels,
          runAs: props.runAs,
          containers,
          volumes,
          terminationGracePeriodSeconds: props.terminationGracePeriodSeconds ?? 60,
          annotations: { 'checksum/config': checksum.digest('hex') },
        }),
        volumeClaimTemplates: [{
          metadata: { name: 'data', labels: { ...labels } },
          spec: {
            accessModes: ['ReadWriteOnce'],
            storageClassName: props.storage.storageClassName,
            resources: { requests: { storage: k8s.Quantity.fromString(props.storage.size) } },
          },
        }],
      },
    });

    const helm = HelmValues.of(this);
    bindImage(this.statefulSet, '/spec/template/spec/containers/0/image', prefix);
    bindResources(this.statefulSet, '/spec/template/spec/containers/0', prefix, props.container.resources.cpuLimit !== undefined);
    helm.bind(this.statefulSet, '/spec/volumeClaimTemplates/0/spec/resources/requests/storage', `${prefix}.storage.size`, VALUE_SCHEMAS.memory);
    helm.bind(this.statefulSet, '/spec/volumeClaimTemplates/0/spec/storageClassName', `${prefix}.storage.className`, VALUE_SCHEMAS.dnsName);
    if (props.exporter) {
      bindImage(this.statefulSet, '/spec/template/spec/containers/1/image', `${prefix}.exporter`);
      bindResources(this.statefulSet, '/spec/template/spec/containers/1', `${prefix}.exporter`, props.exporter.resources.cpuLimit !== undefined);
      new MetricsScrape(this, 'metrics', {
        namespace: props.namespace,
        name: props.name,
        labels,
        serviceSelector: this.podLabels,
        release: props.release!,
        endpoints: [{ port: 'metrics' }],
      });
    }
  }
}
