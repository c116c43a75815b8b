import * as net from 'net';
import { ApiError } from '../../cli/cluster';
import { KubeObject } from '../../cli/objects';
import { apiBasePath, RestCluster } from '../../cli/rest-client';
import { FakeCluster } from './support/fake-cluster';
import { FakeApiServer, startFakeApiServer } from './support/fake-api-server';

let fake: FakeCluster;
let server: FakeApiServer;
let client: RestCluster;

beforeEach(async () => {
  fake = new FakeCluster({ namespaces: ['default', 'wondernest'] });
  server = await startFakeApiServer(fake, { token: 's3cret', pageSize: 2 });
  client = new RestCluster(
    { server: server.url, requestOptions: async () => ({ headers: { Authorization: 'Bearer s3cret' } }) },
    'context test',
  );
});

afterEach(() => server.close());

const configMap: KubeObject = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'api-config', namespace: 'wondernest' },
  data: { LOG_LEVEL: 'info' },
};

describe('RestCluster', () => {
  test('apiBasePath: core and named groups', () => {
    expect(apiBasePath('v1')).toBe('/api/v1');
    expect(apiBasePath('apps/v1')).toBe('/apis/apps/v1');
  });

  test('server-side apply: PATCH with the apply content type, field manager, force and dry run', async () => {
    await client.apply(configMap, { dryRun: true, fieldManager: 'backends-cli', force: true });
    const patch = server.requests.find((r) => r.method === 'PATCH')!;
    expect(patch).toEqual({
      method: 'PATCH',
      path: '/api/v1/namespaces/wondernest/configmaps/api-config',
      query: { fieldManager: 'backends-cli', force: 'true', dryRun: 'All' },
      contentType: 'application/apply-patch+yaml',
      authorization: 'Bearer s3cret',
      body: configMap,
    });
    expect(await client.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'api-config', namespace: 'wondernest' })).toBeUndefined();
  });

  test('apply persists without dryRun and without force when not asked; the server answer is returned as JSON', async () => {
    const live = await client.apply(configMap, { dryRun: false, fieldManager: 'ci', force: false });
    expect(server.requests.find((r) => r.method === 'PATCH')!.query).toEqual({ fieldManager: 'ci' });
    expect(live.metadata.uid).toBeDefined();
    expect(typeof live.metadata.creationTimestamp).toBe('string');
    expect((await client.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'api-config', namespace: 'wondernest' }))!.data).toEqual({
      LOG_LEVEL: 'info',
    });
  });

  test('cluster-scoped kinds are sent without metadata.namespace (cdk8s writes one on Namespace objects)', async () => {
    await client.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', namespace: 'shop' } },
      { dryRun: false, fieldManager: 'm', force: true },
    );
    const patch = server.requests.find((r) => r.method === 'PATCH')!;
    expect(patch.path).toBe('/api/v1/namespaces/shop');
    expect(patch.body?.metadata).toEqual({ name: 'shop' });
  });

  test('discovery: served kinds, subresources ignored, unknown groups undefined, results cached', async () => {
    expect(await client.resourceInfo('apps/v1', 'StatefulSet')).toEqual({ name: 'statefulsets', namespaced: true });
    expect(await client.resourceInfo('cert-manager.io/v1', 'ClusterIssuer')).toEqual({ name: 'clusterissuers', namespaced: false });
    expect(await client.resourceInfo('example.com/v1', 'Widget')).toBeUndefined();
    expect(await client.resourceInfo('apps/v1', 'Nope')).toBeUndefined();
    const discoveries = server.requests.filter((r) => r.path === '/apis/apps/v1').length;
    expect(discoveries).toBe(1);
    client.refreshDiscovery();
    await client.resourceInfo('apps/v1', 'Deployment');
    expect(server.requests.filter((r) => r.path === '/apis/apps/v1').length).toBe(2);
  });

  test('apply of a kind the cluster does not serve says which CRD is missing', async () => {
    const widget: KubeObject = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'wondernest' } };
    await expect(client.apply(widget, { dryRun: false, fieldManager: 'm', force: true })).rejects.toThrow(
      'the cluster does not serve example.com/v1 Widget (is the CustomResourceDefinition or the operator that provides it installed?)',
    );
  });

  test('a namespaced object without a namespace is refused before sending', async () => {
    await expect(
      client.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }, { dryRun: false, fieldManager: 'm', force: true }),
    ).rejects.toThrow('v1 ConfigMap x is namespaced but has no metadata.namespace');
  });

  test('API errors carry the Status reason, message and causes', async () => {
    const error = await client
      .apply({ ...configMap, metadata: { name: 'api-config', namespace: 'missing' } }, { dryRun: false, fieldManager: 'm', force: true })
      .catch((e) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect([error.status, error.reason, error.message]).toEqual([404, 'NotFound', 'namespaces "missing" not found']);
  });

  test('get: 404 is undefined; list: follows continue tokens and fills in apiVersion and kind', async () => {
    expect(await client.get({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'api', namespace: 'wondernest' })).toBeUndefined();
    for (const name of ['a', 'b', 'c', 'd', 'e']) {
      fake.add({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'wondernest' }, status: { phase: 'Running' } });
    }
    fake.add({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'elsewhere', namespace: 'default' } });
    const pods = await client.list('v1', 'Pod', 'wondernest');
    expect(pods.map((p) => [p.apiVersion, p.kind, p.metadata.name])).toEqual([
      ['v1', 'Pod', 'a'],
      ['v1', 'Pod', 'b'],
      ['v1', 'Pod', 'c'],
      ['v1', 'Pod', 'd'],
      ['v1', 'Pod', 'e'],
    ]);
    expect(server.requests.filter((r) => r.path === '/api/v1/namespaces/wondernest/pods').map((r) => r.query.continue)).toEqual([
      undefined,
      '2',
      '4',
    ]);
  });

  test('a rejected token is an Unauthorized ApiError', async () => {
    const anonymous = new RestCluster({ server: server.url, requestOptions: async () => ({}) }, 'context anon');
    await expect(anonymous.get({ apiVersion: 'v1', kind: 'Namespace', name: 'default' })).rejects.toMatchObject({ status: 401 });
  });

  test('an unreachable server is an ApiError with status 0 naming the context', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = net.createServer();
      s.listen(0, '127.0.0.1', () => {
        const { port } = s.address() as net.AddressInfo;
        s.close(() => resolve(port));
      });
    });
    const dead = new RestCluster({ server: `http://127.0.0.1:${closed}`, requestOptions: async () => ({}) }, 'context kind-backends-dev');
    const error = await dead.resourceInfo('v1', 'Namespace').catch((e) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(0);
    expect(error.message).toMatch(
      /^cannot reach the API server of context kind-backends-dev: connect ECONNREFUSED 127\.0\.0\.1:\d+ \(is the cluster running and the kubeconfig current\?\)$/,
    );
  });
});
