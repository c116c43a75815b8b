/**
 * Kibana (lib/constructs/search/kibana.ts): the Deployment on the official image, kibana.yml as
 * rendered (secret values only as `${VAR}` references), the CA for a TLS cluster, the probes, the
 * restricted pod with its writable paths, the graph, and the errors of bad props.
 */
import { Testing } from 'cdk8s';
import { parse } from 'yaml';
import { ServiceGraph } from '../../lib/constructs/network/service-graph';
import { Kibana, KibanaProps } from '../../lib/constructs/search/kibana';
import { Doc } from '../support/doc';
import { envOf, expectNoSecretValues, expectProbes, expectRestrictedPods, policyDestinations } from '../support/stack-assertions';
import { find } from '../support/synth';

const IMAGE = 'docker.elastic.co/kibana/kibana:9.4.0';
const secret = (key: string) => ({ secret: 'kibana-credentials', key });
const elasticsearch = {
  name: 'elasticsearch',
  podLabels: { 'app.kubernetes.io/name': 'elasticsearch' },
  ports: { http: 9200, transport: 9300 },
};

/** Dev-like: plain HTTP to a single node, published through an Ingress. */
const DEV: KibanaProps = {
  namespace: 'shop',
  partOf: 'shop',
  image: IMAGE,
  resources: { cpuRequest: '100m', memoryRequest: '512Mi', memoryLimit: '1Gi' },
  elasticsearch: { url: 'http://elasticsearch.shop.svc.cluster.local:9200' },
  systemPassword: { secret: 'elasticsearch-users', key: 'KIBANA_SYSTEM_PASSWORD' },
  encryptionKeys: { savedObjects: secret('SAVED_OBJECTS_KEY'), security: secret('SECURITY_KEY'), reporting: secret('REPORTING_KEY') },
  publicBaseUrl: 'https://kibana.shop.localtest.me',
};
/** Prod-like: TLS to the cluster verified against its CA, reached by port-forward. */
const PROD: KibanaProps = {
  ...DEV,
  elasticsearch: { url: 'https://elasticsearch.shop.svc.cluster.local:9200', caSecretName: 'elasticsearch-tls' },
  publicBaseUrl: 'http://localhost:5601',
  spreadAcrossZones: true,
};

function synth(props: KibanaProps): { kibana: Kibana; docs: Doc[]; graph: ServiceGraph } {
  const chart = Testing.chart();
  const graph = new ServiceGraph(chart, 'graph', { namespace: 'shop' });
  graph.addComponent(elasticsearch);
  const kibana = new Kibana(chart, 'kibana', props);
  kibana.addToGraph(graph, { url: props.elasticsearch.url, component: elasticsearch, port: 'http' });
  return { kibana, docs: Testing.synth(chart), graph };
}
const settingsOf = (docs: Doc[]): Doc => parse((find(docs, 'ConfigMap', 'kibana-config').data as Record<string, string>)['kibana.yml']);
const podOf = (docs: Doc[]): Doc => find(docs, 'Deployment', 'kibana').spec.template.spec;

