/**
 * The ONE place the upstream platform charts are pinned: repository, chart, exact version,
 * namespace, sync wave, environments, server-side apply and typed Helm values per environment.
 *
 * Read by the Argo CD App of Apps (lib/argocd, dist/argocd/<env>/) and by the kind bootstrap
 * (`npm run kind:up`, through build/config/platform-charts.js), so a laptop and a GitOps-managed
 * cluster run exactly the same charts with the same values.
 *
 * Chart versions were chosen to ship the operator versions whose CRDs the project's bindings are
 * generated from (../shared/crds/README.md: Prometheus Operator v0.93.0, cert-manager v1.21.1,
 * Traefik v3.7.9, External Secrets v2.9.0, Argo CD v3.5.1). The mapping of each chart version to
 * its app version is noted next to it with where it was checked.
 */
import {
  APP_WAVES,
  ClusterResourceKind,
  isExactSemver,
  isHttpsRepoUrl,
  PlatformPodSecurity,
  PlatformRelease,
  validatePlatformReleases,
} from '../lib/output/argocd';
import { PlatformConfig as EnvironmentConfig } from '../lib/config/platform-schema';
import { GrafanaAdminValues, grafanaAdminManifests } from '../lib/constructs/monitoring/grafana-admin-secret';
import { secretsProvider } from '../lib/stack/stack-wiring';
import { cpuMillis, memoryBytes } from '../lib/core/formats';
import type { DeclaredCapacity, DeclaredPods } from '../lib/checks/types';

/** Environment profile a chart is installed in. */
export type PlatformProfile = EnvironmentConfig['profile'];

/** A pinned upstream chart with its per-environment values of type `V`. */
export interface PlatformChartSpec<V extends object> {
  /** Component name: Argo CD Application `<env>-<name>`. DNS-1123 label. */
  readonly name: string;
  /** Helm repository (https). */
  readonly repoUrl: string;
  readonly chart: string;
  /** Exact chart version. */
  readonly version: string;
  /** Version of the software the chart version ships (documentation; checked in tests against the CRD versions). */
  readonly appVersion: string;
  /** Namespace of the release (may come from the environment, e.g. `ingress.controllerNamespace`). */
  readonly namespace: (env: EnvironmentConfig) => string;
  /** Helm release name. @default - the name */
  readonly releaseName?: (env: EnvironmentConfig) => string;
  /** Create the namespace (false for kube-system). */
  readonly createNamespace: boolean;
  /** Pod Security level of the namespace it creates. */
  readonly podSecurity?: PlatformPodSecurity;
  /** Why the chart's pods need a level weaker than `restricted`. */
  readonly podSecurityReason?: string;
  /** Sync wave (-10 first .. -5 last): CRD providers before their users. */
  readonly syncWave: number;
  /** Apply server-side: a CRD of the chart is over the 256 KiB last-applied annotation limit. */
  readonly serverSideApply: boolean;
  /** Profiles (dev = kind, prod = EKS) the chart is installed in. */
  readonly profiles: readonly PlatformProfile[];
  /** Cluster-scoped kinds the chart creates (the AppProject allows exactly these, plus ours). */
  readonly clusterResources: readonly ClusterResourceKind[];
  /** Helm values for an environment. */
  readonly values: (env: EnvironmentConfig) => V;
  /**
   * The pods the release runs in an environment with the requests its values set (the same
   * numbers: values read them from here), for the capacity checks. @default - none
   */
  readonly pods?: (env: EnvironmentConfig) => readonly DeclaredPods[];
}

/** Container resources: requests only (no CPU limit, so nothing is throttled below the node's spare CPU). */
export interface ResourceValues {
  readonly requests: { readonly cpu: string; readonly memory: string };
}

/** The `resources` value of a declared pod group. */
function resources(p: DeclaredPods): ResourceValues {
  return { requests: { cpu: p.cpu, memory: p.memory } };
}

/** The pod group named `name` of a list (throws when missing: a values function asks only for its own). */
function podsNamed(pods: readonly DeclaredPods[], name: string): DeclaredPods {
  const p = pods.find((x) => x.name === name);
  if (!p) throw new Error(`platform pods: no group '${name}'; expected one of ${pods.map((x) => x.name).join(', ')}`);
  return p;
}

// ---------------------------------------------------------------------------------------------
// kind wiring (must match kind-config.yaml; test/delivery checks it)
// ---------------------------------------------------------------------------------------------

/** How the kind cluster exposes the ingress controller: node label plus NodePorts mapped to host ports 80/443. */
export const KIND_INGRESS = {
  nodeLabel: { key: 'ingress-ready', value: 'true' },
  httpNodePort: 30080,
  httpsNodePort: 30443,
  hostHttpPort: 80,
  hostHttpsPort: 443,
} as const;

/** Argo CD itself, installed once per cluster before the root Application (not an Application of its own). */
export const ARGOCD_INSTALL = {
  version: 'v3.5.1',
  /** Upstream install manifest of that release (apply server-side: its CRDs exceed 256 KiB). */
  manifestUrl: 'https://raw.githubusercontent.com/argoproj/argo-cd/v3.5.1/manifests/install.yaml',
} as const;

// ---------------------------------------------------------------------------------------------
// Typed values
// ---------------------------------------------------------------------------------------------

