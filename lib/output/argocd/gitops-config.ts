/**
 * Where Argo CD reads this repository from: repository URL, revision and Argo CD's namespace.
 * Validated early so a bad value stops synth with the field, the value and what is allowed.
 */
import { dnsLabel, hostname } from '../../core/formats';

/** Namespace Argo CD runs in when the config does not say. */
export const DEFAULT_ARGOCD_NAMESPACE = 'argocd';

/** The GitOps settings of an environment (`gitops` in config/<env>.ts). */
export interface GitOpsConfig {
  /**
   * Git URL of this repository as Argo CD clones it: `https://host/org/repo(.git)`,
   * `ssh://git@host/org/repo.git` or `git@host:org/repo.git`. Never with a password or token
   * (register credentials in Argo CD instead).
   */
  readonly repoUrl: string;
  /** Branch, tag or commit SHA Argo CD follows, e.g. `main`, `v1.4.0` or a 40-hex SHA. */
  readonly targetRevision: string;
  /**
   * Namespace Argo CD runs in (Applications and the AppProject live there).
   * @default 'argocd'
   */
  readonly argocdNamespace?: string;
}

/** A {@link GitOpsConfig} with every default filled in. */
export interface ResolvedGitOpsConfig {
  readonly repoUrl: string;
  readonly targetRevision: string;
  readonly argocdNamespace: string;
}

/** What {@link isGitRepoUrl} accepts, for messages. */
export const GIT_REPO_URL_EXPECTED =
  "an https or ssh Git URL without credentials, such as 'https://github.com/org/repo.git', " +
  "'ssh://git@github.com/org/repo.git' or 'git@github.com:org/repo.git' (register credentials in Argo CD, never in the URL)";

/** What {@link isGitRevision} accepts, for messages. */
export const GIT_REVISION_EXPECTED =
  "a branch, tag or commit SHA such as 'main', 'release/1.4', 'v1.4.0' or a 40-hex SHA " +
  "(Git ref-name rules: no spaces or any of ~^:?*[\\, no '..' or '@{', no leading '-' or '/', no trailing '/', '.' or '.lock')";

const REPO_PATH = /^[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*\/?$/;
const SCP_LIKE = /^(?<user>[A-Za-z0-9._-]+)@(?<host>[^:/\s]+):(?<path>[^\s]+)$/;

/**
 * True for an https or ssh Git URL that carries no credentials: a user name is allowed for ssh
 * (it names the account, usually `git`), a password or token never is, and plain http is refused.
 */
export function isGitRepoUrl(value: unknown): value is string {
  if (typeof value !== 'string' || value !== value.trim() || value.length === 0) return false;
  const scp = SCP_LIKE.exec(value);
  if (scp?.groups && !value.includes('://')) {
    return isHost(scp.groups.host) && REPO_PATH.test(scp.groups.path.replace(/^\//, ''));
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'ssh:') return false;
  if (url.password) return false;
  if (url.protocol === 'https:' && url.username) return false;
  if (url.search || url.hash) return false;
  if (!isHost(url.hostname)) return false;
  const path = decodeURIComponent(url.pathname).replace(/^\//, '');
  return path.length > 0 && REPO_PATH.test(path);
}

/**
 * A host name as written in a URL, case-insensitive (ssh URLs keep the case the user typed): a
 * fully qualified name or one label (an in-cluster `gitea`); IPv4 addresses pass as names. No
 * wildcard: `*.example.com` is a certificate pattern, not a host to clone from.
 */
function isHost(host: string): boolean {
  const h = host.toLowerCase();
  return !h.startsWith('*') && (hostname.test(h) || dnsLabel.test(h));
}

/** True for a Git branch, tag, `HEAD` or commit SHA that follows Git's ref-name rules. */
export function isGitRevision(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 255) return false;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(value)) return false;
  if (value.includes('..') || value.includes('@{') || value === '@' || value.includes('//')) return false;
  if (value.startsWith('-') || value.startsWith('/') || value.endsWith('/') || value.endsWith('.') || value.endsWith('.lock')) return false;
  return value.split('/').every((part) => part.length > 0 && !part.startsWith('.') && !part.endsWith('.lock'));
}

/** True for a namespace name (DNS-1123 label). */
export function isNamespaceName(value: unknown): value is string {
  return dnsLabel.test(value);
}

/**
 * Validates a GitOps config and fills in defaults.
 * @param where names the config in messages, e.g. `gitops` or `config/prod.ts gitops`
 * @throws naming the field, the value found and what is allowed (every problem at once)
 */
export function resolveGitOpsConfig(config: GitOpsConfig, where = 'gitops'): ResolvedGitOpsConfig {
  const problems: string[] = [];
  const c = (config ?? {}) as unknown as Record<string, unknown>;
  for (const key of Object.keys(c)) {
    if (!['repoUrl', 'targetRevision', 'argocdNamespace'].includes(key)) {
      problems.push(
        `${where}.${key}: got ${JSON.stringify(c[key])}; expected no such key (allowed: repoUrl, targetRevision, argocdNamespace)`,
      );
    }
  }
  if (!isGitRepoUrl(c.repoUrl)) problems.push(`${where}.repoUrl: got ${JSON.stringify(c.repoUrl)}; expected ${GIT_REPO_URL_EXPECTED}`);
  if (!isGitRevision(c.targetRevision))
    problems.push(`${where}.targetRevision: got ${JSON.stringify(c.targetRevision)}; expected ${GIT_REVISION_EXPECTED}`);
  if (c.argocdNamespace !== undefined && !isNamespaceName(c.argocdNamespace)) {
    problems.push(
      `${where}.argocdNamespace: got ${JSON.stringify(c.argocdNamespace)}; expected a namespace name (DNS-1123 label), default '${DEFAULT_ARGOCD_NAMESPACE}'`,
    );
  }
  if (problems.length > 0)
    throw new Error(
      `Invalid GitOps configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ${problems.join('\n  - ')}`,
    );
  return {
    repoUrl: config.repoUrl,
    targetRevision: config.targetRevision,
    argocdNamespace: config.argocdNamespace ?? DEFAULT_ARGOCD_NAMESPACE,
  };
}
