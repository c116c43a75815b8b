import { Testing } from 'cdk8s';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IServicePort } from 'kubernetes-models/v1/ServicePort';
import type { ITopologySpreadConstraint } from 'kubernetes-models/v1/TopologySpreadConstraint';
import { StatefulStore, StatefulStoreProps } from '../../lib/constructs/data/stateful-store';

const resources = { cpuRequest: '100m', memoryRequest: '256Mi', memoryLimit: '512Mi' };
const base: StatefulStoreProps = {
  namespace: 'shop',
  name: 'search',
  partOf: 'shop',
  component: 'search',
  ports: { http: 9200, transport: 9300 },
  clientPort: 'http',
  runAs: { user: 1000 },
  container: {
    image: 'elasticsearch:8.15.3',
    runAs: { user: 1000 },
    resources,
    readiness: { httpGet: { path: '/_cluster/health', port: 'http' } },
  },
  dataPath: '/usr/share/elasticsearch/data',
  storage: { size: '10Gi', storageClassName: 'standard' },
};

function synth(over: Partial<StatefulStoreProps> = {}) {
  const chart = Testing.chart();
  const store = new StatefulStore(chart, 'store', { ...base, ...over });
  const objects = Testing.synth(chart);
  const of = (kind: string) => objects.filter((o) => o.kind === kind);
  return {
    store,
    objects,
    sts: of('StatefulSet')[0],
    svc: of('Service')[0],
    pdb: of('PodDisruptionBudget')[0],
    monitor: of('ServiceMonitor')[0],
  };
}

