import { JsonPatch } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import {
  Certificate,
  CertificateSpecPrivateKeyAlgorithm,
  CertificateSpecPrivateKeyRotationPolicy,
  CertificateSpecUsages,
} from '../../../imports/cert-manager.io';
import { readAsset } from '../../core/assets';
import { dnsSubdomain, Format, memoryBytes, pinnedImage } from '../../core/formats';
import { componentLabels } from '../../core/labels';
import { StatefulStore, StoreAntiAffinity, StorageSpec } from '../data/stateful-store';
import { GraphComponent, ServiceGraph } from '../network/service-graph';
import { ObjectStorage, SECRET_KEY } from '../storage/object-storage';
import { ResourceSpec, SecretKeyRef } from '../workloads/container';
import { SearchEndpoint } from './search-setup';

/** A user of Elasticsearch's native realm: its name, and the Secret key holding its password. */
export interface ElasticsearchUser {
  readonly username: string;
  readonly password: SecretKeyRef;
}

/** The cert-manager issuer that signs the cluster's certificate. */
export interface ElasticsearchTlsIssuer {
  /** Issuer name (a CA issuer: an ACME issuer cannot certify cluster-internal names). */
  readonly name: string;
  /** @default 'ClusterIssuer' */
  readonly kind?: 'ClusterIssuer' | 'Issuer';
}

/** TLS on HTTP (9200) and on the transport (9300), with a cert-manager Certificate the construct renders. */
export interface ElasticsearchTlsProps {
  /** Issuer of the Certificate. */
  readonly issuer: ElasticsearchTlsIssuer;
  /** The Certificate's Secret (`tls.crt`, `tls.key`, `ca.crt`); the Certificate is named like it. */
  readonly secretName: string;
}

/** Security of the cluster. Authentication is always on. */
export interface ElasticsearchSecurityProps {
  /**
   * Password of the built-in `elastic` superuser. The image's entrypoint puts it in the keystore
   * as `bootstrap.password`, which becomes the user's password when the security index is created.
   */
  readonly elasticPassword: SecretKeyRef;
  /** TLS on HTTP and transport. Required with more than one node. @default - no TLS (one node only) */
  readonly tls?: ElasticsearchTlsProps;
}

/** The prometheus-community elasticsearch_exporter sidecar. */
export interface ElasticsearchExporterProps {
  /** quay.io/prometheuscommunity/elasticsearch-exporter, pinned (the alert rules' metric names are those of v1.9.x). */
  readonly image: string;
  readonly resources: ResourceSpec;
  /**
   * User the exporter reads cluster health, node stats and cluster settings as (the `monitor` cluster privilege is enough).
   * @default - the `elastic` user with {@link ElasticsearchSecurityProps.elasticPassword}
   */
  readonly user?: ElasticsearchUser;
  /**
   * Also export per-index statistics (`--es.indices`: `elasticsearch_indices_docs_primary` and the
   * like, from `/_all/_stats` on every scrape), e.g. for an alert when logs stop arriving. Costs a
   * series set per index; the user needs the `monitor` index privilege.
   * @default false
   */
  readonly indices?: boolean;
}

export interface ElasticsearchClusterProps {
  readonly namespace: string;
  /** Names the StatefulSet, Service, ConfigMaps, PDB, ServiceMonitor and ServiceAccount. @default 'elasticsearch' */
  readonly name?: string;
  readonly partOf: string;
  /** docker.elastic.co/elasticsearch/elasticsearch, pinned. */
  readonly image: string;
  /** `cluster.name`: lowercase letters, digits, '-' and '_' (e.g. `ecommerce-prod`). */
  readonly clusterName: string;
  /**
   * Nodes, each master-eligible and a data node: 1, 3, 5 or 7. An odd count keeps a majority of
   * master-eligible nodes, so an elected master, through the loss of 1 (of 3), 2 (of 5) or 3 (of 7).
   * @default 1
   */
  readonly nodes?: number;
  /** JVM heap of each node (`-Xms` = `-Xmx`), e.g. `512m` or `1g`: at most half the memory limit (the rest is for the filesystem cache and off-heap memory). */
  readonly heap: string;
  readonly resources: ResourceSpec;
  readonly storage: StorageSpec;
  readonly security: ElasticsearchSecurityProps;
  /**
   * Object store of snapshot repositories: configures the node-level S3 client (`s3.client.default`)
   * that SearchSetup's S3 repository uses: endpoint, path-style access and keystore keys for an
   * S3-compatible server; IRSA (a ServiceAccount with the role annotation, the web identity token
   * linked into the config directory) for Amazon S3.
   * @default - no S3 client configured
   */
  readonly objectStorage?: ObjectStorage;
  /** elasticsearch_exporter sidecar (port 9114) with its ServiceMonitor. @default - no exporter */
  readonly exporter?: ElasticsearchExporterProps;
  /** kube-prometheus-stack release label of the ServiceMonitor (required with `exporter`). @default - none */
  readonly release?: string;
  /** Spread nodes across zones (hard) and hosts (soft). @default false */
  readonly spreadAcrossZones?: boolean;
  /** @default - 'preferred' with more than one node */
  readonly podAntiAffinity?: StoreAntiAffinity;
  /** Seconds a node may take to start before liveness applies. @default 600 */
  readonly startupSeconds?: number;
  /** @default - name */
  readonly helmPrefix?: string;
}

