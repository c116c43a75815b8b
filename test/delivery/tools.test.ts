import * as path from 'path';
import { checkDockerDaemon, DeliveryError, locateTool, locateTools, TOOL_INSTALL_HINTS } from '../../lib/delivery';
import { FakeRunner } from './fake-runner';

const ROOT = '/repo';
const lookup = (files: string[], env: Record<string, string> = {}) => ({
  env: { PATH: ['/usr/local/bin', '/usr/bin'].join(path.delimiter), ...env },
  projectRoot: ROOT,
  platform: 'linux' as const,
  isExecutable: (f: string) => files.includes(f),
});

describe('locateTool', () => {
  test('$HELM wins, then .tools/bin, then PATH (the findHelm order)', () => {
    const all = ['/repo/.tools/bin/helm', '/usr/bin/helm'];
    expect(locateTool('helm', lookup(all, { HELM: '/opt/helm/bin/helm' }))).toBe('/opt/helm/bin/helm');
    expect(locateTool('helm', lookup(all))).toBe('/repo/.tools/bin/helm');
    expect(locateTool('helm', lookup(['/usr/bin/helm']))).toBe('/usr/bin/helm');
    expect(locateTool('kind', lookup(['/usr/local/bin/kind', '/usr/bin/kind']))).toBe('/usr/local/bin/kind');
    expect(locateTool('kubectl', lookup([]))).toBeUndefined();
  });

  test('an empty override is ignored', () => {
    expect(locateTool('kind', lookup(['/usr/bin/kind'], { KIND: '  ' }))).toBe('/usr/bin/kind');
  });
});

describe('locateTools', () => {
  test('returns every path when all are there', () => {
    expect(
      locateTools(
        ['docker', 'kind', 'kubectl', 'helm'],
        lookup(['/usr/bin/docker', '/usr/local/bin/kind', '/usr/bin/kubectl', '/repo/.tools/bin/helm']),
      ),
    ).toEqual({ docker: '/usr/bin/docker', kind: '/usr/local/bin/kind', kubectl: '/usr/bin/kubectl', helm: '/repo/.tools/bin/helm' });
  });

  test.each(['docker', 'kind', 'kubectl', 'helm'] as const)('a missing %s is named with how to install it', (tool) => {
    const present = ['/usr/bin/docker', '/usr/bin/kind', '/usr/bin/kubectl', '/usr/bin/helm'].filter((f) => !f.endsWith(`/${tool}`));
    let error: unknown;
    try {
      locateTools(['docker', 'kind', 'kubectl', 'helm'], lookup(present));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DeliveryError);
    const message = (error as Error).message;
    expect(message).toContain(`Missing tool: ${tool}. Looked at $${tool.toUpperCase()}, /repo/.tools/bin and $PATH.`);
    expect(message).toContain(`  - ${tool}: ${TOOL_INSTALL_HINTS[tool]}`);
  });

  test('all missing tools are listed at once', () => {
    expect(() => locateTools(['docker', 'kind', 'kubectl', 'helm'], lookup([]))).toThrow(
      /^Missing tools: docker, kind, kubectl, helm\. [^\n]*\n {2}- docker: install Docker Engine[^\n]*\n {2}- kind: install kind v0\.24[^\n]*\n {2}- kubectl: install kubectl[^\n]*\n {2}- helm: run `npm run helm:install`/,
    );
  });
});

describe('checkDockerDaemon', () => {
  test('passes when the daemon answers', () => {
    const runner = new FakeRunner().on(() => ({ stdout: '27.3.1' }));
    expect(() => checkDockerDaemon(runner, 'docker')).not.toThrow();
    expect(runner.lines()).toEqual(['docker info --format {{.ServerVersion}}']);
  });

  test('says how to start Docker when it does not', () => {
    const runner = new FakeRunner().on(() => ({
      status: 1,
      stderr: 'permission denied while trying to connect to the Docker daemon socket',
    }));
    expect(() => checkDockerDaemon(runner, 'docker')).toThrow(
      /daemon is not reachable: permission denied[^]*sudo usermod -aG docker \$USER/,
    );
  });
});
