/**
 * What the commands need from a cluster. The real implementation is rest-client.ts (HTTP to the
 * API server, authenticated by kube.ts through @kubernetes/client-node); tests use an in-memory
 * fake. Nothing here loads client-node (the Status body is typed with its V1Status, a type-only import).
 */
import type { V1Status } from '@kubernetes/client-node';
import { KubeObject, ObjectRef } from './objects';

/** An API resource as discovery (`/api/v1`, `/apis/<group>/<version>`) describes it. */
export interface ResourceInfo {
  /** Plural resource name used in URLs: `deployments`. */
  name: string;
  namespaced: boolean;
}

export interface ApplyOptions {
  dryRun: boolean;
  fieldManager: string;
  /** Take over fields owned by other managers (server-side apply `force=true`). */
  force: boolean;
}

export interface Cluster {
  /** `context kind-backends-dev (https://127.0.0.1:6443)`. */
  readonly description: string;
  /** Discovery: the resource serving apiVersion/kind, or undefined when the cluster does not serve it. */
  resourceInfo(apiVersion: string, kind: string): Promise<ResourceInfo | undefined>;
  /** Forget cached discovery (after CRDs were created). */
  refreshDiscovery(): void;
  /** Server-side apply; returns the object as the server stored it (or would, on a dry run). */
  apply(obj: KubeObject, options: ApplyOptions): Promise<KubeObject>;
  /** The live object, or undefined when it does not exist. */
  get(ref: ObjectRef): Promise<KubeObject | undefined>;
  /** Objects of a kind, in a namespace or cluster-wide (namespace undefined). */
  list(apiVersion: string, kind: string, namespace?: string): Promise<KubeObject[]>;
}

/** An error answer of the API server (its `Status` object), or a transport failure (status 0). */
export class ApiError extends Error {
  constructor(
    /** HTTP status; 0 when the server could not be reached. */
    public readonly status: number,
    /** `Status.reason`: NotFound, Conflict, Invalid, Forbidden... */
    public readonly reason: string,
    message: string,
    /** `Status.details.causes[]`: field and message of each problem (validation errors). */
    public readonly causes: ReadonlyArray<{ field?: string; message?: string; reason?: string }> = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The message with each cause on its own line. */
  describe(): string {
    const causes = this.causes
      .map((c) => `${c.field ? `${c.field}: ` : ''}${c.message ?? c.reason ?? ''}`.trim())
      .filter((c) => c && !this.message.includes(c));
    return [this.message, ...causes.map((c) => `  ${c}`)].join('\n');
  }
}

/** Builds an ApiError from an API server response body (a `Status`, or anything else). */
export function apiErrorFromResponse(status: number, body: unknown, fallback: string): ApiError {
  const b = (body && typeof body === 'object' ? body : {}) as V1Status;
  if (b.kind === 'Status') {
    const causes = b.details?.causes;
    return new ApiError(status, String(b.reason ?? ''), String(b.message ?? fallback), Array.isArray(causes) ? causes : []);
  }
  const text = typeof body === 'string' && body.trim() ? body.trim().slice(0, 500) : fallback;
  return new ApiError(status, status === 404 ? 'NotFound' : '', text);
}
