import { Testing } from 'cdk8s';
import { IMAGES } from '../../config/images';
import { evaluate } from '../../lib/checks/pod-security-check';
import { podTemplates } from '../../lib/checks/pod-specs';
import { ServiceGraph } from '../../lib/constructs/network/service-graph';
import { MinioServer, MinioServerProps, S3CompatibleStorage } from '../../lib/constructs/storage';
import { Doc } from '../support/doc';
import { expectNoSecretValues, expectProbes, expectRestrictedPods } from '../support/stack-assertions';

const resources = { cpuRequest: '100m', memoryRequest: '256Mi', memoryLimit: '512Mi' };
const rootCredentials = {
  user: { secret: 'minio-root', key: 'MINIO_ROOT_USER' },
  password: { secret: 'minio-root', key: 'MINIO_ROOT_PASSWORD' },
};
const base: MinioServerProps = {
  namespace: 'shop',
  partOf: 'shop',
  image: IMAGES.minio,
  rootCredentials,
  resources,
  storage: { size: '10Gi', storageClassName: 'standard' },
  release: 'kube-prometheus-stack',
};

function synth(over: Partial<MinioServerProps> = {}) {
  const chart = Testing.chart();
  const minio = new MinioServer(chart, 'minio', { ...base, ...over });
  const objects = Testing.synth(chart);
  const of = (kind: string) => objects.filter((o) => o.kind === kind);
  const sts = of('StatefulSet')[0];
  return {
    chart,
    minio,
    objects,
    sts,
    container: sts.spec.template.spec.containers[0],
    svc: of('Service')[0],
    monitor: of('ServiceMonitor')[0],
  };
}

/** Pod Security Standards `restricted` as the manifest checks evaluate it (lib/checks), for every pod template. */
function expectPssRestricted(objects: Doc[]): void {
  const templates = podTemplates(objects.map((object, index) => ({ env: 'test', file: 'test.yaml', index, object })));
  expect(templates.length).toBeGreaterThan(0);
  for (const t of templates) expect([t.owner.object.metadata?.name, evaluate(t)]).toEqual([t.owner.object.metadata?.name, []]);
}

const envOf = (c: Doc): Record<string, unknown> => Object.fromEntries(c.env.map((e: Doc) => [e.name, e.value ?? e.valueFrom]));

