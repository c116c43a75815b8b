import * as fs from 'fs';
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
 *
 * An asset may also be composed of files: a line `# @include <path>` (a comment, inert in sh and
 * awk) is replaced by another asset file, see {@link renderAssetWithIncludes}. Values are never
 * scanned for include lines either.
 */

/** A placeholder's value: text replacing `@name@`, or lines replacing a line of its own. */
export type TemplateValue = string | readonly string[];

/** Placeholder names. */
export const TEMPLATE_PLACEHOLDER_NAME = /^[a-z][a-z0-9_]*$/;

const PLACEHOLDER = /@([a-z][a-z0-9_]*)@/g;

/** A line of a template, and where it was written (in errors). */
export interface TemplateLine {
  readonly text: string;
  /** The file the line comes from: a project-relative asset path ({@link assetPath}), or whatever names the template. */
  readonly source: string;
  /** The line's number in that file, from 1. */
  readonly line: number;
}

/**
 * Fills the `@name@` placeholders of `template` with `values`.
 * @param source names the template in errors (an asset path).
 * @throws Error naming `source`, the placeholder and what is expected.
 */
export function fillTemplate(template: string, values: Readonly<Record<string, TemplateValue>>, source: string): string {
  const lines = template.split('\n').map((text, i) => ({ text, source, line: i + 1 }));
  return fillLines(lines, values, source).join('\n');
}

/** {@link fillTemplate} on lines that may come from several files (an asset and its includes): errors name each line's own file. */
function fillLines(lines: readonly TemplateLine[], values: Readonly<Record<string, TemplateValue>>, source: string): string[] {
  for (const name of Object.keys(values)) {
    if (!TEMPLATE_PLACEHOLDER_NAME.test(name)) {
      throw new Error(`${source}: value name ${JSON.stringify(name)}; expected a placeholder name matching ${TEMPLATE_PLACEHOLDER_NAME}`);
    }
  }
  const used = new Set<string>();
  const valueOf = (name: string, at: TemplateLine): TemplateValue => {
    if (!Object.prototype.hasOwnProperty.call(values, name)) {
      throw new Error(
        `${at.source}:${at.line}: placeholder @${name}@ has no value; expected a value for it (given: ${describeNames(Object.keys(values))})`,
      );
    }
    used.add(name);
    return values[name];
  };
  const out: string[] = [];
  for (const at of lines) {
    const alone = /^\s*@([a-z][a-z0-9_]*)@\s*$/.exec(at.text);
    if (alone) {
      const value = valueOf(alone[1], at);
      if (typeof value !== 'string') {
        out.push(...value);
        continue;
      }
    }
    out.push(
      at.text.replace(PLACEHOLDER, (_match, name: string) => {
        const value = valueOf(name, at);
        if (typeof value !== 'string') {
          throw new Error(
            `${at.source}:${at.line}: placeholder @${name}@ takes lines but stands inside a line; expected it alone on its line, or a string value`,
          );
        }
        return value;
      }),
    );
  }
  const unused = Object.keys(values).filter((name) => !used.has(name));
  if (unused.length > 0)
    throw new Error(
      `${source}: ${unused.map((n) => `@${n}@`).join(', ')} not found; expected every value to fill a placeholder of the template`,
    );
  return out;
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
  return projectPath(path.join(sourceDir(dir), relative));
}

function projectPath(file: string): string {
  return path.relative(PROJECT_ROOT, file).split(path.sep).join('/');
}

/**
 * {@link renderAsset} for an asset composed of files: its `# @include <path>` lines replaced by
 * those files (recursively), then its placeholders and theirs filled from `values` (strictly, as
 * {@link fillTemplate}: every value fills a placeholder somewhere in the composition). The lint
 * directives at the top of each file are left out ({@link includeAssetLines}), so a fragment
 * renders the same on its own as where it is included.
 */
export function renderAssetWithIncludes(dir: string, relative: string, values: Readonly<Record<string, TemplateValue>>): string {
  const file = path.join(sourceDir(dir), relative);
  const lines = composeLines(file, [], true);
  return `${fillLines(lines, values, assetPath(dir, relative)).join('\n')}\n`;
}

/**
 * The lines of an asset with its `# @include <path>` lines resolved, placeholders left as they
 * are: the text shellcheck lints, the way `shellcheck -x` follows `source`. Each line says where
 * it was written.
 *
 * - `# @include <path>` alone on a line (no leading blanks; `path` relative to the including
 *   file, without blanks) is replaced by that file's lines. Being a comment to sh and awk, the
 *   directive leaves an asset that parses (and lints) as written.
 * - Every file of the composition ends with a newline (the included file's takes the place of
 *   the directive's), and no file includes itself, directly or through others.
 * - Lines at the very top of an included file that are shellcheck directives (`# shellcheck ...`)
 *   are left out: they are for linting the fragment on its own (`shell=sh`, a variable the
 *   including script sets), and in the middle of a script they would apply to its next command.
 */
export function includeAssetLines(dir: string, relative: string): TemplateLine[] {
  return composeLines(path.join(sourceDir(dir), relative), [], false);
}

const INCLUDE = /^# @include (\S+)$/;
const INCLUDE_LIKE = /^\s*#\s*@include\b/;
const LINT_DIRECTIVE = /^# shellcheck\s/;

/** The lines of `file` with its includes resolved; `stack` holds the files including it, outermost first. */
function composeLines(file: string, stack: readonly string[], dropLintHeader: boolean): TemplateLine[] {
  const source = projectPath(file);
  const text = readAsset(path.dirname(file), path.basename(file));
  if (!text.endsWith('\n'))
    throw new Error(`${source}: does not end with a newline; expected a text file ending with one (its last line would join the next)`);
  const lines = text.slice(0, -1).split('\n');
  let first = 0;
  if (dropLintHeader) while (first < lines.length && LINT_DIRECTIVE.test(lines[first])) first++;
  const out: TemplateLine[] = [];
  for (let i = first; i < lines.length; i++) {
    const at: TemplateLine = { text: lines[i], source, line: i + 1 };
    const include = INCLUDE.exec(at.text);
    if (!include) {
      if (INCLUDE_LIKE.test(at.text))
        throw new Error(
          `${at.source}:${at.line}: ${JSON.stringify(at.text)} looks like an include; expected '# @include <path>' alone on the line, the path without blanks`,
        );
      out.push(at);
      continue;
    }
    const included = path.join(path.dirname(file), include[1]);
    const chain = [...stack, file, included];
    if (chain.indexOf(included) < chain.length - 1)
      throw new Error(
        `${at.source}:${at.line}: includes ${include[1]} within itself (${chain.map(projectPath).join(' -> ')}); expected includes without cycles`,
      );
    if (!fs.existsSync(included))
      throw new Error(`${at.source}:${at.line}: includes ${include[1]}, which does not exist (${projectPath(included)})`);
    out.push(...composeLines(included, [...stack, file], true));
  }
  return out;
}

function describeNames(names: string[]): string {
  return names.length === 0 ? 'none' : names.map((n) => `@${n}@`).join(', ');
}
