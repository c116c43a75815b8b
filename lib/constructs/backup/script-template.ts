import { readAsset } from '../../core/assets';

/**
 * Shell script templates kept as asset files, so the shell is read, linted and reviewed as shell.
 *
 * Two directives, both resolved at synth time:
 * - a line `# @include <path>` is replaced by that asset file (relative to the same assets
 *   folder, resolved recursively; the included file ends with a newline, which takes the place of
 *   the directive's). It is a comment to sh and awk, so an asset still parses unrendered.
 * - `{{NAME}}` (upper case, digits, `_`) is replaced by the value given for NAME; a placeholder
 *   without a value is an error naming the file.
 */

const INCLUDE = /^# @include (\S+)\n/gm;
const PLACEHOLDER = /\{\{([A-Z][A-Z0-9_]*)\}\}/g;

/**
 * Renders the asset `<assetsDir>/<file>`: includes resolved, placeholders filled from `values`.
 * @param moduleDir `__dirname` of the calling module (see {@link readAsset})
 * @param assetsDir folder of the assets, relative to `moduleDir`, e.g. `assets`
 */
export function renderScriptAsset(moduleDir: string, assetsDir: string, file: string, values: Readonly<Record<string, string>>): string {
  const text = resolveIncludes(moduleDir, assetsDir, file, []);
  return text.replace(PLACEHOLDER, (_m, name: string) => {
    const value = values[name];
    if (value === undefined) {
      throw new Error(
        `${assetsDir}/${file}: placeholder {{${name}}} has no value; expected one of ${Object.keys(values).sort().join(', ') || '(none given)'}`,
      );
    }
    return value;
  });
}

/** An asset's text without its final newline, for a value used inside a line (e.g. an awk program between quotes). */
export function readAssetInline(moduleDir: string, assetsDir: string, file: string): string {
  return resolveIncludes(moduleDir, assetsDir, file, []).replace(/\n$/, '');
}

function resolveIncludes(moduleDir: string, assetsDir: string, file: string, stack: readonly string[]): string {
  if (stack.includes(file))
    throw new Error(`${assetsDir}/${file}: included from itself (${[...stack, file].join(' -> ')}); expected includes without cycles`);
  const text = readAsset(moduleDir, `${assetsDir}/${file}`);
  if (!text.endsWith('\n'))
    throw new Error(
      `${assetsDir}/${file}: does not end with a newline; expected a text file ending with one (its last line would join the next)`,
    );
  return text.replace(INCLUDE, (_m, included: string) => resolveIncludes(moduleDir, assetsDir, included, [...stack, file]));
}
