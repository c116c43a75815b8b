import { awsRegion, dnsSubdomain, Format, kmsKeyId, s3Bucket } from '../../core/formats';
import { GraphComponent, ServiceGraph } from '../network/service-graph';
import { SecretKeyRef } from '../workloads/container';

/**
 * Object storage over the S3 API, as one interface for everything that stores objects (backups,
 * apps): an in-cluster S3-compatible server ({@link S3CompatibleStorage}, dev) or Amazon S3 with
 * IRSA ({@link AmazonS3Storage}, prod). Each gives the same four things: a target for a bucket
 * and prefix (what DatabaseBackup consumes), the env an app container needs, the service
 * account annotations of its pods, and the service-graph flows that let a pod reach it.
 */

/** A place in an object store: a bucket and a key prefix inside it. */
export interface ObjectStorageLocation {
  /** Bucket name (S3 rules: 3-63 lowercase letters, digits, '.', '-'). */
  readonly bucket: string;
  /** Key prefix inside the bucket, e.g. `shop/postgres` (letters, digits, '.', '_', '-' and single '/'; leading/trailing '/' ignored). */
  readonly prefix: string;
}

/** Static S3 credentials, each from a Secret (only for S3-compatible servers; Amazon S3 uses IRSA). */
export interface S3Credentials {
  readonly accessKeyId: SecretKeyRef;
  readonly secretAccessKey: SecretKeyRef;
}

/**
 * Server-side encryption of uploaded objects: SSE-S3 (`AES256`, keys the store manages) or SSE-KMS
 * (`aws:kms`, a customer key: access to the objects also needs `kms:Decrypt` on it).
 */
export type ServerSideEncryption = { readonly algorithm: 'AES256' } | { readonly algorithm: 'aws:kms'; readonly kmsKeyId: string };

/**
 * The env of a container that writes to S3 with `serverSideEncryption` (`S3_SSE`, and
 * `S3_SSE_KMS_ID` for SSE-KMS) and, with `require`, refuses to write without SSE-KMS and a key
 * (`REQUIRE_SSE=true`): what assets/include/s3-sse.sh reads (the backup upload and the bucket mirror).
 */
export function serverSideEncryptionEnv(sse: ServerSideEncryption | undefined, require: boolean | undefined): Record<string, string> {
  return {
    ...(sse ? { S3_SSE: sse.algorithm } : {}),
    ...(sse?.algorithm === 'aws:kms' ? { S3_SSE_KMS_ID: sse.kmsKeyId } : {}),
    ...(require ? { REQUIRE_SSE: 'true' } : {}),
  };
}

/**
 * Checks a writer's encryption: the algorithm, the KMS key of SSE-KMS ({@link kmsKeyId}), and that
 * `require` (refuse to write without SSE-KMS) comes with SSE-KMS. `fields` name the two in errors,
 * e.g. `{ encryption: 'target.serverSideEncryption', require: 'target.requireKms' }`.
 * @throws Error `<where>: <field> '<value>'; expected ...`
 */
export function checkServerSideEncryption(
  where: string,
  fields: { readonly encryption: string; readonly require: string },
  sse: ServerSideEncryption | undefined,
  require: unknown,
): void {
  if (sse !== undefined) {
    const algorithm: unknown = (sse as { algorithm?: unknown }).algorithm;
    if (algorithm !== 'AES256' && algorithm !== 'aws:kms')
      throw new Error(`${where}: ${fields.encryption}.algorithm '${String(algorithm)}'; expected 'AES256' (SSE-S3) or 'aws:kms' (SSE-KMS)`);
    if (sse.algorithm === 'aws:kms') checkFormat(where, `${fields.encryption}.kmsKeyId`, sse.kmsKeyId, kmsKeyId);
  }
  if (require !== undefined && typeof require !== 'boolean')
    throw new Error(`${where}: ${fields.require} ${JSON.stringify(require)}; expected true or false`);
  if (require && sse?.algorithm !== 'aws:kms')
    throw new Error(
      `${where}: ${fields.require} is true but ${fields.encryption} is ${sse ? `'${sse.algorithm}'` : 'not set'}; expected { algorithm: 'aws:kms', kmsKeyId }`,
    );
}

