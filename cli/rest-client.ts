/**
 * The Kubernetes REST API over node's http/https: discovery, server-side apply, get and list,
 * with JSON as the server sends it. Authentication (certificates, tokens, exec plugins such as
 * `aws eks get-token`, proxies) comes from the kubeconfig through @kubernetes/client-node, in
 * kube.ts, as request options; this file never imports client-node.
 *
 * Why not client-node's KubernetesObjectApi: it re-serializes objects through its generated
 * models, which drops fields the models do not know and turns timestamps into Dates; apply must
 * send exactly the committed manifest, and diff must compare the server's JSON.
 */
import * as http from 'http';
import * as https from 'https';
import { ApiError, apiErrorFromResponse, ApplyOptions, Cluster, ResourceInfo } from './cluster';
import { describeWithVersion, groupOf, KubeObject, ObjectRef } from './objects';

/** Connection to one API server: its URL and, per request, the options that authenticate it. */
export interface Transport {
  /** API server URL from the kubeconfig (may carry a path prefix, as behind Rancher). */
  server: string;
  /** Agent, TLS material and headers (Authorization...) for the next request. */
  requestOptions(): Promise<https.RequestOptions>;
}

export interface HttpResponse {
  status: number;
  body: unknown;
}

const APPLY_CONTENT_TYPE = 'application/apply-patch+yaml';

/** `/api/v1` or `/apis/<group>/<version>`. */
export function apiBasePath(apiVersion: string): string {
  return groupOf(apiVersion) === '' ? `/api/${apiVersion}` : `/apis/${apiVersion}`;
}

export class RestCluster implements Cluster {
  private discovery = new Map<string, Promise<Map<string, ResourceInfo> | undefined>>();

  constructor(
    private readonly transport: Transport,
    public readonly description: string,
    private readonly requestTimeoutMs = 30_000,
  ) {}

