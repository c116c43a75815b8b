/**
 * A FakeCluster behind the Kubernetes REST API on 127.0.0.1: discovery documents, server-side
 * apply (PATCH application/apply-patch+yaml with fieldManager/force/dryRun), get, and paginated
 * lists, with Status objects for errors. Records every request so tests can check its shape.
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import { ApiError } from '../../../cli/cluster';
import { KubeObject } from '../../../cli/objects';
import { FakeCluster } from './fake-cluster';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType?: string;
  authorization?: string;
  /** The JSON body: the object for server-side apply. */
  body?: KubeObject;
}

export interface FakeApiServer {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

function status(code: number, reason: string, message: string, causes: unknown[] = []): object {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
    ...(causes.length ? { details: { causes } } : {}),
  };
}

export async function startFakeApiServer(
  cluster: FakeCluster,
  options: { token?: string; pageSize?: number } = {},
): Promise<FakeApiServer> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const raw = Buffer.concat(chunks).toString('utf8');
      const record: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams.entries()),
        contentType: req.headers['content-type'],
        authorization: req.headers.authorization,
        body: raw ? JSON.parse(raw) : undefined,
      };
      requests.push(record);
      const send = (code: number, body: unknown): void => {
        res.writeHead(code, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (options.token && req.headers.authorization !== `Bearer ${options.token}`) {
        send(401, status(401, 'Unauthorized', 'Unauthorized'));
        return;
      }
      handle(cluster, record, options.pageSize ?? 500).then(
        ([code, body]) => send(code, body),
        (e) => {
          if (e instanceof ApiError) send(e.status || 500, status(e.status || 500, e.reason, e.message, [...e.causes]));
          else send(500, status(500, 'InternalError', String(e)));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function handle(cluster: FakeCluster, req: RecordedRequest, pageSize: number): Promise<[number, unknown]> {
  const m = /^\/(?:api\/(v1)|apis\/([^/]+\/[^/]+))(\/.*)?$/.exec(req.path);
  if (!m) return [404, status(404, 'NotFound', 'the server could not find the requested resource')];
  const apiVersion = m[1] ?? m[2];
  const rest = (m[3] ?? '').split('/').filter(Boolean);
  const served = cluster.resources.filter((r) => r.apiVersion === apiVersion);
  if (rest.length === 0) {
    if (served.length === 0) return [404, status(404, 'NotFound', 'the server could not find the requested resource')];
    return [
      200,
      {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: apiVersion,
        resources: served.flatMap((r) => [
          {
            name: r.name,
            singularName: r.kind.toLowerCase(),
            namespaced: r.namespaced,
            kind: r.kind,
            verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
          },
          { name: `${r.name}/status`, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: ['get', 'patch', 'update'] },
        ]),
      },
    ];
  }
  let namespace: string | undefined;
  let parts = rest;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    parts = rest.slice(2);
  }
  const [plural, name] = parts;
  const resource = served.find((r) => r.name === plural);
  if (!resource) return [404, status(404, 'NotFound', 'the server could not find the requested resource')];
  if (req.method === 'PATCH') {
    if (req.contentType !== 'application/apply-patch+yaml')
      return [415, status(415, 'UnsupportedMediaType', `unsupported content type ${req.contentType}`)];
    if (!req.query.fieldManager)
      return [
        400,
        status(400, 'BadRequest', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch'),
      ];
    const body = req.body;
    if (!body) return [400, status(400, 'BadRequest', 'an apply patch needs the object as its body')];
    if (body.metadata?.name !== name || (resource.namespaced && body.metadata?.namespace !== namespace)) {
      return [400, status(400, 'BadRequest', 'the name or namespace of the object does not match the URL')];
    }
    if (!resource.namespaced && body.metadata?.namespace)
      return [400, status(400, 'BadRequest', 'a cluster-scoped object was sent with a namespace')];
    const out = await cluster.apply(body, {
      dryRun: req.query.dryRun === 'All',
      fieldManager: req.query.fieldManager,
      force: req.query.force === 'true',
    });
    return [200, out];
  }
  if (req.method !== 'GET') return [405, status(405, 'MethodNotAllowed', `${req.method} is not supported here`)];
  if (name) {
    const obj = await cluster.get({ apiVersion, kind: resource.kind, name, namespace });
    return obj ? [200, obj] : [404, status(404, 'NotFound', `${plural} "${name}" not found`)];
  }
  const all = await cluster.list(apiVersion, resource.kind, namespace);
  const start = Number(req.query.continue ?? 0);
  const limit = Math.min(Number(req.query.limit ?? pageSize), pageSize);
  const page = all.slice(start, start + limit).map(({ apiVersion: _a, kind: _k, ...item }) => item);
  const next = start + limit < all.length ? String(start + limit) : undefined;
  return [
    200,
    { kind: `${resource.kind}List`, apiVersion, metadata: { resourceVersion: '1', ...(next ? { continue: next } : {}) }, items: page },
  ];
}
