import * as fs from 'fs';
import * as path from 'path';

/**
 * Shell, SQL, nginx and other text the constructs embed lives in asset files next to the
 * TypeScript that uses them, so it can be read, linted (shellcheck) and reviewed as itself.
 * Code compiled to `build/` reads them from the source tree it was compiled from.
 */

const ROOT = findRoot(__dirname);

function findRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`assets: no package.json above ${start}`);
  }
}

/** The source folder of a module folder (`<root>/build/lib/x` -> `<root>/lib/x`). */
export function sourceDir(dir: string): string {
  const build = path.join(ROOT, 'build');
  return dir === build || dir.startsWith(build + path.sep) ? path.join(ROOT, path.relative(build, dir)) : dir;
}

const cache = new Map<string, string>();

/**
 * The text of an asset file, relative to the calling module's folder: `readAsset(__dirname, 'assets/backup.sh')`.
 * Throws naming the missing file.
 */
export function readAsset(dir: string, relative: string): string {
  const file = path.join(sourceDir(dir), relative);
  let text = cache.get(file);
  if (text === undefined) {
    if (!fs.existsSync(file))
      throw new Error(`asset not found: ${path.relative(ROOT, file)} (read from ${path.relative(ROOT, sourceDir(dir)) || '.'})`);
    text = fs.readFileSync(file, 'utf8');
    cache.set(file, text);
  }
  return text;
}

/** Project root (the folder holding package.json). */
export const PROJECT_ROOT = ROOT;
