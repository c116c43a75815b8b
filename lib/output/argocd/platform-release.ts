import { dnsLabel, dnsSubdomain, kind as kindFormat } from '../../core/formats';
import { APP_WAVES } from './sync-waves';

/** Pod Security Standards level of a platform namespace. */
export type PlatformPodSecurity = 'restricted' | 'baseline' | 'privileged';

/** A cluster-scoped kind a chart creates (for the AppProject's clusterResourceWhitelist). */
export interface ClusterResourceKind {
  /** API group; `''` for the core group. */
  readonly group: string;
  /** Kind, e.g. `ClusterRole`. */
  readonly kind: string;
}

/**
 * One upstream Helm chart installed into one environment, with everything resolved for that
 * environment. Produced by config/platform-charts.ts, consumed by the Argo CD App of Apps and the
 * kind bootstrap so both install exactly the same thing.
 */
export interface PlatformRelease {
  /** Name of the Argo CD Application (prefixed with the environment) and of the platform component, e.g. `traefik`. */
  readonly name: string;
  /** Helm release name (selects resource names and, for kube-prometheus-stack, the `release` label). */
  readonly releaseName: string;
  /** Helm repository URL (https). */
  readonly repoUrl: string;
  /** Chart name in the repository. */
  readonly chart: string;
  /** Exact chart version (SemVer, optional leading `v`). */
  readonly version: string;
  /** Namespace the release is installed into. */
  readonly namespace: string;
  /** Let Argo CD / the bootstrap create the namespace (false for namespaces such as kube-system). */
  readonly createNamespace: boolean;
  /** Pod Security level of a namespace it creates. @default - no label */
  readonly podSecurity?: PlatformPodSecurity;
  /** Why the pods need a level weaker than `restricted` (recorded on the namespace). */
  readonly podSecurityReason?: string;
  /** Sync wave of its Application, -10 (first) to -5 (last). */
  readonly syncWave: number;
  /** Apply server-side (CRDs too large for the last-applied annotation's 256 KiB). */
  readonly serverSideApply: boolean;
  /** Helm values for this environment. */
  readonly values: Readonly<Record<string, unknown>>;
  /** Cluster-scoped kinds the chart creates. */
  readonly clusterResources: readonly ClusterResourceKind[];
}

// https://semver.org regular expression, with an optional leading 'v' (cert-manager tags its chart 'v1.21.1').
const SEMVER =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** True for an exact semantic version (no ranges), with an optional leading `v`. */
export function isExactSemver(v: unknown): v is string {
  return typeof v === 'string' && SEMVER.test(v);
}

/** True for an https URL without credentials, query or fragment. */
export function isHttpsRepoUrl(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  try {
    const u = new URL(v);
    return u.protocol === 'https:' && !u.username && !u.password && !u.search && !u.hash && u.hostname.length > 0 && v === v.trim();
  } catch {
    return false;
  }
}

/**
 * Checks a platform release, listing every problem as `<where>.<field>: got <value>; expected <allowed>`.
 * @returns the problems (empty when valid)
 */
