import { s, Schema, SchemaIssue } from '../lib/config-schema';
import { GIT_REPO_URL_EXPECTED, GIT_REVISION_EXPECTED, isGitRepoUrl, isGitRevision } from '../lib/output/argocd/gitops-config';

/** A string schema backed by a predicate (config-schema's own predicate class is private). */
class GitStringSchema extends Schema<string> {
  constructor(public readonly expected: string, private readonly test: (v: unknown) => boolean) {
    super();
  }
  public check(value: unknown, path: string, issues: SchemaIssue[]): void {
    if (!this.test(value)) issues.push({ path, value, expected: this.expected });
  }
}

/**
 * Where Argo CD reads this repository from (`gitops` of an environment). Add it to the
 * environment schema as `gitops: gitopsSchema`; `lib/argocd` validates the same rules again when
 * it writes dist/argocd, so a value that bypasses the schema still stops synth.
 */
export const gitopsSchema = s.object({
  /** Git URL of this repository: https or ssh, never with credentials. */
  repoUrl: new GitStringSchema(GIT_REPO_URL_EXPECTED, isGitRepoUrl),
  /** Branch, tag or commit SHA Argo CD follows. */
  targetRevision: new GitStringSchema(GIT_REVISION_EXPECTED, isGitRevision),
  /** Namespace Argo CD runs in. @default 'argocd' */
  argocdNamespace: s.dnsLabel().optional(),
});