/** A pod toleration. */
export interface Toleration {
  readonly key: string;
  readonly operator: 'Exists' | 'Equal';
  readonly value?: string;
  readonly effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

/**
 * Which peers an entry point believes about the client (chart 41.x `ports.<name>.proxyProtocol`
 * and `ports.<name>.forwardedHeaders`, Traefik's `entryPoints.<name>.proxyProtocol` /
 * `.forwardedHeaders`): a PROXY protocol header or `X-Forwarded-*` headers are honoured only from
 * `trustedIPs`; from anyone else the header is ignored and the `X-Forwarded-*` headers are removed.
 */
export interface TraefikTrustValues {
  /** Peers (CIDRs) whose header is believed. */
  readonly trustedIPs?: readonly string[];
  /** Believe every peer. Always false here: a client could claim any address. */
  readonly insecure: false;
}

/** The values of one Traefik entry point (`ports.web`, `ports.websecure`). */
export interface TraefikEntryPointValues {
  readonly nodePort?: number;
  /** PROXY protocol (v1/v2) from a TCP load balancer. @default - off */
  readonly proxyProtocol?: TraefikTrustValues;
  /** `X-Forwarded-*` from a proxy in front. @default - Traefik's: trust no one */
  readonly forwardedHeaders: TraefikTrustValues;
}

/** The Traefik chart values we set (chart 41.x; `values.schema.json` refuses unknown keys). */
export interface TraefikValues {
  readonly deployment: { readonly replicas: number };
  readonly resources: ResourceValues;
  readonly podDisruptionBudget?: { readonly enabled: boolean; readonly minAvailable: number };
  readonly ingressClass: { readonly enabled: boolean; readonly isDefaultClass: boolean; readonly name: string };
  readonly providers: {
    readonly kubernetesCRD: { readonly enabled: boolean };
    readonly kubernetesIngress: { readonly enabled: boolean; readonly publishedService?: { readonly enabled: boolean } };
  };
  readonly ports: {
    readonly web: TraefikEntryPointValues & {
      readonly redirections: { readonly entryPoint: { readonly to: 'websecure'; readonly scheme: 'https'; readonly permanent: boolean } };
    };
    readonly websecure: TraefikEntryPointValues;
  };
  readonly service: { readonly type: 'NodePort' | 'LoadBalancer'; readonly annotations?: Readonly<Record<string, string>> };
  readonly nodeSelector?: Readonly<Record<string, string>>;
  readonly tolerations?: readonly Toleration[];
}

/** The cert-manager chart values we set. */
export interface CertManagerValues {
  /** Install the CRDs with the chart and keep them when the release is removed. */
  readonly crds: { readonly enabled: boolean; readonly keep: boolean };
  readonly replicaCount: number;
  readonly resources: ResourceValues;
  readonly podDisruptionBudget: { readonly enabled: boolean };
  readonly webhook: {
    readonly replicaCount: number;
    readonly resources: ResourceValues;
    readonly podDisruptionBudget: { readonly enabled: boolean };
  };
  readonly cainjector: {
    readonly replicaCount: number;
    readonly resources: ResourceValues;
    readonly podDisruptionBudget: { readonly enabled: boolean };
  };
}

/** `matchLabels` selector. */
export interface LabelSelector {
  readonly matchLabels: Readonly<Record<string, string>>;
}

/** A Prometheus Operator `storage` spec: one PVC per replica from a template. */
export interface StorageSpecValues {
  readonly volumeClaimTemplate: {
    readonly spec: {
      readonly storageClassName: string;
      readonly accessModes: readonly ['ReadWriteOnce'];
      readonly resources: { readonly requests: { readonly storage: string } };
    };
  };
}

/** A PVC template on a StorageClass. */
function claim(storageClassName: string, size: string): StorageSpecValues {
  return {
    volumeClaimTemplate: { spec: { storageClassName, accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } } } },
  };
}

/** The kube-prometheus-stack chart values we set. */
export interface KubePrometheusStackValues {
  readonly prometheus: {
    readonly prometheusSpec: {
      readonly retention: string;
      /** Size cap below the volume: the oldest blocks go first instead of the volume filling up. */
      readonly retentionSize?: string;
      readonly serviceMonitorSelectorNilUsesHelmValues: false;
      readonly serviceMonitorSelector: LabelSelector;
      readonly serviceMonitorNamespaceSelector: Readonly<Record<string, never>>;
      readonly podMonitorSelectorNilUsesHelmValues: false;
      readonly podMonitorSelector: LabelSelector;
      readonly podMonitorNamespaceSelector: Readonly<Record<string, never>>;
      readonly ruleSelectorNilUsesHelmValues: false;
      readonly ruleSelector: LabelSelector;
      readonly ruleNamespaceSelector: Readonly<Record<string, never>>;
      readonly probeSelectorNilUsesHelmValues: false;
      readonly probeSelector: LabelSelector;
      readonly probeNamespaceSelector: Readonly<Record<string, never>>;
      /** Persistent TSDB (EKS: on the gp3 class). @default - emptyDir */
      readonly storageSpec?: StorageSpecValues;
      readonly resources: ResourceValues;
    };
  };
  readonly alertmanager: {
    readonly alertmanagerSpec: {
      readonly alertmanagerConfigSelector: LabelSelector;
      readonly alertmanagerConfigNamespaceSelector: Readonly<Record<string, never>>;
      /** Persistent silences and notification log. @default - emptyDir */
      readonly storage?: StorageSpecValues;
      readonly resources: ResourceValues;
    };
  };
  readonly grafana: {
    /** Admin login from an existing Secret: the chart renders no password and creates no Secret of its own. */
    readonly admin: GrafanaAdminValues;
    readonly resources: ResourceValues;
    readonly sidecar: {
      readonly dashboards: {
        readonly enabled: boolean;
        readonly label: string;
        readonly labelValue: string;
        readonly searchNamespace: 'ALL';
      };
      /** Datasources from ConfigMaps and Secrets labelled `grafana_datasource: "1"` (a stack's logs datasource). */
      readonly datasources: {
        readonly enabled: boolean;
        readonly label: string;
        readonly labelValue: string;
        readonly searchNamespace: 'ALL';
      };
    };
  };
  readonly kubeControllerManager: { readonly enabled: boolean };
  readonly kubeScheduler: { readonly enabled: boolean };
  readonly kubeEtcd: { readonly enabled: boolean };
  readonly kubeProxy: { readonly enabled: boolean };
  readonly prometheusOperator: { readonly resources: ResourceValues };
  readonly 'kube-state-metrics': { readonly resources: ResourceValues };
  readonly 'prometheus-node-exporter': { readonly hostRootFsMount?: { readonly enabled: boolean }; readonly resources: ResourceValues };
  /** Objects the release installs beside its own (the Grafana admin Secret's sources). */
  readonly extraManifests: ReadonlyArray<Record<string, unknown>>;
}