export function platformReleaseProblems(
  r: PlatformRelease,
  where = `platform chart '${String((r as { name?: unknown })?.name)}'`,
): string[] {
  const p: string[] = [];
  const bad = (field: string, value: unknown, expected: string) =>
    p.push(`${where}.${field}: got ${JSON.stringify(value)}; expected ${expected}`);
  if (!dnsLabel.test(r.name)) bad('name', r.name, "a DNS-1123 label such as 'traefik'");
  if (!(dnsLabel.test(r.releaseName) && r.releaseName.length <= 53))
    bad('releaseName', r.releaseName, 'a Helm release name (DNS-1123 label, at most 53 characters)');
  if (!isHttpsRepoUrl(r.repoUrl))
    bad('repoUrl', r.repoUrl, "an https Helm repository URL without credentials, such as 'https://charts.jetstack.io'");
  if (!dnsLabel.test(r.chart)) bad('chart', r.chart, "a chart name (lowercase letters, digits and '-')");
  if (!isExactSemver(r.version))
    bad('version', r.version, "an exact semantic version such as '41.1.0' or 'v1.21.1' (no ranges, no 'latest')");
  if (!dnsLabel.test(r.namespace)) bad('namespace', r.namespace, 'a namespace name (DNS-1123 label)');
  if (typeof r.createNamespace !== 'boolean') bad('createNamespace', r.createNamespace, 'true or false');
  if (r.podSecurity !== undefined && !['restricted', 'baseline', 'privileged'].includes(r.podSecurity))
    bad('podSecurity', r.podSecurity, "one of 'restricted', 'baseline', 'privileged'");
  if (r.podSecurity !== undefined && r.podSecurity !== 'restricted' && !r.podSecurityReason?.trim())
    bad('podSecurityReason', r.podSecurityReason, `a written reason why the pods need '${r.podSecurity}' instead of 'restricted'`);
  if (r.podSecurity !== undefined && !r.createNamespace)
    bad('podSecurity', r.podSecurity, 'unset when createNamespace is false (the namespace is not ours to label)');
  if (!(
    Number.isInteger(r.syncWave) &&
    r.syncWave >= APP_WAVES.operatorsFirst &&
    r.syncWave <= APP_WAVES.operatorsLast &&
    r.syncWave !== APP_WAVES.clusterConfig
  )) {
    bad(
      'syncWave',
      r.syncWave,
      `an integer from ${APP_WAVES.operatorsFirst} to ${APP_WAVES.operatorsLast} other than ${APP_WAVES.clusterConfig} (cluster configuration syncs at ${APP_WAVES.clusterConfig}: charts that need a ClusterIssuer or StorageClass go after it; the stacks follow at ${APP_WAVES.stacks})`,
    );
  }
  if (typeof r.serverSideApply !== 'boolean') bad('serverSideApply', r.serverSideApply, 'true or false');
  if (typeof r.values !== 'object' || r.values === null || Array.isArray(r.values)) bad('values', r.values, 'an object of Helm values');
  if (!Array.isArray(r.clusterResources)) {
    bad('clusterResources', r.clusterResources, 'a list of { group, kind }');
  } else {
    // Array.isArray narrows a readonly array to any[]: restate the element type
    (r.clusterResources as readonly ClusterResourceKind[]).forEach((c, i) => {
      if (!(c?.group === '' || dnsSubdomain.test(c?.group)))
        bad(`clusterResources[${i}].group`, c?.group, "an API group such as 'rbac.authorization.k8s.io', or '' for the core group");
      if (!kindFormat.test(c?.kind)) bad(`clusterResources[${i}].kind`, c?.kind, "a kind such as 'ClusterRole' (PascalCase)");
    });
  }
  return p;
}

/**
 * Validates platform releases: each one, and that names, release names and waves do not collide
 * in a way that would make the output ambiguous.
 * @throws listing every problem
 */
export function validatePlatformReleases(releases: readonly PlatformRelease[], where = 'platform charts'): void {
  const problems = releases.flatMap((r) => platformReleaseProblems(r));
  const seen = new Map<string, number>();
  releases.forEach((r, i) => {
    const key = r.name;
    if (seen.has(key)) problems.push(`${where}[${i}].name: got '${key}'; expected a unique name (also used by entry ${seen.get(key)})`);
    seen.set(key, i);
  });
  const releasesByNs = new Set<string>();
  for (const r of releases) {
    const key = `${r.namespace}/${r.releaseName}`;
    if (releasesByNs.has(key))
      problems.push(
        `${where}: release '${r.releaseName}' is installed twice into namespace '${r.namespace}'; expected one Helm release per name and namespace`,
      );
    releasesByNs.add(key);
  }
  if (problems.length > 0)
    throw new Error(`Invalid ${where} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ${problems.join('\n  - ')}`);
}