/** A location with everything a pod needs to reach it. */
export interface ObjectStorageTarget extends ObjectStorageLocation {
  /** Region the S3 API is addressed in (part of the request signature). */
  readonly region: string;
  /** S3-compatible endpoint URL (an in-cluster server). @default - Amazon S3 */
  readonly endpointUrl?: string;
  /** Static credentials (only for an S3-compatible endpoint). @default - none: IRSA via roleArn */
  readonly credentials?: S3Credentials;
  /** IAM role for the pods' service account (IRSA on EKS). @default - none */
  readonly roleArn?: string;
  /** How uploads are encrypted at rest (`--sse`). @default - not asked for (the bucket's default encryption applies) */
  readonly serverSideEncryption?: ServerSideEncryption;
  /**
   * Uploads refuse to run unless `serverSideEncryption` is SSE-KMS with a key (the backup scripts'
   * `REQUIRE_SSE=true`): a guard in the pod against a config that lost its key.
   * @default false
   */
  readonly requireKms?: boolean;
}

/** Environment of a container that uses an object store (AWS SDK and CLI variable names). */
export interface ObjectStorageClientEnv {
  /** Plain values: `AWS_REGION`, and `AWS_ENDPOINT_URL` for an S3-compatible server. */
  readonly env: Readonly<Record<string, string>>;
  /** From Secrets: `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` for an S3-compatible server; none with IRSA. */
  readonly secretEnv: Readonly<Record<string, SecretKeyRef>>;
}

/** Where an object store's S3 API is, for clients and for the service graph. */
export interface ObjectStorageEndpoint {
  /** URL clients are given. @default - the AWS SDK's regional Amazon S3 endpoint */
  readonly url?: string;
  /** Allows `from` (a component of the graph) to open connections to the endpoint. */
  allowFrom(graph: ServiceGraph, from: string | GraphComponent): void;
}

/** An object store pods use over the S3 API. */
export interface ObjectStorage {
  /** Region the S3 API is addressed in. */
  readonly region: string;
  /** Where the S3 API is. */
  readonly endpoint: ObjectStorageEndpoint;
  /** A bucket and prefix in this store, with endpoint, region and authentication: a DatabaseBackup's `target`. Validates the location. */
  target(location: ObjectStorageLocation): ObjectStorageTarget;
  /** The env an app container needs to use this store (add it to the container's env and secretEnv). */
  clientEnv(): ObjectStorageClientEnv;
  /** Annotations for the service account of pods using this store: the IRSA role, or none. */
  serviceAccountAnnotations(): Readonly<Record<string, string>>;
  /** Allows `from` (a component of the graph) to reach this store: the in-cluster server's S3 port, or HTTPS to the internet. */
  allowAccess(graph: ServiceGraph, from: string | GraphComponent): void;
}

/** An object key prefix as the backup scripts accept it (after stripping leading/trailing '/'). */
export const KEY_PREFIX_RE = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/**
 * Checks a location: the bucket against {@link s3Bucket}, the prefix against {@link KEY_PREFIX_RE}.
 * Throws `<where>: <field>bucket '<value>'; expected ...` (`field` e.g. `target.`).
 */
export function checkLocation(where: string, field: string, location: ObjectStorageLocation): void {
  checkFormat(where, `${field}bucket`, location.bucket, s3Bucket);
  const prefix = typeof location.prefix === 'string' ? location.prefix.replace(/^\/+|\/+$/g, '') : location.prefix;
  if (typeof prefix !== 'string' || !KEY_PREFIX_RE.test(prefix)) {
    throw new Error(
      `${where}: ${field}prefix '${location.prefix}'; expected a key prefix such as 'shop/postgres' (letters, digits, '.', '_', '-' and single '/'; not empty)`,
    );
  }
}

/**
 * Checks a value against a format: throws `<where>: <field> '<value>'; expected <what the format allows>`.
 * The value is typed `unknown` on purpose: config read from YAML or JavaScript may hold anything.
 */
export function checkFormat(where: string, field: string, value: unknown, format: Format): void {
  if (!format.test(value)) throw new Error(`${where}: ${field} '${String(value)}'; expected ${format.expected}`);
}

/** Checks a region against {@link awsRegion}. */
export function checkRegion(where: string, region: string): void {
  checkFormat(where, 'region', region, awsRegion);
}

/** A key of a Secret's data. */
export const SECRET_KEY: Format = {
  expected: "a Secret key (letters, digits, '-', '_', '.')",
  pattern: '^[-._a-zA-Z0-9]+$',
  test: (v: unknown): v is string => typeof v === 'string' && /^[-._a-zA-Z0-9]+$/.test(v),
};

/** Checks that each credential names a Secret (DNS-1123 subdomain) and a key. */
export function checkCredentials(where: string, credentials: S3Credentials): void {
  for (const [field, ref] of Object.entries({ accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey })) {
    if (!ref || !dnsSubdomain.test(ref.secret))
      throw new Error(`${where}: credentials.${field}.secret '${ref?.secret}'; expected the name of a Secret, ${dnsSubdomain.expected}`);
    checkFormat(where, `credentials.${field}.key`, ref.key, SECRET_KEY);
  }
}
