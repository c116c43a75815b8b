import { createHash } from 'crypto';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import {
  Certificate,
  CertificateSpecPrivateKeyAlgorithm,
  CertificateSpecPrivateKeyRotationPolicy,
  CertificateSpecUsages,
} from '../../../imports/cert-manager.io';
import {
  ExternalSecret,
  ExternalSecretSpecSecretStoreRefKind,
  ExternalSecretSpecTargetCreationPolicy,
  SecretStore,
  SecretStoreSpecProviderKubernetesServerCaProviderType,
} from '../../../imports/external-secrets.io';
import { dnsLabel, dnsSubdomain, Format, isCidr, labelKey, labelValue, pinnedImage } from '../../core/formats';
import { componentLabels, selectorLabels } from '../../core/labels';
import { MetricsScrape } from '../monitoring/service-monitor';
import { ExternalPeer, GraphComponent, ServiceGraph } from '../network/service-graph';
import { AppNamespace } from '../platform/app-namespace';
import { SECRET_KEY } from '../storage/object-storage';
import { ResourceSpec, SecretKeyRef, validateResources } from '../workloads/container';
import { dataStreamName, renderFluentBitConfig, validateShipperConfig } from './fluent-bit-config';

/** An Elasticsearch cluster as the shipper sees it (an ElasticsearchCluster is one). */
export interface LogShipperTarget {
  /** Name of its pods' component (and of its Service). */
  readonly name: string;
  /** Cluster DNS name of its Service, `<name>.<namespace>.svc.cluster.local`. */
  readonly host: string;
  /** `https` when its HTTP layer has TLS. */
  readonly scheme: 'http' | 'https';
  /** Labels of its pods. */
  readonly podLabels: Readonly<Record<string, string>>;
  /** Its ports; `http` is the HTTP API. */
  readonly ports: Readonly<Record<string, number>>;
}

/** The cert-manager issuer of the cluster's HTTP certificate. */
export interface LogShipperTlsIssuer {
  readonly name: string;
  /** @default 'ClusterIssuer' */
  readonly kind?: 'ClusterIssuer' | 'Issuer';
}

/** Where the shipper writes and as whom. */
export interface LogShipperElasticsearch {
  readonly cluster: LogShipperTarget;
  /** Namespace the cluster runs in. */
  readonly namespace: string;
  /** User the agent writes as. */
  readonly username: string;
  /**
   * Its password: a key of a Secret in the cluster's namespace. The shipper's own namespace gets a
   * copy (External Secrets, Kubernetes provider) through a Role that may read this Secret only, so
   * give it a Secret that holds this user's password and nothing more valuable.
   */
  readonly password: SecretKeyRef;
  /**
   * Issuer of the cluster's HTTP certificate (required with `https`). The shipper asks it for a
   * certificate of its own in the cluster's namespace: that Secret's `ca.crt` is the CA that
   * verifies Elasticsearch, and only `ca.crt` is copied to the shipper's namespace.
   * @default - none (plain HTTP)
   */
  readonly tlsIssuer?: LogShipperTlsIssuer;
}

/** One watched namespace. */
export interface LogSource {
  readonly namespace: string;
  /**
   * Value of the app label -> data stream family, e.g. `{ gateway: 'gateway-logs' }`: that app's
   * pods write to `<family>-<namespace>` (`gateway-logs-shop`).
   */
  readonly routes: Readonly<Record<string, string>>;
  /** Family of every other pod of the namespace, e.g. `logs` (`logs-shop`). */
  readonly otherDataStream: string;
}

/** How the agent reaches the Kubernetes API (the kubernetes filter reads each pod's labels); an IPv4 peer of its graph. */
export interface ApiServerEndpoint {
  /**
   * Addresses of the API server's endpoints (NetworkPolicies apply after the `kubernetes` Service's
   * address is translated, so these are the endpoints, e.g. the kind control-plane node or the EKS
   * control plane's ENIs in the VPC).
   */
  readonly cidrs: readonly string[];
  /** Their port: 6443 on kind, 443 on EKS. */
  readonly port: number;
}

