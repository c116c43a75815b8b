import { Construct } from 'constructs';
import { Application, ApplicationSpecIgnoreDifferences, ApplicationSpecSource } from '../../../imports/argoproj.io';
import { dnsLabel, duration, durationSeconds } from '../../core/formats';
import {
  DEFAULT_ARGOCD_NAMESPACE,
  GIT_REPO_URL_EXPECTED,
  GIT_REVISION_EXPECTED,
  isGitRepoUrl,
  isGitRevision,
  isNamespaceName,
} from './gitops-config';
import { hpaManagedWorkloads, RenderedObject } from './manifest-facts';
import { isExactSemver, isHttpsRepoUrl } from './platform-release';
import { SYNC_WAVE_ANNOTATION } from './sync-waves';

/** The Kubernetes API server of the cluster Argo CD runs in. */
export const IN_CLUSTER_SERVER = 'https://kubernetes.default.svc';

/** Finalizer that makes deleting an Application delete its resources too. */
export const CASCADE_FINALIZER = 'resources-finalizer.argocd.argoproj.io';

/** A chart from a Helm repository (the platform charts). */
export interface HelmRepositorySource {
  readonly type: 'helm-repository';
  /** Helm repository URL (https). */
  readonly repoUrl: string;
  readonly chart: string;
  /** Exact chart version. */
  readonly version: string;
  /** Helm release name. @default - the Application name */
  readonly releaseName?: string;
  /** Helm values. @default - the chart's defaults */
  readonly values?: Readonly<Record<string, unknown>>;
}

/** A Helm chart stored in a Git repository (the stacks' charts in dist/helm). */
export interface GitHelmSource {
  readonly type: 'git-helm';
  readonly repoUrl: string;
  readonly targetRevision: string;
  /** Folder of the chart inside the repository, e.g. `dist/helm/shop`. */
  readonly path: string;
  /** Values files relative to the chart folder, e.g. `['values-dev.yaml']`. @default - only values.yaml */
  readonly valueFiles?: readonly string[];
  /** Helm release name. @default - the Application name */
  readonly releaseName?: string;
}

/** A folder of plain manifests in a Git repository. */
export interface GitDirectorySource {
  readonly type: 'git-directory';
  readonly repoUrl: string;
  readonly targetRevision: string;
  /** Folder inside the repository, e.g. `dist/argocd/dev`. */
  readonly path: string;
  /** Glob of the files to read, e.g. `platform.k8s.yaml`. @default - every manifest in the folder */
  readonly include?: string;
}

/** Where an Application's manifests come from. */
export type GitOpsApplicationSource = HelmRepositorySource | GitHelmSource | GitDirectorySource;

/** How failed syncs are retried. */
export interface SyncRetry {
  /** Attempts after the first failure. @default 5 */
  readonly limit?: number;
  /** First back-off, e.g. `10s`. @default '10s' */
  readonly backoffDuration?: string;
  /** Multiplier of the back-off after each failure. @default 2 */
  readonly backoffFactor?: number;
  /** Longest back-off. @default '3m' */
  readonly backoffMaxDuration?: string;
}

export interface GitOpsApplicationProps {
  /** Application name (DNS-1123 label: Argo CD writes it into labels). */
  readonly name: string;
  /** Namespace Argo CD runs in. @default 'argocd' */
  readonly namespace?: string;
  /** AppProject the Application belongs to. */
  readonly project: string;
  readonly source: GitOpsApplicationSource;
  /** Namespace for objects that name none. */
  readonly destinationNamespace: string;
  /** API server of the target cluster. @default 'https://kubernetes.default.svc' (the cluster Argo CD runs in) */
  readonly destinationServer?: string;
  /** Sync wave of the Application inside its parent (App of Apps). @default 0 */
  readonly syncWave?: number;
  /** Create the destination namespace when missing (`CreateNamespace=true`). @default false */
  readonly createNamespace?: boolean;
  /** Labels of a namespace it creates (e.g. Pod Security levels). Needs createNamespace. @default - none */
  readonly namespaceLabels?: Readonly<Record<string, string>>;
  /** Annotations of a namespace it creates. Needs createNamespace. @default - none */
  readonly namespaceAnnotations?: Readonly<Record<string, string>>;
  /** Apply server-side (`ServerSideApply=true`), for CRDs over the 256 KiB annotation limit. @default false */
  readonly serverSideApply?: boolean;
  /** Sync automatically when Git changes, pruning removed objects and reverting drift. @default true */
  readonly automated?: boolean;
  /** Retry policy of failed syncs. @default - 5 retries, back-off 10s x2 up to 3m */
  readonly retry?: SyncRetry;
  /**
   * The objects the Application deploys, as rendered for its environment. Deployments and
   * StatefulSets scaled by an HPA among them get `ignoreDifferences` on `/spec/replicas`.
   * @default - none: no ignoreDifferences
   */
  readonly objects?: readonly RenderedObject[];
  /**
   * Deleting the Application deletes its resources (the resources finalizer). Off by default so
   * removing or recreating an Application never takes data with it.
   * @default false
   */
  readonly cascadeDelete?: boolean;
  /** Extra labels. @default - none */
  readonly labels?: Readonly<Record<string, string>>;
}

