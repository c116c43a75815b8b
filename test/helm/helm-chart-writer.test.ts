import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-27';
import * as YAML from 'yaml';
import { HelmChartWriterProps, HelmValues, HelmValueSchema, writeHelmChart } from '../../lib/output/helm';
import { SCHEMAS, shopStack, tempDir, TEST_ENVS, testApp } from './test-stack';

const INT: HelmValueSchema = { type: 'integer', minimum: 0, description: 'count' };

let root: string;
beforeAll(() => {
  root = tempDir();
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

let counter = 0;
/** A fresh, non-existing output folder. */
function outdir(): string {
  return path.join(root, `chart-${counter++}`);
}

function shopProps(overrides: Partial<HelmChartWriterProps> = {}): HelmChartWriterProps {
  return {
    name: 'shop',
    version: '1.2.3',
    appVersion: '2.4.1',
    description: 'Shop test stack',
    outdir: outdir(),
    environments: [
      { name: 'dev', chart: shopStack('dev') },
      { name: 'prod', chart: shopStack('prod') },
    ],
    defaultEnvironment: 'prod',
    ...overrides,
  };
}

function read(dir: string, file: string): string {
  return fs.readFileSync(path.join(dir, file), 'utf8');
}

/** A chart with one Deployment per entry of `replicas`, named d0, d1, ... */
function deployments(replicas: number[], id = 'c'): { chart: Chart; objects: ApiObject[] } {
  const chart = new Chart(testApp(), id, { disableResourceNameHashes: true });
  const objects = replicas.map(
    (r, i) =>
      new k8s.KubeDeployment(chart, `d${i}`, {
        metadata: { name: `d${i}` },
        spec: {
          replicas: r,
          selector: { matchLabels: { app: `d${i}` } },
          template: { metadata: { labels: { app: `d${i}` } }, spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } },
        },
      }),
  );
  return { chart, objects };
}

function writeOne(chart: Chart, overrides: Partial<HelmChartWriterProps> = {}): string {
  const dir = outdir();
  writeHelmChart({
    name: 'one',
    version: '0.1.0',
    appVersion: '1',
    description: 'one',
    outdir: dir,
    environments: [{ name: 'dev', chart }],
    defaultEnvironment: 'dev',
    ...overrides,
  });
  return dir;
}

describe('writeHelmChart output', () => {
  let props: HelmChartWriterProps;
  let dir: string;
  beforeAll(() => {
    props = shopProps({ notes: 'Release {{ .Release.Name }} ({{ .Values.environment }})' });
    dir = props.outdir;
    writeHelmChart(props);
  });

  test('writes the chart files, one template per object', () => {
    const files = (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
    expect(files).toEqual([
      '.helmignore',
      'Chart.yaml',
      'templates/NOTES.txt',
      'templates/configmap-alerts.yaml',
      'templates/configmap-api-config.yaml',
      'templates/deployment-api.yaml',
      'templates/deployment-mailhog.yaml',
      'templates/service-api.yaml',
      'values-dev.yaml',
      'values-prod.yaml',
      'values.schema.json',
      'values.yaml',
    ]);
    expect(read(dir, 'templates/NOTES.txt')).toBe('Release {{ .Release.Name }} ({{ .Values.environment }})\n');
  });

  test('Chart.yaml', () => {
    expect(YAML.parse(read(dir, 'Chart.yaml'))).toEqual({
      apiVersion: 'v2',
      name: 'shop',
      description: 'Shop test stack',
      type: 'application',
      version: '1.2.3',
      appVersion: '2.4.1',
      kubeVersion: '>=1.27.0-0',
    });
  });

  test('values-dev.yaml holds the complete dev values, environment first, keys sorted', () => {
    const text = read(dir, 'values-dev.yaml');
    expect(text).toMatch(/^# Values of the shop chart for the 'dev' environment/);
    expect(text).toContain('tag: "1.10"'); // would be the number 1.1 unquoted
    const values = YAML.parse(text, { version: '1.1' });
    expect(values).toStrictEqual({
      environment: 'dev',
      api: {
        automountServiceAccountToken: false,
        image: { repository: 'registry.example.com:5000/shop/api', tag: '1.10' },
        logLevel: 'debug',
        replicas: 1,
        resources: { memoryLimit: '256Mi' },
      },
      database: { host: 'postgres.shop-dev.svc', port: 5432 },
      mailhog: { enabled: true, replicas: 1 },
      // derived from the Service's differences: null = left out
      service: { metadata: { annotations: null }, spec: { type: 'ClusterIP' } },
    });
    expect(Object.keys(values)).toEqual(['environment', 'api', 'database', 'mailhog', 'service']);
    expect(Object.keys(values.api)).toEqual(['automountServiceAccountToken', 'image', 'logLevel', 'replicas', 'resources']);
  });

  test('values-prod.yaml holds the prod values (dev-only mailhog switched off)', () => {
    expect(YAML.parse(read(dir, 'values-prod.yaml'), { version: '1.1' })).toStrictEqual({
      environment: 'prod',
      api: {
        automountServiceAccountToken: false,
        image: { repository: 'registry.example.com:5000/shop/api', tag: TEST_ENVS.prod.tag },
        logLevel: 'info',
        replicas: TEST_ENVS.prod.replicas,
        resources: { memoryLimit: TEST_ENVS.prod.memoryLimit },
      },
      database: { host: TEST_ENVS.prod.dbHost, port: TEST_ENVS.prod.dbPort },
      mailhog: { enabled: false },
      service: {
        metadata: { annotations: { 'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb' } },
        spec: { type: 'LoadBalancer' },
      },
    });
  });

  test('values.yaml is the default environment with a header comment', () => {
    const text = read(dir, 'values.yaml');
    expect(text).toMatch(/^# Default values of the shop chart: the 'prod' environment\./);
    expect(YAML.parse(text)).toEqual(YAML.parse(read(dir, 'values-prod.yaml')));
  });

  test('values.schema.json: closed nested objects, leaf constraints, environment name, required = non-null keys of every env', () => {
    const schema = JSON.parse(read(dir, 'values.schema.json'));
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema).toMatchObject({
      type: 'object',
      additionalProperties: false,
      required: ['environment', 'api', 'database', 'mailhog', 'service'],
    });
    // any environment name: no template selects on it
    expect(schema.properties.environment).toMatchObject({ type: 'string', pattern: expect.any(String) });
    expect(schema.properties.environment.enum).toBeUndefined();
    expect(Object.keys(schema.properties)).toEqual(['environment', 'api', 'database', 'mailhog', 'service']);

    const api = schema.properties.api;
    expect(api).toMatchObject({
      type: 'object',
      additionalProperties: false,
      required: ['automountServiceAccountToken', 'image', 'logLevel', 'replicas', 'resources'],
    });
    expect(api.properties.replicas).toEqual({ type: 'integer', description: 'Replica count', minimum: 0, maximum: 50 });
    expect(api.properties.logLevel).toEqual({ type: 'string', description: 'Log level', enum: ['debug', 'info', 'warn'] });
    expect(api.properties.automountServiceAccountToken).toEqual({ type: 'boolean', description: 'Mount the service account token' });
    expect(api.properties.image).toEqual({
      type: 'object',
      additionalProperties: false,
      required: ['repository', 'tag'],
      properties: {
        repository: { type: 'string', description: SCHEMAS.repository.description, pattern: SCHEMAS.repository.pattern },
        tag: { type: 'string', description: SCHEMAS.tag.description, pattern: SCHEMAS.tag.pattern },
      },
    });
    expect(schema.properties.database.properties.port).toEqual({
      type: 'integer',
      description: 'Database port',
      minimum: 1,
      maximum: 65535,
    });
    // The gate is in every environment; the dev-only replicas value is not required.
    expect(schema.properties.mailhog).toEqual({
      type: 'object',
      additionalProperties: false,
      required: ['enabled'],
      properties: {
        enabled: { type: 'boolean', description: 'Renders mailhog (the objects of that component)' },
        replicas: { type: 'integer', description: 'Replica count', minimum: 0, maximum: 50 },
      },
    });
    // Derived values: typed by what the environments hold; null where a field is left out, so not required.
    expect(schema.properties.service.properties.metadata).toEqual({
      type: 'object',
      additionalProperties: false,
      properties: {
        annotations: {
          type: ['null', 'object'],
          description: "Differs between environments: '/metadata/annotations' of Service 'api' (shop/service)",
        },
      },
    });
    expect(schema.properties.service.properties.spec.required).toEqual(['type']);
  });

  test('bound fields become toJson expressions; identical objects are unconditional', () => {
    const text = read(dir, 'templates/deployment-api.yaml');
    expect(text).not.toContain('{{- if');
    expect(text).toContain('replicas: {{ .Values.api.replicas | toJson }}');
    expect(text).toContain('memory: {{ .Values.api.resources.memoryLimit | toJson }}');
    expect(text).toContain('automountServiceAccountToken: {{ .Values.api.automountServiceAccountToken | toJson }}');
    expect(text).toContain('image: {{ printf "%s:%s" (toString .Values.api.image.repository) (toString .Values.api.image.tag) | toJson }}');
    expect(read(dir, 'templates/configmap-api-config.yaml')).toContain(
      'DATABASE_ADDR: {{ printf "%s:%s" (toString .Values.database.host) (toString (int64 .Values.database.port)) | toJson }}',
    );
  });

  test('no template selects on the environment: objects of some environments are gated, differences are values', () => {
    const mailhog = read(dir, 'templates/deployment-mailhog.yaml');
    expect(mailhog).toMatch(/^\{\{- if \.Values\.mailhog\.enabled \}\}\napiVersion: apps\/v1\n/);
    expect(mailhog).toMatch(/\n\{\{- end \}\}\n$/);

    const service = read(dir, 'templates/service-api.yaml');
    expect(service).toContain('type: {{ .Values.service.spec.type | toJson }}');
    // a key of one environment only is rendered when its value is set
    expect(service).toContain(
      [
        '{{- if ne (toJson (index .Values "service" "metadata" "annotations")) "null" }}',
        '  "annotations": {{ index .Values "service" "metadata" "annotations" | toJson }}',
        '{{- end }}',
      ].join('\n'),
    );
    for (const file of fs.readdirSync(path.join(dir, 'templates')).filter((f) => f.endsWith('.yaml'))) {
      expect(read(dir, `templates/${file}`)).not.toContain('.Values.environment');
    }
  });

  test('list elements merge by name: an element of one environment is optional, the others keep their bindings', () => {
    const make = (envName: string) => {
      const chart = new Chart(testApp(), 'c');
      const env = [{ name: 'RETENTION_DAYS', value: envName === 'dev' ? '7' : '30' }];
      if (envName === 'dev') env.push({ name: 'S3_ENDPOINT_URL', value: 'http://localstack:4566' });
      const job = new k8s.KubeJob(chart, 'job', {
        metadata: { name: 'job' },
        spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'upload', image: 'x:1', env }] } } },
      });
      HelmValues.of(chart).bind(
        job,
        '/spec/template/spec/containers/0/env/0/value',
        'backup.retentionDays',
        { ...INT, description: 'Days' },
        { renderAsString: true },
      );
      return chart;
    };
    const out = writeOne(make('dev'), {
      environments: [
        { name: 'dev', chart: make('dev') },
        { name: 'prod', chart: make('prod') },
      ],
    });
    const job = read(out, 'templates/job-job.yaml');
    expect(job).toContain('value: {{ int64 .Values.backup.retentionDays | toString | toJson }}');
    expect(job).toContain('- {{ index .Values "job" "pod" "containers" "upload" "env" "S3_ENDPOINT_URL" | toJson }}');
    expect(YAML.parse(read(out, 'values-prod.yaml'))).toMatchObject({
      backup: { retentionDays: 30 },
      job: { pod: { containers: { upload: { env: { S3_ENDPOINT_URL: null } } } } },
    });
    expect(JSON.parse(read(out, 'values.schema.json')).properties.backup.properties.retentionDays.type).toBe('integer');
  });

  test('literal {{ in manifests is escaped', () => {
    const text = read(dir, 'templates/configmap-alerts.yaml');
    expect(text).toContain('Instance {{ "{{" }} $labels.instance }}');
    expect(text).not.toMatch(/\{\{ \$labels/);
  });

  test('is deterministic', () => {
    const again = shopProps({ notes: props.notes });
    writeHelmChart(again);
    for (const f of [
      'values.yaml',
      'values-dev.yaml',
      'values.schema.json',
      'templates/service-api.yaml',
      'templates/deployment-api.yaml',
    ]) {
      expect(read(again.outdir, f)).toBe(read(dir, f));
    }
  });
});

