import * as fs from 'fs';
import * as path from 'path';

/**
 * Locates the Helm binary used to render and lint the generated charts:
 *
 * 1. `$HELM`, when set (used as given: a path or a command name);
 * 2. `<project root>/.tools/bin/helm`, installed by `npm run helm:install`;
 * 3. `helm` on `$PATH`.
 *
 * @returns the path (or command) to run
 * @throws when none is found, explaining how to install Helm
 */
export function findHelm(): string {
  const fromEnv = process.env.HELM;
  if (fromEnv !== undefined && fromEnv.trim() !== '') return fromEnv;

  const root = findProjectRoot();
  const tools = root ? path.join(root, '.tools', 'bin', 'helm') : undefined;
  if (tools && isExecutable(tools)) return tools;

  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, process.platform === 'win32' ? 'helm.exe' : 'helm');
    if (isExecutable(candidate)) return candidate;
  }

  throw new Error(
    `Helm binary not found: $HELM is not set, ${tools ?? '<project root>/.tools/bin/helm'} does not exist ` +
      'and there is no helm on $PATH. Run `npm run helm:install` to install it into .tools/bin, or set HELM=/path/to/helm.',
  );
}

/** The nearest folder at or above this module holding a package.json (works from lib/ and from build/lib/). */
function findProjectRoot(): string | undefined {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** True for an existing regular file this process may execute. */
export function isExecutable(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
