import { ApiObject, Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { HelmValues, HelmValueSchema } from '../../lib/output/helm';
import { testApp, testChart } from './test-stack';
import { Doc } from '../support/doc';

const INT: HelmValueSchema = { type: 'integer', minimum: 0, description: 'count' };
const STR: HelmValueSchema = { type: 'string', description: 'text' };

function deployment(scope: Construct, id = 'web'): ApiObject {
  return new k8s.KubeDeployment(scope, id, {
    metadata: { name: id },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: id } },
      template: { metadata: { labels: { app: id } }, spec: { containers: [{ name: id, image: 'nginx:1.27' }] } },
    },
  });
}

describe('HelmValues.of', () => {
  test('returns one registry per chart, also from nested constructs', () => {
    const app = testApp();
    const chart = new Chart(app, 'a');
    const inner = new Construct(chart, 'inner');
    const obj = deployment(inner);
    expect(HelmValues.of(chart)).toBe(HelmValues.of(inner));
    expect(HelmValues.of(obj)).toBe(HelmValues.of(chart));
    expect(HelmValues.of(chart).chart).toBe(chart);
    expect(HelmValues.of(new Chart(app, 'b'))).not.toBe(HelmValues.of(chart));
  });

  test('throws outside a chart', () => {
    expect(() => HelmValues.of(testApp())).toThrow(/cannot find a parent chart/);
  });

  test('records bindings in declaration order', () => {
    const chart = testChart();
    const obj = deployment(chart);
    const values = HelmValues.of(chart);
    values.bind(obj, '/spec/replicas', 'web.replicas', INT);
    values.bindTemplate(obj, '/spec/template/spec/containers/0/image', '{repository}:{tag}', {
      repository: { path: 'web.image.repository', schema: STR },
      tag: { path: 'web.image.tag', schema: STR },
    });
    expect(values.bindings.map((b) => [b.kind, b.pointer])).toEqual([
      ['field', '/spec/replicas'],
      ['template', '/spec/template/spec/containers/0/image'],
    ]);
  });
});

describe('HelmValues.bind validation', () => {
  let chart: Chart;
  let obj: ApiObject;
  let values: HelmValues;
  beforeEach(() => {
    chart = testChart();
    obj = deployment(chart);
    values = HelmValues.of(chart);
  });

  test.each(['', 'api..replicas', '1api', 'api-x.replicas', 'api.', '.api', 'api.image-tag', 'api.2'])('rejects value path %j', (bad) => {
    expect(() => values.bind(obj, '/spec/replicas', bad, INT)).toThrow(/invalid value path/);
  });

  test('names the object, pointer and the allowed syntax for a bad value path', () => {
    expect(() => values.bind(obj, '/spec/replicas', 'api..replicas', INT)).toThrow(
      /Deployment 'web'.*'\/spec\/replicas'.*invalid value path "api\.\.replicas".*dot-separated identifiers/,
    );
  });

  test('accepts nested identifiers with digits and capitals', () => {
    expect(() => values.bind(obj, '/spec/replicas', 'webV2.replicaCount1', INT)).not.toThrow();
  });

  test('reserves the environment value', () => {
    expect(() => values.bind(obj, '/spec/replicas', 'environment', INT)).toThrow(/'environment' is reserved/);
    expect(() => values.bind(obj, '/spec/replicas', 'environment.replicas', INT)).toThrow(/'environment' is reserved/);
  });

  test.each(['spec/replicas', '', '/spec/~2x'])('rejects pointer %j', (bad) => {
    expect(() => values.bind(obj, bad, 'web.replicas', INT)).toThrow(/Invalid JSON pointer/);
  });

  test('rejects binding a field twice or a field inside a bound one', () => {
    values.bind(obj, '/spec/replicas', 'web.replicas', INT);
    expect(() => values.bind(obj, '/spec/replicas', 'web.other', INT)).toThrow(/overlaps the existing binding.*'\/spec\/replicas'/);
    values.bind(obj, '/spec/template/spec/containers/0/image', 'web.image', STR);
    expect(() => values.bind(obj, '/spec/template/spec/containers/0', 'web.container', STR)).toThrow(/overlaps/);
  });

  test('rejects an object of another chart', () => {
    const other = deployment(testChart(), 'other');
    expect(() => values.bind(other, '/spec/replicas', 'other.replicas', INT)).toThrow(/belongs to chart .*use HelmValues\.of\(obj\)/);
  });

  test.each<[string, Doc, RegExp]>([
    ['unknown type', { type: 'float', description: 'x' }, /schema type "float" is not one of integer, string, boolean, number/],
    ['missing description', { type: 'integer' }, /description must be a non-empty string/],
    ['minimum on a string', { type: 'string', minimum: 1, description: 'x' }, /minimum is only allowed for integer and number/],
    ['minimum > maximum', { type: 'integer', minimum: 5, maximum: 1, description: 'x' }, /minimum 5 is greater than maximum 1/],
    ['pattern on an integer', { type: 'integer', pattern: 'x', description: 'x' }, /pattern is only allowed for string/],
    ['invalid pattern', { type: 'string', pattern: '([a-z', description: 'x' }, /pattern "\(\[a-z" is not a valid regular expression/],
    ['empty enum', { type: 'string', enum: [], description: 'x' }, /enum must be a non-empty array of strings/],
  ])('rejects a schema with %s', (_name, schema, message) => {
    expect(() => values.bind(obj, '/spec/replicas', 'web.replicas', schema)).toThrow(message);
  });
});