/** Options of {@link ElasticsearchCluster.clientEnv}. */
export interface ElasticsearchClientEnvOptions {
  /** Prefix of the variable names. @default 'ES' */
  readonly prefix?: string;
}

/** Environment of a client, plain and from Secrets. */
export interface ElasticsearchClientEnv {
  readonly env: Readonly<Record<string, string>>;
  readonly secretEnv: Readonly<Record<string, SecretKeyRef>>;
}

/** `elasticsearch` in the official image. */
export const ES_UID = 1000;
export const ES_HTTP_PORT = 9200;
export const ES_TRANSPORT_PORT = 9300;
export const ES_EXPORTER_PORT = 9114;
/** Node counts allowed: odd, so the master-eligible nodes keep a majority. */
export const ES_NODE_COUNTS: readonly number[] = [1, 3, 5, 7];
/** The built-in superuser. */
export const ES_ELASTIC_USER = 'elastic';

const HOME = '/usr/share/elasticsearch';
const CONFIG_DIR = `${HOME}/config`;
const DATA_DIR = `${HOME}/data`;
const LOGS_DIR = `${HOME}/logs`;
const CERTS_DIR = `${CONFIG_DIR}/certs`;
const SETTINGS_DIR = '/etc/elasticsearch-settings';
const SCRIPTS_DIR = '/etc/elasticsearch-scripts';
/** Where the prepare init container sees the config emptyDir (its own CONFIG_DIR is the image's). */
const CONFIG_TARGET = '/mnt/elasticsearch-config';
const S3_CLIENT = 'default';
const CLUSTER_NAME: Format = {
  expected: "a cluster name of 1-64 lowercase letters, digits, '-' and '_', starting with a letter or digit (e.g. 'ecommerce-prod')",
  pattern: '^[a-z0-9][a-z0-9_-]{0,63}$',
  test: (v: unknown): v is string => typeof v === 'string' && /^[a-z0-9][a-z0-9_-]{0,63}$/.test(v),
};
const HEAP: Format = {
  expected: "a JVM heap size in m or g, such as '512m' or '1g'",
  pattern: '^[1-9][0-9]*[mg]$',
  test: (v: unknown): v is string => typeof v === 'string' && /^[1-9][0-9]*[mg]$/.test(v),
};
const USER_NAME: Format = {
  expected: "a user name of 1-507 letters, digits, '_', '-', '.' and '@'",
  pattern: '^[A-Za-z0-9_.@-]{1,507}$',
  test: (v: unknown): v is string => typeof v === 'string' && /^[A-Za-z0-9_.@-]{1,507}$/.test(v),
};

/** The `prepare` init container's script (config directory, keystore, IRSA token link). */
export const elasticsearchPrepareScript = readAsset(__dirname, 'assets/elasticsearch-prepare.sh');
/** The readiness probe's script. */
export const elasticsearchReadyScript = readAsset(__dirname, 'assets/elasticsearch-ready.sh');

/** Bytes of a JVM heap size (`512m`, `1g`). */
export function heapBytes(heap: string): number {
  return Number(heap.slice(0, -1)) * 1024 ** (heap.endsWith('g') ? 3 : 2);
}

