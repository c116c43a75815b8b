/**
 * The pieces of Grafana's logs view: the Elasticsearch datasource file (elasticsearchDatasource),
 * the SecretsBackend template keys and Secret labels that carry it into Grafana's sidecar without a
 * value in Git, and the `logs` panel type of GrafanaDashboard.
 */
import { Testing } from 'cdk8s';
import { parse } from 'yaml';
import { buildDashboard } from '../../lib/constructs/monitoring/grafana-dashboard';
import { elasticsearchDatasource, ElasticsearchDatasourceOptions } from '../../lib/constructs/monitoring/grafana-datasource';
import { logsPanel } from '../../lib/constructs/monitoring/elasticsearch-panels';
import { SecretsBackend, SecretsProvider } from '../../lib/constructs/platform/secrets-backend';
import { Doc } from '../support/doc';

const OPTIONS: ElasticsearchDatasourceOptions = {
  name: 'Shop logs',
  uid: 'shop-logs',
  url: 'http://elasticsearch.shop.svc.cluster.local:9200',
  username: 'grafana',
  passwordTemplate: '{{ .PASSWORD | toJson }}',
  indices: ['app-logs-*', 'logs-*'],
};

describe('elasticsearchDatasource', () => {
  test('a provisioning file whose password is the template expression; rendered, any password stays one YAML string', () => {
    const text = elasticsearchDatasource(OPTIONS);
    expect(text).toContain('basicAuthPassword: {{ .PASSWORD | toJson }}\n');
    // What External Secrets makes of it: toJson quotes the value.
    const rendered = parse(text.replace('{{ .PASSWORD | toJson }}', JSON.stringify('a"b: #c')));
    expect(rendered).toEqual({
      apiVersion: 1,
      datasources: [
        {
          name: 'Shop logs',
          uid: 'shop-logs',
          type: 'elasticsearch',
          access: 'proxy',
          url: 'http://elasticsearch.shop.svc.cluster.local:9200',
          basicAuth: true,
          basicAuthUser: 'grafana',
          editable: false,
          jsonData: { index: 'app-logs-*,logs-*', timeField: '@timestamp', logMessageField: 'message', logLevelField: 'level' },
          secureJsonData: { basicAuthPassword: 'a"b: #c' },
        },
      ],
    });
  });

  test.each<[string, Partial<ElasticsearchDatasourceOptions>, RegExp]>([
    ['a literal password', { passwordTemplate: 'hunter2' }, /passwordTemplate 'hunter2'; expected an External Secrets reference/],
    ['an https URL (no CA for Grafana)', { url: 'https://es:9200' }, /url 'https:\/\/es:9200'; expected http:\/\//],
    ['a uid with a dot', { uid: 'shop.logs' }, /uid 'shop.logs'/],
    ['no indices', { indices: [] }, /indices is empty/],
  ])('refuses %s', (_case, overrides, message) => {
    expect(() => elasticsearchDatasource({ ...OPTIONS, ...overrides })).toThrow(message);
  });
});

describe('SecretsBackend template keys and Secret labels', () => {
  const synth = (provider: SecretsProvider, templates: Record<string, string>): Doc[] => {
    const chart = Testing.chart();
    new SecretsBackend(chart, 'secrets', { namespace: 'shop', provider }).secret('grafana-logs', ['PASSWORD'], {
      templates,
      secretLabels: { grafana_datasource: '1' },
    });
    return Testing.synth(chart);
  };
  const aws: SecretsProvider = {
    kind: 'aws-secrets-manager',
    region: 'eu-west-1',
    roleArn: 'arn:aws:iam::1:role/r',
    keyPrefix: 'prod/shop',
  };

  test.each<[string, SecretsProvider]>([
    ['generated', { kind: 'generated' }],
    ['aws-secrets-manager', aws],
  ])('%s: the template and the labels in the ExternalSecret, merged with the secret keys', (_name, provider) => {
    const docs = synth(provider, { 'datasource.yaml': 'password: {{ .PASSWORD | toJson }}\n' });
    const es = docs.find((d) => d.kind === 'ExternalSecret')!;
    expect(es.spec.target.template).toEqual({
      mergePolicy: 'Merge',
      metadata: { labels: { grafana_datasource: '1' } },
      data: { 'datasource.yaml': 'password: {{ .PASSWORD | toJson }}\n' },
    });
  });

  test.each([
    [
      'a key the Secret does not have',
      { 'x.yaml': '{{ .TOKEN }}' },
      /template 'x.yaml' references .TOKEN; expected references to its secret keys \(PASSWORD\) only/,
    ],
    ['no reference at all (a value in Git)', { 'x.yaml': 'password: hunter2' }, /template 'x.yaml' references no key/],
    [
      'a template named like a secret key',
      { PASSWORD: '{{ .PASSWORD }}' },
      /template key 'PASSWORD'; expected a Secret data key .* distinct from its other keys/,
    ],
  ])('refuses %s', (_case, templates, message) => {
    expect(() => synth({ kind: 'generated' }, templates)).toThrow(message);
  });
});

describe('GrafanaDashboard logs panel', () => {
  const build = (panels: Parameters<typeof buildDashboard>[0]['panels']) =>
    buildDashboard({ uid: 'u', title: 'T', namespace: 'shop', panels }, 'test') as { panels: Doc[] };

  test('full width under the other panels, on the Elasticsearch datasource, newest first, the Lucene query', () => {
    const { panels } = build([
      { title: 'Up', type: 'stat', exprs: [{ expr: 'up' }] },
      logsPanel({ title: 'Logs', datasourceUid: 'shop-logs', query: 'kubernetes.namespace_name:"shop"' }),
    ]);
    expect(panels[1]).toMatchObject({
      type: 'logs',
      title: 'Logs',
      datasource: { type: 'elasticsearch', uid: 'shop-logs' },
      gridPos: { h: 10, w: 24, x: 0, y: 4 },
      options: { sortOrder: 'Descending', showTime: true },
      targets: [
        {
          refId: 'A',
          datasource: { type: 'elasticsearch', uid: 'shop-logs' },
          query: 'kubernetes.namespace_name:"shop"',
          metrics: [{ id: '1', type: 'logs', settings: { limit: '500' } }],
          timeField: '@timestamp',
        },
      ],
    });
  });

  test.each<[string, Parameters<typeof build>[0], RegExp]>([
    ['a logs panel without its source', [{ title: 'L', type: 'logs', exprs: [] }], /panels\[0\].logs must be \{ datasourceUid, query \}/],
    [
      'PromQL on a logs panel',
      [{ title: 'L', type: 'logs', exprs: [{ expr: 'up' }], logs: { datasourceUid: 'x', query: '*' } }],
      /panels\[0\].exprs must be none with type "logs"/,
    ],
    [
      'a logs source on a stat',
      [{ title: 'S', type: 'stat', exprs: [{ expr: 'up' }], logs: { datasourceUid: 'x', query: '*' } }],
      /panels\[0\].logs must be nothing with type "stat"/,
    ],
    [
      'a bad datasource uid',
      [logsPanel({ title: 'L', datasourceUid: 'a b', query: '*' })],
      /panels\[0\].logs.datasourceUid must be a datasource uid/,
    ],
  ])('refuses %s', (_case, panels, message) => {
    expect(() => build(panels)).toThrow(message);
  });
});