describe('writeHelmChart outdir handling', () => {
  test('deletes stale files from a previous run', () => {
    const props = shopProps();
    writeHelmChart(props);
    fs.writeFileSync(path.join(props.outdir, 'templates', 'stale-object.yaml'), 'kind: Stale\n');
    writeHelmChart({
      ...props,
      environments: [
        { name: 'dev', chart: shopStack('dev') },
        { name: 'prod', chart: shopStack('prod') },
      ],
    });
    expect(fs.existsSync(path.join(props.outdir, 'templates', 'stale-object.yaml'))).toBe(false);
    expect(fs.existsSync(path.join(props.outdir, 'templates', 'deployment-api.yaml'))).toBe(true);
  });

  test('refuses to delete a non-empty folder that is not a chart', () => {
    const dir = outdir();
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'precious.txt'), 'keep me');
    expect(() => writeHelmChart(shopProps({ outdir: dir }))).toThrow(/refusing to delete outdir .* holds no Chart\.yaml/);
    expect(fs.readFileSync(path.join(dir, 'precious.txt'), 'utf8')).toBe('keep me');
  });

  test('does not touch outdir when validation fails', () => {
    const props = shopProps();
    writeHelmChart(props);
    const { chart, objects } = deployments([1]);
    HelmValues.of(chart).bind(objects[0], '/spec/nope', 'x.y', INT);
    expect(() => writeHelmChart({ ...props, environments: [{ name: 'dev', chart }], defaultEnvironment: 'dev' })).toThrow();
    expect(fs.existsSync(path.join(props.outdir, 'templates', 'deployment-api.yaml'))).toBe(true);
  });
});

