import { Construct } from 'constructs';
import { AppProject } from '../../../imports/argoproj.io';
import { dnsLabel, dnsSubdomain, kind as kindFormat } from '../../core/formats';
import { DEFAULT_ARGOCD_NAMESPACE, isGitRepoUrl, isNamespaceName } from './gitops-config';
import { sortKinds } from './manifest-facts';
import { ClusterResourceKind, isHttpsRepoUrl } from './platform-release';
import { APP_WAVES, SYNC_WAVE_ANNOTATION } from './sync-waves';
import { IN_CLUSTER_SERVER } from './gitops-application';

export interface GitOpsProjectProps {
  /** AppProject name (DNS-1123 label). */
  readonly name: string;
  /** Namespace Argo CD runs in. @default 'argocd' */
  readonly namespace?: string;
  /**
   * Repositories Applications may read: Git URLs and https Helm repositories, listed exactly
   * (no wildcards).
   */
  readonly sourceRepos: readonly string[];
  /** Namespaces Applications may deploy into (exact names, no wildcards). */
  readonly destinationNamespaces: readonly string[];
  /** API server Applications may deploy to. @default 'https://kubernetes.default.svc' */
  readonly destinationServer?: string;
  /** Cluster-scoped kinds Applications may create; any other cluster-scoped kind is refused. */
  readonly clusterResources: readonly ClusterResourceKind[];
  /** Sync wave inside the App of Apps. @default -20 (before every Application) */
  readonly syncWave?: number;
  /** Extra labels. @default - none */
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * An Argo CD AppProject that allows exactly the listed repositories, destination namespaces and
 * cluster-scoped kinds. {@link GitOpsProject.allowsSource} and friends answer like Argo CD does for
 * these exact (wildcard-free) lists, so callers can prove their Applications are permitted.
 */
export class GitOpsProject extends Construct {
  public readonly resource: AppProject;
  public readonly name: string;
  public readonly sourceRepos: readonly string[];
  public readonly destinationNamespaces: readonly string[];
  public readonly destinationServer: string;
  public readonly clusterResources: readonly ClusterResourceKind[];

  constructor(scope: Construct, id: string, props: GitOpsProjectProps) {
    super(scope, id);
    const where = `GitOpsProject '${props.name}'`;
    const fail = (field: string, value: unknown, expected: string): never => {
      throw new Error(`${where}: ${field}: got ${JSON.stringify(value)}; expected ${expected}`);
    };
    if (!dnsLabel.test(props.name)) fail('name', props.name, dnsLabel.expected);
    const namespace = props.namespace ?? DEFAULT_ARGOCD_NAMESPACE;
    if (!isNamespaceName(namespace)) fail('namespace', namespace, 'a namespace name (DNS-1123 label)');
    if (!Array.isArray(props.sourceRepos) || props.sourceRepos.length === 0)
      fail('sourceRepos', props.sourceRepos, 'at least one repository URL');
    props.sourceRepos.forEach((r, i) => {
      if (!(isGitRepoUrl(r) || isHttpsRepoUrl(r)))
        fail(`sourceRepos[${i}]`, r, 'an exact https/ssh Git URL or https Helm repository URL without credentials (no wildcards)');
    });
    if (!Array.isArray(props.destinationNamespaces) || props.destinationNamespaces.length === 0)
      fail('destinationNamespaces', props.destinationNamespaces, 'at least one namespace');
    props.destinationNamespaces.forEach((n, i) => {
      if (!isNamespaceName(n)) fail(`destinationNamespaces[${i}]`, n, 'an exact namespace name (DNS-1123 label, no wildcards)');
    });
    const server = props.destinationServer ?? IN_CLUSTER_SERVER;
    if (!isHttpsRepoUrl(server)) fail('destinationServer', server, `an https API server URL such as '${IN_CLUSTER_SERVER}'`);
    props.clusterResources.forEach((c, i) => {
      if (!(c.group === '' || dnsSubdomain.test(c.group)))
        fail(`clusterResources[${i}].group`, c.group, "an API group, or '' for the core group");
      if (!kindFormat.test(c.kind)) fail(`clusterResources[${i}].kind`, c.kind, "a kind such as 'ClusterRole' (PascalCase, no wildcards)");
    });
    const syncWave = props.syncWave ?? APP_WAVES.project;
    if (!Number.isInteger(syncWave)) fail('syncWave', syncWave, 'an integer');

    this.name = props.name;
    this.sourceRepos = [...new Set(props.sourceRepos)];
    this.destinationNamespaces = [...new Set(props.destinationNamespaces)].sort();
    this.destinationServer = server;
    this.clusterResources = sortKinds(props.clusterResources);

    this.resource = new AppProject(this, 'Resource', {
      metadata: {
        name: props.name,
        namespace,
        labels: { ...props.labels },
        annotations: { [SYNC_WAVE_ANNOTATION]: String(syncWave) },
      },
      spec: {
        sourceRepos: [...this.sourceRepos],
        destinations: this.destinationNamespaces.map((ns) => ({ server, namespace: ns })),
        clusterResourceWhitelist: this.clusterResources.map((c) => ({ group: c.group, kind: c.kind })),
      },
    });
  }

  /** True when an Application of this project may read from `repoUrl`. */
  public allowsSource(repoUrl: string): boolean {
    return this.sourceRepos.includes(repoUrl);
  }

  /** True when an Application of this project may deploy into `namespace` (on `server`). */
  public allowsDestination(namespace: string, server: string = IN_CLUSTER_SERVER): boolean {
    return server === this.destinationServer && this.destinationNamespaces.includes(namespace);
  }

  /** True when an Application of this project may create a cluster-scoped object of this group and kind. */
  public allowsClusterResource(group: string, kind: string): boolean {
    return this.clusterResources.some((c) => c.group === group && c.kind === kind);
  }
}
