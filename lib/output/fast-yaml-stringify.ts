/**
 * A fast writer for the one YAML style the output uses: `yaml` 2.x `Document.toString()` of plain
 * JSON data with `{ lineWidth: 0, version: '1.1', aliasDuplicateObjects: false }` (block maps and
 * sequences, two-space indent, `{}`/`[]` when empty, literal block scalars for multi-line strings).
 *
 * Writing the manifests through the `yaml` package's node tree (build a Document, visit it, print
 * it) took about a third of synth. This writer follows the same decisions (yaml/dist/stringify:
 * stringifyPair, stringifyBlockCollection, stringifyString's plainString/quotedString/blockString,
 * stringifyNumber) for the cases the output has, and gives up (returns undefined) on anything else:
 * non-integer or unsafe numbers, non-plain objects, undefined, control characters, strings that
 * would need single quotes or escapes, keep-chomped blocks, very long keys, top-level scalars. The
 * caller then uses the `yaml` package, so the bytes are the same either way;
 * test/output/fast-yaml-stringify.test.ts compares the two on every synthesized object and on edge cases.
 */

/** Thrown inside the writer when the value leaves the supported subset. */
class Unsupported extends Error {}

const unsupported = (): never => {
  throw new Unsupported();
};

const INDENT_STEP = '  ';
/** Characters yaml always writes double-quoted with escapes (stringifyString). */
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPES = /[\x00-\x08\x0b-\x1f\x7f-\x9f\uD800-\uDFFF]/;
/** What a plain scalar may not contain or start/end with (plainString's test, verbatim). */
const NOT_PLAIN = /^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/;
/** Characters JSON.stringify escapes (control characters are excluded before). */
const JSON_ESCAPED = /["\\\t\n]/;
const DOCUMENT_MARKER = /^(%|---|\.\.\.)/m;
/** blockString's blockEndNewlines. */
const BLOCK_END_NEWLINES = /(^|(?<!\n))\n+(?!\n|$)/g;

/** What the writer needs to know of a string beyond its text. */
export interface FastYamlStringRules {
  /** True for a string that must be written double-quoted (portableStringify's ambiguous strings). */
  readonly forceDoubleQuote: (s: string) => boolean;
  /** True for a string whose plain form a schema tag other than `str` would resolve (yaml then quotes it). */
  readonly resolvesAsNonString: (s: string) => boolean;
}

/**
 * `value` as yaml 2.x writes it with `{ lineWidth: 0, version: '1.1', aliasDuplicateObjects: false }`
 * (strings for which `rules.forceDoubleQuote` holds double-quoted), or undefined when the value
 * leaves the supported subset.
 */
export function fastYamlStringify(value: unknown, rules: FastYamlStringRules): string | undefined {
  if (!isCollection(value)) return undefined;
  try {
    return `${collection(value, '', rules)}\n`;
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
}

type Collection = unknown[] | Record<string, unknown>;

function isCollection(v: unknown): v is Collection {
  if (Array.isArray(v)) return true;
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** A non-empty collection at `indent` (its first line without the indent), or `{}`/`[]`. */
function collection(node: Collection, indent: string, rules: FastYamlStringRules): string {
  if (Array.isArray(node)) {
    if (node.length === 0) return '[]';
    const itemIndent = indent + INDENT_STEP;
    let out = '';
    for (let i = 0; i < node.length; i++) {
      if (i > 0) out += `\n${indent}`;
      out += `- ${value(node[i], itemIndent, rules)}`;
    }
    return out;
  }
  const keys = Object.keys(node);
  if (keys.length === 0) return '{}';
  const inner = indent + INDENT_STEP;
  let out = '';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const v = node[key];
    if (i > 0) out += `\n${indent}`;
    const k = scalarString(key, true, inner, rules);
    if (k.length > 1024) unsupported(); // yaml writes an explicit key (`? `)
    if (isCollection(v) && (Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0)) {
      out += `${k}:\n${inner}${collection(v, inner, rules)}`;
    } else {
      out += `${k}: ${value(v, inner, rules)}`;
    }
  }
  return out;
}

/** A map value or sequence item; `indent` is the indent of its own lines. */
function value(v: unknown, indent: string, rules: FastYamlStringRules): string {
  switch (typeof v) {
    case 'string':
      return scalarString(v, false, indent, rules);
    case 'number':
      // stringifyNumber: JSON.stringify, except -0, NaN, Infinity (and floats, left to yaml).
      return Number.isSafeInteger(v) && !Object.is(v, -0) ? String(v) : unsupported();
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object':
      if (v === null) return 'null';
      if (isCollection(v)) return collection(v, indent, rules);
      return unsupported();
    default:
      return unsupported();
  }
}

/** plainString / doubleQuotedString / blockString of yaml's stringifyString, for the supported cases. */
function scalarString(s: string, implicitKey: boolean, indent: string, rules: FastYamlStringRules): string {
  if (NEEDS_ESCAPES.test(s)) return unsupported();
  if (rules.forceDoubleQuote(s)) return doubleQuoted(s);
  const multiLine = s.includes('\n');
  if (implicitKey && multiLine) return quoted(s);
  if (NOT_PLAIN.test(s)) return implicitKey || !multiLine ? quoted(s) : blockLiteral(s, indent);
  if (!implicitKey && multiLine) return blockLiteral(s, indent);
  if (DOCUMENT_MARKER.test(s)) {
    if (indent === '') return unsupported();
    if (implicitKey && indent === INDENT_STEP) return quoted(s);
  }
  if (rules.resolvesAsNonString(s)) return quoted(s);
  return s;
}

/** quotedString with the default `singleQuote: null`: double quotes unless the string has a `"` (then single: left to yaml). */
function quoted(s: string): string {
  if (s.includes('"')) return unsupported();
  return doubleQuoted(s);
}

/** doubleQuotedString for a string that JSON.stringify writes without escapes (no quote, backslash, tab or newline). */
function doubleQuoted(s: string): string {
  if (JSON_ESCAPED.test(s)) return unsupported();
  return `"${s}"`;
}

/** blockString as a literal (`lineWidth: 0` never folds), strip or clip chomping. */
function blockLiteral(s: string, indent: string): string {
  // Trailing whitespace after the last newline: yaml quotes; no indent: a top-level scalar.
  if (/\n[\t ]+$/.test(s) || indent === '') return unsupported();
  let endStart = s.length;
  while (endStart > 0) {
    const ch = s[endStart - 1];
    if (ch !== '\n' && ch !== '\t' && ch !== ' ') break;
    endStart--;
  }
  let end = s.substring(endStart);
  const endNlPos = end.indexOf('\n');
  let chomp: string;
  if (endNlPos === -1) chomp = '-';
  else if (s === end || endNlPos !== end.length - 1)
    return unsupported(); // keep chomping ('+'): left to yaml
  else chomp = '';
  let body = s;
  if (end) {
    body = body.slice(0, -end.length);
    if (end[end.length - 1] === '\n') end = end.slice(0, -1);
    end = end.replace(BLOCK_END_NEWLINES, `$&${indent}`);
  }
  let startWithSpace = false;
  let startEnd: number;
  let startNlPos = -1;
  for (startEnd = 0; startEnd < body.length; ++startEnd) {
    const ch = body[startEnd];
    if (ch === ' ') startWithSpace = true;
    else if (ch === '\n') startNlPos = startEnd;
    else break;
  }
  let start = body.substring(0, startNlPos < startEnd ? startNlPos + 1 : startEnd);
  if (start) {
    body = body.substring(start.length);
    start = start.replace(/\n+/g, `$&${indent}`);
  }
  const header = (startWithSpace ? '2' : '') + chomp;
  return `|${header}\n${indent}${start}${body.replace(/\n+/g, `$&${indent}`)}${end}`;
}