describe('Kibana', () => {
  test.each([
    ['dev', DEV],
    ['prod', PROD],
  ])('snapshot (%s)', (_env, props) => {
    expect(synth(props).docs).toMatchSnapshot();
  });

  test('kibana.yml: kibana_system and the encryption keys only as ${VAR} references; no secret value anywhere', () => {
    const { docs } = synth(DEV);
    expect(settingsOf(docs)).toEqual({
      'server.name': 'kibana',
      'server.host': '0.0.0.0',
      'server.port': 5601,
      'server.publicBaseUrl': 'https://kibana.shop.localtest.me',
      'elasticsearch.hosts': ['http://elasticsearch.shop.svc.cluster.local:9200'],
      'elasticsearch.username': 'kibana_system',
      'elasticsearch.password': '${KIBANA_SYSTEM_PASSWORD}',
      'xpack.encryptedSavedObjects.encryptionKey': '${KIBANA_ENCRYPTED_SAVED_OBJECTS_KEY}',
      'xpack.security.encryptionKey': '${KIBANA_SECURITY_KEY}',
      'xpack.reporting.encryptionKey': '${KIBANA_REPORTING_KEY}',
      'status.allowAnonymous': true,
      'telemetry.optIn': false,
      'telemetry.allowChangingOptInStatus': false,
      'path.data': '/usr/share/kibana/data',
    });
    const env = envOf(podOf(docs).containers[0]);
    expect(env).toEqual({
      KIBANA_SYSTEM_PASSWORD: { secretKeyRef: { name: 'elasticsearch-users', key: 'KIBANA_SYSTEM_PASSWORD' } },
      KIBANA_ENCRYPTED_SAVED_OBJECTS_KEY: { secretKeyRef: { name: 'kibana-credentials', key: 'SAVED_OBJECTS_KEY' } },
      KIBANA_SECURITY_KEY: { secretKeyRef: { name: 'kibana-credentials', key: 'SECURITY_KEY' } },
      KIBANA_REPORTING_KEY: { secretKeyRef: { name: 'kibana-credentials', key: 'REPORTING_KEY' } },
    });
    expectNoSecretValues(docs);
  });

  test('TLS cluster: the CA mounted from its Secret, full verification', () => {
    const { docs } = synth(PROD);
    expect(settingsOf(docs)).toMatchObject({
      'elasticsearch.hosts': ['https://elasticsearch.shop.svc.cluster.local:9200'],
      'elasticsearch.ssl.certificateAuthorities': ['/usr/share/kibana/config/certs/ca.crt'],
      'elasticsearch.ssl.verificationMode': 'full',
    });
    const pod = podOf(docs);
    expect(pod.volumes).toContainEqual({
      name: 'secret-0',
      secret: { secretName: 'elasticsearch-tls', defaultMode: 0o444, items: [{ key: 'ca.crt', path: 'ca.crt' }] },
    });
    expect(pod.containers[0].volumeMounts).toContainEqual({
      name: 'secret-0',
      mountPath: '/usr/share/kibana/config/certs',
      readOnly: true,
    });
    expect(pod.topologySpreadConstraints[0].topologyKey).toBe('topology.kubernetes.io/zone');
    expect(settingsOf(synth(DEV).docs)['elasticsearch.ssl.certificateAuthorities']).toBeUndefined();
  });

  test('restricted pod, read-only root with data and /tmp writable, kibana.yml over the image file, probes', () => {
    const { docs } = synth(DEV);
    expectRestrictedPods(docs, 1);
    expectProbes(docs);
    const c = podOf(docs).containers[0];
    expect(c.image).toBe(IMAGE);
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(c.volumeMounts.map((m: Doc) => m.mountPath)).toEqual(['/usr/share/kibana/config/kibana.yml', '/usr/share/kibana/data', '/tmp']);
    expect([c.readinessProbe.httpGet.path, c.livenessProbe.httpGet.path, c.startupProbe.httpGet.path]).toEqual([
      '/api/status',
      '/login',
      '/api/status',
    ]);
    expect(c.ports).toEqual([{ name: 'http', containerPort: 5601, protocol: 'TCP' }]);
  });

  test('addToGraph: Kibana reaches Elasticsearch on 9200 and nothing else', () => {
    const { docs, kibana } = synth(DEV);
    expect(policyDestinations(docs, 'kibana')).toEqual(['elasticsearch:9200']);
    expect(kibana.url).toBe('http://kibana.shop.svc.cluster.local:5601');
    expect(kibana.searchEndpoint()).toMatchObject({ url: kibana.url, port: 'http' });
  });

  test.each<[string, Partial<KibanaProps>, RegExp]>([
    [
      'a floating image',
      { image: 'docker.elastic.co/kibana/kibana:latest' },
      /Kibana 'kibana': image 'docker.elastic.co\/kibana\/kibana:latest'; expected/,
    ],
    [
      'a public URL with a trailing slash',
      { publicBaseUrl: 'https://kibana.example.com/' },
      /publicBaseUrl 'https:\/\/kibana.example.com\/'; expected an http\(s\) URL/,
    ],
    ['a cluster URL with a path', { elasticsearch: { url: 'http://es:9200/x' } }, /elasticsearch.url 'http:\/\/es:9200\/x' is invalid/],
    [
      'https without a CA',
      { elasticsearch: { url: 'https://es:9200' } },
      /elasticsearch.url 'https:\/\/es:9200' is https but elasticsearch.caSecretName is not set/,
    ],
    [
      'an encryption key without a Secret',
      { encryptionKeys: { ...DEV.encryptionKeys, security: { secret: '', key: 'SECURITY_KEY' } } },
      /encryptionKeys.security.secret ''; expected/,
    ],
    ['no replicas', { replicas: 0 }, /replicas 0; expected an integer >= 1/],
  ])('refuses %s', (_case, overrides, message) => {
    expect(() => synth({ ...DEV, ...overrides })).toThrow(message);
  });
});