/**
 * JVM options file added to `jvm.options.d`: GC logs bounded to 4 x 16 MiB (the image's default,
 * 32 x 64 MiB, would overflow the logs emptyDir and get the pod evicted), JVM warnings to stderr.
 * `-Xlog:disable` first: it turns off the image's own GC log configuration (Elastic's documented way).
 */
export const ES_GC_OPTIONS = [
  '-Xlog:disable',
  '-Xlog:all=warning:stderr:utctime,level,tags',
  `-Xlog:gc*,gc+age=trace,safepoint:file=${LOGS_DIR}/gc.log:utctime,level,pid,tags:filecount=4,filesize=16m`,
  '',
].join('\n');

/**
 * An Elasticsearch cluster on the official image, built on {@link StatefulStore}: 1, 3, 5 or 7
 * nodes (each master-eligible and data), a retained PVC per node, a PDB and zone spread with
 * several, restricted pods (uid/gid 1000, read-only root):
 *
 * - no privileged sysctl init container: `node.store.allow_mmap: false` (Lucene uses NIO instead of
 *   mmap, so `vm.max_map_count` need not be raised on the node) and `bootstrap.memory_lock: false`;
 * - the config directory is an emptyDir (the entrypoint writes the keystore there): the `prepare`
 *   init container (assets/elasticsearch-prepare.sh) copies the image's config into it, adds our
 *   elasticsearch.yml (rendered from the props) and GC options, creates the keystore with the S3
 *   client's keys for an S3-compatible store, or links the IRSA web identity token for Amazon S3;
 *   logs and /tmp (ES_TMPDIR) are emptyDirs too;
 * - heap from `heap` (`ES_JAVA_OPTS=-Xms<heap> -Xmx<heap>`), at most half the memory limit;
 * - one node: `discovery.type: single-node`; more: `discovery.seed_hosts` are the nodes' stable
 *   names and `cluster.initial_master_nodes` their pod names (used once, to form the cluster);
 *   pods start in parallel (they must see each other to elect a master);
 * - security always on: authentication, `elastic`'s password from a Secret. With `tls`, HTTP and
 *   transport TLS with a cert-manager Certificate mounted from its Secret (Elasticsearch reloads the
 *   files when cert-manager renews them). Transport verification is `certificate`: nodes reach each
 *   other at their published pod IPs, which no certificate can name, so the chain to our CA is
 *   checked and the host name is not (what ECK does); clients verify the HTTP certificate fully
 *   against `ca.crt` and the Service or node names. Without `tls` (one node only: Elasticsearch
 *   requires transport TLS with security on and several nodes), HTTP is plain inside the namespace,
 *   behind the default-deny NetworkPolicies, and still authenticated: no unauthenticated store exists
 *   in any environment;
 * - readiness: the node's own `_cluster/health?local=true` answers 200 with credentials
 *   (assets/elasticsearch-ready.sh); startup and liveness: the transport port accepts connections;
 *   a preStop pause and a 180 s grace period (ECK's defaults) so endpoints drain and the node closes
 *   its shards cleanly;
 * - an elasticsearch_exporter sidecar (cluster health, node filesystem, cluster settings incl. disk
 *   watermarks) with its ServiceMonitor.
 *
 * Clients take {@link url}, {@link caSecretName} and {@link clientEnv}, and are let in with
 * {@link allowClient}; {@link addToGraph} declares the transport between nodes and the object store.
 */
export class ElasticsearchCluster extends StatefulStore {
  public readonly clusterName: string;
  public readonly image: string;
  /** `https` with TLS, else `http`. */
  public readonly scheme: 'http' | 'https';
  /** Base URL of the HTTP API through the Service, e.g. `https://elasticsearch.shop.svc.cluster.local:9200`. */
  public readonly url: string;
  /** Secret whose `ca.crt` verifies the HTTP certificate, with TLS. */
  public readonly caSecretName?: string;
  public readonly heap: string;
  /** The `elastic` superuser and its password. */
  public readonly elasticUser: ElasticsearchUser;
  /** The rendered elasticsearch.yml, as an object. */
  public readonly settings: Readonly<Record<string, unknown>>;
  /** The cert-manager Certificate, with TLS. */
  public readonly certificate?: Certificate;
  /** The ServiceAccount of the nodes, when the object store uses IRSA. */
  public readonly serviceAccount?: k8s.KubeServiceAccount;
  private readonly objectStorage?: ObjectStorage;

