import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isDeepStrictEqual } from 'util';
import * as YAML from 'yaml';
import { loadManifests } from '../../lib/checks';
import { parseSimpleYaml } from '../../lib/checks/fast-yaml';
import { portableStringify } from '../../lib/output/portable-yaml';

/*
 * The fast reader of the manifest checks (lib/checks/fast-yaml.ts) against the `yaml` package it
 * stands in for: whatever it accepts, it must load exactly as parseAllDocuments + toJS; whatever
 * the full parser refuses, it must refuse too (so the full parser reports the error).
 */
const root = path.resolve(__dirname, '..', '..');

/** What lib/checks/load.ts took from the full parser: the non-empty documents, or 'error'. */
function full(text: string): unknown[] | 'error' {
  const docs = YAML.parseAllDocuments(text);
  if (docs.some((d) => d.errors.length > 0)) return 'error';
  return docs.map((d) => d.toJS() as unknown).filter((o) => o !== null && o !== undefined);
}

/** The fast reader agrees with the full parser, or declines. */
function agrees(text: string): boolean {
  const fast = parseSimpleYaml(text);
  if (fast === undefined) return true;
  const expected = full(text);
  return expected !== 'error' && isDeepStrictEqual(fast, expected);
}

function yamlFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'helm' ? [] : yamlFiles(p);
    return e.name.endsWith('.yaml') ? [p] : [];
  });
}

