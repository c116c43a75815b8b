import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart, Yaml, YamlOutputType } from 'cdk8s';
import * as YAML from 'yaml';
import { isAmbiguousPlain, portableStringify, synthPortable } from '../../lib/output/portable-yaml';
import { yaml11Problems } from '../support/yaml11';

// Strings a YAML 1.1 reader (PyYAML, go-yaml v2) would load as something else when written plain.
const AMBIGUOUS = [
  '=',
  'yes',
  'no',
  'on',
  'off',
  'y',
  'n',
  'Yes',
  'OFF',
  '0755',
  '012',
  '1:30',
  '190:20:30',
  '~',
  '.inf',
  '-.Inf',
  '.NaN',
  '<<',
  '0o17',
  '1_000',
  '0b101',
  '2001-12-14',
  'null',
  'true',
];

describe('portableStringify', () => {
  test.each(AMBIGUOUS)('double-quotes %j and both YAML versions read it back', (s) => {
    const text = portableStringify({ matchType: s, list: [s] });
    expect(text).toBe(`matchType: ${JSON.stringify(s)}\nlist:\n  - ${JSON.stringify(s)}\n`);
    expect(YAML.parse(text, { version: '1.1' })).toEqual({ matchType: s, list: [s] });
    expect(YAML.parse(text, { version: '1.2' })).toEqual({ matchType: s, list: [s] });
    expect(yaml11Problems(text)).toEqual([]);
  });

  // What quoting prevents: without it, a YAML 1.1 read of the plain form is another value.
  test.each(AMBIGUOUS.filter((s) => !['=', '<<', '0o17'].includes(s)))('%j written plain is read as another value by YAML 1.1', (s) => {
    expect(isAmbiguousPlain(s)).toBe(true);
    expect(YAML.parse(`matchType: ${s}\n`, { version: '1.1' })).not.toEqual({ matchType: s });
  });

  // `=` and `<<` are the 1.1 value and merge tags, which PyYAML cannot load as strings; `0o17` is an int to YAML 1.2 only.
  test.each(['=', '<<', '0o17'])('%j written plain is flagged by the YAML 1.1 check', (s) => {
    expect(isAmbiguousPlain(s)).toBe(true);
    expect(yaml11Problems(`matchType: ${s}\n`)).not.toEqual([]);
  });

  test('the cdk8s writer leaves `=` plain (the issue), the portable writer does not', () => {
    expect(Yaml.stringify({ matchType: '=' })).toBe('matchType: =\n');
    expect(yaml11Problems(Yaml.stringify({ matchType: '=' }))).toEqual(['plain scalar "=" is retyped by YAML 1.1 readers (offset 11)']);
    expect(portableStringify({ matchType: '=' })).toBe('matchType: "="\n');
  });

  test.each(['=~', '!=', 'name', 'v1', '1.2.3', 'a:b', 'yes-no', '0x', 'tcp', 'ON_CALL', '8080:80'])(
    'leaves %j as the cdk8s writer does',
    (s) => {
      expect(portableStringify({ a: s })).toBe(Yaml.stringify({ a: s }));
    },
  );

  test('keeps numbers, booleans, null, multi-line and already quoted strings as the cdk8s writer does', () => {
    const value = { n: 755, f: 1.5, b: true, z: null, m: 'a\nb\n', q: 'a: b', e: '', h: '#x', t: "it's" };
    expect(portableStringify(value)).toBe(Yaml.stringify(value));
  });
});

describe('synthPortable', () => {
  /** The current Yaml.save, compared by identity (not called). */
  const currentSave = (): unknown => Object.getOwnPropertyDescriptor(Yaml, 'save')?.value;
  function app(): { app: App; outdir: string } {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-portable-'));
    const a = new App({ outdir, yamlOutputType: YamlOutputType.FILE_PER_CHART });
    const chart = new Chart(a, 'shop');
    new ApiObject(chart, 'cm', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm' },
      data: { matchType: '=', on: 'yes', n: '0755' },
    });
    new ApiObject(chart, 'cm2', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm2' }, data: { x: 'plain' } });
    return { app: a, outdir };
  }

  test('writes what cdk8s would, each document written portably, and restores Yaml.save', () => {
    const save = currentSave();
    const { app: a, outdir } = app();
    try {
      synthPortable(a);
      const text = fs.readFileSync(path.join(outdir, 'shop.k8s.yaml'), 'utf8');
      expect(text).toBe(
        a.charts[0]
          .toJson()
          .map((d) => portableStringify(d))
          .join('---\n'),
      );
      expect(text).toContain('matchType: "="');
      expect(YAML.parseAllDocuments(text, { version: '1.1' }).map((d) => d.toJS() as unknown)).toEqual(a.charts[0].toJson());
      expect(currentSave()).toBe(save);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });

  test('restores Yaml.save when synthesis fails', () => {
    const save = currentSave();
    const { app: a, outdir } = app();
    a.charts[0].node.addValidation({ validate: () => ['broken on purpose'] });
    try {
      expect(() => synthPortable(a)).toThrow(/broken on purpose/);
      expect(currentSave()).toBe(save);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});
