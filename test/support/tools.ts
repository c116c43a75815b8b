/**
 * Locating external CLI tools for integration tests.
 *
 * Integration tests must FAIL (not skip) when a tool is missing, so a green run
 * always means the tool really ran. Call `findTool` in `beforeAll` (or at the
 * top of a test); it throws with the install hint when the tool is not found.
 */
import { accessSync, constants, statSync } from 'fs';
import * as path from 'path';

/** Project root (this file lives in <root>/test/support). */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/** Directory the project's install scripts put tools into. */
export const TOOLS_BIN = path.join(PROJECT_ROOT, '.tools', 'bin');

/** Environment variable that overrides the location of `name`: `promtool` -> `PROMTOOL`, `kube-linter` -> `KUBE_LINTER`. */
export function toolEnvVar(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Returns the absolute path of an executable, looking in order at:
 * 1. `$<NAME>` (see {@link toolEnvVar}), which must then point to an executable;
 * 2. `<project>/.tools/bin/<name>`;
 * 3. every directory of `$PATH`.
 *
 * @param name executable name, e.g. `promtool`
 * @param installHint how to get it, e.g. `run scripts/install-prom-tools.sh`
 * @throws Error naming the places searched and the install hint
 */
export function findTool(name: string, installHint: string): string {
  const envVar = toolEnvVar(name);
  const fromEnv = process.env[envVar];
  if (fromEnv !== undefined && fromEnv !== '') {
    const resolved = path.resolve(PROJECT_ROOT, fromEnv);
    if (isExecutableFile(resolved)) return resolved;
    throw new Error(
      `${name}: $${envVar} is set to ${JSON.stringify(fromEnv)}, which is not an executable file; fix or unset it. ${installHint}`,
    );
  }

  const local = path.join(TOOLS_BIN, name);
  if (isExecutableFile(local)) return local;

  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter((d) => d !== '');
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }

  throw new Error(`${name} not found (looked at $${envVar}, ${local} and $PATH). ${installHint}`);
}
