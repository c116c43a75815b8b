/**
 * ElasticsearchCluster (lib/constructs/search/elasticsearch-cluster.ts): the StatefulSet of a
 * single dev-like node and of a 3-node prod-like cluster with TLS, elasticsearch.yml as rendered,
 * the heap, restricted pods, the S3 client (keystore keys for an S3-compatible server, IRSA for
 * Amazon S3), client wiring, and the errors of bad props. The init and readiness scripts run for
 * real in test/integration/elasticsearch-scripts.test.ts.
 */
import { Testing } from 'cdk8s';
import { parse } from 'yaml';
import { StatefulStore } from '../../lib/constructs/data/stateful-store';
import { ServiceGraph } from '../../lib/constructs/network/service-graph';
import {
  ElasticsearchCluster,
  ElasticsearchClusterProps,
  ES_GC_OPTIONS,
  heapBytes,
} from '../../lib/constructs/search/elasticsearch-cluster';
import { logStorageSteps } from '../../lib/constructs/search/search-requests';
import { SearchSetup } from '../../lib/constructs/search/search-setup';
import { AmazonS3Storage, ObjectStorage, S3CompatibleStorage } from '../../lib/constructs/storage';
import { Doc } from '../support/doc';
import { expectNoSecretValues, expectProbes, expectRestrictedPods, policyDestinations, policySources } from '../support/stack-assertions';
import { find } from '../support/synth';

const IMAGE = 'docker.elastic.co/elasticsearch/elasticsearch:9.4.0';
const EXPORTER_IMAGE = 'quay.io/prometheuscommunity/elasticsearch-exporter:v1.9.0';
const password = { secret: 'elasticsearch-credentials', key: 'elastic-password' };
const minio = { name: 'minio', host: 'minio.shop.svc.cluster.local', ports: { api: 9000 } };
const minioStorage = new S3CompatibleStorage({
  server: minio,
  port: 'api',
  credentials: {
    accessKeyId: { secret: 'minio-credentials', key: 'access-key' },
    secretAccessKey: { secret: 'minio-credentials', key: 'secret-key' },
  },
});
const ROLE = 'arn:aws:iam::123456789012:role/shop-es-snapshots';
const amazonS3 = new AmazonS3Storage({ region: 'eu-west-1', roleArn: ROLE });

/** Dev-like: one node, 512m heap, no TLS, MinIO snapshots. */
const DEV: ElasticsearchClusterProps = {
  namespace: 'shop',
  partOf: 'shop',
  image: IMAGE,
  clusterName: 'ecommerce-dev',
  heap: '512m',
  resources: { cpuRequest: '250m', memoryRequest: '1Gi', memoryLimit: '1Gi' },
  storage: { size: '5Gi', storageClassName: 'standard' },
  security: { elasticPassword: password },
  objectStorage: minioStorage,
  exporter: { image: EXPORTER_IMAGE, resources: { cpuRequest: '10m', memoryRequest: '32Mi', memoryLimit: '64Mi' } },
  release: 'kube-prometheus-stack',
};

/** Prod-like: three nodes, 1g heap, TLS, zone spread, Amazon S3 with IRSA. */
const PROD: ElasticsearchClusterProps = {
  ...DEV,
  clusterName: 'ecommerce-prod',
  nodes: 3,
  heap: '1g',
  resources: { cpuRequest: '500m', memoryRequest: '2Gi', memoryLimit: '2Gi' },
  storage: { size: '50Gi', storageClassName: 'gp3' },
  security: { elasticPassword: password, tls: { issuer: { name: 'shop-ca', kind: 'Issuer' }, secretName: 'elasticsearch-tls' } },
  objectStorage: amazonS3,
  spreadAcrossZones: true,
};

function synth(props: ElasticsearchClusterProps) {
  const chart = Testing.chart();
  const es = new ElasticsearchCluster(chart, 'es', props);
  const objects: Doc[] = Testing.synth(chart);
  const sts = find(objects, 'StatefulSet', 'elasticsearch');
  const pod = sts.spec.template.spec;
  const settings = parse(find(objects, 'ConfigMap', 'elasticsearch-settings').data['elasticsearch.yml']) as Record<string, unknown>;
  return {
    es,
    objects,
    sts,
    pod,
    settings,
    node: pod.containers[0],
    exporter: pod.containers.find((c: Doc) => c.name === 'exporter'),
    prepare: pod.initContainers[0],
  };
}