describe('writeHelmChart validation errors', () => {
  test('unknown pointer names the object and the pointer', () => {
    const { chart, objects } = deployments([1]);
    HelmValues.of(chart).bind(objects[0], '/spec/template/spec/containers/3/image', 'x.image', { type: 'string', description: 'x' });
    expect(() => writeOne(chart)).toThrow(
      /Deployment 'd0' \(c\/d0\).*'\/spec\/template\/spec\/containers\/3\/image' in environment 'dev': pointer .* does not exist in the synthesized apps\/v1 Deployment 'd0'/,
    );
  });

  test('one value path with different values in one environment names both places', () => {
    const { chart, objects } = deployments([1, 2]);
    HelmValues.of(chart).bind(objects[0], '/spec/replicas', 'web.replicas', INT);
    HelmValues.of(chart).bind(objects[1], '/spec/replicas', 'web.replicas', INT);
    expect(() => writeOne(chart)).toThrow(
      /Conflicting values for 'web\.replicas' in environment 'dev': 1 at .*Deployment 'd0'.*'\/spec\/replicas', but 2 at .*Deployment 'd1'.*'\/spec\/replicas'/,
    );
  });

  test('one value path with the same value in two places is fine', () => {
    const { chart, objects } = deployments([2, 2]);
    HelmValues.of(chart).bind(objects[0], '/spec/replicas', 'web.replicas', INT);
    HelmValues.of(chart).bind(objects[1], '/spec/replicas', 'web.replicas', INT);
    const dir = writeOne(chart);
    expect(YAML.parse(read(dir, 'values.yaml')).web).toEqual({ replicas: 2 });
    expect(read(dir, 'templates/deployment-d1.yaml')).toContain('replicas: {{ .Values.web.replicas | toJson }}');
  });

  test('one value path with different schemas throws', () => {
    const { chart, objects } = deployments([2, 2]);
    HelmValues.of(chart).bind(objects[0], '/spec/replicas', 'web.replicas', INT);
    HelmValues.of(chart).bind(objects[1], '/spec/replicas', 'web.replicas', { ...INT, maximum: 3 });
    expect(() => writeOne(chart)).toThrow(/Conflicting schemas for 'web\.replicas'/);
  });

  test('different schemas for one path across environments throw', () => {
    const a = deployments([1], 'a');
    const b = deployments([1], 'b');
    HelmValues.of(a.chart).bind(a.objects[0], '/spec/replicas', 'web.replicas', INT);
    HelmValues.of(b.chart).bind(b.objects[0], '/spec/replicas', 'web.replicas', { ...INT, description: 'other' });
    expect(() =>
      writeOne(a.chart, {
        environments: [
          { name: 'dev', chart: a.chart },
          { name: 'prod', chart: b.chart },
        ],
      }),
    ).toThrow(/Conflicting schemas for 'web\.replicas'.*environment 'dev'.*environment 'prod'/);
  });

  test('a path that is both a value and a parent throws', () => {
    const { chart, objects } = deployments([1, 1]);
    HelmValues.of(chart).bind(objects[0], '/spec/replicas', 'web', INT);
    HelmValues.of(chart).bind(objects[1], '/spec/replicas', 'web.replicas', INT);
    expect(() => writeOne(chart)).toThrow(/Value path 'web' is a value at .* but 'web\.replicas' .* cannot be both/);
  });

  test('template not matching the synthesized string', () => {
    const { chart, objects } = deployments([1]);
    HelmValues.of(chart).bindTemplate(objects[0], '/spec/template/spec/containers/0/image', '{repository}@{digest}', {
      repository: { path: 'web.image.repository', schema: { type: 'string', description: 'r' } },
      digest: { path: 'web.image.digest', schema: { type: 'string', description: 'd' } },
    });
    expect(() => writeOne(chart)).toThrow(
      /Deployment 'd0'.*'\/spec\/template\/spec\/containers\/0\/image' in environment 'dev': synthesized value "nginx:1\.27" does not match template "\{repository\}@\{digest\}"/,
    );
  });

  test('template on a non-string field', () => {
    const { chart, objects } = deployments([1]);
    HelmValues.of(chart).bindTemplate(objects[0], '/spec/replicas', '{a}-{b}', {
      a: { path: 'x.a', schema: { type: 'string', description: 'a' } },
      b: { path: 'x.b', schema: { type: 'string', description: 'b' } },
    });
    expect(() => writeOne(chart)).toThrow(/needs a string field, but the synthesized value is 1/);
  });

  test('integer template part that is not a canonical integer', () => {
    const chart = new Chart(testApp(), 'c');
    const cm = new k8s.KubeConfigMap(chart, 'cm', { metadata: { name: 'cm' }, data: { ADDR: 'db:05432' } });
    HelmValues.of(chart).bindTemplate(cm, '/data/ADDR', '{host}:{port}', {
      host: { path: 'db.host', schema: { type: 'string', description: 'h' } },
      port: { path: 'db.port', schema: { type: 'integer', description: 'p' } },
    });
    expect(() => writeOne(chart)).toThrow(/part 'port' of "db:05432".* is "05432", which is not an integer written in canonical form/);
  });

  test.each<[string, unknown, HelmValueSchema, RegExp]>([
    ['string schema on a number', '/spec/replicas', { type: 'string', description: 'x' }, /value 'x\.v' = 1 is not a string/],
    ['integer schema on a string', '/spec/template/spec/containers/0/image', INT, /value 'x\.v' = "nginx:1\.27" is not an integer/],
    ['boolean schema on a number', '/spec/replicas', { type: 'boolean', description: 'x' }, /1 is not a boolean/],
    ['maximum', '/spec/replicas', { type: 'integer', maximum: 0, description: 'x' }, /1 is greater than the maximum 0/],
    [
      'pattern',
      '/spec/template/spec/containers/0/image',
      { type: 'string', pattern: '^[a-z]+$', description: 'x' },
      /"nginx:1\.27" does not match the pattern \^\[a-z\]\+\$/,
    ],
    ['enum', '/spec/template/spec/containers/0/image', { type: 'string', enum: ['a', 'b'], description: 'x' }, /is not one of "a", "b"/],
  ])('synthesized value contradicting its schema: %s', (_name, pointer, schema, message) => {
    const { chart, objects } = deployments([1]);
    HelmValues.of(chart).bind(objects[0], pointer as string, 'x.v', schema);
    expect(() => writeOne(chart)).toThrow(message);
  });

  test.each<[string, Partial<HelmChartWriterProps>, RegExp]>([
    ['name', { name: 'My_Chart' }, /invalid name "My_Chart"; expected a DNS-1123 label/],
    ['name over 53 characters', { name: 'c'.repeat(54) }, /invalid name "c{54}"; expected a DNS-1123 label of at most 53 characters/],
    ['version', { version: '1.0' }, /invalid version "1\.0"; expected a SemVer 2 version/],
    [
      'defaultEnvironment',
      { defaultEnvironment: 'staging' },
      /invalid defaultEnvironment "staging"; expected one of the environments: 'dev'/,
    ],
    ['environments', { environments: [] }, /invalid environments \[\]; expected at least one/],
    [
      'environment name',
      { environments: [{ name: 'Dev', chart: new Chart(testApp(), 'x') }] },
      /invalid environment name "Dev"; expected a DNS-1123 label/,
    ],
    [
      'environment name over 63 characters',
      { environments: [{ name: 'e'.repeat(64), chart: new Chart(testApp(), 'x') }] },
      /invalid environment name "e{64}"; expected a DNS-1123 label/,
    ],
    ['description', { description: '' }, /invalid description ""/],
  ])('rejects a bad %s', (_name, overrides, message) => {
    const chart = new Chart(testApp(), 'c');
    expect(() => writeOne(chart, overrides)).toThrow(message);
  });

  test('rejects duplicate environment names', () => {
    const chart = new Chart(testApp(), 'c');
    expect(() =>
      writeOne(chart, {
        environments: [
          { name: 'dev', chart },
          { name: 'dev', chart },
        ],
      }),
    ).toThrow(/invalid environment name "dev"; environment names must be unique/);
  });
});

