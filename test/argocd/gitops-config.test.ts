import { parseConfig } from '../../lib/config/config-error';
import { gitopsSchema } from '../../lib/config/platform-schema';
import { isGitRepoUrl, isGitRevision, resolveGitOpsConfig } from '../../lib/output/argocd';
import { Doc } from '../support/doc';

describe('Git repository URLs', () => {
  test.each([
    'https://github.com/org/repo.git',
    'https://github.com/org/repo',
    'https://gitlab.example.com/group/sub/repo.git',
    'ssh://git@github.com/org/repo.git',
    'ssh://git@git.example.com:2222/org/repo.git',
    'git@github.com:org/repo.git',
    'git@GitHub.com:org/repo.git',
    'https://gitea/org/repo.git',
    'https://10.0.0.5/org/repo.git',
    `https://${'a'.repeat(63)}.example.com/org/repo.git`,
  ])('accepts %s', (url) => expect(isGitRepoUrl(url)).toBe(true));

  test.each([
    ['plain http', 'http://github.com/org/repo.git'],
    ['a token in the URL', 'https://x-access-token:ghp_abc@github.com/org/repo.git'],
    ['a user name over https', 'https://user@github.com/org/repo.git'],
    ['an ssh password', 'ssh://git:secret@github.com/org/repo.git'],
    ['no repository path', 'https://github.com/'],
    ['a query string', 'https://github.com/org/repo.git?ref=main'],
    ['a local path', '/srv/git/repo.git'],
    ['a wildcard', 'https://github.com/org/*'],
    ['surrounding spaces', ' https://github.com/org/repo.git'],
    ['empty', ''],
    ['a wildcard host', 'git@*.example.com:org/repo.git'],
    ['a wildcard host over https', 'https://*.example.com/org/repo.git'],
    ['a host label over 63 characters', `https://${'a'.repeat(64)}.example.com/org/repo.git`],
    ['an underscore in the host', 'git@git_host:org/repo.git'],
  ])('rejects %s', (_, url) => expect(isGitRepoUrl(url)).toBe(false));
});

describe('Git revisions', () => {
  test.each(['main', 'HEAD', 'release/1.4', 'v1.4.0', 'refs/heads/main', 'a'.repeat(40), 'feature_x-1'])('accepts %s', (rev) =>
    expect(isGitRevision(rev)).toBe(true),
  );
  test.each([
    ['a space', 'main branch'],
    ['..', 'main..dev'],
    ['a leading dash', '-main'],
    ['a trailing slash', 'release/'],
    ['a trailing .lock', 'main.lock'],
    ['a glob', 'v1.*'],
    ['a caret', 'main^'],
    ['a colon', 'a:b'],
    ['@{', 'main@{1}'],
    ['a component starting with .', 'release/.hidden'],
    ['empty', ''],
    ['a double slash', 'a//b'],
  ])('rejects %s', (_, rev) => expect(isGitRevision(rev)).toBe(false));
});

describe('resolveGitOpsConfig', () => {
  test('fills in the Argo CD namespace', () => {
    expect(resolveGitOpsConfig({ repoUrl: 'https://github.com/org/repo.git', targetRevision: 'main' })).toEqual({
      repoUrl: 'https://github.com/org/repo.git',
      targetRevision: 'main',
      argocdNamespace: 'argocd',
    });
  });

  test('lists every problem with the field, the value and what is allowed', () => {
    expect(() =>
      resolveGitOpsConfig(
        { repoUrl: 'https://bot:token@github.com/org/repo.git', targetRevision: 'main branch', argocdNamespace: 'Argo_CD' },
        'config/prod.ts gitops',
      ),
    ).toThrow(
      /Invalid GitOps configuration \(3 problems\):\n {2}- config\/prod.ts gitops.repoUrl: got "https:\/\/bot:token@github.com\/org\/repo.git"; expected an https or ssh Git URL without credentials[^\n]*\n {2}- config\/prod.ts gitops.targetRevision: got "main branch"; expected a branch, tag or commit SHA[^\n]*\n {2}- config\/prod.ts gitops.argocdNamespace: got "Argo_CD"; expected a namespace name/,
    );
  });

  test('rejects unknown keys (a typo never silently does nothing)', () => {
    expect(() => resolveGitOpsConfig({ repoUrl: 'https://github.com/org/repo.git', targetRevision: 'main', revision: 'x' } as Doc)).toThrow(
      /gitops.revision: got "x"; expected no such key \(allowed: repoUrl, targetRevision, argocdNamespace\)/,
    );
  });
});

describe('gitopsSchema (the platform config schema)', () => {
  test('accepts a valid config', () => {
    expect(parseConfig(gitopsSchema, { repoUrl: 'git@github.com:org/repo.git', targetRevision: 'v1.0.0' }, 'config/dev.ts')).toEqual({
      repoUrl: 'git@github.com:org/repo.git',
      targetRevision: 'v1.0.0',
    });
  });

  test('reports bad values the way the environment schema does', () => {
    const run = (): unknown =>
      parseConfig(
        gitopsSchema,
        { repoUrl: 'http://github.com/org/repo.git', targetRevision: '', argocdNamespace: 'ArgoCD', extra: 1 },
        'config/dev.ts',
      );
    expect(run).toThrow(/^Invalid configuration 'config\/dev.ts' \(4 problems\):\n/);
    expect(run).toThrow(/\n {2}- extra: got 1; expected no such key; allowed keys here: repoUrl, targetRevision, argocdNamespace(\n|$)/);
    expect(run).toThrow(/\n {2}- repoUrl: got "http:\/\/github.com\/org\/repo.git"; expected an https or ssh Git URL without credentials/);
    expect(run).toThrow(/\n {2}- targetRevision: got ""; expected a branch, tag or commit SHA/);
    expect(run).toThrow(/\n {2}- argocdNamespace: got "ArgoCD"; expected a DNS-1123 label/);
  });
});
