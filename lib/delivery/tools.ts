import { isExecutable } from '../output/helm/helm-binary';
import * as path from 'path';
import { CommandRunner, DeliveryError } from './command-runner';

/** Command-line tools the local cluster needs. */
export type ToolName = 'docker' | 'kind' | 'kubectl' | 'helm';

/** How to install each tool, shown when it is missing. */
export const TOOL_INSTALL_HINTS: Readonly<Record<ToolName, string>> = {
  docker:
    'install Docker Engine (Linux: https://docs.docker.com/engine/install/) or Docker Desktop (macOS/Windows: https://docs.docker.com/desktop/), then start it',
  kind: 'install kind v0.24 or newer (NetworkPolicy enforcement): `go install sigs.k8s.io/kind@latest`, `brew install kind`, or a release binary from https://kind.sigs.k8s.io/docs/user/quick-start/#installation',
  kubectl:
    'install kubectl matching the cluster (within one minor version): https://kubernetes.io/docs/tasks/tools/ (or `brew install kubectl`)',
  helm: 'run `npm run helm:install` (installs the pinned Helm into .tools/bin), install Helm 3 from https://helm.sh/docs/intro/install/, or set HELM=/path/to/helm',
};

/** Where tools are looked up. */
export interface ToolLookup {
  /** Environment: `PATH`, and per-tool overrides `DOCKER`, `KIND`, `KUBECTL`, `HELM`. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Project root (for `.tools/bin/<tool>`). */
  readonly projectRoot: string;
  /** True when the file exists and is executable. @default - checks the file system */
  readonly isExecutable?: (file: string) => boolean;
  /** @default process.platform */
  readonly platform?: NodeJS.Platform;
}

/**
 * Finds a tool: the override variable (`$HELM`, `$KIND`, ... used as given), then
 * `<project>/.tools/bin/<tool>` (where `npm run helm:install` puts Helm), then `$PATH`.
 * @returns the path or command to run, or undefined when the tool is nowhere
 */
export function locateTool(name: ToolName, lookup: ToolLookup): string | undefined {
  const override = lookup.env[name.toUpperCase()];
  if (override !== undefined && override.trim() !== '') return override;
  const isExec = lookup.isExecutable ?? isExecutable;
  const exe = (lookup.platform ?? process.platform) === 'win32' ? `${name}.exe` : name;
  const tools = path.join(lookup.projectRoot, '.tools', 'bin', exe);
  if (isExec(tools)) return tools;
  for (const dir of (lookup.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, exe);
    if (isExec(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Finds every tool or throws one error naming each missing tool and how to install it.
 * @throws DeliveryError
 */
export function locateTools<T extends ToolName>(names: readonly T[], lookup: ToolLookup): Record<T, string> {
  const found = {} as Record<T, string>;
  const missing: T[] = [];
  for (const n of names) {
    const p = locateTool(n, lookup);
    if (p) found[n] = p;
    else missing.push(n);
  }
  if (missing.length > 0) {
    throw new DeliveryError(
      `Missing tool${missing.length === 1 ? '' : 's'}: ${missing.join(', ')}. ` +
        `Looked at ${missing.map((n) => `$${n.toUpperCase()}`).join(', ')}, ${path.join(lookup.projectRoot, '.tools', 'bin')} and $PATH.\n` +
        missing.map((n) => `  - ${n}: ${TOOL_INSTALL_HINTS[n]}`).join('\n'),
    );
  }
  return found;
}

/**
 * Checks that the Docker daemon answers (the CLI alone is not enough for kind).
 * @throws DeliveryError saying how to start it
 */
export function checkDockerDaemon(runner: CommandRunner, docker: string): void {
  const r = runner.run(docker, ['info', '--format', '{{.ServerVersion}}']);
  if (r.status !== 0) {
    const why = (r.error ?? r.stderr).trim().split('\n').slice(-2).join(' ');
    throw new DeliveryError(
      `Docker is installed (${docker}) but its daemon is not reachable${why ? `: ${why}` : ''}. ` +
        'Start Docker Desktop, or `sudo systemctl start docker` on Linux (and make sure your user may use it: `sudo usermod -aG docker $USER`, then log in again).',
    );
  }
}