/** A small deterministic PRNG (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TRICKY_STRINGS = [
  '',
  ' ',
  'a b',
  ' lead',
  'trail ',
  'yes',
  'no',
  'on',
  'off',
  'y',
  'true',
  'False',
  'null',
  'Null',
  '~',
  '-',
  '--flag',
  '-1',
  '+1',
  '0',
  '007',
  '0o17',
  '0x1F',
  '1e3',
  '1.5',
  '.5',
  '1.',
  '.inf',
  '-.Inf',
  '.nan',
  '1_000',
  '1:30',
  '2024-01-01',
  '=',
  '<<',
  ':9000',
  '?x',
  '? x',
  'a: b',
  'a:b',
  'a #b',
  'a#b',
  '#c',
  '*x',
  '&x',
  '!x',
  '%x',
  '@x',
  '`x',
  '|',
  '>',
  '[a]',
  '{a}',
  'a,b',
  '"q"',
  "'q'",
  "it's",
  'say "hi"',
  'back\\slash',
  'tab\there',
  'line\nbreak',
  'line\n',
  '\nlead',
  'two\n\nblank\n',
  'keep\n\n',
  '  indented\nblock',
  'trailing space \nline',
  'é ü ✓ 😀',
  '\u0085nel',
  '\u2028sep',
  'ctrl\u0007',
  'http://user:pass@host:5432/db',
  '$(VAR)',
  '${VAR}',
  '---',
  '...',
  'a'.repeat(200),
];
const TRICKY_KEYS = [
  'a',
  'app.kubernetes.io/name',
  '80',
  '1.5',
  'true',
  'null',
  '',
  ' ',
  'a b',
  'a:b',
  '-x',
  '.dot',
  '__proto__',
  '<<',
  'é',
];

function randomValue(rnd: () => number, depth: number): unknown {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)];
  const r = rnd();
  if (depth > 3 || r < 0.45) {
    const s = rnd();
    if (s < 0.6) return pick(TRICKY_STRINGS);
    if (s < 0.7) return pick([0, -0, 1, -1, 42, 1.5, -2.25, 1e21, 123456789012345680000, 0.1, Number.MAX_SAFE_INTEGER + 2]);
    if (s < 0.8) return pick([true, false, null]);
    return pick(TRICKY_STRINGS) + pick(TRICKY_STRINGS);
  }
  if (r < 0.7) return Array.from({ length: Math.floor(rnd() * 4) }, () => randomValue(rnd, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = Math.floor(rnd() * 5); i > 0; i--) {
    const key = rnd() < 0.7 ? `k${Math.floor(rnd() * 6)}` : pick(TRICKY_KEYS);
    if (key === '__proto__') continue; // a JS literal cannot hold it as a plain key
    o[key] = randomValue(rnd, depth + 1);
  }
  return o;
}

describe('fast YAML reader', () => {
  test('loads every manifest file of dist/ exactly as the yaml package does', () => {
    const files = ['dev', 'prod', 'argocd'].flatMap((d) => yamlFiles(path.join(root, 'dist', d)));
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const text = fs.readFileSync(file, 'utf8');
      const fast = parseSimpleYaml(text);
      // the writers' output must take the fast path (else the optimisation silently stops working)
      expect([file, fast === undefined]).toEqual([file, false]);
      expect(fast).toEqual(full(text));
    }
  });

  test('agrees with the yaml package on random documents written by the project writer and by yaml defaults', () => {
    const rnd = random(11);
    let accepted = 0;
    const total = 1500;
    for (let i = 0; i < total; i++) {
      const docs = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => {
        const o: Record<string, unknown> = { apiVersion: 'v1', kind: 'ConfigMap' };
        for (let k = 0; k < 4; k++) o[`f${k}`] = randomValue(rnd, 0);
        return o;
      });
      const texts = [
        docs.map((d) => portableStringify(d)).join('---\n'),
        docs.map((d) => YAML.stringify(d, { lineWidth: 0 })).join('---\n'),
        docs.map((d) => YAML.stringify(d)).join('---\n'),
      ];
      for (const text of texts) {
        if (!agrees(text)) throw new Error(`fast reader disagrees on:\n${text}`);
        if (parseSimpleYaml(text) !== undefined) accepted++;
      }
    }
    // not vacuous (most documents hold a string only the full parser reads, such as a `|+` block)
    expect(accepted).toBeGreaterThan(total / 5);
  });

  test('agrees with the yaml package, or declines, on randomly damaged manifests', () => {
    const base = fs
      .readFileSync(path.join(root, 'dist', 'dev', 'ecommerce.k8s.yaml'), 'utf8')
      .split('\n---\n')
      .slice(0, 40);
    const rnd = random(7);
    const pieces = [
      ' ',
      '  ',
      '\t',
      ':',
      ': ',
      '-',
      '- ',
      '#',
      ' #',
      '"',
      "'",
      '\\',
      '|',
      '|-',
      '|+',
      '>',
      '{',
      '}',
      '[',
      ']',
      '&a',
      '*a',
      '!!str ',
      '\n',
      '---\n',
      '~',
      '0x1',
      'x',
    ];
    for (let i = 0; i < 3000; i++) {
      const text = `${base[Math.floor(rnd() * base.length)]}\n`;
      const lines = text.split('\n');
      const at = Math.floor(rnd() * lines.length);
      const line = lines[at];
      const op = rnd();
      if (op < 0.5) {
        const pos = Math.floor(rnd() * (line.length + 1));
        lines[at] = line.slice(0, pos) + pieces[Math.floor(rnd() * pieces.length)] + line.slice(pos);
      } else if (op < 0.7) {
        const pos = Math.floor(rnd() * line.length);
        lines[at] = line.slice(0, pos) + line.slice(pos + 1);
      } else if (op < 0.85) {
        lines.splice(at, 0, line);
      } else {
        lines[at] = rnd() < 0.5 ? ` ${line}` : line.replace(/^ {1,2}/, '');
      }
      const damaged = lines.join('\n');
      if (!agrees(damaged)) throw new Error(`fast reader disagrees on:\n${damaged}`);
    }
  });

  test.each([
    ['a comment', 'a: 1 # one\n'],
    ['a comment line', '# head\na: 1\n'],
    ['an anchor and alias', 'a: &x 1\nb: *x\n'],
    ['a tag', 'a: !!str 1\n'],
    ['a flow sequence', 'a: [1, 2]\n'],
    ['a flow map', 'a: {b: 1}\n'],
    ['a folded block', 'a: >\n  b\n  c\n'],
    ['a keep block', 'a: |+\n  b\n\n'],
    ['an indentation indicator', 'a: |2\n   b\n'],
    ['a multi-line plain scalar', 'a: b\n  c\n'],
    ['a multi-line quoted scalar', 'a: "b\n  c"\n'],
    ['duplicate keys', 'a: 1\na: 2\n'],
    ['a merge key', 'b: &x {c: 1}\na:\n  <<: *x\n'],
    ['a __proto__ key', '__proto__: 1\n'],
    ['a numeric key', '80: http\n'],
    ['a tab indentation', 'a:\n\tb: 1\n'],
    ['CRLF line ends', 'a: 1\r\nb: 2\r\n'],
    ['no final line break', 'a: 1'],
    ['an octal', 'a: 0o17\n'],
    ['a hex', 'a: 0x1F\n'],
    ['infinity', 'a: .inf\n'],
    ['a YAML directive', '%YAML 1.1\n---\na: 1\n'],
    ['a document end marker', 'a: 1\n...\n'],
    ['a root sequence', '- a\n- b\n'],
    ['a root scalar', 'hello\n'],
    ['a nested mapping on one line', 'a: b: c\n'],
    ['a bad escape', 'a: "\\q"\n'],
    ['a zero-indented sequence', 'a:\n- b\n'],
    ['a byte order mark', '\ufeffa: 1\n'],
  ])('declines %s (the full parser decides)', (_what, text) => {
    expect(parseSimpleYaml(text)).toBeUndefined();
  });

  test.each([
    ['scalars', 'a: 1\nb: -0\nc: 1.50\nd: 1e3\ne: true\nf: Null\ng: ~\nh: "1"\ni: it\'s\nj: \'x\'\'y\'\nk: "\\t\\u00e9\\x41\\"\\\\"\n'],
    ['collections', 'a:\n  - b\n  - c: 1\n    d:\n      - 2\n  -\n  - {}\nb: []\nc:\nd: {}\n'],
    ['literal blocks', 'a: |\n  x\n\n    y\n  z\nb: |-\n  x\n\n\nc:\n  - d: |\n      e\n    f: 1\n'],
    ['documents', '---\na: 1\n---\n\n---\nb: 2\n'],
    ['flags and ports', 'args:\n  - -c\n  - --x=1\n  - :9000\n'],
  ])('loads %s as the yaml package does', (_what, text) => {
    const fast = parseSimpleYaml(text);
    expect(fast).toBeDefined();
    expect(fast).toEqual(full(text));
  });

  test('loadManifests still reads YAML outside the fast subset, and reports its errors, through the yaml package', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fast-yaml-'));
    try {
      fs.mkdirSync(path.join(dir, 'dev'));
      const file = path.join(dir, 'dev', 'x.k8s.yaml');
      fs.writeFileSync(
        file,
        'apiVersion: v1 # core\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: &m\n  name: b\ndata:\n  m: *m\n',
      );
      expect(parseSimpleYaml(fs.readFileSync(file, 'utf8'))).toBeUndefined();
      expect(loadManifests(dir).map((m) => [m.env, m.index, m.object.metadata?.name])).toEqual([
        ['dev', 0, 'a'],
        ['dev', 1, 'b'],
      ]);
      fs.writeFileSync(file, 'a: 1\na: 2\n');
      expect(() => loadManifests(dir)).toThrow(/x\.k8s\.yaml: document 0: Map keys must be unique/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
