import { Construct } from 'constructs';
import { DNS_LABEL_RE, dnsLabel } from '../../core/formats';
import { GitOpsProject } from './app-project';
import { GitOpsApplication } from './gitops-application';
import { GitOpsConfig, ResolvedGitOpsConfig, resolveGitOpsConfig } from './gitops-config';
import { clusterKindsOf, groupOf, isClusterScoped, namespacesOf, primaryNamespaceOf, RenderedObject } from './manifest-facts';
import { ClusterResourceKind, PlatformRelease, validatePlatformReleases } from './platform-release';
import { APP_WAVES } from './sync-waves';

/** A stack as Argo CD deploys it: its Helm chart in the repository and its rendered objects. */
export interface AppOfAppsStack {
  /** Stack name: the chart folder under `paths.helm` and the Helm release name. */
  readonly name: string;
  /** The stack's objects as rendered for this environment (namespaces, HPAs, cluster-scoped kinds). */
  readonly objects: readonly RenderedObject[];
}

/** Plain manifests applied after the operators (ClusterIssuers, StorageClasses). */
export interface AppOfAppsManifests {
  /** Application name suffix, e.g. `platform`. */
  readonly name: string;
  /** File in `<paths.manifests>/<environment>/`, e.g. `platform.k8s.yaml`. */
  readonly file: string;
  /** Its objects as rendered for this environment. */
  readonly objects: readonly RenderedObject[];
}

/** Folders of the generated output inside the Git repository. */
export interface AppOfAppsPaths {
  /** Plain manifests per environment. @default 'dist' */
  readonly manifests?: string;
  /** Helm charts per stack. @default 'dist/helm' */
  readonly helm?: string;
  /** Argo CD objects per environment. @default 'dist/argocd' */
  readonly argocd?: string;
}

export interface AppOfAppsProps {
  /** Environment name (DNS-1123 label): prefixes every Application and names the AppProject. */
  readonly environment: string;
  /** Repository, revision and Argo CD namespace. */
  readonly gitops: GitOpsConfig;
  /** Upstream charts installed into this environment (config/platform-charts.ts). */
  readonly platform: readonly PlatformRelease[];
  /** Cluster configuration from plain manifests, synced after the operators. @default - none */
  readonly clusterConfig?: AppOfAppsManifests;
  /** The stacks, each synced from its Helm chart with `values-<environment>.yaml`. */
  readonly stacks: readonly AppOfAppsStack[];
  /** Folders inside the repository. @default - dist, dist/helm, dist/argocd */
  readonly paths?: AppOfAppsPaths;
  /** Labels of every object. @default - none */
  readonly labels?: Readonly<Record<string, string>>;
}

const CORE_NAMESPACE: ClusterResourceKind = { group: '', kind: 'Namespace' };

/**
 * The App of Apps of one environment:
 *
 * - an AppProject `<env>` allowing this repository and the pinned chart repositories, the
 *   namespaces the environment's Applications use, and the cluster-scoped kinds they create;
 * - a root Application `<env>-root` syncing `<argocd>/<env>/` (every object below, itself included);
 * - one Application per platform chart (waves -10..-5), one for the cluster configuration
 *   (wave -8, after cert-manager and before charts that claim storage), one per stack (wave 0) with `values-<env>.yaml`.
 *
 * Every child Application is checked against the project before anything is written.
 */
export class AppOfApps extends Construct {
  public readonly project: GitOpsProject;
  public readonly root: GitOpsApplication;
  /** Platform, cluster configuration and stack Applications, in sync order. */
  public readonly children: readonly GitOpsApplication[];
  public readonly gitops: ResolvedGitOpsConfig;