  /** One HTTP request; JSON in and out. Transport failures become ApiError with status 0. */
  async request(
    method: string,
    path: string,
    options: { query?: Record<string, string | undefined>; body?: unknown; contentType?: string } = {},
  ): Promise<HttpResponse> {
    const base = new URL(this.transport.server);
    const url = new URL(base.toString());
    url.pathname = `${base.pathname.replace(/\/+$/, '')}${path}`;
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const opts = await this.transport.requestOptions();
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string | string[] | number> = {
      ...(opts.headers as Record<string, string> | undefined),
      Accept: 'application/json',
      ...(payload !== undefined
        ? { 'Content-Type': options.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(payload) }
        : {}),
    };
    const lib = url.protocol === 'http:' ? http : https;
    return new Promise<HttpResponse>((resolve, reject) => {
      const req = lib.request(url, { ...opts, method, headers, timeout: this.requestTimeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) =>
          reject(new ApiError(0, 'Unreachable', `reading the answer of ${method} ${url.pathname} failed: ${e.message}`)),
        );
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          if (text && /json/.test(String(res.headers['content-type'] ?? ''))) {
            try {
              body = JSON.parse(text);
            } catch {
              body = text;
            }
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.requestTimeoutMs / 1000}s`)));
      req.on('error', (e: NodeJS.ErrnoException) => {
        const detail = e.code && !e.message.includes(e.code) ? `${e.code}: ${e.message}` : e.message;
        reject(
          new ApiError(
            0,
            'Unreachable',
            `cannot reach the API server of ${this.description}: ${detail} (is the cluster running and the kubeconfig current?)`,
          ),
        );
      });
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  private async expectOk(
    method: string,
    path: string,
    options: Parameters<RestCluster['request']>[2] = {},
    what: string,
  ): Promise<unknown> {
    const res = await this.request(method, path, options);
    if (res.status >= 200 && res.status < 300) return res.body;
    throw apiErrorFromResponse(res.status, res.body, `${what}: HTTP ${res.status}`);
  }

  private resources(apiVersion: string): Promise<Map<string, ResourceInfo> | undefined> {
    let pending = this.discovery.get(apiVersion);
    if (!pending) {
      pending = (async () => {
        const res = await this.request('GET', apiBasePath(apiVersion));
        if (res.status === 404) return undefined;
        if (res.status < 200 || res.status >= 300) {
          throw apiErrorFromResponse(res.status, res.body, `discovery of ${apiVersion} failed: HTTP ${res.status}`);
        }
        const list = (res.body as { resources?: Array<{ name: string; kind: string; namespaced: boolean }> }).resources ?? [];
        const byKind = new Map<string, ResourceInfo>();
        for (const r of list) {
          if (!r.name.includes('/') && !byKind.has(r.kind)) byKind.set(r.kind, { name: r.name, namespaced: r.namespaced });
        }
        return byKind;
      })();
      pending.catch(() => this.discovery.delete(apiVersion));
      this.discovery.set(apiVersion, pending);
    }
    return pending;
  }

  async resourceInfo(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    return (await this.resources(apiVersion))?.get(kind);
  }

  refreshDiscovery(): void {
    this.discovery.clear();
  }

  /** URL path of an object (name undefined: its collection). */
  private async pathOf(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name?: string,
  ): Promise<{ path: string; info: ResourceInfo }> {
    const info = await this.resourceInfo(apiVersion, kind);
    if (!info)
      throw new ApiError(
        404,
        'NotFound',
        `the cluster does not serve ${apiVersion} ${kind} (is the CustomResourceDefinition or the operator that provides it installed?)`,
      );
    let path = apiBasePath(apiVersion);
    if (info.namespaced && namespace) path += `/namespaces/${encodeURIComponent(namespace)}`;
    path += `/${info.name}`;
    if (name !== undefined) path += `/${encodeURIComponent(name)}`;
    return { path, info };
  }

  async apply(obj: KubeObject, options: ApplyOptions): Promise<KubeObject> {
    const info = await this.resourceInfo(obj.apiVersion, obj.kind);
    if (!info) {
      throw new ApiError(
        404,
        'NotFound',
        `the cluster does not serve ${obj.apiVersion} ${obj.kind} (is the CustomResourceDefinition or the operator that provides it installed?)`,
      );
    }
    const body: KubeObject = { ...obj, metadata: { ...obj.metadata } };
    if (info.namespaced && !body.metadata.namespace) {
      throw new ApiError(400, 'BadRequest', `${describeWithVersion(obj)} is namespaced but has no metadata.namespace`);
    }
    if (!info.namespaced) delete body.metadata.namespace;
    const { path } = await this.pathOf(obj.apiVersion, obj.kind, body.metadata.namespace, obj.metadata.name);
    const result = await this.expectOk(
      'PATCH',
      path,
      {
        query: {
          fieldManager: options.fieldManager,
          force: options.force ? 'true' : undefined,
          dryRun: options.dryRun ? 'All' : undefined,
        },
        body,
        contentType: APPLY_CONTENT_TYPE,
      },
      `apply ${describeWithVersion(obj)}`,
    );
    return result as KubeObject;
  }

  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    const { path } = await this.pathOf(ref.apiVersion, ref.kind, ref.namespace, ref.name);
    const res = await this.request('GET', path);
    if (res.status === 404) return undefined;
    if (res.status < 200 || res.status >= 300)
      throw apiErrorFromResponse(res.status, res.body, `get ${describeWithVersion(ref)}: HTTP ${res.status}`);
    return res.body as KubeObject;
  }

  async list(apiVersion: string, kind: string, namespace?: string): Promise<KubeObject[]> {
    const { path } = await this.pathOf(apiVersion, kind, namespace);
    const items: KubeObject[] = [];
    let token: string | undefined;
    do {
      const body = (await this.expectOk(
        'GET',
        path,
        { query: { limit: '500', continue: token } },
        `list ${kind}${namespace ? ` in ${namespace}` : ''}`,
      )) as {
        items?: KubeObject[];
        metadata?: { continue?: string };
      };
      for (const item of body.items ?? []) items.push({ ...item, apiVersion, kind });
      token = body.metadata?.continue || undefined;
    } while (token);
    return items;
  }
}