describe('HelmValues.bindTemplate validation', () => {
  const parts = { repository: { path: 'web.image.repository', schema: STR }, tag: { path: 'web.image.tag', schema: STR } };
  let obj: ApiObject;
  let values: HelmValues;
  beforeEach(() => {
    const chart = testChart();
    obj = deployment(chart);
    values = HelmValues.of(chart);
  });
  const image = '/spec/template/spec/containers/0/image';

  test.each<[string, string, Doc, RegExp]>([
    ['no placeholder', 'latest', parts, /has no \{placeholder\}/],
    ['adjacent placeholders', '{repository}{tag}', parts, /must be separated by literal text/],
    ['unbalanced brace', '{repository}:{tag', parts, /unbalanced '\{'/],
    ['bad placeholder name', '{repo-x}:{tag}', parts, /placeholder \{repo-x\} must match/],
    ['placeholder without part', '{repository}:{tag}@{digest}', parts, /placeholder \{digest\} has no entry in parts/],
    ['unused part', '{repository}', parts, /part 'tag' is not used/],
    [
      'bad part path',
      '{repository}:{tag}',
      { ...parts, tag: { path: 'web..tag', schema: STR } },
      /part 'tag'.*invalid value path "web\.\.tag"/,
    ],
    [
      'boolean part',
      '{repository}:{tag}',
      { ...parts, tag: { path: 'web.tag', schema: { type: 'boolean', description: 'x' } } },
      /schema type 'boolean' is not supported in a template; use 'string' or 'integer'/,
    ],
  ])('rejects %s', (_name, template, p, message) => {
    expect(() => values.bindTemplate(obj, image, template, p)).toThrow(message);
  });
});

describe('HelmValues.gate validation', () => {
  test.each<[string, (values: HelmValues, obj: ApiObject) => void, RegExp]>([
    [
      'a bad value path',
      (v, o) => v.gate(o, 'tools..enabled', { description: 'x' }),
      /Helm gate of test\/.*invalid value path "tools\.\.enabled"/,
    ],
    ['no description', (v, o) => v.gate(o, 'tools.enabled', { description: ' ' }), /description must be a non-empty string/],
    ['an empty choice', (v, o) => v.gate(o, 'secrets.provider', { when: '', description: 'x' }), /when must be a non-empty string, got ""/],
    [
      'a second gate on one construct',
      (v, o) => {
        v.gate(o, 'a.enabled', { description: 'x' });
        v.gate(o, 'b.enabled', { description: 'x' });
      },
      /already gated; a construct can have one gate/,
    ],
    [
      'a construct of another chart',
      (v) => v.gate(new Chart(testApp(), 'other'), 'a.enabled', { description: 'x' }),
      /belongs to chart 'other', not to 'test'/,
    ],
  ])('rejects %s', (_name, act, message) => {
    const chart = testChart();
    expect(() => act(HelmValues.of(chart), deployment(chart))).toThrow(message);
  });
});