export interface LogShipperProps {
  /** Namespace of the agent, created by the construct (Pod Security `privileged`, with the reason). @default 'logging' */
  readonly namespace?: string;
  /** Names the DaemonSet, ServiceAccount, ConfigMap, Services and graph component. @default 'log-shipper' */
  readonly name?: string;
  readonly partOf: string;
  /** cr.fluentbit.io/fluent/fluent-bit, pinned. */
  readonly image: string;
  readonly resources: ResourceSpec;
  /** Namespaces whose container logs are shipped, each with its routes. */
  readonly sources: readonly LogSource[];
  /** Pod label whose value selects a route. @default 'app.kubernetes.io/name' */
  readonly appLabel?: string;
  readonly elasticsearch: LogShipperElasticsearch;
  readonly apiServer: ApiServerEndpoint;
  /** Prometheus pods (they scrape the agent's metrics). */
  readonly prometheus: ExternalPeer;
  /** kube-prometheus-stack release label of the ServiceMonitor. */
  readonly release: string;
  /**
   * Disk each output may fill with chunks Elasticsearch has not taken yet (`storage.total_limit_size`);
   * the oldest chunks are dropped beyond it.
   * @default '256M' (a few hours of a small cluster's logs, and a bound on the node disk the agent takes)
   */
  readonly outputBufferLimit?: string;
  /**
   * Retries of a chunk before it is dropped.
   * @default 30 (Fluent Bit backs off up to 2000 s between tries: several hours of an Elasticsearch outage, while a chunk it rejects for good is dropped in the end)
   */
  readonly retryLimit?: number;
  /**
   * Node directory of the tail positions and the buffer.
   * @default '/var/lib/fluent-bit/<namespace>-<name>'
   */
  readonly stateHostPath?: string;
  /**
   * PriorityClass of the pods.
   * @default 'system-node-critical' (built into Kubernetes: a node agent must run on every node, also a full one)
   */
  readonly priorityClassName?: string;
}

/** The HTTP server's port (health and metrics), Fluent Bit's default. */
export const LOG_SHIPPER_HTTP_PORT = 2020;
/** Where the configuration is mounted (beside the image's own parsers.conf in /fluent-bit/etc). */
const CONFIG_DIR = '/fluent-bit/etc/conf';
const CONFIG_FILE = 'fluent-bit.yaml';
const TLS_DIR = '/fluent-bit/tls';
const STATE_DIR = '/var/fluent-bit/state';
const PASSWORD_ENV = 'ES_PASSWORD';
const APP_LABEL = 'app.kubernetes.io/name';
/** The API server's name in the shipper's graph. */
const API_SERVER_PEER = 'kube-apiserver';
/** The Pod Security reason written on the namespace. */
export const LOG_SHIPPER_PSS_REASON =
  "Fluent Bit reads the nodes' container logs (/var/log/pods, /var/log/containers) and keeps its tail positions in /var/lib through hostPath volumes, which 'baseline' forbids too. It runs as uid 0 (the log files are root's, mode 0640) with every capability dropped, no privilege escalation, a read-only root and read-only log mounts.";

/** A data stream family: lowercase, not starting with '-', '_' or '.', without Elasticsearch's reserved characters. */
const DATA_STREAM: Format = {
  expected: "a data stream family of lowercase letters, digits, '-', '_' and '.', starting with a letter or digit (e.g. 'gateway-logs')",
  test: (v: unknown): v is string => typeof v === 'string' && /^[a-z0-9][a-z0-9._-]{0,199}$/.test(v),
};
const UNIT_SIZE: Format = {
  expected: "a Fluent Bit size such as '256M' or '1G'",
  test: (v: unknown): v is string => typeof v === 'string' && /^[1-9][0-9]*[KMG]$/.test(v),
};
const USER_NAME: Format = {
  expected: "a user name of 1-507 letters, digits, '_', '-', '.' and '@'",
  test: (v: unknown): v is string => typeof v === 'string' && /^[A-Za-z0-9_.@-]{1,507}$/.test(v),
};
const HOST_PATH: Format = {
  expected: "an absolute node path outside /var/log, such as '/var/lib/fluent-bit/logging'",
  test: (v: unknown): v is string =>
    typeof v === 'string' && /^\/[A-Za-z0-9._/-]+$/.test(v) && !/(^|\/)\.\.(\/|$)/.test(v) && !/^\/var\/log(\/|$)/.test(v),
};

