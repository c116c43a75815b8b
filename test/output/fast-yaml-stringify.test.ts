import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { fastYamlStringify } from '../../lib/output/fast-yaml-stringify';
import { PORTABLE_YAML_OPTIONS, isAmbiguousPlain, portableStringify, yamlPortableStringify } from '../../lib/output/portable-yaml';

/*
 * The fast writer behind portableStringify must write exactly what the `yaml` package writes, or give
 * up: checked on every object of the committed output and on the edge cases of yaml's string rules.
 */
const root = path.resolve(__dirname, '..', '..');
/** The Helm chart writer's options (lib/output/helm/helm-chart-writer.ts). */
const HELM_OPTIONS = { lineWidth: 0, version: '1.1', aliasDuplicateObjects: false } as const;
const OPTION_SETS = [PORTABLE_YAML_OPTIONS, HELM_OPTIONS];
/** Rules without the tag tests: what the writer returns on its own (undefined = left to yaml). */
const RULES = { forceDoubleQuote: isAmbiguousPlain, resolvesAsNonString: () => false };

function committedDocuments(): Array<{ file: string; doc: unknown }> {
  const out: Array<{ file: string; doc: unknown }> = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'templates') walk(p); // Helm templates are not YAML until rendered
      } else if (/\.ya?ml$/.test(e.name)) {
        for (const d of YAML.parseAllDocuments(fs.readFileSync(p, 'utf8'))) {
          const doc = d.toJS() as unknown;
          if (doc !== null && doc !== undefined) out.push({ file: path.relative(root, p), doc });
        }
      }
    }
  };
  walk(path.join(root, 'dist'));
  return out;
}

describe('fastYamlStringify (behind portableStringify)', () => {
  test('writes every committed manifest and values file exactly as the yaml package does, without falling back', () => {
    const docs = committedDocuments();
    expect(docs.length).toBeGreaterThan(300);
    const mismatches: string[] = [];
    let fellBack = 0;
    for (const { file, doc } of docs) {
      for (const options of OPTION_SETS) {
        if (portableStringify(doc, options) !== yamlPortableStringify(doc, options)) mismatches.push(file);
      }
      if (fastYamlStringify(doc, RULES) === undefined) fellBack++;
    }
    expect(mismatches).toEqual([]);
    expect(fellBack).toBe(0);
  });

  const STRINGS = [
    'plain',
    'with space',
    'a: b',
    'ends with colon:',
    'ends with space ',
    ' leading space',
    '- dash',
    '-',
    '?',
    '-x',
    ':x',
    'a #comment',
    'a#b',
    '#x',
    '&anchor',
    '*alias',
    '!tag',
    '|pipe',
    '>fold',
    "'single",
    '%percent',
    '@at',
    '`tick',
    '{x}',
    '[x]',
    ',x',
    '---',
    '--- x',
    '...',
    'x\n---\ny',
    '',
    'yes',
    '1:30',
    '0755',
    '1.5',
    '1e3',
    '0x1F',
    '2001-12-14 21:59:43.10 -5',
    'multi\nline',
    'multi\nline\n',
    'multi\nline\n\n',
    '\nleading newline',
    '  indented\nblock',
    'tab\tinside',
    'trailing\n  ',
    'a\n\n\nb',
    'ends with tab\t',
    'ünïcödé ✓',
    'has "double" quotes',
    "has 'single' quotes",
    'back\\slash',
    'bell\u0007',
    'cr\r\nlf',
    'x'.repeat(1100),
  ];

  test.each(STRINGS)('%j as value, key and list item: the same bytes as yaml, or left to yaml', (s) => {
    const doc = { key: s, [s]: 'v', list: [s, { nested: s }], deep: { more: [[s]] } };
    for (const options of OPTION_SETS) expect(portableStringify(doc, options)).toBe(yamlPortableStringify(doc, options));
  });

  test.each([
    ['a float', { x: 1.5 }],
    ['-0', { x: -0 }],
    ['NaN', { x: NaN }],
    ['an unsafe integer', { x: 2 ** 60 }],
    ['undefined', { x: undefined }],
    ['a Date', { x: new Date(0) }],
    ['a control character', { x: 'a\u0001b' }],
    ['a string needing single quotes', { x: 'say "hi": now' }],
    ['a keep-chomped block', { x: 'a\nb\n\n' }],
    ['a key over 1024 characters', { ['k'.repeat(1030)]: 1 }],
    ['a top-level scalar', 'text'],
  ])('gives %s to the yaml package, with the same result', (_what, doc) => {
    expect(fastYamlStringify(doc, RULES)).toBeUndefined();
    for (const options of OPTION_SETS) expect(portableStringify(doc, options)).toBe(yamlPortableStringify(doc, options));
  });

  test('other writer options go to the yaml package', () => {
    const doc = { list: ['a', 'b'] };
    expect(portableStringify(doc, { ...HELM_OPTIONS, indentSeq: false })).toBe('list:\n- a\n- b\n');
    expect(portableStringify(doc, { ...HELM_OPTIONS, lineWidth: 80 })).toBe(yamlPortableStringify(doc, { ...HELM_OPTIONS, lineWidth: 80 }));
  });
});

describe('isAmbiguousPlain', () => {
  /** The verdict by parsing, as isAmbiguousPlain decides for the tokens its word shortcut does not cover. */
  const byParsing = (s: string) => YAML.parse(s, { version: '1.1' }) !== s || YAML.parse(s, { version: '1.2' }) !== s;
  const strings = new Set<string>([
    'y',
    'N',
    'Yes',
    'nO',
    'oN',
    'Null',
    'nil',
    'True',
    'tRUE',
    'inf',
    'nan',
    'e5',
    'E12',
    'e-3',
    'x0',
    'a.b-c_d',
  ]);

  test('its shortcut for words agrees with parsing on every word of the committed output', () => {
    const collect = (v: unknown): void => {
      if (typeof v === 'string') strings.add(v);
      else if (Array.isArray(v)) v.forEach(collect);
      else if (v && typeof v === 'object')
        for (const [k, x] of Object.entries(v)) {
          strings.add(k);
          collect(x);
        }
    };
    committedDocuments().forEach(({ doc }) => collect(doc));
    const words = [...strings].filter((s) => /^[a-zA-Z][a-zA-Z0-9_.-]{0,63}$/.test(s));
    expect(words.length).toBeGreaterThan(1000);
    expect(words.filter((s) => isAmbiguousPlain(s) !== byParsing(s))).toEqual([]);
    expect(['y', 'N', 'Yes', 'Null', 'True'].every(isAmbiguousPlain)).toBe(true);
  });
});