  constructor(scope: Construct, id: string, props: AppOfAppsProps) {
    super(scope, id);
    const env = props.environment;
    const where = `AppOfApps '${env}'`;
    if (!(dnsLabel.test(env) && env.length <= 40)) {
      throw new Error(
        `${where}: environment: got ${JSON.stringify(env)}; expected a DNS-1123 label of at most 40 characters (it prefixes Application names)`,
      );
    }
    const gitops = resolveGitOpsConfig(props.gitops, `${where}: gitops`);
    validatePlatformReleases(props.platform, `platform charts of environment '${env}'`);
    const paths = {
      manifests: props.paths?.manifests ?? 'dist',
      helm: props.paths?.helm ?? 'dist/helm',
      argocd: props.paths?.argocd ?? 'dist/argocd',
    };
    const labels = { ...props.labels };

    const names = new Map<string, string>();
    const claim = (name: string, what: string) => {
      // the regex, not dnsLabel.test: its `is string` guard would make `name` never in the message
      if (!DNS_LABEL_RE.test(name))
        throw new Error(
          `${where}: ${what}: Application name '${name}' is not a DNS-1123 label of at most 63 characters; expected shorter names`,
        );
      if (names.has(name))
        throw new Error(
          `${where}: ${what} and ${names.get(name)} would both be Application '${name}'; expected unique platform chart, cluster configuration and stack names`,
        );
      names.set(name, what);
      return name;
    };
    claim(`${env}-root`, 'the root Application');
    for (const s of props.stacks) {
      if (!dnsLabel.test(s.name)) throw new Error(`${where}: stack name: got ${JSON.stringify(s.name)}; expected ${dnsLabel.expected}`);
      if (s.objects.length === 0) throw new Error(`${where}: stack '${s.name}' has no objects; expected its rendered manifests`);
    }
    if (props.clusterConfig && !/^[A-Za-z0-9._-]+\.ya?ml$/.test(props.clusterConfig.file)) {
      throw new Error(
        `${where}: clusterConfig.file: got ${JSON.stringify(props.clusterConfig.file)}; expected a YAML file name such as 'platform.k8s.yaml'`,
      );
    }

    const stackNamespaces = props.stacks.map((s) => primaryNamespaceOf(s.objects, `${where}: stack '${s.name}'`));
    const clusterConfigNamespace = props.clusterConfig
      ? (namespacesOf(props.clusterConfig.objects)[0] ?? gitops.argocdNamespace)
      : undefined;
    const destinationNamespaces = [
      gitops.argocdNamespace,
      ...props.platform.map((r) => r.namespace),
      ...(clusterConfigNamespace ? [clusterConfigNamespace, ...namespacesOf(props.clusterConfig!.objects)] : []),
      ...props.stacks.flatMap((s) => namespacesOf(s.objects)),
    ];
    const clusterResources = [
      ...props.platform.flatMap((r) => r.clusterResources),
      ...(props.platform.some((r) => r.createNamespace) ? [CORE_NAMESPACE] : []),
      ...(props.clusterConfig ? clusterKindsOf(props.clusterConfig.objects) : []),
      ...props.stacks.flatMap((s) => clusterKindsOf(s.objects)),
    ];

    this.gitops = gitops;
    this.project = new GitOpsProject(this, 'project', {
      name: env,
      namespace: gitops.argocdNamespace,
      sourceRepos: [gitops.repoUrl, ...props.platform.map((r) => r.repoUrl)],
      destinationNamespaces,
      clusterResources,
      labels,
    });
    const common = { namespace: gitops.argocdNamespace, project: this.project.name, labels };

    this.root = new GitOpsApplication(this, 'root', {
      ...common,
      name: `${env}-root`,
      source: { type: 'git-directory', repoUrl: gitops.repoUrl, targetRevision: gitops.targetRevision, path: `${paths.argocd}/${env}` },
      destinationNamespace: gitops.argocdNamespace,
    });

    const children: GitOpsApplication[] = [];
    for (const r of [...props.platform].sort((a, b) => a.syncWave - b.syncWave || a.name.localeCompare(b.name))) {
      children.push(
        new GitOpsApplication(this, `platform-${r.name}`, {
          ...common,
          name: claim(`${env}-${r.name}`, `platform chart '${r.name}'`),
          source: {
            type: 'helm-repository',
            repoUrl: r.repoUrl,
            chart: r.chart,
            version: r.version,
            releaseName: r.releaseName,
            values: r.values,
          },
          destinationNamespace: r.namespace,
          syncWave: r.syncWave,
          createNamespace: r.createNamespace,
          ...(r.createNamespace && r.podSecurity
            ? {
                namespaceLabels: {
                  'pod-security.kubernetes.io/enforce': r.podSecurity,
                  'pod-security.kubernetes.io/audit': r.podSecurity,
                  'pod-security.kubernetes.io/warn': r.podSecurity,
                },
                ...(r.podSecurityReason ? { namespaceAnnotations: { 'platform/pod-security-reason': r.podSecurityReason } } : {}),
              }
            : {}),
          serverSideApply: r.serverSideApply,
        }),
      );
    }
    if (props.clusterConfig) {
      const c = props.clusterConfig;
      children.push(
        new GitOpsApplication(this, `config-${c.name}`, {
          ...common,
          name: claim(`${env}-${c.name}`, `cluster configuration '${c.name}'`),
          source: {
            type: 'git-directory',
            repoUrl: gitops.repoUrl,
            targetRevision: gitops.targetRevision,
            path: `${paths.manifests}/${env}`,
            include: c.file,
          },
          destinationNamespace: clusterConfigNamespace!,
          syncWave: APP_WAVES.clusterConfig,
          objects: c.objects,
        }),
      );
    }
    props.stacks.forEach((s, i) => {
      children.push(
        new GitOpsApplication(this, `stack-${s.name}`, {
          ...common,
          name: claim(`${env}-${s.name}`, `stack '${s.name}'`),
          source: {
            type: 'git-helm',
            repoUrl: gitops.repoUrl,
            targetRevision: gitops.targetRevision,
            path: `${paths.helm}/${s.name}`,
            valueFiles: [`values-${env}.yaml`],
            releaseName: s.name,
          },
          destinationNamespace: stackNamespaces[i],
          syncWave: APP_WAVES.stacks,
          objects: s.objects,
        }),
      );
    });
    this.children = children;

    // Prove every Application and every object it deploys is permitted by the project.
    for (const app of [this.root, ...children]) {
      if (!this.project.allowsSource(app.repoUrl))
        throw new Error(`${where}: Application '${app.name}' reads ${app.repoUrl}, which project '${this.project.name}' does not allow`);
      if (!this.project.allowsDestination(app.destinationNamespace, app.destinationServer))
        throw new Error(
          `${where}: Application '${app.name}' deploys into namespace '${app.destinationNamespace}', which project '${this.project.name}' does not allow`,
        );
    }
    const deployed = [...(props.clusterConfig?.objects ?? []), ...props.stacks.flatMap((s) => s.objects)];
    for (const o of deployed) {
      if (isClusterScoped(o) && !this.project.allowsClusterResource(groupOf(o.apiVersion), o.kind ?? '')) {
        throw new Error(
          `${where}: ${o.kind} '${o.metadata?.name}' is cluster-scoped and not in project '${this.project.name}' clusterResourceWhitelist`,
        );
      }
      if (!isClusterScoped(o) && !this.project.allowsDestination(o.metadata!.namespace!)) {
        throw new Error(
          `${where}: ${o.kind} '${o.metadata?.name}' is in namespace '${o.metadata?.namespace}', which project '${this.project.name}' does not allow`,
        );
      }
    }
  }
}