/**
 * The log shipper: Fluent Bit as a DaemonSet in its own namespace, shipping the container logs of
 * the watched namespaces, with each pod's Kubernetes metadata, to Elasticsearch data streams:
 * pods whose app label has a route go to `<family>-<namespace>` of that route (e.g.
 * `gateway-logs-shop`), every other pod to `<otherDataStream>-<namespace>` (e.g. `logs-shop`).
 *
 * Why Fluent Bit: one small C binary (tens of MiB of memory per node), containerd's CRI log
 * format and Kubernetes metadata built in, an Elasticsearch output that writes data streams
 * (`create`), a filesystem buffer with a size cap, and Prometheus metrics and a health endpoint on
 * its own HTTP server. Vector would do as well, but its data stream mode builds names as
 * `type-dataset-namespace`, not the seed's `gateway-logs-*`.
 *
 * Security: the namespace enforces Pod Security `privileged` with the reason on it
 * ({@link LOG_SHIPPER_PSS_REASON}): hostPath volumes are forbidden from `baseline` up. Inside
 * that, the pod is as tight as reading root's log files allows: uid 0 without any capability
 * (the files are root's, mode 0640: the owner reads them without CAP_DAC_*), no privilege
 * escalation, RuntimeDefault seccomp, read-only root, /var/log/pods and /var/log/containers
 * mounted read-only. Its one writable node path holds the tail position databases and the
 * filesystem buffer, so a restarted agent neither ships files again from the start nor loses the
 * chunks Elasticsearch has not taken. RBAC: `get` on pods of the watched namespaces (and its own,
 * which the filter reads at start), nothing cluster-wide.
 *
 * Network: its namespace has its own {@link ServiceGraph} (default deny, DNS, Prometheus ->
 * metrics, agent -> Elasticsearch's HTTP port, agent -> the API server's endpoints by address).
 * {@link connect} lets the agent into Elasticsearch's namespace graph.
 *
 * Credentials and CA: the password Secret and the CA live in Elasticsearch's namespace; an
 * ExternalSecret (External Secrets' Kubernetes provider, through a ServiceAccount whose Role in
 * that namespace may `get` exactly those two Secrets) copies the password and `ca.crt` into
 * `<name>-elasticsearch` here. The CA comes from a certificate the shipper asks the cluster's
 * issuer for (a namespaced Issuer cannot sign in another namespace, cert-manager does not copy
 * Secrets, and trust-manager is not installed). Fluent Bit reads the CA file at start: a rotated
 * CA needs a rollout.
 *
 * The rendered configuration is checked at synth with {@link validateShipperConfig} (every input
 * has a parser, every record reaches exactly one output, every output's host is Elasticsearch).
 */
export class LogShipper extends Construct implements GraphComponent {
  public readonly name: string;
  public readonly namespace: string;
  public readonly podLabels: Readonly<Record<string, string>>;
  public readonly ports: Readonly<Record<string, number>> = { http: LOG_SHIPPER_HTTP_PORT };
  public readonly metricsPorts: readonly string[] = ['http'];
  /** The rendered `fluent-bit.yaml`. */
  public readonly config: string;
  /** Data streams written, e.g. `gateway-logs-shop`. */
  public readonly dataStreams: readonly string[];
  public readonly daemonSet: k8s.KubeDaemonSet;
  /** The graph of the shipper's namespace. */
  public readonly graph: ServiceGraph;
  /** The Secret (in the shipper's namespace) holding the password and, with TLS, `ca.crt`. */
  public readonly credentialsSecretName: string;
  private readonly target: LogShipperTarget;

