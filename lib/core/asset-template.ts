import * as path from 'path';
import { PROJECT_ROOT, readAsset, sourceDir } from './assets';

/**
 * Asset files with a few values filled in at synth time.
 *
 * Placeholders are `@name@` (lower case letters, digits and `_`), the `configure_file`
 * convention of autoconf, CMake and Meson. Unlike `{{name}}` they are inert in every language the
 * assets are written in (sh, bash, SQL, nginx, redis.conf): a shell asset with placeholders still
 * parses, so shellcheck lints the asset itself. There is no logic in a template (no conditionals,
 * loops or expressions): what depends on config is computed in TypeScript and passed as a value.
 *
 * - a string value replaces `@name@` where it stands (it may span lines);
 * - a list of lines replaces a line that holds only `@name@` (surrounding blanks ignored); an
 *   empty list removes the line.
 *
 * Values are inserted verbatim, never re-scanned for placeholders: quote them for their context
 * (SQL identifier or literal, shell word...) before passing them. Filling is strict: a placeholder
 * without a value, a value no placeholder uses, or a list standing inside a line is an error, so
 * the asset and the TypeScript that fills it cannot drift apart silently.
 */

/** A placeholder's value: text replacing `@name@`, or lines replacing a line of its own. */
export type TemplateValue = string | readonly string[];

/** Placeholder names. */
export const TEMPLATE_PLACEHOLDER_NAME = /^[a-z][a-z0-9_]*$/;

const PLACEHOLDER = /@([a-z][a-z0-9_]*)@/g;

/**
 * Fills the `@name@` placeholders of `template` with `values`.
 * @param source names the template in errors (an asset path).
 * @throws Error naming `source`, the placeholder and what is expected.
 */
export function fillTemplate(template: string, values: Readonly<Record<string, TemplateValue>>, source: string): string {
  for (const name of Object.keys(values)) {
    if (!TEMPLATE_PLACEHOLDER_NAME.test(name)) {
      throw new Error(`${source}: value name ${JSON.stringify(name)}; expected a placeholder name matching ${TEMPLATE_PLACEHOLDER_NAME}`);
    }
  }
  const used = new Set<string>();
  const valueOf = (name: string, line: number): TemplateValue => {
    if (!Object.prototype.hasOwnProperty.call(values, name)) {
      throw new Error(
        `${source}:${line}: placeholder @${name}@ has no value; expected a value for it (given: ${describeNames(Object.keys(values))})`,
      );
    }
    used.add(name);
    return values[name];
  };
  const out: string[] = [];
  template.split('\n').forEach((text, i) => {
    const line = i + 1;
    const alone = /^\s*@([a-z][a-z0-9_]*)@\s*$/.exec(text);
    if (alone) {
      const value = valueOf(alone[1], line);
      if (typeof value !== 'string') {
        out.push(...value);
        return;
      }
    }
    out.push(
      text.replace(PLACEHOLDER, (_match, name: string) => {
        const value = valueOf(name, line);
        if (typeof value !== 'string') {
          throw new Error(
            `${source}:${line}: placeholder @${name}@ takes lines but stands inside a line; expected it alone on its line, or a string value`,
          );
        }
        return value;
      }),
    );
  });
  const unused = Object.keys(values).filter((name) => !used.has(name));
  if (unused.length > 0)
    throw new Error(
      `${source}: ${unused.map((n) => `@${n}@`).join(', ')} not found; expected every value to fill a placeholder of the template`,
    );
  return out.join('\n');
}

/**
 * Reads an asset next to the calling module ({@link readAsset}) and fills its placeholders
 * ({@link fillTemplate}): `renderAsset(__dirname, 'assets/redis.conf', { port: '6379' })`.
 */
export function renderAsset(dir: string, relative: string, values: Readonly<Record<string, TemplateValue>>): string {
  return fillTemplate(readAsset(dir, relative), values, assetPath(dir, relative));
}

/**
 * {@link renderAsset} as lines (the final newline dropped), to fill a placeholder of another
 * asset that stands on its own line: a part repeated per item or present only sometimes.
 */
export function renderAssetLines(dir: string, relative: string, values: Readonly<Record<string, TemplateValue>>): string[] {
  return renderAsset(dir, relative, values).replace(/\n$/, '').split('\n');
}

/** Project-relative path of an asset, as named in errors and in the provenance lines of rendered files. */
export function assetPath(dir: string, relative: string): string {
  return path
    .relative(PROJECT_ROOT, path.join(sourceDir(dir), relative))
    .split(path.sep)
    .join('/');
}

function describeNames(names: string[]): string {
  return names.length === 0 ? 'none' : names.map((n) => `@${n}@`).join(', ');
}