/** A {@link duration} Argo CD can parse (Go's time.ParseDuration: no day unit). */
const isGoDuration = (v: string): boolean => duration.test(v) && !v.endsWith('d');
const REPO_PATH = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/**
 * An Argo CD Application with the project's sync policy: automated sync with prune and
 * self-heal, retries with exponential back-off, foreground prune propagation after everything
 * else is applied, no object shared with another Application, optional server-side apply and
 * namespace creation, and `ignoreDifferences` for replica counts HPAs own.
 */
export class GitOpsApplication extends Construct {
  /** The Application object. */
  public readonly resource: Application;
  public readonly name: string;
  public readonly project: string;
  public readonly repoUrl: string;
  public readonly destinationNamespace: string;
  public readonly destinationServer: string;
  public readonly syncWave: number;
  /** The sync options written to the Application. */
  public readonly syncOptions: readonly string[];

  constructor(scope: Construct, id: string, props: GitOpsApplicationProps) {
    super(scope, id);
    const where = `GitOpsApplication '${props.name}'`;
    const fail = (field: string, value: unknown, expected: string): never => {
      throw new Error(`${where}: ${field}: got ${JSON.stringify(value)}; expected ${expected}`);
    };
    if (!dnsLabel.test(props.name)) fail('name', props.name, dnsLabel.expected);
    const namespace = props.namespace ?? DEFAULT_ARGOCD_NAMESPACE;
    if (!isNamespaceName(namespace)) fail('namespace', namespace, 'a namespace name (DNS-1123 label)');
    if (!dnsLabel.test(props.project)) fail('project', props.project, 'an AppProject name (DNS-1123 label)');
    if (!isNamespaceName(props.destinationNamespace))
      fail('destinationNamespace', props.destinationNamespace, 'a namespace name (DNS-1123 label)');
    const server = props.destinationServer ?? IN_CLUSTER_SERVER;
    if (!isHttpsRepoUrl(server)) fail('destinationServer', server, `an https API server URL such as '${IN_CLUSTER_SERVER}'`);
    const syncWave = props.syncWave ?? 0;
    if (!Number.isInteger(syncWave)) fail('syncWave', syncWave, 'an integer');
    const createNamespace = props.createNamespace ?? false;
    if (!createNamespace && (props.namespaceLabels || props.namespaceAnnotations)) {
      fail(
        props.namespaceLabels ? 'namespaceLabels' : 'namespaceAnnotations',
        props.namespaceLabels ?? props.namespaceAnnotations,
        'unset unless createNamespace is true (Argo CD only manages metadata of namespaces it creates)',
      );
    }
    const retry = resolveRetry(props.retry, fail);
    const source = renderSource(props.source, props.name, fail);

    const ignoreDifferences: ApplicationSpecIgnoreDifferences[] = hpaManagedWorkloads(props.objects ?? []).map((w) => ({
      group: w.group,
      kind: w.kind,
      name: w.name,
      namespace: w.namespace,
      jsonPointers: ['/spec/replicas'],
    }));
    const syncOptions = [
      'PrunePropagationPolicy=foreground',
      'PruneLast=true',
      'FailOnSharedResource=true',
      ...(createNamespace ? ['CreateNamespace=true'] : []),
      ...(props.serverSideApply ? ['ServerSideApply=true'] : []),
      ...(ignoreDifferences.length > 0 ? ['RespectIgnoreDifferences=true'] : []),
    ];

    this.name = props.name;
    this.project = props.project;
    this.repoUrl = props.source.repoUrl;
    this.destinationNamespace = props.destinationNamespace;
    this.destinationServer = server;
    this.syncWave = syncWave;
    this.syncOptions = syncOptions;
    const managedNamespaceMetadata =
      createNamespace && (props.namespaceLabels || props.namespaceAnnotations)
        ? {
            labels: props.namespaceLabels ? { ...props.namespaceLabels } : undefined,
            annotations: props.namespaceAnnotations ? { ...props.namespaceAnnotations } : undefined,
          }
        : undefined;
    this.resource = new Application(this, 'Resource', {
      metadata: {
        name: props.name,
        namespace,
        labels: { ...props.labels },
        annotations: { [SYNC_WAVE_ANNOTATION]: String(syncWave) },
        ...(props.cascadeDelete ? { finalizers: [CASCADE_FINALIZER] } : {}),
      },
      spec: {
        project: props.project,
        source,
        destination: { server, namespace: props.destinationNamespace },
        ...(ignoreDifferences.length > 0 ? { ignoreDifferences } : {}),
        syncPolicy: {
          ...((props.automated ?? true) ? { automated: { prune: true, selfHeal: true } } : {}),
          syncOptions,
          ...(managedNamespaceMetadata ? { managedNamespaceMetadata } : {}),
          retry: {
            limit: retry.limit,
            backoff: { duration: retry.backoffDuration, factor: retry.backoffFactor, maxDuration: retry.backoffMaxDuration },
          },
        },
      },
    });
  }
}

