/**
 * A fast reader for the YAML the output writers emit (`yaml` stringify with `lineWidth: 0`: block
 * maps and sequences, single-line plain and quoted scalars, `|`/`|-` literal blocks, `{}`/`[]`).
 *
 * Reading the synthesized manifests with the `yaml` package's full parser took most of the check
 * time (about 0.5 s of cold JIT for 1.2 MB). This reader accepts only a strict subset of YAML and
 * gives up (returns undefined) on anything else: comments, anchors, aliases, tags, flow collections
 * with content, multi-line flow scalars, folded or indented block scalars, keys that would load as
 * anything but a string, duplicate keys, tabs or control characters... The caller then parses with
 * the `yaml` package, so errors and every unusual construct keep the full parser's behaviour.
 * What it accepts it loads exactly as `parseAllDocuments(text).map((d) => d.toJS())` (YAML 1.2 core
 * schema) does, minus the empty documents; test/checks/fast-yaml.test.ts compares the two.
 */

/** Thrown inside the reader when the text leaves the supported subset. */
class Unsupported extends Error {}

const unsupported = (): never => {
  throw new Unsupported();
};

/** Characters the reader does not handle anywhere (the `yaml` package decides what they mean). */
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029\ufeff]/;
const BLANK = /^ *$/;
/** A plain value: no indicator first (a `-` only before a non-space), no tab; comment and mapping indicators are checked apart. */
const PLAIN_VALUE = /^(?:[^\s\-?:,[\]{}#&*!|>'"%@`]|[-?:][^\s,[\]{}])[^\t]*$/;
/** A plain key: a conservative character set. */
const PLAIN_KEY = /^[A-Za-z0-9_$/.][A-Za-z0-9_$/.-]*$/;

/* The YAML 1.2 core schema tags of the `yaml` package (yaml/dist/schema/core), in its resolution order. */
const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT_OCT = /^0o[0-7]+$/;
const INT = /^[-+]?[0-9]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

/** The value of a plain scalar, as the core schema resolves it. */
function resolvePlain(s: string): unknown {
  if (NULL.test(s)) return null;
  if (BOOL.test(s)) return s[0] === 't' || s[0] === 'T';
  if (INT_OCT.test(s)) return unsupported();
  if (INT.test(s)) return parseInt(s, 10);
  if (INT_HEX.test(s) || FLOAT_NAN.test(s)) return unsupported();
  if (FLOAT_EXP.test(s) || FLOAT.test(s)) return parseFloat(s);
  return s;
}

/** True when a plain string would load as something other than that string. */
function isTypedPlain(s: string): boolean {
  return (
    NULL.test(s) ||
    BOOL.test(s) ||
    INT_OCT.test(s) ||
    INT.test(s) ||
    INT_HEX.test(s) ||
    FLOAT_NAN.test(s) ||
    FLOAT_EXP.test(s) ||
    FLOAT.test(s)
  );
}

const ESCAPES: Readonly<Record<string, string>> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  e: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  N: '\u0085',
  _: '\u00a0',
  L: '\u2028',
  P: '\u2029',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
  '\t': '\t',
};
const HEX_LENGTH: Readonly<Record<string, number>> = { x: 2, u: 4, U: 8 };

/** A single-line double-quoted scalar starting at `start` (the quote): its value and the index after the closing quote. */
function doubleQuoted(line: string, start: number): [string, number] {
  let out = '';
  let i = start + 1;
  let chunk = i;
  for (; i < line.length; i++) {
    const c = line[i];
    if (c === '"') return [out + line.slice(chunk, i), i + 1];
    if (c !== '\\') continue;
    out += line.slice(chunk, i);
    const e = line[i + 1];
    const simple = e === undefined ? undefined : ESCAPES[e];
    if (simple !== undefined) {
      out += simple;
      i += 1;
    } else if (e !== undefined && HEX_LENGTH[e] !== undefined) {
      const n = HEX_LENGTH[e];
      const hex = line.slice(i + 2, i + 2 + n);
      if (hex.length !== n || !/^[0-9a-fA-F]+$/.test(hex)) unsupported();
      const code = parseInt(hex, 16);
      if (code > 0x10ffff) unsupported();
      out += String.fromCodePoint(code);
      i += 1 + n;
    } else {
      unsupported();
    }
    chunk = i + 1;
  }
  return unsupported(); // no closing quote on this line: a multi-line scalar
}

/** A single-line single-quoted scalar starting at `start`: its value and the index after the closing quote. */
function singleQuoted(line: string, start: number): [string, number] {
  let out = '';
  let chunk = start + 1;
  for (let i = start + 1; i < line.length; i++) {
    if (line[i] !== "'") continue;
    if (line[i + 1] === "'") {
      out += line.slice(chunk, i + 1);
      i++;
      chunk = i + 1;
      continue;
    }
    return [out + line.slice(chunk, i), i + 1];
  }
  return unsupported();
}

/** The reader's state: the lines and the current one. */
class Reader {
  private i = 0;
  constructor(private readonly lines: readonly string[]) {}

  public documents(): unknown[] {
    const docs: unknown[] = [];
    const lines = this.lines;
    while (this.i < lines.length) {
      const line = lines[this.i];
      if (line === '---' || line === '') {
        this.i++;
        continue;
      }
      if (BLANK.test(line) || line[0] === ' ') unsupported();
      // The root of a manifest is a mapping; anything else goes to the full parser.
      const doc = this.map(0, undefined);
      docs.push(doc);
      this.skipBlank();
      if (this.i < lines.length && lines[this.i] !== '---') unsupported();
    }
    return docs;
  }

  private skipBlank(): void {
    const lines = this.lines;
    while (this.i < lines.length && lines[this.i] === '') this.i++;
    if (this.i < lines.length && lines[this.i] !== '---' && BLANK.test(lines[this.i])) unsupported();
  }

  /** The number of leading spaces of a structural line; a tab right after them is unsupported. */
  private indentOf(line: string): number {
    let n = 0;
    while (line.charCodeAt(n) === 32) n++;
    if (line[n] === '\t') unsupported();
    return n;
  }

  /** A node that starts on the next non-blank line when it is indented more than `parent` (else null). */
  private nested(parent: number): unknown {
    this.skipBlank();
    const line = this.lines[this.i];
    if (line === undefined || line === '---') return null;
    const indent = this.indentOf(line);
    if (indent <= parent) return null;
    const content = line.slice(indent);
    if (content === '-' || content.startsWith('- ')) return this.seq(indent);
    return this.map(indent, undefined);
  }

  /**
   * A block mapping whose keys sit at column `indent`. `first` is the content of its first entry
   * when that shares a line with a sequence dash (`- key: value`).
   */
  private map(indent: number, first: string | undefined): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const lines = this.lines;
    let content = first;
    for (;;) {
      if (content === undefined) {
        this.skipBlank();
        const line = lines[this.i];
        if (line === undefined || line === '---') break;
        const n = this.indentOf(line);
        if (n < indent) break;
        if (n > indent) unsupported();
        content = line.slice(n);
        if (indent === 0 && (content.startsWith('---') || content.startsWith('...'))) unsupported();
      }
      const [key, rest] = this.entry(content);
      if (key === '__proto__' || key === '<<' || Object.prototype.hasOwnProperty.call(out, key)) unsupported();
      out[key] = this.value(rest, indent);
      content = undefined;
    }
    return out;
  }

  /** Splits `key: rest` (rest '' when the value is on the next lines); unsupported when the content is no mapping entry. */
  private entry(content: string): [string, string] {
    let key: string;
    let after: number;
    if (content[0] === '"' || content[0] === "'") {
      [key, after] = content[0] === '"' ? doubleQuoted(content, 0) : singleQuoted(content, 0);
      if (content[after] !== ':') unsupported();
    } else {
      after = content.indexOf(':');
      while (after !== -1 && after + 1 < content.length && content[after + 1] !== ' ') after = content.indexOf(':', after + 1);
      if (after === -1) unsupported();
      key = content.slice(0, after);
      if (!PLAIN_KEY.test(key) || isTypedPlain(key)) unsupported();
    }
    if (key.length > 1000) unsupported();
    if (after + 1 === content.length) return [key, ''];
    if (content[after + 1] !== ' ') unsupported();
    const rest = content.slice(after + 2);
    if (rest === '' || rest[0] === ' ') unsupported();
    return [key, rest];
  }

  /** The value of a mapping entry at column `indent` whose text after `key: ` is `rest`; moves past it. */
  private value(rest: string, indent: number): unknown {
    if (rest === '') {
      this.i++;
      return this.nested(indent);
    }
    if (rest === '|' || rest === '|-') return this.literal(indent, rest === '|-');
    const v = this.inlineValue(rest);
    this.i++;
    return v;
  }

  /** A value written on one line: `{}`, `[]`, a quoted or a plain scalar. */
  private inlineValue(text: string): unknown {
    if (text === '{}') return {};
    if (text === '[]') return [];
    if (text[0] === '"' || text[0] === "'") {
      const [v, end] = text[0] === '"' ? doubleQuoted(text, 0) : singleQuoted(text, 0);
      if (end !== text.length) unsupported();
      return v;
    }
    if (!PLAIN_VALUE.test(text) || text.includes(': ') || text.includes(' #') || text.endsWith(':') || text.endsWith(' ')) {
      unsupported();
    }
    return resolvePlain(text);
  }

  /** A `|` or `|-` literal block scalar of an entry at column `parent`, starting after the header line. */
  private literal(parent: number, strip: boolean): string {
    const lines = this.lines;
    this.i++;
    const firstLine = lines[this.i];
    if (firstLine === undefined || BLANK.test(firstLine)) unsupported();
    let indent = 0;
    while (firstLine.charCodeAt(indent) === 32) indent++;
    if (indent <= parent) unsupported();
    const body: string[] = [];
    let lastContent = -1;
    for (; this.i < lines.length; this.i++) {
      const line = lines[this.i];
      if (line === '') {
        body.push('');
        continue;
      }
      let n = 0;
      while (n < indent && line.charCodeAt(n) === 32) n++;
      if (n < indent) {
        // a whitespace-only line here, or a tab in the indentation, is for the full parser to judge
        if (BLANK.test(line) || line[n] === '\t') unsupported();
        break;
      }
      if (BLANK.test(line)) unsupported();
      body.push(line.slice(indent));
      lastContent = body.length - 1;
    }
    // The block must end with a line break (the text ends with '\n': it ran into the last, empty, split item).
    if (this.i >= lines.length && lines[lines.length - 1] !== '') unsupported();
    const text = body.slice(0, lastContent + 1).join('\n');
    return strip ? text : `${text}\n`;
  }

  /** A block sequence whose dashes sit at column `indent`. */
  private seq(indent: number): unknown[] {
    const out: unknown[] = [];
    const lines = this.lines;
    for (;;) {
      this.skipBlank();
      const line = lines[this.i];
      if (line === undefined || line === '---') break;
      const n = this.indentOf(line);
      if (n < indent) break;
      if (n > indent) unsupported();
      const content = line.slice(n);
      if (content === '-') {
        this.i++;
        out.push(this.nested(indent));
        continue;
      }
      if (!content.startsWith('- ')) break;
      let col = 1;
      while (content[col] === ' ') col++;
      const item = content.slice(col);
      if (item === '' || item === '-' || item.startsWith('- ') || item[0] === '|' || item[0] === '#') unsupported();
      if (this.isEntry(item)) {
        out.push(this.map(n + col, item));
      } else {
        out.push(this.inlineValue(item));
        this.i++;
      }
    }
    return out;
  }

  /** Whether a sequence item's text is a mapping entry (`key: value` or `key:`) rather than a scalar. */
  private isEntry(item: string): boolean {
    if (item[0] === '"' || item[0] === "'") {
      const [, end] = item[0] === '"' ? doubleQuoted(item, 0) : singleQuoted(item, 0);
      if (end === item.length) return false;
      if (item[end] === ':') return true;
      return unsupported();
    }
    return item.includes(': ') || item.endsWith(':');
  }
}

/**
 * Loads a multi-document YAML stream of the supported subset: its non-empty documents, as
 * `parseAllDocuments(text)` + `toJS()` would; undefined when the text leaves the subset.
 */
export function parseSimpleYaml(text: string): unknown[] | undefined {
  if (text !== '' && !text.endsWith('\n')) return undefined;
  if (FORBIDDEN.test(text)) return undefined;
  try {
    return new Reader(text.split('\n')).documents();
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
}