  constructor(scope: Construct, id: string, props: LogShipperProps) {
    super(scope, id);
    const namespace = props.namespace ?? 'logging';
    const name = props.name ?? 'log-shipper';
    const where = `LogShipper '${name}'`;
    validateProps(where, namespace, props);
    const es = props.elasticsearch;
    const tls = es.cluster.scheme === 'https';
    const esPort = es.cluster.ports.http;
    const stateHostPath = props.stateHostPath ?? `/var/lib/fluent-bit/${namespace}-${name}`;

    this.name = name;
    this.namespace = namespace;
    this.target = es.cluster;
    const identity = { name, partOf: props.partOf, component: 'log-shipper' };
    const labels = componentLabels(identity);
    this.podLabels = selectorLabels(identity);
    this.credentialsSecretName = `${name}-elasticsearch`;
    this.dataStreams = props.sources.flatMap((s) =>
      [...Object.values(s.routes), s.otherDataStream].map((family) => dataStreamName(family, s.namespace)),
    );

    this.config = renderFluentBitConfig({
      sources: props.sources,
      appLabel: props.appLabel ?? APP_LABEL,
      elasticsearch: { host: es.cluster.host, port: esPort, tls, username: es.username, passwordEnv: PASSWORD_ENV },
      paths: { stateDir: STATE_DIR, caFile: tls ? `${TLS_DIR}/ca.crt` : undefined },
      httpPort: LOG_SHIPPER_HTTP_PORT,
      outputBufferLimit: props.outputBufferLimit ?? '256M',
      retryLimit: props.retryLimit ?? 30,
    });
    // The render is ours, but a route or output that no record reaches would fail silently in the cluster: check it here.
    const problems = validateShipperConfig(this.config, [{ host: es.cluster.host, ports: [esPort] }]);
    if (problems.length) throw new Error(`${where}: the rendered Fluent Bit configuration is unsound: ${problems.join('; ')}`);

    new AppNamespace(this, 'namespace', {
      name: namespace,
      labels: { 'app.kubernetes.io/part-of': props.partOf, 'app.kubernetes.io/managed-by': 'cdk8s' },
      podSecurity: 'privileged',
      podSecurityReason: LOG_SHIPPER_PSS_REASON,
    });

    // RBAC: the kubernetes filter GETs each pod it sees (/api/v1/namespaces/<ns>/pods/<pod>); namespace metadata is off.
    const serviceAccount = new k8s.KubeServiceAccount(this, 'sa', { metadata: { name, namespace, labels } });
    for (const ns of [namespace, ...props.sources.map((s) => s.namespace)]) {
      const roleName = ns === namespace ? name : `${namespace}-${name}`;
      new k8s.KubeRole(this, `role-${ns}`, {
        metadata: { name: roleName, namespace: ns, labels },
        rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
      });
      new k8s.KubeRoleBinding(this, `binding-${ns}`, {
        metadata: { name: roleName, namespace: ns, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: roleName },
        subjects: [{ kind: 'ServiceAccount', name, namespace }],
      });
    }

    const caSecret = tls ? this.renderClientCertificate(es, name, labels) : undefined;
    this.renderSecretCopy(es, namespace, name, labels, caSecret);

    const configMap = new k8s.KubeConfigMap(this, 'config', {
      metadata: { name: `${name}-config`, namespace, labels },
      data: { [CONFIG_FILE]: this.config },
    });

    const hostVolume = (volume: string, path: string, type: string): k8s.Volume => ({ name: volume, hostPath: { path, type } });
    this.daemonSet = new k8s.KubeDaemonSet(this, 'daemonset', {
      metadata: { name, namespace, labels },
      spec: {
        selector: { matchLabels: { ...this.podLabels } },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(1) } },
        template: {
          metadata: {
            labels: { ...labels },
            // A changed configuration rolls the pods (Fluent Bit reads it at start).
            annotations: { 'checksum/config': createHash('sha256').update(this.config).digest('hex') },
          },
          spec: {
            serviceAccountName: serviceAccount.name,
            // The kubernetes filter calls the API with the pod's token.
            automountServiceAccountToken: true,
            enableServiceLinks: false,
            priorityClassName: props.priorityClassName ?? 'system-node-critical',
            // The image and the paths it reads are Linux ones.
            nodeSelector: { 'kubernetes.io/os': 'linux' },
            // Every node, tainted ones included: a node without the agent is a node whose logs are lost.
            tolerations: [{ operator: 'Exists' }],
            // Fluent Bit flushes its buffers on SIGTERM (grace 5 s by default); 30 s covers a slow Elasticsearch.
            terminationGracePeriodSeconds: 30,
            securityContext: { runAsUser: 0, runAsGroup: 0, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              {
                name: 'fluent-bit',
                image: props.image,
                imagePullPolicy: 'IfNotPresent',
                command: ['/fluent-bit/bin/fluent-bit'],
                args: [`--config=${CONFIG_DIR}/${CONFIG_FILE}`],
                ports: [{ name: 'http', containerPort: LOG_SHIPPER_HTTP_PORT, protocol: 'TCP' }],
                env: [{ name: PASSWORD_ENV, valueFrom: { secretKeyRef: { name: this.credentialsSecretName, key: 'password' } } }],
                resources: {
                  requests: {
                    cpu: k8s.Quantity.fromString(props.resources.cpuRequest),
                    memory: k8s.Quantity.fromString(props.resources.memoryRequest),
                  },
                  limits: {
                    memory: k8s.Quantity.fromString(props.resources.memoryLimit),
                    ...(props.resources.cpuLimit ? { cpu: k8s.Quantity.fromString(props.resources.cpuLimit) } : {}),
                  },
                },
                securityContext: {
                  // uid 0 only to read root's 0640 log files as their owner; no capability at all.
                  runAsUser: 0,
                  runAsGroup: 0,
                  privileged: false,
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ['ALL'] },
                  seccompProfile: { type: 'RuntimeDefault' },
                },
                // Ready while outputs flush (/api/v1/health fails after repeated errors); alive while the HTTP server answers,
                // so an Elasticsearch outage makes the pods unready (a rollout stops) without restarting them in a loop.
                readinessProbe: {
                  httpGet: { path: '/api/v1/health', port: k8s.IntOrString.fromString('http') },
                  periodSeconds: 10,
                  timeoutSeconds: 5,
                  failureThreshold: 3,
                },
                livenessProbe: {
                  httpGet: { path: '/', port: k8s.IntOrString.fromString('http') },
                  periodSeconds: 20,
                  timeoutSeconds: 5,
                  failureThreshold: 6,
                },
                volumeMounts: [
                  { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
                  { name: 'var-log-pods', mountPath: '/var/log/pods', readOnly: true },
                  { name: 'var-log-containers', mountPath: '/var/log/containers', readOnly: true },
                  { name: 'state', mountPath: STATE_DIR },
                  ...(tls ? [{ name: 'tls', mountPath: TLS_DIR, readOnly: true }] : []),
                ],
                terminationMessagePolicy: 'FallbackToLogsOnError',
              },
            ],
            volumes: [
              { name: 'config', configMap: { name: configMap.name, defaultMode: 0o444 } },
              hostVolume('var-log-pods', '/var/log/pods', 'Directory'),
              hostVolume('var-log-containers', '/var/log/containers', 'Directory'),
              hostVolume('state', stateHostPath, 'DirectoryOrCreate'),
              ...(tls
                ? [
                    {
                      name: 'tls',
                      secret: { secretName: this.credentialsSecretName, items: [{ key: 'ca.crt', path: 'ca.crt' }], defaultMode: 0o444 },
                    },
                  ]
                : []),
            ],
          },
        },
      },
    });

    // Metrics for Prometheus (an alert can say "shipping stopped"). Not-ready pods stay scraped: a failing agent is the one to see.
    new k8s.KubeService(this, 'metrics', {
      metadata: { name: `${name}-metrics`, namespace, labels },
      spec: {
        selector: { ...this.podLabels },
        publishNotReadyAddresses: true,
        ports: [{ name: 'http', port: LOG_SHIPPER_HTTP_PORT, targetPort: k8s.IntOrString.fromString('http'), protocol: 'TCP' }],
      },
    });
    new MetricsScrape(this, 'scrape', {
      namespace,
      name,
      labels,
      serviceSelector: labels,
      release: props.release,
      endpoints: [{ port: 'http', path: '/api/v2/metrics/prometheus' }],
    });

    this.graph = new ServiceGraph(this, 'graph', {
      namespace,
      externals: { prometheus: props.prometheus, [es.cluster.name]: { namespace: es.namespace, podLabels: es.cluster.podLabels } },
    });
    this.graph.addComponent(this);
    this.graph.allow(this, es.cluster.name, esPort);

    // The API server is no pod: a peer by its endpoints' addresses, rendered as ipBlock egress in the agent's policy.
    this.graph.addAddresses(API_SERVER_PEER, props.apiServer.cidrs);
    this.graph.allow(this, API_SERVER_PEER, props.apiServer.port);
  }

  /**
   * Lets the agent into the graph of Elasticsearch's namespace: the agent becomes an external peer
   * there and may reach the cluster's HTTP port (nothing else of that namespace).
   */
  public connect(graph: ServiceGraph): void {
    graph.addExternal(this.name, { namespace: this.namespace, podLabels: this.podLabels });
    graph.allow(this.name, this.target.name, 'http');
  }

  /** A certificate for the shipper in Elasticsearch's namespace, from its issuer: its `ca.crt` is the CA that verifies Elasticsearch. */
  private renderClientCertificate(es: LogShipperElasticsearch, name: string, labels: Record<string, string>): string {
    const secretName = `${name}-client-tls`;
    new Certificate(this, 'client-certificate', {
      metadata: { name: secretName, namespace: es.namespace, labels },
      spec: {
        secretName,
        commonName: name,
        issuerRef: { name: es.tlsIssuer!.name, kind: es.tlsIssuer!.kind ?? 'ClusterIssuer', group: 'cert-manager.io' },
        usages: [CertificateSpecUsages.CLIENT_AUTH, CertificateSpecUsages.DIGITAL_SIGNATURE],
        duration: '2160h',
        renewBefore: '720h',
        privateKey: {
          algorithm: CertificateSpecPrivateKeyAlgorithm.ECDSA,
          size: 256,
          rotationPolicy: CertificateSpecPrivateKeyRotationPolicy.ALWAYS,
        },
      },
    });
    return secretName;
  }

  /** Copies the password (and `ca.crt`) from Elasticsearch's namespace into `<name>-elasticsearch` here. */
  private renderSecretCopy(
    es: LogShipperElasticsearch,
    namespace: string,
    name: string,
    labels: Record<string, string>,
    caSecret: string | undefined,
  ): void {
    const reader = `${name}-secret-reader`;
    // External Secrets requests this account's tokens itself (TokenRequest): the account needs no mounted token.
    new k8s.KubeServiceAccount(this, 'reader-sa', { metadata: { name: reader, namespace, labels }, automountServiceAccountToken: false });
    const roleName = `${namespace}-${reader}`;
    new k8s.KubeRole(this, 'reader-role', {
      metadata: { name: roleName, namespace: es.namespace, labels },
      rules: [
        { apiGroups: [''], resources: ['secrets'], resourceNames: [es.password.secret, ...(caSecret ? [caSecret] : [])], verbs: ['get'] },
      ],
    });
    new k8s.KubeRoleBinding(this, 'reader-binding', {
      metadata: { name: roleName, namespace: es.namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: roleName },
      subjects: [{ kind: 'ServiceAccount', name: reader, namespace }],
    });
    const store = `${name}-${es.namespace}`;
    new SecretStore(this, 'store', {
      metadata: { name: store, namespace, labels },
      spec: {
        provider: {
          kubernetes: {
            remoteNamespace: es.namespace,
            server: {
              url: 'https://kubernetes.default.svc',
              // Every namespace has the cluster's CA in this ConfigMap.
              caProvider: {
                type: SecretStoreSpecProviderKubernetesServerCaProviderType.CONFIG_MAP,
                name: 'kube-root-ca.crt',
                key: 'ca.crt',
              },
            },
            auth: { serviceAccount: { name: reader } },
          },
        },
      },
    });
    new ExternalSecret(this, 'credentials', {
      metadata: { name: this.credentialsSecretName, namespace, labels },
      spec: {
        refreshInterval: '1h',
        secretStoreRef: { name: store, kind: ExternalSecretSpecSecretStoreRefKind.SECRET_STORE },
        target: { name: this.credentialsSecretName, creationPolicy: ExternalSecretSpecTargetCreationPolicy.OWNER },
        data: [
          { secretKey: 'password', remoteRef: { key: es.password.secret, property: es.password.key } },
          ...(caSecret ? [{ secretKey: 'ca.crt', remoteRef: { key: caSecret, property: 'ca.crt' } }] : []),
        ],
      },
    });
  }
}