function resolveRetry(r: SyncRetry | undefined, fail: (field: string, value: unknown, expected: string) => never): Required<SyncRetry> {
  const out = {
    limit: r?.limit ?? 5,
    backoffDuration: r?.backoffDuration ?? '10s',
    backoffFactor: r?.backoffFactor ?? 2,
    backoffMaxDuration: r?.backoffMaxDuration ?? '3m',
  };
  if (!(Number.isInteger(out.limit) && out.limit >= 0 && out.limit <= 100)) fail('retry.limit', out.limit, 'an integer from 0 to 100');
  if (!isGoDuration(out.backoffDuration)) fail('retry.backoffDuration', out.backoffDuration, "a duration such as '10s', '1m' or '1h'");
  if (!(Number.isInteger(out.backoffFactor) && out.backoffFactor >= 1)) fail('retry.backoffFactor', out.backoffFactor, 'an integer >= 1');
  if (!isGoDuration(out.backoffMaxDuration)) fail('retry.backoffMaxDuration', out.backoffMaxDuration, "a duration such as '3m'");
  if (durationSeconds(out.backoffMaxDuration) < durationSeconds(out.backoffDuration))
    fail('retry.backoffMaxDuration', out.backoffMaxDuration, `a duration >= backoffDuration (${out.backoffDuration})`);
  return out;
}

function renderSource(
  s: GitOpsApplicationSource,
  appName: string,
  fail: (field: string, value: unknown, expected: string) => never,
): ApplicationSpecSource {
  switch (s.type) {
    case 'helm-repository': {
      if (!isHttpsRepoUrl(s.repoUrl))
        fail('source.repoUrl', s.repoUrl, "an https Helm repository URL without credentials, such as 'https://charts.jetstack.io'");
      if (!dnsLabel.test(s.chart)) fail('source.chart', s.chart, "a chart name (lowercase letters, digits and '-')");
      if (!isExactSemver(s.version)) fail('source.version', s.version, "an exact semantic version such as '41.1.0' or 'v1.21.1'");
      const releaseName = s.releaseName ?? appName;
      if (!(dnsLabel.test(releaseName) && releaseName.length <= 53))
        fail('source.releaseName', releaseName, 'a Helm release name (DNS-1123 label, at most 53 characters)');
      return {
        repoUrl: s.repoUrl,
        chart: s.chart,
        targetRevision: s.version,
        helm: { releaseName, ...(s.values && Object.keys(s.values).length > 0 ? { valuesObject: clone(s.values) } : {}) },
      };
    }
    case 'git-helm': {
      checkGit(s, fail);
      const valueFiles = [...(s.valueFiles ?? [])];
      valueFiles.forEach((f, i) => {
        if (!(typeof f === 'string' && /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*\.ya?ml$/.test(f) && !f.split('/').includes('..'))) {
          fail(`source.valueFiles[${i}]`, f, "a YAML file inside the chart folder such as 'values-dev.yaml'");
        }
      });
      const releaseName = s.releaseName ?? appName;
      if (!(dnsLabel.test(releaseName) && releaseName.length <= 53))
        fail('source.releaseName', releaseName, 'a Helm release name (DNS-1123 label, at most 53 characters)');
      return {
        repoUrl: s.repoUrl,
        targetRevision: s.targetRevision,
        path: s.path,
        helm: { releaseName, ...(valueFiles.length > 0 ? { valueFiles } : {}) },
      };
    }
    case 'git-directory': {
      checkGit(s, fail);
      if (s.include !== undefined && !(typeof s.include === 'string' && /^[A-Za-z0-9._*{},-]+$/.test(s.include))) {
        fail('source.include', s.include, "a file glob inside the folder such as 'platform.k8s.yaml' or '*.yaml'");
      }
      return {
        repoUrl: s.repoUrl,
        targetRevision: s.targetRevision,
        path: s.path,
        directory: { recurse: false, ...(s.include ? { include: s.include } : {}) },
      };
    }
    default:
      return fail('source.type', (s as { type?: unknown }).type, "one of 'helm-repository', 'git-helm', 'git-directory'");
  }
}

function checkGit(s: GitHelmSource | GitDirectorySource, fail: (field: string, value: unknown, expected: string) => never): void {
  if (!isGitRepoUrl(s.repoUrl)) fail('source.repoUrl', s.repoUrl, GIT_REPO_URL_EXPECTED);
  if (!isGitRevision(s.targetRevision)) fail('source.targetRevision', s.targetRevision, GIT_REVISION_EXPECTED);
  if (!(typeof s.path === 'string' && REPO_PATH.test(s.path) && !s.path.split('/').includes('..') && !s.path.split('/').includes('.'))) {
    fail('source.path', s.path, "a folder inside the repository, relative, without '.' or '..' segments, such as 'dist/helm/shop'");
  }
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
