import { ianaServiceName } from '../../core/formats';
import { GraphComponent, ServiceGraph } from '../network/service-graph';
import {
  checkCredentials,
  checkFormat,
  checkLocation,
  checkRegion,
  ObjectStorage,
  ObjectStorageClientEnv,
  ObjectStorageEndpoint,
  ObjectStorageLocation,
  ObjectStorageTarget,
  S3Credentials,
} from './object-storage';

/**
 * A server in the stack's namespace that speaks the S3 API: a graph component with a cluster DNS
 * name and named ports (LocalStack, a MinIO-style StatefulStore, ...).
 */
export interface S3CompatibleServer extends Pick<GraphComponent, 'name' | 'ports'> {
  /** Cluster DNS name of its Service, e.g. `minio.shop.svc.cluster.local`. */
  readonly host: string;
  /**
   * Accepts SSE-S3 uploads (`x-amz-server-side-encryption: AES256`) as configured. LocalStack does;
   * MinIO refuses them unless a KMS is configured for it.
   * @default false
   */
  readonly acceptsSseS3?: boolean;
}

export interface S3CompatibleStorageProps {
  /** The server. */
  readonly server: S3CompatibleServer;
  /** Name of the server's port that serves the S3 API, e.g. `http` (LocalStack) or `api` (MinIO: 9000; its console port is not for clients). */
  readonly port: string;
  /** Credentials every client of this storage uses (Secret refs; the values never reach the manifests). */
  readonly credentials: S3Credentials;
  /** Region clients sign requests for (S3-compatible servers accept `us-east-1` unless configured otherwise). @default 'us-east-1' */
  readonly region?: string;
  /** Scheme of the endpoint URL. @default 'http' (in-cluster traffic, confined by NetworkPolicies) */
  readonly scheme?: 'http' | 'https';
}

/** The endpoint of an in-cluster S3-compatible server: `<scheme>://<host>:<port>`, reached on that named port. */
export function s3CompatibleEndpoint(server: S3CompatibleServer, port: string, scheme: 'http' | 'https' = 'http'): ObjectStorageEndpoint {
  const where = `S3-compatible server '${server.name}'`;
  checkFormat(where, 'port', port, ianaServiceName);
  const number = server.ports[port];
  if (number === undefined)
    throw new Error(
      `${where}: port '${port}' is not one of its ports; expected one of ${Object.keys(server.ports).join(', ') || '(none)'}`,
    );
  if (scheme !== 'http' && scheme !== 'https') throw new Error(`${where}: scheme '${scheme as string}'; expected 'http' or 'https'`);
  return {
    url: `${scheme}://${server.host}:${number}`,
    allowFrom: (graph: ServiceGraph, from: string | GraphComponent) => graph.allow(from, server.name, port),
  };
}

/**
 * Object storage on an S3-compatible server inside the cluster (dev): clients get its endpoint
 * URL, a region and static credentials from a Secret, and a NetworkPolicy flow to its S3 port.
 * Renders nothing itself (the server and the credentials Secret are declared by the stack).
 */
export class S3CompatibleStorage implements ObjectStorage {
  public readonly region: string;
  public readonly endpoint: ObjectStorageEndpoint;
  public readonly credentials: S3Credentials;
  /** The endpoint URL, e.g. `http://localstack.shop.svc.cluster.local:4566`. */
  public readonly endpointUrl: string;
  private readonly where: string;

  constructor(props: S3CompatibleStorageProps) {
    this.where = `S3CompatibleStorage '${props.server.name}'`;
    this.region = props.region ?? 'us-east-1';
    checkRegion(this.where, this.region);
    checkCredentials(this.where, props.credentials);
    this.credentials = props.credentials;
    this.endpoint = s3CompatibleEndpoint(props.server, props.port, props.scheme ?? 'http');
    this.endpointUrl = this.endpoint.url!;
  }

  public target(location: ObjectStorageLocation): ObjectStorageTarget {
    checkLocation(this.where, '', location);
    return {
      bucket: location.bucket,
      prefix: location.prefix,
      region: this.region,
      endpointUrl: this.endpointUrl,
      credentials: this.credentials,
    };
  }

  public clientEnv(): ObjectStorageClientEnv {
    return {
      env: { AWS_ENDPOINT_URL: this.endpointUrl, AWS_REGION: this.region },
      secretEnv: { AWS_ACCESS_KEY_ID: this.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: this.credentials.secretAccessKey },
    };
  }

  public serviceAccountAnnotations(): Readonly<Record<string, string>> {
    return {};
  }

  public allowAccess(graph: ServiceGraph, from: string | GraphComponent): void {
    this.endpoint.allowFrom(graph, from);
  }
}
