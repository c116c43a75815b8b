import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CliError, UsageError } from '../../cli/errors';
import { listStacks, loadManifests, parseManifest, selectStacks } from '../../cli/manifests';

let dist: string;

beforeAll(() => {
  dist = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-dist-'));
  fs.mkdirSync(path.join(dist, 'dev'));
  fs.writeFileSync(
    path.join(dist, 'dev', 'wondernest.k8s.yaml'),
    'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: wondernest\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: wondernest\n',
  );
  fs.writeFileSync(
    path.join(dist, 'dev', 'platform.k8s.yaml'),
    'apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: fast\n---\n',
  );
  fs.writeFileSync(path.join(dist, 'dev', 'ecommerce.k8s.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ecommerce\n');
  fs.writeFileSync(path.join(dist, 'dev', 'notes.txt'), 'not a manifest');
  fs.mkdirSync(path.join(dist, 'empty'));
});

afterAll(() => fs.rmSync(dist, { recursive: true, force: true }));

describe('stacks', () => {
  test('listStacks: the *.k8s.yaml files, platform first', () => {
    expect(listStacks(dist, 'dev')).toEqual(['platform', 'ecommerce', 'wondernest']);
  });

  test('listStacks: a missing or empty environment folder says to synthesize', () => {
    expect(() => listStacks(dist, 'prod')).toThrow(CliError);
    expect(() => listStacks(dist, 'prod')).toThrow(`${path.join(dist, 'prod')} does not exist: run 'npm run synth'`);
    expect(() => listStacks(dist, 'empty')).toThrow("holds no *.k8s.yaml file: run 'npm run synth'");
  });

  test('selectStacks: all by default; a chosen stack brings the platform prerequisites', () => {
    const available = ['platform', 'ecommerce', 'wondernest'];
    expect(selectStacks(available, [])).toEqual(['platform', 'ecommerce', 'wondernest']);
    expect(selectStacks(available, ['wondernest'])).toEqual(['platform', 'wondernest']);
    expect(selectStacks(available, ['platform'])).toEqual(['platform']);
    expect(selectStacks(['wondernest'], ['wondernest'])).toEqual(['wondernest']);
  });

  test('selectStacks: unknown stacks are refused with the allowed ones', () => {
    expect(() => selectStacks(['platform', 'wondernest'], ['wondernst'])).toThrow(UsageError);
    expect(() => selectStacks(['platform', 'wondernest'], ['wondernst'])).toThrow(
      "unknown stack 'wondernst'; allowed: platform, wondernest",
    );
    expect(() => selectStacks(['platform', 'wondernest'], ['a', 'wondernest', 'b'])).toThrow(
      "unknown stacks 'a', 'b'; allowed: platform, wondernest",
    );
  });
});

describe('loading', () => {
  test('loadManifests: objects with their stack, file and position; empty documents skipped', () => {
    const loaded = loadManifests(dist, 'dev', ['platform', 'wondernest']);
    expect(loaded.map((m) => [m.stack, m.file, m.index, m.object.kind, m.object.metadata.name])).toEqual([
      ['platform', path.join('dev', 'platform.k8s.yaml'), 0, 'StorageClass', 'fast'],
      ['wondernest', path.join('dev', 'wondernest.k8s.yaml'), 0, 'Namespace', 'wondernest'],
      ['wondernest', path.join('dev', 'wondernest.k8s.yaml'), 1, 'ConfigMap', 'c'],
    ]);
  });

  test('the committed dist/dev loads', () => {
    const real = path.resolve(__dirname, '..', '..', 'dist');
    const objects = loadManifests(real, 'dev', listStacks(real, 'dev'));
    expect(objects.length).toBeGreaterThan(10);
    expect(objects.every((o) => o.object.apiVersion && o.object.kind && o.object.metadata.name)).toBe(true);
  });

  test.each([
    ['kind: ConfigMap\nmetadata: {name: a}\n', 'x.yaml: document 1 has no apiVersion'],
    ['apiVersion: v1\nmetadata: {name: a}\n', 'x.yaml: document 1 has no kind'],
    ['apiVersion: v1\nkind: ConfigMap\n', 'x.yaml: document 1 has no metadata'],
    [
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: a-}\n',
      'x.yaml: document 1 has no metadata.name (generateName is not supported by apply)',
    ],
    ['apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n- a list\n', 'x.yaml: document 2 is not a mapping'],
    ['apiVersion: v1\nkind: [\n', 'x.yaml: document 1 is not valid YAML'],
  ])('a malformed document is refused, naming file and document: %j', (text, message) => {
    expect(() => parseManifest(text, 'x.yaml', 's')).toThrow(CliError);
    expect(() => parseManifest(text, 'x.yaml', 's')).toThrow(message);
  });
});