describe('writeHelmChart template layout', () => {
  test('same kind and name in two namespaces get distinct, stable file names', () => {
    const chart = new Chart(testApp(), 'c');
    new k8s.KubeConfigMap(chart, 'a', { metadata: { name: 'cfg', namespace: 'team-a' }, data: { x: '1' } });
    new k8s.KubeConfigMap(chart, 'b', { metadata: { name: 'cfg', namespace: 'team-b' }, data: { x: '2' } });
    new k8s.KubeConfigMap(chart, 'c', { metadata: { name: 'cfg-team-a' }, data: { x: '3' } });
    const dir = writeOne(chart);
    expect(fs.readdirSync(path.join(dir, 'templates')).sort()).toEqual([
      'configmap-cfg-team-a-2.yaml',
      'configmap-cfg-team-a.yaml',
      'configmap-cfg-team-b.yaml',
    ]);
    // An object keeps its natural <kind>-<name>; the namespaced fallback of another one yields to it.
    expect(read(dir, 'templates/configmap-cfg-team-a.yaml')).toContain('name: cfg-team-a');
    expect(read(dir, 'templates/configmap-cfg-team-a-2.yaml')).toContain('namespace: team-a');
    expect(read(dir, 'templates/configmap-cfg-team-b.yaml')).toContain('namespace: team-b');
  });

  test('a field differing across three environments is one value, no branches', () => {
    const make = (type: string) => {
      const chart = new Chart(testApp(), 'c');
      new k8s.KubeService(chart, 's', { metadata: { name: 's' }, spec: { type, ports: [{ port: 80 }] } });
      return chart;
    };
    const dir = writeOne(make('ClusterIP'), {
      environments: [
        { name: 'dev', chart: make('ClusterIP') },
        { name: 'staging', chart: make('LoadBalancer') },
        { name: 'prod', chart: make('LoadBalancer') },
      ],
    });
    const text = read(dir, 'templates/service-s.yaml');
    expect(text).not.toContain('{{-');
    expect(text).toContain('type: {{ .Values.s.spec.type | toJson }}');
    expect(YAML.parse(read(dir, 'values-staging.yaml')).s).toEqual({ spec: { type: 'LoadBalancer' } });
  });

  test('a difference in shape around a binding is refused with the object and field named', () => {
    const make = (ports: number[]) => {
      const chart = new Chart(testApp(), 'c');
      const svc = new k8s.KubeService(chart, 's', { metadata: { name: 's' }, spec: { ports: ports.map((port) => ({ port })) } });
      HelmValues.of(chart).bind(svc, '/spec/ports/0/port', 's.port', { ...INT, description: 'Port' });
      return chart;
    };
    expect(() =>
      writeOne(make([80]), {
        environments: [
          { name: 'dev', chart: make([80]) },
          { name: 'prod', chart: make([80, 443]) },
        ],
      }),
    ).toThrow(
      /field '\/spec\/ports' of Service 's' \(c\/s\) differs in shape between environments 'dev', 'prod' and holds a Helm value binding/,
    );
  });
});