/** Checks the props; throws naming the field, the bad value and what is allowed. */
function validateProps(where: string, namespace: string, p: LogShipperProps): void {
  const expect = (field: string, value: unknown, format: Format) => {
    if (!format.test(value)) throw new Error(`${where}: ${field} '${String(value)}'; expected ${format.expected}`);
  };
  expect('namespace', namespace, dnsLabel);
  expect('name', p.name ?? 'log-shipper', dnsLabel);
  expect('image', p.image, pinnedImage);
  validateResources(`${where}: resources`, p.resources);
  expect('appLabel', p.appLabel ?? APP_LABEL, labelKey);
  if (p.sources.length === 0)
    throw new Error(`${where}: sources is empty; expected at least one namespace whose logs to ship (nothing would be shipped)`);
  const seen = new Set<string>();
  p.sources.forEach((s, i) => {
    expect(`sources[${i}].namespace`, s.namespace, dnsLabel);
    if (s.namespace === namespace)
      throw new Error(
        `${where}: sources[${i}].namespace '${s.namespace}' is the shipper's own; expected an application namespace (the agent would ship its own logs)`,
      );
    if (seen.has(s.namespace))
      throw new Error(`${where}: sources[${i}].namespace '${s.namespace}' is listed twice; expected each namespace once`);
    seen.add(s.namespace);
    const families = [...Object.values(s.routes), s.otherDataStream];
    for (const [app, family] of Object.entries(s.routes)) {
      expect(`sources[${i}].routes key`, app, labelValue);
      if (app === '') throw new Error(`${where}: sources[${i}].routes has an empty app; expected a value of the app label`);
      expect(`sources[${i}].routes['${app}']`, family, DATA_STREAM);
    }
    expect(`sources[${i}].otherDataStream`, s.otherDataStream, DATA_STREAM);
    const dup = families.find((f, j) => families.indexOf(f) !== j);
    if (dup !== undefined)
      throw new Error(
        `${where}: sources[${i}] ('${s.namespace}') sends two routes to data stream '${dataStreamName(dup, s.namespace)}'; expected one data stream per route and another for the rest`,
      );
  });
  const es = p.elasticsearch;
  expect('elasticsearch.namespace', es.namespace, dnsLabel);
  const host = `${es.cluster.name}.${es.namespace}.svc.cluster.local`;
  if (es.cluster.host !== host)
    throw new Error(
      `${where}: elasticsearch.cluster.host '${es.cluster.host}'; expected '${host}' (the cluster's Service in elasticsearch.namespace)`,
    );
  if (es.cluster.ports.http === undefined)
    throw new Error(
      `${where}: elasticsearch.cluster.ports has no 'http'; expected the HTTP API's port (got ${Object.keys(es.cluster.ports).join(', ')})`,
    );
  expect('elasticsearch.username', es.username, USER_NAME);
  expect('elasticsearch.password.secret', es.password?.secret, dnsSubdomain);
  expect('elasticsearch.password.key', es.password?.key, SECRET_KEY);
  if (es.cluster.scheme === 'https') {
    if (!es.tlsIssuer)
      throw new Error(
        `${where}: elasticsearch.tlsIssuer is unset while the cluster serves https; expected the issuer of its certificate (its CA verifies the cluster)`,
      );
    expect('elasticsearch.tlsIssuer.name', es.tlsIssuer.name, dnsSubdomain);
    if (es.tlsIssuer.kind !== undefined && !['ClusterIssuer', 'Issuer'].includes(es.tlsIssuer.kind))
      throw new Error(`${where}: elasticsearch.tlsIssuer.kind '${es.tlsIssuer.kind as string}'; expected 'ClusterIssuer' or 'Issuer'`);
  }
  if (p.apiServer.cidrs.length === 0)
    throw new Error(
      `${where}: apiServer.cidrs is empty; expected the API server's endpoint addresses (the kubernetes filter reads pod labels there)`,
    );
  p.apiServer.cidrs.forEach((c, i) => {
    // IPv4 only: the graph's address peers are IPv4 (the clusters here are IPv4).
    if (!isCidr(c) || c.includes(':'))
      throw new Error(`${where}: apiServer.cidrs[${i}] '${c}'; expected an IPv4 CIDR such as '172.18.0.0/16'`);
  });
  if (!Number.isInteger(p.apiServer.port) || p.apiServer.port < 1 || p.apiServer.port > 65535)
    throw new Error(`${where}: apiServer.port ${p.apiServer.port}; expected an integer between 1 and 65535 (6443 on kind, 443 on EKS)`);
  expect('prometheus.namespace', p.prometheus.namespace, dnsLabel);
  if (!p.release) throw new Error(`${where}: release is empty; expected the kube-prometheus-stack release label`);
  if (p.outputBufferLimit !== undefined) expect('outputBufferLimit', p.outputBufferLimit, UNIT_SIZE);
  if (p.retryLimit !== undefined && (!Number.isInteger(p.retryLimit) || p.retryLimit < 1))
    throw new Error(`${where}: retryLimit ${p.retryLimit}; expected an integer >= 1`);
  if (p.stateHostPath !== undefined) expect('stateHostPath', p.stateHostPath, HOST_PATH);
  if (p.priorityClassName !== undefined) expect('priorityClassName', p.priorityClassName, dnsSubdomain);
}