const envOf = (c: Doc): Record<string, Doc> => Object.fromEntries((c.env ?? []).map((e: Doc) => [e.name, e.value ?? e.valueFrom]));
const mountsOf = (c: Doc): Record<string, string> => Object.fromEntries((c.volumeMounts ?? []).map((m: Doc) => [m.mountPath, m.name]));

describe('ElasticsearchCluster: one node (dev-like), no TLS, S3-compatible snapshots', () => {
  const s = synth(DEV);

  test('snapshot', () => {
    expect(s.objects).toMatchSnapshot();
  });

  test('elasticsearch.yml: single-node discovery, no mmap, no memory lock, authentication on and TLS off, the S3 client of the server', () => {
    expect(s.settings).toMatchObject({
      'cluster.name': 'ecommerce-dev',
      'node.name': '${HOSTNAME}',
      'discovery.type': 'single-node',
      'node.store.allow_mmap': false,
      'bootstrap.memory_lock': false,
      'xpack.security.enabled': true,
      'xpack.security.http.ssl.enabled': false,
      'xpack.security.transport.ssl.enabled': false,
      's3.client.default.endpoint': 'http://minio.shop.svc.cluster.local:9000',
      's3.client.default.path_style_access': true,
      's3.client.default.region': 'us-east-1',
    });
    expect(Object.keys(s.settings)).not.toContain('discovery.seed_hosts');
    expect(Object.keys(s.settings)).not.toContain('cluster.initial_master_nodes');
  });

  test('heap: ES_JAVA_OPTS -Xms = -Xmx from the props; bounded GC logs in jvm.options.d', () => {
    expect(envOf(s.node).ES_JAVA_OPTS).toBe('-Xms512m -Xmx512m');
    expect(envOf(s.node).ES_TMPDIR).toBe('/tmp');
    expect(find(s.objects, 'ConfigMap', 'elasticsearch-settings').data['gc.options']).toBe(ES_GC_OPTIONS);
    expect(ES_GC_OPTIONS.split('\n')[0]).toBe('-Xlog:disable');
    expect(heapBytes('1g')).toBe(1024 ** 3);
  });

  test('restricted pods, probes, no secret value; the password and S3 keys come from Secrets', () => {
    expectRestrictedPods(s.objects, 1);
    expectProbes(s.objects);
    expectNoSecretValues(s.objects);
    expect(s.pod.securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 });
    expect(s.pod.initContainers.map((c: Doc) => c.name)).toEqual(['prepare']);
    expect(envOf(s.node).ELASTIC_PASSWORD).toEqual({ secretKeyRef: { name: 'elasticsearch-credentials', key: 'elastic-password' } });
    expect(envOf(s.prepare).S3_ACCESS_KEY).toEqual({ secretKeyRef: { name: 'minio-credentials', key: 'access-key' } });
    expect(envOf(s.prepare).S3_SECRET_KEY).toEqual({ secretKeyRef: { name: 'minio-credentials', key: 'secret-key' } });
    expect(envOf(s.prepare)).not.toHaveProperty('S3_WEB_IDENTITY');
    // The node never sees the S3 keys (they are in its keystore), nor the prepare step the password.
    expect(envOf(s.node)).not.toHaveProperty('S3_ACCESS_KEY');
    expect(envOf(s.prepare)).not.toHaveProperty('ELASTIC_PASSWORD');
  });

  test('read-only root: config, logs and /tmp are emptyDirs; prepare sees the image config and the emptyDir elsewhere', () => {
    const node = mountsOf(s.node);
    const prepare = mountsOf(s.prepare);
    const volume = (name: string): Doc => s.pod.volumes.find((v: Doc) => v.name === name);
    for (const path of ['/usr/share/elasticsearch/config', '/usr/share/elasticsearch/logs', '/tmp'])
      expect(volume(node[path]).emptyDir).toBeDefined();
    expect(prepare['/usr/share/elasticsearch/config']).toBeUndefined();
    expect(prepare['/mnt/elasticsearch-config']).toBe(node['/usr/share/elasticsearch/config']);
    expect(envOf(s.prepare)).toMatchObject({
      ES_CONFIG_SOURCE: '/usr/share/elasticsearch/config',
      ES_CONFIG_TARGET: '/mnt/elasticsearch-config',
      ES_SETTINGS_DIR: '/etc/elasticsearch-settings',
    });
    expect(s.prepare.command).toEqual(['sh', '/etc/elasticsearch-scripts/prepare.sh']);
    expect(node['/usr/share/elasticsearch/data']).toBe('data');
  });

  test('probes: readiness runs ready.sh against the local health over http; startup and liveness on the transport port', () => {
    expect(s.node.readinessProbe.exec.command).toEqual(['sh', '/etc/elasticsearch-scripts/ready.sh']);
    expect(envOf(s.node).ES_HEALTH_URL).toBe('http://127.0.0.1:9200/_cluster/health?local=true');
    expect(envOf(s.node)).not.toHaveProperty('ES_CA_FILE');
    expect(s.node.livenessProbe.tcpSocket).toEqual({ port: 'transport' });
    expect(s.node.startupProbe.tcpSocket).toEqual({ port: 'transport' });
    expect(s.node.startupProbe.periodSeconds * s.node.startupProbe.failureThreshold).toBeGreaterThanOrEqual(600);
    expect(s.node.lifecycle.preStop.exec.command).toEqual(['sleep', '20']);
    expect(s.pod.terminationGracePeriodSeconds).toBe(180);
  });

  test('one node: no PDB, data PVC retained, no ServiceAccount (static keys, not IRSA)', () => {
    expect(s.objects.filter((o) => o.kind === 'PodDisruptionBudget')).toEqual([]);
    expect(s.sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    expect(s.sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('5Gi');
    expect(s.objects.filter((o) => o.kind === 'ServiceAccount')).toEqual([]);
    expect(s.pod.serviceAccountName).toBeUndefined();
  });

  test('exporter: port 9114 on the Service, its own loopback node over http, scraped by a ServiceMonitor', () => {
    expect(s.exporter.image).toBe(EXPORTER_IMAGE);
    expect(s.exporter.ports).toEqual([{ name: 'metrics', containerPort: 9114, protocol: 'TCP' }]);
    expect(s.exporter.args).toEqual(expect.arrayContaining(['--es.uri=http://127.0.0.1:9200', '--collector.clustersettings']));
    expect(s.exporter.args).not.toContain('--es.ssl-skip-verify');
    // Per-index statistics only when asked for (they cost a series set per index).
    expect(s.exporter.args).not.toContain('--es.indices');
    const withIndices = synth({ ...DEV, exporter: { ...DEV.exporter!, indices: true } });
    expect(withIndices.exporter.args).toContain('--es.indices');
    expect(envOf(s.exporter)).toEqual({
      ES_USERNAME: 'elastic',
      ES_PASSWORD: { secretKeyRef: { name: 'elasticsearch-credentials', key: 'elastic-password' } },
    });
    const svc = find(s.objects, 'Service', 'elasticsearch');
    expect(svc.spec.ports.map((p: Doc) => [p.name, p.port])).toEqual([
      ['http', 9200],
      ['transport', 9300],
      ['metrics', 9114],
    ]);
    expect(find(s.objects, 'ServiceMonitor', 'elasticsearch').spec.endpoints[0].port).toBe('metrics');
  });

  test('clients: url over http, clientEnv without CA, a SearchSetup endpoint', () => {
    expect(s.es.url).toBe('http://elasticsearch.shop.svc.cluster.local:9200');
    expect(s.es.caSecretName).toBeUndefined();
    expect(s.es.clientEnv()).toEqual({
      env: { ES_URL: 'http://elasticsearch.shop.svc.cluster.local:9200', ES_USERNAME: 'elastic' },
      secretEnv: { ES_PASSWORD: password },
    });
    expect(s.es.searchEndpoint()).toEqual({ url: s.es.url, component: s.es, port: 'http' });
    expect(() => s.es.clientEnv(s.es.elasticUser, { prefix: 'es' })).toThrow("clientEnv prefix 'es'; expected upper-case letters");
  });
});

describe('ElasticsearchCluster: three nodes (prod-like), TLS, Amazon S3 with IRSA', () => {
  const s = synth(PROD);

  test('snapshot', () => {
    expect(s.objects).toMatchSnapshot();
  });

  test('elasticsearch.yml: seed hosts and initial masters, TLS on HTTP and transport, the S3 client of Amazon S3', () => {
    const peers = [0, 1, 2].map((i) => `elasticsearch-${i}.elasticsearch.shop.svc.cluster.local`);
    expect(s.settings).toMatchObject({
      'cluster.name': 'ecommerce-prod',
      'discovery.seed_hosts': peers,
      'cluster.initial_master_nodes': ['elasticsearch-0', 'elasticsearch-1', 'elasticsearch-2'],
      'xpack.security.enabled': true,
      'xpack.security.http.ssl.enabled': true,
      'xpack.security.http.ssl.certificate': 'certs/tls.crt',
      'xpack.security.http.ssl.key': 'certs/tls.key',
      'xpack.security.http.ssl.certificate_authorities': ['certs/ca.crt'],
      'xpack.security.transport.ssl.enabled': true,
      'xpack.security.transport.ssl.verification_mode': 'certificate',
      's3.client.default.region': 'eu-west-1',
    });
    expect(Object.keys(s.settings)).not.toContain('discovery.type');
    expect(Object.keys(s.settings)).not.toContain('s3.client.default.endpoint');
    expect(envOf(s.node).ES_JAVA_OPTS).toBe('-Xms1g -Xmx1g');
  });

  test('cert-manager Certificate for the Service, every node and localhost, mounted read-only in the node only', () => {
    const cert = find(s.objects, 'Certificate', 'elasticsearch-tls');
    expect(cert.spec.issuerRef).toEqual({ name: 'shop-ca', kind: 'Issuer', group: 'cert-manager.io' });
    expect(cert.spec.dnsNames).toEqual(
      expect.arrayContaining([
        'elasticsearch.shop.svc.cluster.local',
        'elasticsearch-0.elasticsearch.shop.svc.cluster.local',
        'elasticsearch-2.elasticsearch.shop.svc.cluster.local',
        'localhost',
      ]),
    );
    expect(cert.spec.usages).toEqual(expect.arrayContaining(['server auth', 'client auth']));
    expect(mountsOf(s.node)['/usr/share/elasticsearch/config/certs']).toBe('tls');
    expect(mountsOf(s.prepare)['/usr/share/elasticsearch/config/certs']).toBeUndefined();
    expect(mountsOf(s.exporter)['/usr/share/elasticsearch/config/certs']).toBeUndefined();
    expect(s.pod.volumes.find((v: Doc) => v.name === 'tls').secret.secretName).toBe('elasticsearch-tls');
    expect(envOf(s.node).ES_HEALTH_URL).toBe('https://127.0.0.1:9200/_cluster/health?local=true');
    expect(envOf(s.node).ES_CA_FILE).toBe('/usr/share/elasticsearch/config/certs/ca.crt');
    expect(s.exporter.args).toEqual(expect.arrayContaining(['--es.uri=https://127.0.0.1:9200', '--es.ssl-skip-verify']));
  });

  test('PDB maxUnavailable 1, zone spread, anti-affinity, parallel start, retained PVCs', () => {
    expect(s.sts.spec.replicas).toBe(3);
    expect(s.sts.spec.podManagementPolicy).toBe('Parallel');
    expect(find(s.objects, 'PodDisruptionBudget', 'elasticsearch').spec.maxUnavailable).toBe(1);
    expect(s.pod.topologySpreadConstraints[0]).toMatchObject({
      topologyKey: 'topology.kubernetes.io/zone',
      whenUnsatisfiable: 'DoNotSchedule',
    });
    expect(s.pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
    expect(s.sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    expect(find(s.objects, 'Service', 'elasticsearch').spec.publishNotReadyAddresses).toBe(true);
  });

  test('IRSA: a ServiceAccount with the role annotation and no API token, the token link, no static keys', () => {
    const sa = find(s.objects, 'ServiceAccount', 'elasticsearch');
    expect(sa.metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': ROLE });
    expect(sa.automountServiceAccountToken).toBe(false);
    expect(s.pod.serviceAccountName).toBe('elasticsearch');
    expect(envOf(s.prepare).S3_WEB_IDENTITY).toBe('true');
    expect(envOf(s.prepare)).not.toHaveProperty('S3_ACCESS_KEY');
    expectRestrictedPods(s.objects, 1);
    expectNoSecretValues(s.objects);
  });

  test('clients: https url, CA Secret, clientEnv with the CA; the graph lets only chosen clients in', () => {
    expect(s.es.url).toBe('https://elasticsearch.shop.svc.cluster.local:9200');
    expect(s.es.caSecretName).toBe('elasticsearch-tls');
    expect(
      s.es.clientEnv({ username: 'kibana_system', password: { secret: 'kibana', key: 'password' } }, { prefix: 'ELASTICSEARCH' }),
    ).toEqual({
      env: { ELASTICSEARCH_URL: s.es.url, ELASTICSEARCH_USERNAME: 'kibana_system' },
      secretEnv: {
        ELASTICSEARCH_PASSWORD: { secret: 'kibana', key: 'password' },
        ELASTICSEARCH_CA_PEM: { secret: 'elasticsearch-tls', key: 'ca.crt' },
      },
    });

    const chart = Testing.chart();
    const es = new ElasticsearchCluster(chart, 'es', PROD);
    const graph = new ServiceGraph(chart, 'graph', { namespace: 'shop', externals: { prometheus: { namespace: 'monitoring' } } });
    graph.addComponent({ name: 'kibana', podLabels: { 'app.kubernetes.io/name': 'kibana' }, ports: {} });
    graph.addComponent({ name: 'shop-api', podLabels: { 'app.kubernetes.io/name': 'shop-api' }, ports: {} });
    es.addToGraph(graph);
    es.allowClient(graph, 'kibana');
    const setup = new SearchSetup(chart, 'setup', {
      namespace: 'shop',
      partOf: 'shop',
      elasticsearch: es.searchEndpoint(),
      username: 'elastic',
      password,
      caSecret: es.caSecretName,
      // Daily snapshots kept 30 days, through the S3 client this cluster configures.
      steps: logStorageSteps({
        streams: ['logs-shop'],
        retentionDays: 7,
        replicas: 1,
        snapshots: { bucket: 'shop-es-snapshots', basePath: 'elasticsearch', retentionDays: 30 },
      }),
      image: 'curlimages/curl:8.11.1',
      resources: { cpuRequest: '10m', memoryRequest: '32Mi', memoryLimit: '64Mi' },
    });
    setup.addTo(graph);
    const objects: Doc[] = Testing.synth(chart);
    const repository = JSON.parse(find(objects, 'ConfigMap', setup.configMap.name).data['snapshot-repository.log-snapshots.json']) as {
      settings: { client: string };
    };
    expect(s.settings[`s3.client.${repository.settings.client}.region`]).toBe('eu-west-1');
    expect(policySources(objects, 'elasticsearch')).toEqual(['elasticsearch', 'kibana', 'ns:monitoring', 'search-setup']);
    // The nodes reach Amazon S3 over HTTPS, for snapshots.
    expect(policyDestinations(objects, 'elasticsearch')).toEqual(expect.arrayContaining([expect.stringMatching(/^0\.0\.0\.0\/0:443$/)]));
    expect(policySources(objects, 'elasticsearch')).not.toContain('shop-api');
  });
});

describe('ElasticsearchCluster: bad props throw naming the field, the value and what is allowed', () => {
  const build = (over: Partial<ElasticsearchClusterProps>) => () => new ElasticsearchCluster(Testing.chart(), 'es', { ...PROD, ...over });

  test('an even node count', () => {
    expect(build({ nodes: 2 })).toThrow("ElasticsearchCluster 'elasticsearch': nodes 2; expected 1, 3, 5 or 7");
    expect(build({ nodes: 4 })).toThrow('nodes 4; expected 1, 3, 5 or 7');
  });

  test('a heap over half the memory limit, or not a JVM size', () => {
    expect(build({ heap: '1025m' })).toThrow("heap '1025m' is more than half of resources.memoryLimit '2Gi'; expected at most 1024m");
    expect(build({ heap: '2g' })).toThrow("heap '2g' is more than half");
    expect(build({ heap: '1G' })).toThrow("heap '1G'; expected a JVM heap size in m or g");
    expect(build({ heap: '1g' })).not.toThrow();
  });

  test('several nodes without TLS', () => {
    expect(build({ security: { elasticPassword: password } })).toThrow(
      'nodes 3 without security.tls; expected security.tls { issuer, secretName } (Elasticsearch requires transport TLS',
    );
    expect(build({ nodes: 1, security: { elasticPassword: password } })).not.toThrow();
  });

  test('an unpinned image', () => {
    expect(build({ image: 'docker.elastic.co/elasticsearch/elasticsearch:latest' })).toThrow(
      "image 'docker.elastic.co/elasticsearch/elasticsearch:latest'; expected an image reference pinned to a version",
    );
    expect(build({ image: 'docker.elastic.co/elasticsearch/elasticsearch' })).toThrow('expected an image reference pinned');
    expect(build({ exporter: { ...PROD.exporter!, image: 'quay.io/prometheuscommunity/elasticsearch-exporter:latest' } })).toThrow(
      "exporter.image 'quay.io/prometheuscommunity/elasticsearch-exporter:latest'",
    );
  });

  test('a bad cluster name', () => {
    expect(build({ clusterName: 'Ecommerce Prod' })).toThrow(
      "clusterName 'Ecommerce Prod'; expected a cluster name of 1-64 lowercase letters",
    );
    expect(build({ clusterName: 'remote:cluster' })).toThrow("clusterName 'remote:cluster'");
  });

  test('a bad password reference or TLS issuer', () => {
    expect(build({ security: { ...PROD.security, elasticPassword: { secret: 'Bad_Secret', key: 'p' } } })).toThrow(
      "security.elasticPassword.secret 'Bad_Secret'",
    );
    expect(build({ security: { elasticPassword: password, tls: { issuer: { name: 'ca' }, secretName: 'TLS!' } } })).toThrow(
      "security.tls.secretName 'TLS!'",
    );
  });

  test('an object store with neither static keys nor IRSA', () => {
    const anonymous: ObjectStorage = {
      region: 'eu-west-1',
      endpoint: amazonS3.endpoint,
      target: (location) => amazonS3.target(location),
      clientEnv: () => ({ env: {}, secretEnv: {} }),
      serviceAccountAnnotations: () => ({}),
      allowAccess: (graph, from) => amazonS3.allowAccess(graph, from),
    };
    expect(build({ objectStorage: anonymous })).toThrow('objectStorage gives neither static keys');
  });

  test('StatefulStore: a remount of a path the main container does not mount', () => {
    // Exercised through the store directly: ElasticsearchCluster always remounts its config directory.
    expect(
      () =>
        new StatefulStore(Testing.chart(), 'store', {
          namespace: 'shop',
          name: 'store',
          partOf: 'shop',
          component: 'database',
          ports: { db: 5000 },
          runAs: { user: 1000 },
          dataPath: '/data',
          storage: { size: '1Gi', storageClassName: 'standard' },
          container: { image: IMAGE, runAs: { user: 1000 }, resources: DEV.resources },
          initContainers: [{ name: 'init', command: ['true'], remount: { '/nowhere': '/mnt/x' } }],
        }),
    ).toThrow("init container 'init' remount '/nowhere'; expected a mount path of the main container: /data, /tmp");
  });
});