describe('writeHelmChart presence gates', () => {
  /** A chart with an 'app' Service, and per flags a 'tools' construct (Service + NetworkPolicy) and a provider choice. */
  function make(opts: { tools: boolean; provider: 'generated' | 'aws'; policy?: boolean }): Chart {
    const chart = new Chart(testApp(), 'c', { namespace: 'ns' });
    new k8s.KubeService(chart, 'app', { metadata: { name: 'app' }, spec: { ports: [{ port: 80 }] } });
    const helm = HelmValues.of(chart);
    if (opts.tools) {
      new k8s.KubeService(new Construct(chart, 'tools'), 'service', { metadata: { name: 'tools' }, spec: { ports: [{ port: 8080 }] } });
    }
    if (opts.policy ?? opts.tools) {
      const policy = new k8s.KubeNetworkPolicy(chart, 'policy-tools', { metadata: { name: 'tools' }, spec: { podSelector: {} } });
      helm.gate(policy, 'tools.enabled', { description: 'the tools component' });
    }
    const secret =
      opts.provider === 'generated'
        ? new k8s.KubeConfigMap(chart, 'generator', { metadata: { name: 'gen' } })
        : new k8s.KubeConfigMap(chart, 'store', { metadata: { name: 'store' } });
    helm.gate(secret, 'secrets.provider', { when: opts.provider, description: 'where secrets come from' });
    return chart;
  }
  const write = (dev: Chart, prod: Chart) =>
    writeOne(dev, {
      environments: [
        { name: 'dev', chart: dev },
        { name: 'prod', chart: prod },
      ],
    });

  test('a declared boolean gate is shared with the derived gate of the same name; a string gate chooses', () => {
    const dir = write(make({ tools: true, provider: 'generated' }), make({ tools: false, provider: 'aws' }));
    expect(read(dir, 'templates/service-tools.yaml')).toMatch(/^\{\{- if \.Values\.tools\.enabled \}\}\n/);
    expect(read(dir, 'templates/networkpolicy-tools.yaml')).toMatch(/^\{\{- if \.Values\.tools\.enabled \}\}\n/);
    expect(read(dir, 'templates/configmap-gen.yaml')).toMatch(/^\{\{- if eq \.Values\.secrets\.provider "generated" \}\}\n/);
    expect(read(dir, 'templates/configmap-store.yaml')).toMatch(/^\{\{- if eq \.Values\.secrets\.provider "aws" \}\}\n/);
    expect(YAML.parse(read(dir, 'values-dev.yaml'))).toMatchObject({ tools: { enabled: true }, secrets: { provider: 'generated' } });
    expect(YAML.parse(read(dir, 'values-prod.yaml'))).toMatchObject({ tools: { enabled: false }, secrets: { provider: 'aws' } });
    const schema = JSON.parse(read(dir, 'values.schema.json'));
    expect(schema.properties.secrets.properties.provider).toEqual({
      type: 'string',
      enum: ['aws', 'generated'],
      description: 'where secrets come from',
    });
  });

  test('constructs sharing a boolean gate must exist together', () => {
    expect(() =>
      write(make({ tools: true, policy: false, provider: 'generated' }), make({ tools: false, policy: true, provider: 'generated' })),
    ).toThrow(
      /Helm gate 'tools\.enabled' governs c\/policy-tools, c\/tools, but in environment 'dev' c\/policy-tools do\(es\) not exist while the others do/,
    );
  });

  test('a string gate needs a choice in every environment', () => {
    const dev = make({ tools: false, provider: 'generated' });
    const prod = new Chart(testApp(), 'c', { namespace: 'ns' });
    new k8s.KubeService(prod, 'app', { metadata: { name: 'app' }, spec: { ports: [{ port: 80 }] } });
    expect(() => write(dev, prod)).toThrow(
      /Helm gate 'secrets\.provider' needs one choice in environment 'prod', but none of its constructs \(c\/generator\) exists there/,
    );
  });
});

describe('writeHelmChart with the objects already synthesized', () => {
  test('the same chart as resolving each Chart again, and the objects given are the ones written', () => {
    const chart = deployments([2]).chart;
    const plain = writeOne(chart);
    const given = writeOne(chart, { environments: [{ name: 'dev', chart, objects: chart.toJson() }] });
    for (const f of ['values.yaml', 'templates/deployment-d0.yaml']) expect(read(given, f)).toBe(read(plain, f));
    // what it is given is what it writes (not a second chart.toJson())
    const objects = chart.toJson() as Array<{ spec: { replicas: number } }>;
    objects[0].spec.replicas = 5;
    const changed = writeOne(chart, { environments: [{ name: 'dev', chart, objects }] });
    expect(read(changed, 'templates/deployment-d0.yaml')).toContain('replicas: 5');
    expect(read(plain, 'templates/deployment-d0.yaml')).toContain('replicas: 2');
  });
});