  constructor(scope: Construct, id: string, props: ElasticsearchClusterProps) {
    const name = props.name ?? 'elasticsearch';
    const nodes = props.nodes ?? 1;
    const s3 = validateProps(name, props);
    const tls = props.security.tls;
    const scheme = tls ? 'https' : 'http';
    const host = `${name}.${props.namespace}.svc.cluster.local`;
    const podNames = [...Array(nodes).keys()].map((i) => `${name}-${i}`);
    const peerHosts = podNames.map((pod) => `${pod}.${host}`);
    const settings = renderSettings(props, nodes, peerHosts, podNames, s3);
    const irsa = s3?.irsa ?? false;

    super(scope, id, {
      namespace: props.namespace,
      name,
      partOf: props.partOf,
      component: 'search',
      ports: { http: ES_HTTP_PORT, transport: ES_TRANSPORT_PORT },
      clientPort: 'http',
      replicas: nodes,
      podManagementPolicy: 'Parallel',
      runAs: { user: ES_UID, group: ES_UID, fsGroup: ES_UID },
      dataPath: DATA_DIR,
      storage: props.storage,
      release: props.release,
      helmPrefix: props.helmPrefix,
      spreadAcrossZones: props.spreadAcrossZones,
      podAntiAffinity: props.podAntiAffinity,
      serviceAccountName: irsa ? name : undefined,
      // Elastic's operator (ECK) gives nodes 180 s to stop: a node closes its shards and leaves the cluster cleanly.
      terminationGracePeriodSeconds: 180,
      configs: [
        { suffix: 'settings', mountPath: SETTINGS_DIR, files: { 'elasticsearch.yml': stringify(settings), 'gc.options': ES_GC_OPTIONS } },
        {
          suffix: 'scripts',
          mountPath: SCRIPTS_DIR,
          defaultMode: 0o555,
          files: { 'prepare.sh': elasticsearchPrepareScript, 'ready.sh': elasticsearchReadyScript },
        },
      ],
      initContainers: [
        {
          name: 'prepare',
          command: ['sh', `${SCRIPTS_DIR}/prepare.sh`],
          // The image's config directory stays visible here; the emptyDir that covers it in the node is at CONFIG_TARGET.
          remount: { [CONFIG_DIR]: CONFIG_TARGET },
          env: {
            ES_CONFIG_SOURCE: CONFIG_DIR,
            ES_CONFIG_TARGET: CONFIG_TARGET,
            ES_SETTINGS_DIR: SETTINGS_DIR,
            ES_TMPDIR: '/tmp',
            S3_CLIENT,
            ...(irsa ? { S3_WEB_IDENTITY: 'true' } : {}),
          },
          secretEnv: s3?.keys ? { S3_ACCESS_KEY: s3.keys.accessKey, S3_SECRET_KEY: s3.keys.secretKey } : undefined,
        },
      ],
      container: {
        image: props.image,
        runAs: { user: ES_UID, group: ES_UID },
        resources: props.resources,
        env: {
          ES_JAVA_OPTS: `-Xms${props.heap} -Xmx${props.heap}`,
          ES_TMPDIR: '/tmp',
          ES_HEALTH_URL: `${scheme}://127.0.0.1:${ES_HTTP_PORT}/_cluster/health?local=true`,
          ...(tls ? { ES_CA_FILE: `${CERTS_DIR}/ca.crt` } : {}),
        },
        secretEnv: { ELASTIC_PASSWORD: props.security.elasticPassword },
        readiness: { exec: ['sh', `${SCRIPTS_DIR}/ready.sh`], periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
        liveness: { tcpPort: 'transport', periodSeconds: 20, failureThreshold: 6 },
        startupSeconds: props.startupSeconds ?? 600,
        // Endpoints drop the node first, then it stops (ECK waits 50 s by default; 20 s covers endpoint propagation here).
        preStopSleepSeconds: 20,
        writablePaths: [
          { path: CONFIG_DIR, sizeLimit: '32Mi' },
          { path: LOGS_DIR, sizeLimit: '128Mi' },
          { path: '/tmp', sizeLimit: '256Mi' },
        ],
      },
      exporter: props.exporter && {
        image: props.exporter.image,
        port: ES_EXPORTER_PORT,
        runAs: { user: 65534 },
        resources: props.exporter.resources,
        args: [
          `--es.uri=${scheme}://127.0.0.1:${ES_HTTP_PORT}`,
          // Its own pod's node over the loopback: there is no name to verify on 127.0.0.1.
          ...(tls ? ['--es.ssl-skip-verify'] : []),
          '--es.timeout=10s',
          // Disk watermarks (elasticsearch_clustersettings_allocation_watermark_*), for the disk alert.
          '--collector.clustersettings',
          ...(props.exporter.indices ? ['--es.indices'] : []),
          `--web.listen-address=:${ES_EXPORTER_PORT}`,
          '--log.level=warn',
        ],
        env: { ES_USERNAME: props.exporter.user?.username ?? ES_ELASTIC_USER },
        secretEnv: { ES_PASSWORD: props.exporter.user?.password ?? props.security.elasticPassword },
      },
    });

    this.clusterName = props.clusterName;
    this.image = props.image;
    this.scheme = scheme;
    this.url = `${scheme}://${this.host}:${ES_HTTP_PORT}`;
    this.caSecretName = tls?.secretName;
    this.heap = props.heap;
    this.elasticUser = { username: ES_ELASTIC_USER, password: props.security.elasticPassword };
    this.settings = settings;
    this.objectStorage = props.objectStorage;

    const labels = componentLabels({ name, partOf: props.partOf, component: 'search' });
    if (tls) {
      this.certificate = this.renderCertificate(props.namespace, labels, tls);
      // Only the node mounts the certificate (not the init container or the exporter), read-only.
      this.statefulSet.addJsonPatch(
        JsonPatch.add('/spec/template/spec/volumes/-', {
          name: 'tls',
          secret: {
            secretName: tls.secretName,
            defaultMode: 0o440,
            items: ['tls.crt', 'tls.key', 'ca.crt'].map((key) => ({ key, path: key })),
          },
        }),
      );
      this.statefulSet.addJsonPatch(
        JsonPatch.add('/spec/template/spec/containers/0/volumeMounts/-', { name: 'tls', mountPath: CERTS_DIR, readOnly: true }),
      );
    }
    if (irsa) {
      this.serviceAccount = new k8s.KubeServiceAccount(this, 'sa', {
        metadata: { name, namespace: props.namespace, labels, annotations: { ...props.objectStorage!.serviceAccountAnnotations() } },
        // The EKS webhook projects the web identity token itself; no Kubernetes API token is needed.
        automountServiceAccountToken: false,
      });
    }
  }

  /**
   * Environment of a client: `<P>_URL` (no credentials), `<P>_USERNAME`, `<P>_PASSWORD` (from its
   * Secret) and, with TLS, `<P>_CA_PEM` (the CA from the TLS Secret). `<P>` is `ES` unless `prefix` says otherwise.
   */
  public clientEnv(user: ElasticsearchUser = this.elasticUser, options: ElasticsearchClientEnvOptions = {}): ElasticsearchClientEnv {
    const p = options.prefix ?? 'ES';
    if (!/^[A-Z][A-Z0-9_]*$/.test(p))
      throw new Error(
        `ElasticsearchCluster '${this.name}': clientEnv prefix '${p}'; expected upper-case letters, digits and '_', e.g. 'ES'`,
      );
    return {
      env: { [`${p}_URL`]: this.url, [`${p}_USERNAME`]: user.username },
      secretEnv: {
        [`${p}_PASSWORD`]: user.password,
        ...(this.caSecretName ? { [`${p}_CA_PEM`]: { secret: this.caSecretName, key: 'ca.crt' } } : {}),
      },
    };
  }

  /** The HTTP API as a SearchSetup (or other client) endpoint: URL, this component and the `http` port. */
  public searchEndpoint(): SearchEndpoint {
    return { url: this.url, component: this, port: 'http' };
  }

  /**
   * Adds the nodes to a service graph: node-to-node transport, and (with an object store) the
   * nodes' access to it for snapshots. Clients are let in with {@link allowClient}.
   */
  public addToGraph(graph: ServiceGraph): void {
    graph.addComponent(this);
    graph.allow(this, this, 'transport');
    this.objectStorage?.allowAccess(graph, this);
  }

  /** Lets `from` reach the HTTP API (port 9200): only what needs Elasticsearch (e.g. the log agent and Kibana). */
  public allowClient(graph: ServiceGraph, from: string | GraphComponent): void {
    graph.allow(from, this, 'http');
  }

  private renderCertificate(namespace: string, labels: Record<string, string>, tls: ElasticsearchTlsProps): Certificate {
    return new Certificate(this, 'certificate', {
      metadata: { name: tls.secretName, namespace, labels },
      spec: {
        secretName: tls.secretName,
        issuerRef: { name: tls.issuer.name, kind: tls.issuer.kind ?? 'ClusterIssuer', group: 'cert-manager.io' },
        // No commonName (64 characters at most); clients check the DNS names.
        dnsNames: [this.name, `${this.name}.${namespace}`, `${this.name}.${namespace}.svc`, this.host, ...this.peerHosts, 'localhost'],
        ipAddresses: ['127.0.0.1'],
        // Nodes present it to each other on the transport: client auth as well as server auth.
        usages: [
          CertificateSpecUsages.SERVER_AUTH,
          CertificateSpecUsages.CLIENT_AUTH,
          CertificateSpecUsages.DIGITAL_SIGNATURE,
          CertificateSpecUsages.KEY_ENCIPHERMENT,
        ],
        duration: '2160h',
        renewBefore: '720h',
        privateKey: {
          algorithm: CertificateSpecPrivateKeyAlgorithm.ECDSA,
          size: 256,
          rotationPolicy: CertificateSpecPrivateKeyRotationPolicy.ALWAYS,
        },
      },
    });
  }
}

/** How the nodes reach the object store: static keys (S3-compatible server) or IRSA (Amazon S3). */
interface S3Client {
  readonly region: string;
  readonly endpoint?: string;
  readonly keys?: { readonly accessKey: SecretKeyRef; readonly secretKey: SecretKeyRef };
  readonly irsa: boolean;
}

/** elasticsearch.yml, as an object (rendered with the `yaml` package). */
function renderSettings(
  props: ElasticsearchClusterProps,
  nodes: number,
  peerHosts: readonly string[],
  podNames: readonly string[],
  s3: S3Client | undefined,
): Record<string, unknown> {
  const tls = props.security.tls !== undefined;
  const ssl = (layer: 'http' | 'transport'): Record<string, unknown> =>
    tls
      ? {
          [`xpack.security.${layer}.ssl.enabled`]: true,
          [`xpack.security.${layer}.ssl.key`]: 'certs/tls.key',
          [`xpack.security.${layer}.ssl.certificate`]: 'certs/tls.crt',
          [`xpack.security.${layer}.ssl.certificate_authorities`]: ['certs/ca.crt'],
          ...(layer === 'transport' ? { 'xpack.security.transport.ssl.verification_mode': 'certificate' } : {}),
        }
      : { [`xpack.security.${layer}.ssl.enabled`]: false };
  return {
    'cluster.name': props.clusterName,
    // The pod name: the StatefulSet sets HOSTNAME to it, and cluster.initial_master_nodes lists pod names.
    'node.name': '${HOSTNAME}',
    'network.host': '0.0.0.0',
    'http.port': ES_HTTP_PORT,
    'transport.port': ES_TRANSPORT_PORT,
    'path.data': DATA_DIR,
    'path.logs': LOGS_DIR,
    // No mmap: vm.max_map_count stays the node's default, so no privileged sysctl init container.
    'node.store.allow_mmap': false,
    // Locking memory needs IPC_LOCK (dropped with every capability); the pod's memory limit and no swap on nodes keep the heap resident.
    'bootstrap.memory_lock': false,
    ...(nodes === 1
      ? { 'discovery.type': 'single-node' }
      : { 'discovery.seed_hosts': [...peerHosts], 'cluster.initial_master_nodes': [...podNames] }),
    'xpack.security.enabled': true,
    // Enrollment tokens are for nodes and Kibana joining by hand; here everything is configured.
    'xpack.security.enrollment.enabled': false,
    ...ssl('http'),
    ...ssl('transport'),
    ...(s3
      ? {
          [`s3.client.${S3_CLIENT}.region`]: s3.region,
          ...(s3.endpoint ? { [`s3.client.${S3_CLIENT}.endpoint`]: s3.endpoint, [`s3.client.${S3_CLIENT}.path_style_access`]: true } : {}),
        }
      : {}),
  };
}

/** Checks the props (throws naming the field, the value and what is allowed); returns how the nodes reach the object store. */
function validateProps(name: string, p: ElasticsearchClusterProps): S3Client | undefined {
  const where = `ElasticsearchCluster '${name}'`;
  const nodes = p.nodes ?? 1;
  if (!ES_NODE_COUNTS.includes(nodes))
    throw new Error(
      `${where}: nodes ${nodes}; expected ${ES_NODE_COUNTS.slice(0, -1).join(', ')} or ${ES_NODE_COUNTS.at(-1)} ` +
        '(an odd number of master-eligible nodes: with an even number, losing half of them leaves no majority, so no master)',
    );
  expectFormat(where, 'image', p.image, pinnedImage);
  expectFormat(where, 'clusterName', p.clusterName, CLUSTER_NAME);
  expectFormat(where, 'heap', p.heap, HEAP);
  const limit = p.resources.memoryLimit;
  if (heapBytes(p.heap) > memoryBytes(limit) / 2)
    throw new Error(
      `${where}: heap '${p.heap}' is more than half of resources.memoryLimit '${limit}'; expected at most ${Math.floor(memoryBytes(limit) / 2 / 1024 ** 2)}m ` +
        '(Elasticsearch needs the other half for the filesystem cache and off-heap memory)',
    );
  expectSecretRef(where, 'security.elasticPassword', p.security.elasticPassword);
  const tls = p.security.tls;
  if (!tls && nodes > 1)
    throw new Error(
      `${where}: nodes ${nodes} without security.tls; expected security.tls { issuer, secretName } (Elasticsearch requires transport TLS with security on and several nodes)`,
    );
  if (tls) {
    expectFormat(where, 'security.tls.secretName', tls.secretName, dnsSubdomain);
    expectFormat(where, 'security.tls.issuer.name', tls.issuer?.name, dnsSubdomain);
    if (tls.issuer.kind !== undefined && tls.issuer.kind !== 'ClusterIssuer' && tls.issuer.kind !== 'Issuer')
      throw new Error(`${where}: security.tls.issuer.kind '${tls.issuer.kind as string}'; expected 'ClusterIssuer' or 'Issuer'`);
  }
  if (p.exporter) {
    expectFormat(where, 'exporter.image', p.exporter.image, pinnedImage);
    if (p.exporter.user) {
      expectFormat(where, 'exporter.user.username', p.exporter.user.username, USER_NAME);
      expectSecretRef(where, 'exporter.user.password', p.exporter.user.password);
    }
  }
  if (p.startupSeconds !== undefined && (!Number.isInteger(p.startupSeconds) || p.startupSeconds < 1))
    throw new Error(`${where}: startupSeconds ${p.startupSeconds}; expected an integer >= 1`);

  const store = p.objectStorage;
  if (!store) return undefined;
  const secretEnv = store.clientEnv().secretEnv;
  const accessKey = secretEnv.AWS_ACCESS_KEY_ID;
  const secretKey = secretEnv.AWS_SECRET_ACCESS_KEY;
  const irsa = Object.keys(store.serviceAccountAnnotations()).length > 0;
  if (!(accessKey && secretKey) && !irsa)
    throw new Error(
      `${where}: objectStorage gives neither static keys (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) nor service account annotations (IRSA); ` +
        'expected an S3CompatibleStorage or an AmazonS3Storage',
    );
  return {
    region: store.region,
    endpoint: store.endpoint.url,
    keys: accessKey && secretKey ? { accessKey, secretKey } : undefined,
    irsa: irsa && !(accessKey && secretKey),
  };
}

function expectSecretRef(where: string, field: string, ref: SecretKeyRef | undefined): void {
  expectFormat(where, `${field}.secret`, ref?.secret, dnsSubdomain);
  expectFormat(where, `${field}.key`, ref?.key, SECRET_KEY);
}

/** Throws `<where>: <field> '<value>'; expected <what the format allows>` unless the value has the format. */
function expectFormat(where: string, field: string, value: unknown, format: Format): void {
  if (format.test(value)) return;
  throw new Error(`${where}: ${field} '${String(value)}'; expected ${format.expected}`);
}