/** The metrics-server chart values we set. */
export interface MetricsServerValues {
  readonly args: readonly string[];
  readonly replicas: number;
  readonly resources: ResourceValues;
  readonly podDisruptionBudget: { readonly enabled: boolean; readonly minAvailable?: number };
}

/** The external-secrets chart values we set. */
export interface ExternalSecretsValues {
  readonly installCRDs: boolean;
  readonly resources: ResourceValues;
  readonly webhook: { readonly resources: ResourceValues };
  readonly certController: { readonly resources: ResourceValues };
}

/** The cluster-autoscaler chart values we set (chart 9.43.x). */
export interface ClusterAutoscalerValues {
  readonly cloudProvider: 'aws';
  readonly awsRegion: string;
  /** Node groups found by their tags `k8s.io/cluster-autoscaler/enabled` and `k8s.io/cluster-autoscaler/<clusterName>`. */
  readonly autoDiscovery: { readonly clusterName: string };
  readonly rbac: {
    readonly serviceAccount: {
      readonly create: true;
      readonly name: string;
      readonly annotations: Readonly<Record<string, string>>;
    };
  };
  /** Command-line flags (`--<key>=<value>`). */
  readonly extraArgs: Readonly<Record<string, string | number | boolean>>;
  readonly resources: ResourceValues;
}

// ---------------------------------------------------------------------------------------------
// Cluster-scoped kinds the charts create
// ---------------------------------------------------------------------------------------------

