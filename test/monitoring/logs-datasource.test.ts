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
import { AWS_PROVIDER, PROVIDERS } from '../support/secrets-providers';

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

  test('https with the CA: Grafana verifies the server against the copied CA; a multi-line PEM stays one YAML string', () => {
    const text = elasticsearchDatasource({
      ...OPTIONS,
      url: 'https://elasticsearch.shop.svc.cluster.local:9200',
      caCertTemplate: '{{ .CA_CERT | toJson }}',
    });
    expect(text).toContain('tlsCACert: {{ .CA_CERT | toJson }}\n');
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const rendered = parse(
      text.replace('{{ .PASSWORD | toJson }}', JSON.stringify('pw')).replace('{{ .CA_CERT | toJson }}', JSON.stringify(pem)),
    );
    expect(rendered.datasources[0]).toMatchObject({
      url: 'https://elasticsearch.shop.svc.cluster.local:9200',
      jsonData: { tlsAuthWithCACert: true },
      secureJsonData: { basicAuthPassword: 'pw', tlsCACert: pem },
    });
    expect(rendered.datasources[0].jsonData.tlsSkipVerify).toBeUndefined();
  });

  test.each<[string, Partial<ElasticsearchDatasourceOptions>, RegExp]>([
    ['a literal password', { passwordTemplate: 'hunter2' }, /passwordTemplate 'hunter2'; expected an External Secrets reference/],
    [
      'an https URL without the CA that verifies it',
      { url: 'https://es:9200' },
      /url 'https:\/\/es:9200'; expected http:\/\/.*or https:\/\/ with caCertTemplate/,
    ],
    [
      'a CA with a plain-HTTP URL',
      { caCertTemplate: '{{ .CA_CERT | toJson }}' },
      /url 'http:\/\/elasticsearch.shop.svc.cluster.local:9200' with caCertTemplate; expected https:\/\//,
    ],
    [
      'a literal CA certificate',
      { url: 'https://es:9200', caCertTemplate: '-----BEGIN CERTIFICATE-----' },
      /caCertTemplate '-----BEGIN CERTIFICATE-----'; expected an External Secrets reference/,
    ],
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

  test.each<[string, SecretsProvider]>([...PROVIDERS])(
    '%s: the template and the labels in the ExternalSecret, merged with the secret keys',
    (_name, provider) => {
      const docs = synth(provider, { 'datasource.yaml': 'password: {{ .PASSWORD | toJson }}\n' });
      const es = docs.find((d) => d.kind === 'ExternalSecret')!;
      expect(es.spec.target.template).toEqual({
        mergePolicy: 'Merge',
        metadata: { labels: { grafana_datasource: '1' } },
        data: { 'datasource.yaml': 'password: {{ .PASSWORD | toJson }}\n' },
      });
    },
  );

  test.each([
    [
      'a key the Secret does not have',
      { 'x.yaml': '{{ .TOKEN }}' },
      /template 'x.yaml' references .TOKEN; expected references to its secret and copied keys \(PASSWORD\) only/,
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

describe('SecretsBackend copied keys', () => {
  const CA = { CA_CERT: { secret: 'search-tls', key: 'ca.crt' } };
  const declare = (provider: SecretsProvider, more: (b: SecretsBackend) => void = () => undefined): Doc[] => {
    const chart = Testing.chart();
    const backend = new SecretsBackend(chart, 'secrets', { namespace: 'shop', provider });
    backend.secret('grafana-logs', ['PASSWORD'], {
      copied: CA,
      templates: { 'datasource.yaml': 'password: {{ .PASSWORD | toJson }}\nca: {{ .CA_CERT | toJson }}\n' },
    });
    more(backend);
    return Testing.synth(chart);
  };

  test.each<[string, SecretsProvider]>([...PROVIDERS])(
    '%s: the key is read through the in-namespace store, whose account may get only the named Secrets',
    (_name, provider) => {
      const docs = declare(provider, (b) => {
        b.secret('other', ['TOKEN'], {
          copied: { CA_CERT: { secret: 'search-tls', key: 'ca.crt' }, PEER: { secret: 'peer-tls', key: 'tls.crt' } },
        });
        b.secret('plain', ['TOKEN']);
      });
      const external = docs.find((d) => d.kind === 'ExternalSecret' && d.metadata.name === 'grafana-logs')!;
      expect(external.spec.data).toContainEqual({
        secretKey: 'CA_CERT',
        sourceRef: { storeRef: { name: 'in-namespace', kind: 'SecretStore' } },
        remoteRef: { key: 'search-tls', property: 'ca.crt' },
      });
      const plain = docs.find((d) => d.kind === 'ExternalSecret' && d.metadata.name === 'plain')!;
      expect(JSON.stringify(plain.spec)).not.toContain('in-namespace');
      // One store, one account, one Role for the whole backend: get on exactly the copied Secrets.
      const stores = docs.filter((d) => d.kind === 'SecretStore' && d.metadata.name === 'in-namespace');
      expect(stores).toHaveLength(1);
      expect(stores[0].spec.provider.kubernetes).toEqual({
        remoteNamespace: 'shop',
        server: { caProvider: { type: 'ConfigMap', name: 'kube-root-ca.crt', key: 'ca.crt' } },
        auth: { serviceAccount: { name: 'external-secrets-in-namespace' } },
      });
      const roles = docs.filter((d) => d.kind === 'Role');
      expect(roles).toHaveLength(1);
      expect(roles[0].rules).toEqual([
        { apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ['peer-tls', 'search-tls'] },
      ]);
      const binding = docs.find((d) => d.kind === 'RoleBinding')!;
      expect(binding.roleRef.name).toBe(roles[0].metadata.name);
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'external-secrets-in-namespace', namespace: 'shop' }]);
    },
  );

  test('generated: copied once with the generated values (CreatedOnce), beside the generator', () => {
    const external = declare({ kind: 'generated' }).find((d) => d.kind === 'ExternalSecret')!;
    expect(external.spec.refreshPolicy).toBe('CreatedOnce');
    expect(external.spec.dataFrom[0].sourceRef.generatorRef.name).toBe('grafana-logs');
    expect(external.spec.data).toHaveLength(1);
  });

  test('no copied key: no in-namespace store, account or Role', () => {
    const chart = Testing.chart();
    new SecretsBackend(chart, 'secrets', { namespace: 'shop', provider: AWS_PROVIDER }).secret('db', ['PASSWORD']);
    expect(Testing.synth(chart).filter((d) => ['Role', 'RoleBinding'].includes(d.kind) || d.metadata.name === 'in-namespace')).toEqual([]);
  });

  test.each<[string, Record<string, { secret: string; key: string }>, RegExp]>([
    ['a key named like a secret key', { PASSWORD: { secret: 'x', key: 'ca.crt' } }, /copied key 'PASSWORD' is also a secret or plain key/],
    ['a bad key name', { 'ca.crt': { secret: 'x', key: 'ca.crt' } }, /copied key 'ca.crt'; expected/],
    [
      'a bad Secret name',
      { CA: { secret: 'Search_TLS', key: 'ca.crt' } },
      /copied key 'CA': secret "Search_TLS"; expected the name of a Secret in namespace 'shop'/,
    ],
    [
      'the Secret itself',
      { CA: { secret: 'grafana-logs', key: 'x' } },
      /copied key 'CA' reads from 'grafana-logs' itself; expected another Secret/,
    ],
    ['a bad data key', { CA: { secret: 'search-tls', key: 'ca crt' } }, /copied key 'CA': key "ca crt"; expected a Secret data key/],
  ])('refuses %s', (_case, copied, message) => {
    const chart = Testing.chart();
    const backend = new SecretsBackend(chart, 'secrets', { namespace: 'shop', provider: AWS_PROVIDER });
    expect(() => backend.secret('grafana-logs', ['PASSWORD'], { copied })).toThrow(message);
  });

  test('a template may reference a copied key, and still not an undeclared one', () => {
    const chart = Testing.chart();
    const backend = new SecretsBackend(chart, 'secrets', { namespace: 'shop', provider: AWS_PROVIDER });
    expect(() => backend.secret('a', ['PASSWORD'], { copied: CA, templates: { 'f.yaml': '{{ .CA_CERT }}' } })).not.toThrow();
    expect(() => backend.secret('b', ['PASSWORD'], { copied: CA, templates: { 'f.yaml': '{{ .CA }}' } })).toThrow(
      /references .CA; expected references to its secret and copied keys \(PASSWORD, CA_CERT\) only/,
    );
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