describe('StatefulStore', () => {
  test('configs: a directory mount by default, one subPath mount per file with asFiles', () => {
    const { sts, objects } = synth({
      configs: [
        { suffix: 'conf', mountPath: '/etc/search', files: { 'a.yml': 'a: 1' } },
        { suffix: 'extra', mountPath: '/usr/share/app', asFiles: true, files: { 'x.py': 'X = 1', 'y.json': '{}' } },
      ],
    });
    const mounts = sts.spec.template.spec.containers[0].volumeMounts;
    expect(mounts).toContainEqual({ name: 'conf', mountPath: '/etc/search', readOnly: true });
    expect(mounts).toContainEqual({ name: 'extra', mountPath: '/usr/share/app/x.py', subPath: 'x.py', readOnly: true });
    expect(mounts).toContainEqual({ name: 'extra', mountPath: '/usr/share/app/y.json', subPath: 'y.json', readOnly: true });
    expect(mounts.filter((m: { mountPath: string }) => m.mountPath === '/usr/share/app')).toEqual([]);
    expect(objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'search-extra').data).toEqual({
      'x.py': 'X = 1',
      'y.json': '{}',
    });
  });

  test('one replica: no PDB, no anti-affinity, ready-only peer publishing, claim data-<name>-0', () => {
    const { store, sts, svc, pdb } = synth();
    expect(sts.spec.replicas).toBe(1);
    expect(sts.spec.podManagementPolicy).toBe('OrderedReady');
    expect(sts.spec.template.spec.affinity).toBeUndefined();
    expect(svc.spec.publishNotReadyAddresses).toBeUndefined();
    expect(pdb).toBeUndefined();
    expect(store.disruptionBudget).toBeUndefined();
    expect(store.dataClaimNames).toEqual(['data-search-0']);
    expect(store.dataClaimName(0)).toBe('data-search-0');
    expect(store.peerHosts).toEqual(['search-0.search.shop.svc.cluster.local']);
  });

  test("several named ports: on the container and the headless Service; the client port is the store's port", () => {
    const { store, sts, svc } = synth();
    expect(sts.spec.template.spec.containers[0].ports).toEqual([
      { name: 'http', containerPort: 9200, protocol: 'TCP' },
      { name: 'transport', containerPort: 9300, protocol: 'TCP' },
    ]);
    expect(svc.spec.clusterIP).toBe('None');
    expect(svc.spec.ports.map((p: IServicePort) => [p.name, p.port, p.targetPort])).toEqual([
      ['http', 9200, 'http'],
      ['transport', 9300, 'transport'],
    ]);
    expect([store.port, store.clientPort, store.host]).toEqual([9200, 'http', 'search.shop.svc.cluster.local']);
    expect(store.ports).toEqual({ http: 9200, transport: 9300 });
  });

  test('three replicas: peers published before ready, stable peer names, one claim each, PDB maxUnavailable 1, preferred anti-affinity', () => {
    const { store, sts, svc, pdb } = synth({ replicas: 3, podManagementPolicy: 'Parallel' });
    expect(sts.spec.replicas).toBe(3);
    expect(sts.spec.podManagementPolicy).toBe('Parallel');
    expect(svc.spec.publishNotReadyAddresses).toBe(true);
    expect(store.peerHosts).toEqual([0, 1, 2].map((i) => `search-${i}.search.shop.svc.cluster.local`));
    expect(store.dataClaimNames).toEqual(['data-search-0', 'data-search-1', 'data-search-2']);
    expect(store.dataClaimName(2)).toBe('data-search-2');
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: store.podLabels } });
    expect(sts.spec.template.spec.affinity).toEqual({
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: store.podLabels } } },
        ],
      },
    });
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
  });

  test('required anti-affinity and zone spread when asked; none turns anti-affinity off', () => {
    const spec = synth({ replicas: 3, podAntiAffinity: 'required', spreadAcrossZones: true }).sts.spec.template.spec;
    expect(spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual([
      {
        topologyKey: 'kubernetes.io/hostname',
        labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'search', 'app.kubernetes.io/instance': 'shop' } },
      },
    ]);
    expect(spec.topologySpreadConstraints.map((c: ITopologySpreadConstraint) => [c.topologyKey, c.whenUnsatisfiable])).toEqual([
      ['topology.kubernetes.io/zone', 'DoNotSchedule'],
      ['kubernetes.io/hostname', 'ScheduleAnyway'],
    ]);
    expect(synth({ replicas: 3, podAntiAffinity: 'none' }).sts.spec.template.spec.affinity).toBeUndefined();
  });

  test('metrics from the main container: ServiceMonitor on its port and path, scraped port in the graph', () => {
    const { store, monitor, sts } = synth({ metrics: { port: 'http', path: '/_prometheus/metrics' }, release: 'kps' });
    expect(monitor.spec.endpoints).toEqual([{ port: 'http', path: '/_prometheus/metrics', interval: '30s', scrapeTimeout: '10s' }]);
    expect(monitor.metadata.labels.release).toBe('kps');
    expect(store.metricsPorts).toEqual(['http']);
    expect(sts.spec.template.spec.containers).toHaveLength(1);
  });

  test('metrics from an exporter sidecar: its port is the Service port `metrics`', () => {
    const exporter = {
      image: 'quay.io/prometheuscommunity/elasticsearch-exporter:v1.8.0',
      port: 9114,
      runAs: { user: 65534 },
      resources,
      env: { ES_URI: 'http://127.0.0.1:9200' },
    };
    const { store, monitor, sts, svc } = synth({ exporter, release: 'kps' });
    expect(monitor.spec.endpoints).toEqual([{ port: 'metrics', path: '/metrics', interval: '30s', scrapeTimeout: '10s' }]);
    expect(store.metricsPorts).toEqual(['metrics']);
    expect(store.ports).toEqual({ http: 9200, transport: 9300, metrics: 9114 });
    expect(svc.spec.ports.map((p: IServicePort) => p.name)).toEqual(['http', 'transport', 'metrics']);
    expect(sts.spec.template.spec.containers.map((c: IContainer) => c.name)).toEqual(['search', 'exporter']);
  });

  test("init containers: restricted, the store's image, user and resources by default, with the main container's mounts", () => {
    const { sts } = synth({
      container: { ...base.container, writablePaths: [{ path: '/usr/share/elasticsearch/config/keystore' }] },
      initContainers: [
        {
          name: 'keystore',
          command: ['sh', '-c', 'elasticsearch-keystore create'],
          secretEnv: { PASSWORD: { secret: 'es', key: 'PASSWORD' } },
        },
        {
          name: 'probe',
          image: 'busybox:1.36.1',
          runAs: { user: 2000 },
          command: ['true'],
          resources: { cpuRequest: '10m', memoryRequest: '16Mi', memoryLimit: '32Mi' },
        },
      ],
    });
    const spec = sts.spec.template.spec;
    const [keystore, probe] = spec.initContainers;
    expect([keystore.name, keystore.image, keystore.securityContext.runAsUser, keystore.resources.limits.memory]).toEqual([
      'keystore',
      'elasticsearch:8.15.3',
      1000,
      '512Mi',
    ]);
    expect([probe.image, probe.securityContext.runAsUser, probe.resources.limits.memory]).toEqual(['busybox:1.36.1', 2000, '32Mi']);
    for (const c of spec.initContainers) {
      expect(c.securityContext).toMatchObject({
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
      expect(c.volumeMounts).toEqual(spec.containers[0].volumeMounts);
      expect(c.readinessProbe).toBeUndefined();
    }
    expect(keystore.env).toEqual([{ name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'es', key: 'PASSWORD' } } }]);
  });

  test('an ordinal outside the replicas has no claim', () => {
    expect(() => synth({ replicas: 2 }).store.dataClaimName(2)).toThrow(
      "StatefulStore 'search': ordinal 2; expected an integer from 0 to 1 (replicas: 2)",
    );
  });

  const exporter = { image: 'x/exporter:1.0.0', port: 9114, runAs: { user: 65534 }, resources };
  test.each([
    ['a name that cannot name a Service', { name: '1search' }, "StatefulStore '1search': name '1search'; expected a DNS-1035 label"],
    ['zero replicas', { replicas: 0 }, "StatefulStore 'search': replicas 0; expected an integer >= 1"],
    ['fractional replicas', { replicas: 1.5 }, 'replicas 1.5; expected an integer >= 1'],
    [
      'an unknown pod management policy',
      { podManagementPolicy: 'Random' },
      "podManagementPolicy 'Random'; expected 'OrderedReady' or 'Parallel'",
    ],
    [
      'an unknown anti-affinity',
      { podAntiAffinity: 'sometimes' },
      "podAntiAffinity 'sometimes'; expected 'required', 'preferred' or 'none'",
    ],
    ['no ports', { ports: {} }, 'ports is empty; expected at least the client port'],
    [
      'a port name that is not an IANA name',
      { ports: { http: 9200, Transport_Port: 9300 } },
      "port name 'Transport_Port'; expected a port name (1-15 lowercase letters",
    ],
    [
      'a port number out of range',
      { ports: { http: 9200, transport: 70000 } },
      'ports.transport 70000; expected an integer between 1 and 65535',
    ],
    ['port number 0', { ports: { http: 0 }, clientPort: undefined }, 'ports.http 0; expected an integer between 1 and 65535'],
    [
      'a port number used twice',
      { ports: { http: 9200, transport: 9200 } },
      "ports.transport 9200 is also port 'http'; expected each port number once",
    ],
    [
      'an exporter on a port of the store',
      { exporter: { ...exporter, port: 9300 }, release: 'kps' },
      "exporter.port 9300 is also port 'transport'",
    ],
    [
      'an exporter with a port named metrics',
      { ports: { http: 9200, metrics: 9114 }, exporter: { ...exporter, port: 9115 }, release: 'kps' },
      "ports has 'metrics', the exporter's port name",
    ],
    ['several ports without a client port', { clientPort: undefined }, 'clientPort is missing with several ports (http, transport)'],
    ['a client port that is not a port', { clientPort: 'https' }, "clientPort 'https'; expected one of ports: http, transport"],
    [
      'metrics on an unknown port',
      { metrics: { port: 'metrics' }, release: 'kps' },
      "metrics.port 'metrics'; expected one of ports: http, transport",
    ],
    [
      'a relative metrics path',
      { metrics: { port: 'http', path: 'metrics' }, release: 'kps' },
      "metrics.path 'metrics'; expected an absolute URL path",
    ],
    [
      'metrics and an exporter',
      { metrics: { port: 'http' }, exporter, release: 'kps' },
      'metrics and exporter are both set; expected one source of metrics',
    ],
    ['metrics without release', { metrics: { port: 'http' } }, 'metrics is set but release is missing'],
    ['an exporter without release', { exporter }, 'exporter is set but release is missing'],
    [
      'an init container named like the store',
      { initContainers: [{ name: 'search', command: ['true'] }] },
      "init container 'search' has the name of another container (search)",
    ],
    [
      'two init containers with one name',
      {
        initContainers: [
          { name: 'a', command: ['true'] },
          { name: 'a', command: ['true'] },
        ],
      },
      "init container 'a' has the name of another container (search, a)",
    ],
    ['an init container without a command', { initContainers: [{ name: 'a', command: [] }] }, "init container 'a' has an empty command"],
    [
      'a storage size that is no quantity',
      { storage: { size: 'ten', storageClassName: 'standard' } },
      "storage.size 'ten'; expected a memory quantity",
    ],
    [
      'a bad storage class',
      { storage: { size: '1Gi', storageClassName: 'Fast SSD' } },
      "storage.storageClassName 'Fast SSD'; expected a DNS-1123 subdomain",
    ],
  ])('rejects %s', (_what, over, message) => {
    expect(() => synth(over as Partial<StatefulStoreProps>)).toThrow(message);
  });
});