const CRD: ClusterResourceKind = { group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' };
const CLUSTER_ROLE: ClusterResourceKind = { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' };
const CLUSTER_ROLE_BINDING: ClusterResourceKind = { group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding' };
const VALIDATING_WEBHOOK: ClusterResourceKind = { group: 'admissionregistration.k8s.io', kind: 'ValidatingWebhookConfiguration' };
const MUTATING_WEBHOOK: ClusterResourceKind = { group: 'admissionregistration.k8s.io', kind: 'MutatingWebhookConfiguration' };
const INGRESS_CLASS: ClusterResourceKind = { group: 'networking.k8s.io', kind: 'IngressClass' };
const API_SERVICE: ClusterResourceKind = { group: 'apiregistration.k8s.io', kind: 'APIService' };
const CLUSTER_SECRET_STORE: ClusterResourceKind = { group: 'external-secrets.io', kind: 'ClusterSecretStore' };

// ---------------------------------------------------------------------------------------------
// The charts
// ---------------------------------------------------------------------------------------------

const isKind = (env: EnvironmentConfig): boolean => env.cluster.kind === 'kind';

/** `cluster.vpcCidr` of an EKS environment (the schema requires it there). */
function vpcCidrOf(env: EnvironmentConfig): string {
  if (env.cluster.vpcCidr === undefined)
    throw new Error(`environment '${env.name}': cluster.vpcCidr is unset; expected the VPC's IPv4 CIDR on EKS, such as '10.0.0.0/16'`);
  return env.cluster.vpcCidr;
}

/**
 * cert-manager's pods: two of each on EKS (HA with PDBs), one on kind. Requests chosen from the
 * controllers' light steady load (a few dozen certificates): 50m/128Mi for the controller (it
 * caches certificates and secrets), 25m for the webhook and cainjector.
 */
const CERT_MANAGER_PODS = (env: EnvironmentConfig): DeclaredPods[] => {
  const replicas = isKind(env) ? 1 : 2;
  return [
    { name: 'cert-manager', replicas, cpu: '50m', memory: '128Mi' },
    { name: 'cert-manager/webhook', replicas, cpu: '25m', memory: '64Mi' },
    { name: 'cert-manager/cainjector', replicas, cpu: '25m', memory: '128Mi' },
  ];
};

/**
 * cert-manager: TLS certificates (local CA on kind, Let's Encrypt on EKS). Chart versions equal
 * the release tag (v1.21.1 = cert-manager v1.21.1, the CRDs in ../shared/crds/cert-manager).
 * Server-side apply: issuers/clusterissuers CRDs are ~330 KB, challenges ~270 KB (> 256 KiB).
 */
export const CERT_MANAGER: PlatformChartSpec<CertManagerValues> = {
  name: 'cert-manager',
  repoUrl: 'https://charts.jetstack.io',
  chart: 'cert-manager',
  version: 'v1.21.1',
  appVersion: 'v1.21.1',
  namespace: () => 'cert-manager',
  createNamespace: true,
  podSecurity: 'baseline',
  podSecurityReason: 'upstream chart pods are not verified against restricted offline; they need no host access',
  syncWave: -10,
  serverSideApply: true,
  profiles: ['dev', 'prod'],
  clusterResources: [CRD, CLUSTER_ROLE, CLUSTER_ROLE_BINDING, VALIDATING_WEBHOOK, MUTATING_WEBHOOK],
  values: (env) => {
    const ha = !isKind(env);
    const pods = CERT_MANAGER_PODS(env);
    const group = (name: string) => ({ replicaCount: podsNamed(pods, name).replicas, resources: resources(podsNamed(pods, name)) });
    return {
      crds: { enabled: true, keep: true },
      ...group('cert-manager'),
      podDisruptionBudget: { enabled: ha },
      webhook: { ...group('cert-manager/webhook'), podDisruptionBudget: { enabled: ha } },
      cainjector: { ...group('cert-manager/cainjector'), podDisruptionBudget: { enabled: ha } },
    };
  },
  pods: (env) => CERT_MANAGER_PODS(env),
};

/**
 * External Secrets Operator's pods (the chart's one replica each). Requests chosen for a few dozen
 * ExternalSecrets refreshed hourly: 50m/128Mi for the controller, 25m/64Mi for the webhook and
 * the cert controller.
 */
const EXTERNAL_SECRETS_PODS = (_env: EnvironmentConfig): DeclaredPods[] => [
  { name: 'external-secrets', replicas: 1, cpu: '50m', memory: '128Mi' },
  { name: 'external-secrets/webhook', replicas: 1, cpu: '25m', memory: '64Mi' },
  { name: 'external-secrets/cert-controller', replicas: 1, cpu: '25m', memory: '64Mi' },
];

/**
 * External Secrets Operator: dev secrets come from its `Password` generator
 * (lib/secrets-backend.ts), prod secrets from AWS Secrets Manager, so every environment needs it.
 * Chart version equals the app version (2.9.0 = v2.9.0, the CRDs in ../shared/crds/external-secrets;
 * `helm ... external-secrets/external-secrets --version 2.9.0` in public install guides).
 * Server-side apply: secretstores/clustersecretstores CRDs are ~690 KB.
 */
export const EXTERNAL_SECRETS: PlatformChartSpec<ExternalSecretsValues> = {
  name: 'external-secrets',
  repoUrl: 'https://charts.external-secrets.io',
  chart: 'external-secrets',
  version: '2.9.0',
  appVersion: 'v2.9.0',
  namespace: () => 'external-secrets',
  createNamespace: true,
  podSecurity: 'baseline',
  podSecurityReason: 'upstream chart pods are not verified against restricted offline; they need no host access',
  syncWave: -9,
  serverSideApply: true,
  profiles: ['dev', 'prod'],
  clusterResources: [CRD, CLUSTER_ROLE, CLUSTER_ROLE_BINDING, VALIDATING_WEBHOOK],
  values: (env) => {
    const pods = EXTERNAL_SECRETS_PODS(env);
    return {
      installCRDs: true,
      resources: resources(podsNamed(pods, 'external-secrets')),
      webhook: { resources: resources(podsNamed(pods, 'external-secrets/webhook')) },
      certController: { resources: resources(podsNamed(pods, 'external-secrets/cert-controller')) },
    };
  },
  pods: (env) => EXTERNAL_SECRETS_PODS(env),
};

/**
 * kube-prometheus-stack's pods. Requests chosen from the series count of three stacks (tens of
 * thousands of series): Prometheus 500m/2Gi on EKS (30 days of retention, compaction) and
 * 200m/512Mi on kind (7 days, a laptop); Grafana 100m/256Mi; Alertmanager, the operator and
 * kube-state-metrics 50-100m/128Mi; node-exporter, on every node, 25m/32Mi.
 */
const KUBE_PROMETHEUS_STACK_PODS = (env: EnvironmentConfig): DeclaredPods[] => [
  isKind(env)
    ? { name: 'kube-prometheus-stack/prometheus', replicas: 1, cpu: '200m', memory: '512Mi' }
    : { name: 'kube-prometheus-stack/prometheus', replicas: 1, cpu: '500m', memory: '2Gi' },
  { name: 'kube-prometheus-stack/alertmanager', replicas: 1, cpu: '50m', memory: '128Mi' },
  { name: 'kube-prometheus-stack/grafana', replicas: 1, cpu: '100m', memory: '256Mi' },
  { name: 'kube-prometheus-stack/operator', replicas: 1, cpu: '100m', memory: '128Mi' },
  { name: 'kube-prometheus-stack/kube-state-metrics', replicas: 1, cpu: '50m', memory: '128Mi' },
  { name: 'kube-prometheus-stack/node-exporter', replicas: 1, perNode: true, cpu: '25m', memory: '32Mi' },
];

/**
 * kube-prometheus-stack: Prometheus Operator, Prometheus, Alertmanager, Grafana, node-exporter,
 * kube-state-metrics. Chart 88.2.0 ships `appVersion: v0.93.0` (Prometheus Operator v0.93.0, the
 * CRDs in ../shared/crds/prometheus-operator), as shown by `helm show chart ... --version 88.2.0`
 * output quoted in public deployment notes (stored code search, Aug 2026).
 * Server-side apply: the prometheuses CRD alone is ~830 KB.
 *
 * The release is named after `monitoring.release` and Prometheus/Alertmanager select
 * ServiceMonitors, PodMonitors, Probes, PrometheusRules and AlertmanagerConfigs by
 * `release: <monitoring.release>` in every namespace: exactly the label lib/service-monitor.ts,
 * lib/monitoring (rules, routing) put on them. Grafana loads dashboards from ConfigMaps labelled
 * `grafana_dashboard: "1"` in every namespace, and datasources from ConfigMaps and Secrets labelled
 * `grafana_datasource: "1"` in every namespace. Control-plane scrapes are off: kind binds them to
 * 127.0.0.1 and EKS does not expose them.
 *
 * Grafana's admin login comes from the Secret `grafana-admin` (lib GrafanaAdminSecret: password
 * generated once in the cluster on kind, AWS Secrets Manager `<monitoring.aws.secretsKeyPrefix>/grafana-admin`
 * on EKS), never from the chart's default password. Its ExternalSecret (and generator or store) ship
 * in the release's `extraManifests`, so they exist in the namespace the release creates before
 * Grafana has to start: `helm --wait` (kind) and the Application's health (Argo CD) see Grafana
 * ready without a separate earlier step. External Secrets (wave -9) provides their CRDs.
 */
export const KUBE_PROMETHEUS_STACK: PlatformChartSpec<KubePrometheusStackValues> = {
  name: 'kube-prometheus-stack',
  repoUrl: 'https://prometheus-community.github.io/helm-charts',
  chart: 'kube-prometheus-stack',
  version: '88.2.0',
  appVersion: 'v0.93.0',
  namespace: (env) => env.monitoring.namespace,
  releaseName: (env) => env.monitoring.release,
  createNamespace: true,
  podSecurity: 'privileged',
  podSecurityReason: 'node-exporter reads the host: hostNetwork, hostPID and hostPath mounts',
  syncWave: -7,
  serverSideApply: true,
  profiles: ['dev', 'prod'],
  // ClusterSecretStore: the Grafana admin Secret's store when secrets.storeScope is 'cluster' (EKS).
  clusterResources: [CRD, CLUSTER_ROLE, CLUSTER_ROLE_BINDING, VALIDATING_WEBHOOK, MUTATING_WEBHOOK, CLUSTER_SECRET_STORE],
  values: (env) => {
    const pods = KUBE_PROMETHEUS_STACK_PODS(env);
    const res = (name: string) => resources(podsNamed(pods, `kube-prometheus-stack/${name}`));
    const release: LabelSelector = { matchLabels: { release: env.monitoring.release } };
    const grafanaAdmin = grafanaAdminManifests({
      namespace: env.monitoring.namespace,
      provider: secretsProvider(env, env.monitoring.aws),
      labels: { 'app.kubernetes.io/part-of': 'platform' },
    });
    return {
      prometheus: {
        prometheusSpec: {
          retention: env.monitoring.retention,
          serviceMonitorSelectorNilUsesHelmValues: false,
          serviceMonitorSelector: release,
          serviceMonitorNamespaceSelector: {},
          podMonitorSelectorNilUsesHelmValues: false,
          podMonitorSelector: release,
          podMonitorNamespaceSelector: {},
          ruleSelectorNilUsesHelmValues: false,
          ruleSelector: release,
          ruleNamespaceSelector: {},
          probeSelectorNilUsesHelmValues: false,
          probeSelector: release,
          probeNamespaceSelector: {},
          // On EKS the gp3 class comes from the cluster configuration, synced before this chart.
          // retentionSize keeps 10 % of the volume free for compaction and the WAL, whatever the series count.
          ...(env.storage.gp3StorageClass ? { storageSpec: claim(env.storage.gp3StorageClass, '50Gi'), retentionSize: '45GB' } : {}),
          resources: res('prometheus'),
        },
      },
      alertmanager: {
        alertmanagerSpec: {
          alertmanagerConfigSelector: release,
          alertmanagerConfigNamespaceSelector: {},
          ...(env.storage.gp3StorageClass ? { storage: claim(env.storage.gp3StorageClass, '2Gi') } : {}),
          resources: res('alertmanager'),
        },
      },
      grafana: {
        admin: grafanaAdmin.values,
        resources: res('grafana'),
        sidecar: {
          dashboards: { enabled: true, label: 'grafana_dashboard', labelValue: '1', searchNamespace: 'ALL' },
          // A stack's datasource lives in its namespace, in the Secret its password is in (e.g. the e-commerce logs).
          datasources: { enabled: true, label: 'grafana_datasource', labelValue: '1', searchNamespace: 'ALL' },
        },
      },
      kubeControllerManager: { enabled: false },
      kubeScheduler: { enabled: false },
      kubeEtcd: { enabled: false },
      kubeProxy: { enabled: false },
      prometheusOperator: { resources: res('operator') },
      'kube-state-metrics': { resources: res('kube-state-metrics') },
      'prometheus-node-exporter': {
        // kind nodes are containers whose root is not a shared mount: node-exporter cannot mount it.
        ...(isKind(env) ? { hostRootFsMount: { enabled: false } } : {}),
        resources: res('node-exporter'),
      },
      extraManifests: grafanaAdmin.manifests,
    };
  },
  pods: (env) => KUBE_PROMETHEUS_STACK_PODS(env),
};

/** metrics-server's pods: two on EKS, one on kind; 100m/200Mi, the chart's own default requests, stated so the capacity checks count them. */
const METRICS_SERVER_PODS = (env: EnvironmentConfig): DeclaredPods[] => [
  { name: 'metrics-server', replicas: isKind(env) ? 1 : 2, cpu: '100m', memory: '200Mi' },
];

/**
 * metrics-server: the resource metrics API HPAs scale on. kind has none, and EKS does not install
 * it by default, so both environments get it. Chart 3.13.0 ships metrics-server v0.8.0.
 * On kind the kubelets serve self-signed certificates, hence `--kubelet-insecure-tls` there only.
 */
export const METRICS_SERVER: PlatformChartSpec<MetricsServerValues> = {
  name: 'metrics-server',
  repoUrl: 'https://kubernetes-sigs.github.io/metrics-server',
  chart: 'metrics-server',
  version: '3.13.0',
  appVersion: 'v0.8.0',
  namespace: () => 'kube-system',
  createNamespace: false,
  syncWave: -6,
  serverSideApply: false,
  profiles: ['dev', 'prod'],
  clusterResources: [CLUSTER_ROLE, CLUSTER_ROLE_BINDING, API_SERVICE],
  values: (env) => {
    const pods = podsNamed(METRICS_SERVER_PODS(env), 'metrics-server');
    return isKind(env)
      ? { args: ['--kubelet-insecure-tls'], replicas: pods.replicas, resources: resources(pods), podDisruptionBudget: { enabled: false } }
      : { args: [], replicas: pods.replicas, resources: resources(pods), podDisruptionBudget: { enabled: true, minAvailable: 1 } };
  },
  pods: (env) => METRICS_SERVER_PODS(env),
};

/**
 * Traefik: the ingress controller. Chart 41.1.0 ships `appVersion: v3.7.9` (Traefik v3.7.9, the
 * CRDs in ../shared/crds/traefik), per the chart's Chart.yaml quoted in public chart notes
 * (`traefik.io/proxy-max-version: v3.7.9`, "Chart 41.1.0 (2026-07-30) ships appVersion v3.7.9").
 *
 * kind: a NodePort service on 30080/30443 (mapped to the host's 80/443 by kind-config.yaml) on
 * the node labelled `ingress-ready=true`, the control plane, whose taint it tolerates.
 * EKS: a LoadBalancer service as an internet-facing NLB with IP targets (AWS Load Balancer
 * Controller), two replicas with a PDB, and the Ingress status published for external-dns. The
 * NLB sends PROXY protocol v2 and Traefik trusts it (and `X-Forwarded-*`) from `cluster.vpcCidr`
 * only, so middlewares see each client's own address (rate limits count clients, not the NLB).
 * Both: HTTP redirects to HTTPS; the IngressClass is the environment's `ingress.className`.
 */
export const TRAEFIK: PlatformChartSpec<TraefikValues> = {
  name: 'traefik',
  repoUrl: 'https://traefik.github.io/charts',
  chart: 'traefik',
  version: '41.1.0',
  appVersion: 'v3.7.9',
  namespace: (env) => env.ingress.controllerNamespace,
  createNamespace: true,
  podSecurity: 'baseline',
  podSecurityReason: 'upstream chart pods are not verified against restricted offline; they need no host access',
  syncWave: -5,
  serverSideApply: false,
  profiles: ['dev', 'prod'],
  clusterResources: [CRD, CLUSTER_ROLE, CLUSTER_ROLE_BINDING, INGRESS_CLASS],
  values: (env) => {
    const common = {
      ingressClass: { enabled: true, isDefaultClass: true, name: env.ingress.className },
      redirect: { entryPoint: { to: 'websecure', scheme: 'https', permanent: true } } as const,
    };
    if (isKind(env)) {
      // kind: clients reach Traefik through the host's port mapping (Docker) and the NodePort, so
      // every connection comes from the kind Docker network (the host's gateway or the node after
      // kube-proxy's masquerade), never from the client: no proxy protocol (nothing in front sends
      // one), and X-Forwarded-* believed from no one (Traefik removes them). Rate limits count all
      // clients together.
      const untrusted = { forwardedHeaders: { insecure: false } } as const;
      return {
        deployment: { replicas: podsNamed(TRAEFIK_PODS(env), 'traefik').replicas },
        resources: resources(podsNamed(TRAEFIK_PODS(env), 'traefik')),
        ingressClass: common.ingressClass,
        providers: { kubernetesCRD: { enabled: true }, kubernetesIngress: { enabled: true } },
        ports: {
          web: { nodePort: KIND_INGRESS.httpNodePort, ...untrusted, redirections: common.redirect },
          websecure: { nodePort: KIND_INGRESS.httpsNodePort, ...untrusted },
        },
        service: { type: 'NodePort' },
        nodeSelector: { [KIND_INGRESS.nodeLabel.key]: KIND_INGRESS.nodeLabel.value },
        tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }],
      };
    }
    // EKS: the NLB (IP targets, TCP) connects to the pods from its own addresses in the VPC, so
    // without proxy protocol every request would seem to come from the load balancer. It sends a
    // PROXY protocol v2 header with the client's address on every target group (both ports), and
    // Traefik takes the client address from it when the connection comes from the VPC
    // (`cluster.vpcCidr`), the only place the NLB connects from. X-Forwarded-* are believed from
    // the same range only (in-VPC proxies); a client's own are removed.
    const vpc = vpcCidrOf(env);
    const trusted = {
      proxyProtocol: { trustedIPs: [vpc], insecure: false },
      forwardedHeaders: { trustedIPs: [vpc], insecure: false },
    } as const;
    return {
      deployment: { replicas: podsNamed(TRAEFIK_PODS(env), 'traefik').replicas },
      resources: resources(podsNamed(TRAEFIK_PODS(env), 'traefik')),
      podDisruptionBudget: { enabled: true, minAvailable: 1 },
      ingressClass: common.ingressClass,
      providers: { kubernetesCRD: { enabled: true }, kubernetesIngress: { enabled: true, publishedService: { enabled: true } } },
      ports: { web: { ...trusted, redirections: common.redirect }, websecure: { ...trusted } },
      service: {
        type: 'LoadBalancer',
        annotations: {
          'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
          'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
          'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internet-facing',
          // AWS Load Balancer Controller service annotations (guide/service/annotations, "Proxy
          // protocol v2"): "specifies whether to enable proxy protocol v2 on the target group. Set
          // to '*' to enable proxy protocol v2. This annotation takes precedence over the annotation
          // service.beta.kubernetes.io/aws-load-balancer-target-group-attributes for proxy protocol
          // v2 configuration"; '*' is its only valid value and covers IP targets as well as instance
          // targets, so it is the one switch (no proxy_protocol_v2.enabled target-group attribute).
          'service.beta.kubernetes.io/aws-load-balancer-proxy-protocol': '*',
          // Client IP preservation off (the default for IP targets over TCP, stated so it stays off):
          // the NLB then connects from its VPC addresses, the range Traefik trusts, and the client
          // address travels in the PROXY header. With it on, connections would come from client
          // addresses outside the trusted range and Traefik would ignore the address in the header.
          'service.beta.kubernetes.io/aws-load-balancer-target-group-attributes': 'preserve_client_ip.enabled=false',
        },
      },
    };
  },
  pods: (env) => TRAEFIK_PODS(env),
};

/**
 * Traefik's pods: two on EKS (HA behind the NLB, with a PDB), one on kind. 100m/128Mi chosen for
 * the stacks' request rates (a few hundred per second proxied, TLS terminated).
 */
const TRAEFIK_PODS = (env: EnvironmentConfig): DeclaredPods[] => [
  { name: 'traefik', replicas: isKind(env) ? 1 : 2, cpu: '100m', memory: '128Mi' },
];

/** `cluster.nodes` of an environment that must have them (EKS). */
function nodesOf(env: EnvironmentConfig): NonNullable<EnvironmentConfig['cluster']['nodes']> {
  if (!env.cluster.nodes)
    throw new Error(`environment '${env.name}': cluster.nodes is unset; expected the worker nodes (zones, minPerZone, maxPerZone, ...)`);
  return env.cluster.nodes;
}

/** The autoscaler's cluster-wide limits: every zone's group at maxPerZone, in nodes, cores and GiB of node capacity. */
export function autoscalerLimits(env: EnvironmentConfig): { maxNodes: number; maxCores: number; maxMemoryGiB: number } {
  const n = nodesOf(env);
  const maxNodes = n.zones.length * n.maxPerZone;
  return {
    maxNodes,
    maxCores: Math.ceil((maxNodes * cpuMillis(n.capacity.cpu)) / 1000),
    maxMemoryGiB: Math.ceil((maxNodes * memoryBytes(n.capacity.memory)) / 1024 ** 3),
  };
}

/**
 * The IAM policy of the Cluster Autoscaler's IRSA role (`cluster.autoscaler.roleArn`): read the Auto
 * Scaling groups, instance types and node groups anywhere; change the size of, and terminate
 * instances in, only the groups tagged for this cluster (the tags the autoscaler discovers them
 * by). The AWS provider's documented minimum for auto-discovery. Written at synth to
 * `dist/<env>/iam/platform-cluster-autoscaler-policy.json`; undefined without an autoscaler.
 */
export function clusterAutoscalerPolicy(env: EnvironmentConfig): Record<string, unknown> | undefined {
  if (!env.cluster.autoscaler) return undefined;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'Discover',
        Effect: 'Allow',
        Action: [
          'autoscaling:DescribeAutoScalingGroups',
          'autoscaling:DescribeAutoScalingInstances',
          'autoscaling:DescribeLaunchConfigurations',
          'autoscaling:DescribeScalingActivities',
          'autoscaling:DescribeTags',
          'ec2:DescribeImages',
          'ec2:DescribeInstanceTypes',
          'ec2:DescribeLaunchTemplateVersions',
          'ec2:GetInstanceTypesFromInstanceRequirements',
          'eks:DescribeNodegroup',
        ],
        Resource: '*',
      },
      {
        Sid: 'ScaleThisClustersGroups',
        Effect: 'Allow',
        Action: ['autoscaling:SetDesiredCapacity', 'autoscaling:TerminateInstanceInAutoScalingGroup'],
        Resource: '*',
        Condition: { StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${env.cluster.name}`]: 'owned' } },
      },
    ],
  };
}

/** Cluster Autoscaler's pod: 100m/600Mi, the requests of the AWS autoscaler example deployment. */
const CLUSTER_AUTOSCALER_PODS = (): DeclaredPods[] => [{ name: 'cluster-autoscaler', replicas: 1, cpu: '100m', memory: '600Mi' }];

/**
 * Cluster Autoscaler (EKS only): adds a node to a zone's node group when a pod cannot be placed
 * (a drain, an HPA scaling out) and removes underused ones. Chose it over Karpenter: it needs no
 * CRDs (no bindings to import, nothing in ../shared/crds), works with the managed node groups
 * EKS already has (one per zone, so zone-pinned EBS volumes always find a node in their zone),
 * and its limits are flags in these values. Chart 9.43.1 ships `appVersion: 1.31.0`
 * (kubernetes/autoscaler charts/cluster-autoscaler/Chart.yaml, stored code search); the
 * autoscaler's minor version should match the cluster's Kubernetes minor (1.31).
 *
 * Node groups are discovered by their tags (`k8s.io/cluster-autoscaler/enabled`,
 * `k8s.io/cluster-autoscaler/<cluster.name>`); their maxSize must be at least
 * `cluster.nodes.maxPerZone`. The cluster-wide limits come from `cluster.nodes`:
 * `--max-nodes-total` zones x maxPerZone, `--cores-total` and `--memory-total` that many nodes'
 * capacity, so the autoscaler never grows past what the capacity checks verified. It reads and
 * changes the Auto Scaling groups with the IRSA role `cluster.autoscaler.roleArn` (README "Node
 * autoscaling" lists the role's policy).
 */
export const CLUSTER_AUTOSCALER: PlatformChartSpec<ClusterAutoscalerValues> = {
  name: 'cluster-autoscaler',
  repoUrl: 'https://kubernetes.github.io/autoscaler',
  chart: 'cluster-autoscaler',
  version: '9.43.1',
  appVersion: '1.31.0',
  namespace: () => 'kube-system',
  createNamespace: false,
  syncWave: -6,
  serverSideApply: false,
  profiles: ['prod'],
  clusterResources: [CLUSTER_ROLE, CLUSTER_ROLE_BINDING],
  values: (env) => {
    if (!env.cluster.autoscaler || !env.secrets.awsRegion)
      throw new Error(
        `environment '${env.name}': cluster.autoscaler.roleArn and secrets.awsRegion are required for the Cluster Autoscaler; expected both on EKS`,
      );
    const limits = autoscalerLimits(env);
    return {
      cloudProvider: 'aws',
      awsRegion: env.secrets.awsRegion,
      autoDiscovery: { clusterName: env.cluster.name },
      rbac: {
        serviceAccount: {
          create: true,
          name: 'cluster-autoscaler',
          annotations: { 'eks.amazonaws.com/role-arn': env.cluster.autoscaler.roleArn },
        },
      },
      extraArgs: {
        // one node group per zone: keep them the same size, so zone spread always has room
        'balance-similar-node-groups': true,
        // among node groups that fit, the one that wastes the least CPU and memory
        expander: 'least-waste',
        // emptyDir (/tmp) must not pin a node forever; the pods' PDBs still guard scale-down
        'skip-nodes-with-local-storage': false,
        'max-nodes-total': limits.maxNodes,
        'cores-total': `0:${limits.maxCores}`,
        'memory-total': `0:${limits.maxMemoryGiB}`,
      },
      resources: resources(podsNamed(CLUSTER_AUTOSCALER_PODS(), 'cluster-autoscaler')),
    };
  },
  pods: () => CLUSTER_AUTOSCALER_PODS(),
};

/**
 * The EKS add-ons' pods (installed with the cluster, not by these charts): the VPC CNI and
 * kube-proxy on every node, CoreDNS, the EBS CSI driver. Their requests are those of the add-ons'
 * default manifests as known when this was written (aws-node 25m, kube-proxy 100m, CoreDNS
 * 100m/70Mi; the EBS CSI driver's containers 10m/40Mi each); compare with `kubectl -n kube-system
 * get pods -o yaml` on the cluster after an add-on upgrade.
 */
export const EKS_ADDON_PODS: readonly DeclaredPods[] = [
  { name: 'eks/aws-node', replicas: 1, perNode: true, cpu: '25m', memory: '0' },
  { name: 'eks/kube-proxy', replicas: 1, perNode: true, cpu: '100m', memory: '0' },
  { name: 'eks/ebs-csi-node', replicas: 1, perNode: true, cpu: '30m', memory: '120Mi' },
  { name: 'eks/coredns', replicas: 2, cpu: '100m', memory: '70Mi' },
  { name: 'eks/ebs-csi-controller', replicas: 2, cpu: '60m', memory: '240Mi' },
];

/**
 * What the capacity checks know of an environment's cluster besides the output: its nodes (with
 * the autoscaler's limits) and the pods of its platform charts and EKS add-ons.
 */
export function declaredCapacity(env: EnvironmentConfig, specs: readonly PlatformChartSpec<object>[] = PLATFORM_CHARTS): DeclaredCapacity {
  const platform = specs.filter((c) => c.profiles.includes(env.profile)).flatMap((c) => [...(c.pods?.(env) ?? [])]);
  if (env.cluster.kind === 'eks') platform.push(...EKS_ADDON_PODS);
  const n = env.cluster.nodes;
  if (!n) return { platform };
  return {
    nodes: {
      zones: [...n.zones],
      minPerZone: n.minPerZone,
      maxPerZone: n.maxPerZone,
      instanceType: n.instanceType,
      capacity: { ...n.capacity },
      allocatable: { ...n.allocatable },
      ...(env.cluster.autoscaler ? { autoscaler: { name: CLUSTER_AUTOSCALER.name, ...autoscalerLimits(env) } } : {}),
    },
    platform,
  };
}

/** Every pinned platform chart, in sync order. */
export const PLATFORM_CHARTS: readonly PlatformChartSpec<object>[] = [
  CERT_MANAGER,
  EXTERNAL_SECRETS,
  KUBE_PROMETHEUS_STACK,
  METRICS_SERVER,
  CLUSTER_AUTOSCALER,
  TRAEFIK,
];

const PROFILES: readonly PlatformProfile[] = ['dev', 'prod'];

const isPlatformProfile = (p: unknown): p is PlatformProfile => (PROFILES as readonly unknown[]).includes(p);

/**
 * Checks the static fields of chart entries (name, repository, chart, version, wave, profiles),
 * naming the field, the value and what is allowed.
 * @throws listing every problem
 */
export function validatePlatformCharts(specs: readonly PlatformChartSpec<object>[]): void {
  const problems: string[] = [];
  specs.forEach((c, i) => {
    const where = `PLATFORM_CHARTS[${i}] '${String(c.name)}'`;
    const bad = (field: string, value: unknown, expected: string) =>
      problems.push(`${where}.${field}: got ${JSON.stringify(value)}; expected ${expected}`);
    if (!(typeof c.name === 'string' && /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(c.name))) bad('name', c.name, 'a DNS-1123 label');
    if (!isHttpsRepoUrl(c.repoUrl))
      bad('repoUrl', c.repoUrl, "an https Helm repository URL without credentials, such as 'https://charts.jetstack.io'");
    if (!(typeof c.chart === 'string' && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(c.chart)))
      bad('chart', c.chart, "a chart name (lowercase letters, digits and '-')");
    if (!isExactSemver(c.version))
      bad('version', c.version, "an exact semantic version such as '41.1.0' or 'v1.21.1' (no ranges, no 'latest')");
    if (!isExactSemver(c.appVersion))
      bad('appVersion', c.appVersion, "the exact version of the software the chart ships, such as 'v3.7.9'");
    if (!(Number.isInteger(c.syncWave) && c.syncWave >= APP_WAVES.operatorsFirst && c.syncWave <= APP_WAVES.operatorsLast)) {
      bad('syncWave', c.syncWave, `an integer from ${APP_WAVES.operatorsFirst} to ${APP_WAVES.operatorsLast}`);
    }
    if (
      !Array.isArray(c.profiles) ||
      c.profiles.length === 0 ||
      c.profiles.some((p: unknown) => !isPlatformProfile(p)) ||
      new Set(c.profiles).size !== c.profiles.length
    ) {
      bad('profiles', c.profiles, `a non-empty list of distinct profiles from ${PROFILES.map((p) => `'${p}'`).join(', ')}`);
    }
  });
  const names = specs.map((c) => c.name);
  names.forEach((n, i) => {
    if (names.indexOf(n) !== i)
      problems.push(`PLATFORM_CHARTS[${i}].name: got '${n}'; expected a unique name (also used by entry ${names.indexOf(n)})`);
  });
  if (problems.length > 0)
    throw new Error(
      `Invalid platform charts in config/platform-charts.ts (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ${problems.join('\n  - ')}`,
    );
}

/**
 * The platform charts of an environment, resolved (namespace, release name, values) and
 * validated, in sync order.
 * @param specs @default PLATFORM_CHARTS
 */
export function platformReleasesFor(
  env: EnvironmentConfig,
  specs: readonly PlatformChartSpec<object>[] = PLATFORM_CHARTS,
): PlatformRelease[] {
  validatePlatformCharts(specs);
  const releases = specs
    .filter((c) => c.profiles.includes(env.profile))
    .map((c): PlatformRelease => ({
      name: c.name,
      releaseName: c.releaseName ? c.releaseName(env) : c.name,
      repoUrl: c.repoUrl,
      chart: c.chart,
      version: c.version,
      namespace: c.namespace(env),
      createNamespace: c.createNamespace,
      ...(c.podSecurity ? { podSecurity: c.podSecurity, podSecurityReason: c.podSecurityReason } : {}),
      syncWave: c.syncWave,
      serverSideApply: c.serverSideApply,
      values: JSON.parse(JSON.stringify(c.values(env))) as Record<string, unknown>,
      clusterResources: [...c.clusterResources],
    }))
    .sort((a, b) => a.syncWave - b.syncWave || a.name.localeCompare(b.name));
  validatePlatformReleases(releases, `platform charts of environment '${env.name}'`);
  return releases;
}

validatePlatformCharts(PLATFORM_CHARTS);