describe('MinioServer', () => {
  test('snapshot (dev: with console)', () => {
    expect(synth({ console: true, environment: 'development' }).objects).toMatchSnapshot();
  });

  test('the pinned image is the last public MinIO release, from quay.io', () => {
    expect(IMAGES.minio).toBe('quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z');
    expect(synth().container.image).toBe(IMAGES.minio);
  });

  test('a restricted StatefulSet: Pod Security restricted (lib/checks and the stack assertions), probes, no secret values', () => {
    const { objects, sts } = synth({ console: true, environment: 'development' });
    expectRestrictedPods(objects, 1);
    expectPssRestricted(objects);
    expectProbes(objects);
    expectNoSecretValues(objects);
    expect(sts.spec.template.spec.securityContext).toMatchObject({ runAsUser: 1000, runAsNonRoot: true, fsGroup: 1000 });
    expect(JSON.stringify(objects)).not.toMatch(/minioadmin|minio_password/);
  });

  test('root credentials from the Secret; metrics public; console off by default', () => {
    const { container } = synth();
    expect(envOf(container)).toEqual({
      HOME: '/home/minio',
      MINIO_BROWSER: 'off',
      MINIO_PROMETHEUS_AUTH_TYPE: 'public',
      MINIO_ROOT_USER: { secretKeyRef: { name: 'minio-root', key: 'MINIO_ROOT_USER' } },
      MINIO_ROOT_PASSWORD: { secretKeyRef: { name: 'minio-root', key: 'MINIO_ROOT_PASSWORD' } },
    });
    expect(container.command).toEqual(['minio']);
    expect(container.args).toEqual(['server', '/data', '--address', ':9000']);
  });

  test('API port 9000 only by default; the console (9001) when asked for in development', () => {
    const prod = synth();
    expect(prod.svc.spec.ports.map((p: Doc) => [p.name, p.port])).toEqual([['api', 9000]]);
    expect(prod.minio.ports).toEqual({ api: 9000 });
    expect(prod.minio.consoleEnabled).toBe(false);
    const dev = synth({ console: true, environment: 'development' });
    expect(dev.svc.spec.ports.map((p: Doc) => [p.name, p.port])).toEqual([
      ['api', 9000],
      ['console', 9001],
    ]);
    expect(dev.container.args).toEqual(['server', '/data', '--address', ':9000', '--console-address', ':9001']);
    expect(envOf(dev.container).MINIO_BROWSER).toBe('on');
  });

  test('probes on the health endpoints of the API port', () => {
    const { container } = synth();
    expect(container.readinessProbe.httpGet).toEqual({ path: '/minio/health/ready', port: 'api' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/minio/health/live', port: 'api' });
    expect(container.startupProbe.httpGet).toEqual({ path: '/minio/health/live', port: 'api' });
  });

  test('data on the retained PVC; read-only root with writable /tmp and HOME', () => {
    const { sts, container } = synth();
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('10Gi');
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(container.volumeMounts.map((m: Doc) => m.mountPath)).toEqual(['/data', '/tmp', '/home/minio']);
    expect(sts.spec.replicas).toBe(1);
    expect(container.resources).toEqual({ requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } });
  });

  test('metrics from the server itself on the API port, scraped by a ServiceMonitor with the release label', () => {
    const { monitor, minio } = synth();
    expect(monitor.metadata.labels.release).toBe('kube-prometheus-stack');
    expect(monitor.spec.endpoints).toEqual([{ port: 'api', path: '/minio/v2/metrics/cluster', interval: '30s', scrapeTimeout: '10s' }]);
    expect(minio.metricsPorts).toEqual(['api']);
  });

  test('an S3-compatible server: storage on its API port, reached only there (not on the console)', () => {
    const { chart, minio } = synth({ console: true, environment: 'development' });
    const storage = minio.storage();
    expect(storage).toBeInstanceOf(S3CompatibleStorage);
    expect(storage.endpointUrl).toBe('http://minio.shop.svc.cluster.local:9000');
    expect(storage.credentials).toEqual({ accessKeyId: rootCredentials.user, secretAccessKey: rootCredentials.password });
    expect(new S3CompatibleStorage({ server: minio, port: minio.s3Port, credentials: storage.credentials }).endpointUrl).toBe(
      storage.endpointUrl,
    );
    const graph = new ServiceGraph(chart, 'graph', { namespace: 'shop', externals: { prometheus: { namespace: 'monitoring' } } });
    graph.addComponent(minio);
    graph.addComponent({ name: 'app', podLabels: { app: 'app' }, ports: {} });
    storage.allowAccess(graph, 'app');
    expect(graph.flows).toEqual([
      { from: 'app', to: 'minio', port: 9000, protocol: 'TCP' },
      { from: 'prometheus', to: 'minio', port: 9000, protocol: 'TCP' },
    ]);
  });

  test.each<[string, Partial<MinioServerProps>, string]>([
    [
      'a console in production',
      { console: true },
      "MinioServer 'minio': console true with environment 'production'; expected console false in production (the web console is a development tool: it logs in with the root credentials), or environment 'development'",
    ],
    [
      'a console with environment production, explicitly',
      { console: true, environment: 'production' },
      "MinioServer 'minio': console true with environment 'production'; expected console false in production",
    ],
    [
      'an unknown environment',
      { environment: 'staging' as never },
      "MinioServer 'minio': environment 'staging'; expected 'development' or 'production'",
    ],
    [
      'an unpinned image',
      { image: 'quay.io/minio/minio:latest' },
      "MinioServer 'minio': image 'quay.io/minio/minio:latest'; expected an image reference pinned",
    ],
    ['a bad name', { name: 'MinIO' }, "MinioServer 'MinIO': name 'MinIO'; expected a DNS-1035 label"],
    [
      'a password without a Secret name',
      { rootCredentials: { user: rootCredentials.user, password: { secret: '', key: 'P' } } },
      "MinioServer 'minio': rootCredentials.password.secret ''; expected a DNS-1123 subdomain",
    ],
    [
      'a missing user',
      { rootCredentials: { password: rootCredentials.password } as never },
      "MinioServer 'minio': rootCredentials.user is missing; expected a Secret key reference { secret, key }",
    ],
  ])('refuses %s', (_what, over, message) => {
    expect(() => synth(over)).toThrow(message);
  });
});
