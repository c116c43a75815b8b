import { Format, s3Bucket } from '../../core/formats';
import { checkFormat, KEY_PREFIX_RE } from './object-storage';

/**
 * The settings of one bucket as {@link BucketSetup} applies them: typed here, validated at synth,
 * and rendered as the JSON documents the S3 API takes (`aws s3api put-bucket-* --... file://<json>`).
 */

/** The IAM policy language version every bucket policy uses. */
export const IAM_POLICY_VERSION = '2012-10-17';

/** Who a statement applies to: everyone (`'*'`, signed or anonymous) or AWS principals (account ids, role or user ARNs). */
export type PolicyPrincipal = '*' | { readonly AWS: string | readonly string[] };

/**
 * One statement of a bucket policy, with the JSON names of the IAM policy grammar (what is
 * written here is what S3 receives). Resources must be this bucket (`arn:aws:s3:::<bucket>`) or
 * keys in it (`arn:aws:s3:::<bucket>/<pattern>`).
 */
export interface BucketPolicyStatement {
  /** Statement id (letters and digits). @default - none */
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal: PolicyPrincipal;
  /** S3 actions such as `s3:GetObject` or `s3:*`. */
  readonly Action: string | readonly string[];
  readonly Resource: string | readonly string[];
  /** Conditions: `{ Bool: { 'aws:SecureTransport': 'false' } }`. @default - none */
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

/** A bucket policy document. */
export interface BucketPolicyDocument {
  readonly Version: typeof IAM_POLICY_VERSION;
  readonly Statement: readonly BucketPolicyStatement[];
}

/** Default encryption: SSE-S3 (`AES256`, keys managed by S3) or SSE-KMS with a customer key. */
export type BucketEncryption =
  | { readonly algorithm: 'AES256' }
  | {
      readonly algorithm: 'aws:kms';
      /** ARN of the KMS key (or alias) objects are encrypted with. */
      readonly kmsKeyArn: string;
      /** Use an S3 Bucket Key (far fewer KMS requests, lower cost). @default true */
      readonly bucketKey?: boolean;
    };

/** Objects under a prefix that expire a number of days after they were written. */
export interface PrefixExpiration {
  /** Key prefix, e.g. `tmp/` (letters, digits, '.', '_', '-' and '/'). */
  readonly prefix: string;
  readonly days: number;
}

/** Lifecycle rules of a bucket. */
export interface BucketLifecycle {
  /** Days a version is kept after it stopped being current (overwritten or deleted). @default - not expired */
  readonly noncurrentVersionExpirationDays?: number;
  /** Days after which incomplete multipart uploads are aborted (their parts are billed until then). @default - not aborted */
  readonly abortIncompleteMultipartUploadDays?: number;
  /** Current objects under these prefixes expire (a delete marker on a versioned bucket). @default - none */
  readonly expirations?: readonly PrefixExpiration[];
}

/** One bucket and the settings {@link BucketSetup} ensures on it. */
export interface BucketSpec {
  /** Bucket name. */
  readonly name: string;
  /** Turn versioning on (it is never turned off or suspended: `false` leaves it as it is). @default true */
  readonly versioning?: boolean;
  /**
   * Bucket policy, replacing the bucket's. An S3-compatible server's buckets are private without
   * one (anonymous requests are refused).
   * @default - Amazon S3: {@link denyInsecureTransport}; S3-compatible: none (the bucket's policy is left as it is)
   */
  readonly policy?: BucketPolicyDocument;
  /** Default encryption (Amazon S3 only). @default - Amazon S3: SSE-S3 (`AES256`); S3-compatible: not set */
  readonly encryption?: BucketEncryption;
  /**
   * Lifecycle rules, replacing the bucket's.
   * @default - Amazon S3: noncurrent versions expire after 30 days, incomplete multipart uploads are aborted after 7; S3-compatible: none
   */
  readonly lifecycle?: BucketLifecycle;
  /** Block every form of public access (Amazon S3 only). @default - Amazon S3: true; S3-compatible: not set */
  readonly publicAccessBlock?: boolean;
}

/** The lifecycle Amazon S3 buckets get unless they say otherwise. */
export const DEFAULT_AMAZON_LIFECYCLE: BucketLifecycle = { noncurrentVersionExpirationDays: 30, abortIncompleteMultipartUploadDays: 7 };

/** `arn:aws:s3:::<bucket>` (the bucket itself: ListBucket, policies). */
export function bucketArn(bucket: string): string {
  return `arn:aws:s3:::${bucket}`;
}

/** `arn:aws:s3:::<bucket>/<pattern>` (objects: GetObject, PutObject). @param pattern key pattern, `*` for every key */
export function objectsArn(bucket: string, pattern = '*'): string {
  return `arn:aws:s3:::${bucket}/${pattern}`;
}

/** The statement refusing every request to the bucket that does not use TLS (AWS Security Hub S3.5). */
export function denyInsecureTransport(bucket: string): BucketPolicyStatement {
  return {
    Sid: 'DenyInsecureTransport',
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:*',
    Resource: [bucketArn(bucket), objectsArn(bucket)],
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  };
}

/**
 * The statement that keeps every version of the bucket's objects until its lifecycle expires them:
 * nobody (a stolen key included) may delete a version or change versioning or the lifecycle.
 * For backup buckets. (On an S3-compatible server the root user is not bound by bucket policies.)
 */
export function denyVersionRemoval(bucket: string, sid = 'KeepVersions'): BucketPolicyStatement {
  return {
    Sid: sid,
    Effect: 'Deny',
    Principal: '*',
    Action: ['s3:DeleteObjectVersion', 's3:PutBucketVersioning', 's3:PutLifecycleConfiguration'],
    Resource: [bucketArn(bucket), objectsArn(bucket)],
  };
}

/** A policy document of the statements, or undefined when there are none (the bucket's policy is then left as it is). */
export function bucketPolicy(statements: readonly BucketPolicyStatement[]): BucketPolicyDocument | undefined {
  return statements.length ? { Version: IAM_POLICY_VERSION, Statement: [...statements] } : undefined;
}

/** A KMS key or alias ARN. */
export const kmsKeyArn: Format = {
  expected: "a KMS key ARN such as 'arn:aws:kms:eu-west-1:123456789012:key/<key id>' (or an alias ARN '...:alias/<name>')",
  test: (v: unknown): v is string =>
    typeof v === 'string' && /^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)\/[A-Za-z0-9/_-]+$/.test(v),
};

/** Where a bucket lives, which decides what it supports and what it gets by default. */
export type BucketStoreKind = 'amazon-s3' | 's3-compatible';

/** The JSON files of one bucket's settings, by suffix: `<bucket>.<suffix>.json` (absent: not managed). */
export type BucketSettingFiles = Partial<Record<BucketSettingSuffix, string>>;

/** The settings in the order the script applies them (public access first, the policy last, so a public policy is refused). */
export const BUCKET_SETTING_SUFFIXES = ['public-access-block', 'encryption', 'versioning', 'lifecycle', 'policy'] as const;
export type BucketSettingSuffix = (typeof BUCKET_SETTING_SUFFIXES)[number];

/**
 * Checks a bucket's settings for a store and renders them as S3 API JSON documents.
 * @throws naming `where`, the field (`buckets[i].policy.Statement[0].Resource`), the bad value and what is allowed
 */
export function renderBucketSettings(where: string, field: string, spec: BucketSpec, store: BucketStoreKind): BucketSettingFiles {
  checkFormat(where, `${field}.name`, spec.name, s3Bucket);
  const bucket = spec.name;
  const amazon = store === 'amazon-s3';
  for (const key of ['encryption', 'publicAccessBlock'] as const) {
    if (!amazon && spec[key] !== undefined)
      throw new Error(
        `${where}: ${field}.${key} is set for bucket '${bucket}' on an S3-compatible server; expected it unset (${key} is ` +
          'applied on Amazon S3 only: S3-compatible servers implement it partly or not at all)',
      );
  }
  const files: BucketSettingFiles = {};
  const versioning = spec.versioning ?? true;
  if (typeof versioning !== 'boolean') throw new Error(`${where}: ${field}.versioning '${String(versioning)}'; expected true or false`);
  const pab = spec.publicAccessBlock ?? amazon;
  if (typeof pab !== 'boolean') throw new Error(`${where}: ${field}.publicAccessBlock '${String(pab)}'; expected true or false`);
  if (pab) files['public-access-block'] = json(PUBLIC_ACCESS_BLOCK);
  const encryption = spec.encryption ?? (amazon ? { algorithm: 'AES256' } : undefined);
  if (encryption) files.encryption = json(renderEncryption(where, `${field}.encryption`, encryption));
  if (versioning) files.versioning = json({ Status: 'Enabled' });
  const lifecycle = spec.lifecycle ?? (amazon ? DEFAULT_AMAZON_LIFECYCLE : undefined);
  if (lifecycle) {
    const rules = renderLifecycle(where, `${field}.lifecycle`, lifecycle);
    if (rules.length > 0) files.lifecycle = json({ Rules: rules });
  }
  const policy = spec.policy ?? (amazon ? { Version: IAM_POLICY_VERSION, Statement: [denyInsecureTransport(bucket)] } : undefined);
  if (policy) {
    checkPolicy(where, `${field}.policy`, bucket, policy);
    files.policy = json(policy);
  }
  return files;
}

const PUBLIC_ACCESS_BLOCK = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };

function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

function renderEncryption(where: string, field: string, e: BucketEncryption): unknown {
  if (e.algorithm === 'AES256') return { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] };
  if (e.algorithm === 'aws:kms') {
    checkFormat(where, `${field}.kmsKeyArn`, e.kmsKeyArn, kmsKeyArn);
    const bucketKey = e.bucketKey ?? true;
    if (typeof bucketKey !== 'boolean') throw new Error(`${where}: ${field}.bucketKey '${String(bucketKey)}'; expected true or false`);
    return {
      Rules: [
        { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: e.kmsKeyArn }, BucketKeyEnabled: bucketKey },
      ],
    };
  }
  throw new Error(
    `${where}: ${field}.algorithm '${String((e as { algorithm: unknown }).algorithm)}'; expected 'AES256' (SSE-S3) or 'aws:kms' (SSE-KMS)`,
  );
}

function checkDays(where: string, field: string, days: unknown): number {
  if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > 36500)
    throw new Error(`${where}: ${field} ${String(days)}; expected a whole number of days from 1 to 36500`);
  return days;
}

function renderLifecycle(where: string, field: string, l: BucketLifecycle): unknown[] {
  const all = { Prefix: '' };
  const rules: unknown[] = [];
  if (l.noncurrentVersionExpirationDays !== undefined) {
    const days = checkDays(where, `${field}.noncurrentVersionExpirationDays`, l.noncurrentVersionExpirationDays);
    rules.push({ ID: 'expire-noncurrent-versions', Status: 'Enabled', Filter: all, NoncurrentVersionExpiration: { NoncurrentDays: days } });
  }
  if (l.abortIncompleteMultipartUploadDays !== undefined) {
    const days = checkDays(where, `${field}.abortIncompleteMultipartUploadDays`, l.abortIncompleteMultipartUploadDays);
    rules.push({
      ID: 'abort-incomplete-multipart-uploads',
      Status: 'Enabled',
      Filter: all,
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: days },
    });
  }
  const seen = new Set<string>();
  (l.expirations ?? []).forEach((e, i) => {
    const at = `${field}.expirations[${i}]`;
    const prefix = typeof e.prefix === 'string' ? e.prefix.replace(/\/+$/, '') : e.prefix;
    if (typeof prefix !== 'string' || !KEY_PREFIX_RE.test(prefix))
      throw new Error(
        `${where}: ${at}.prefix '${String(e.prefix)}'; expected a key prefix such as 'tmp/' (letters, digits, '.', '_', '-' and single '/'; not empty)`,
      );
    if (seen.has(prefix)) throw new Error(`${where}: ${at}.prefix '${e.prefix}' is given twice; expected each prefix once`);
    seen.add(prefix);
    const days = checkDays(where, `${at}.days`, e.days);
    rules.push({
      ID: `expire-${prefix.replace(/\//g, '-')}`,
      Status: 'Enabled',
      Filter: { Prefix: `${prefix}/` },
      Expiration: { Days: days },
    });
  });
  return rules;
}

const list = (v: string | readonly string[]): readonly string[] => (typeof v === 'string' ? [v] : v);

/** Checks a policy: version, statements, effects, principals, S3 actions, and resources inside this bucket. */
export function checkPolicy(where: string, field: string, bucket: string, p: BucketPolicyDocument): void {
  const version: unknown = p.Version;
  if (version !== IAM_POLICY_VERSION)
    throw new Error(`${where}: ${field}.Version '${String(version)}'; expected '2012-10-17' (the IAM policy language version)`);
  const statements: readonly BucketPolicyStatement[] = p.Statement ?? [];
  if (statements.length === 0) throw new Error(`${where}: ${field}.Statement is empty; expected at least one statement`);
  const sids = new Set<string>();
  statements.forEach((s, i) => {
    const at = `${field}.Statement[${i}]`;
    if (s.Sid !== undefined) {
      if (typeof s.Sid !== 'string' || !/^[A-Za-z0-9]+$/.test(s.Sid))
        throw new Error(`${where}: ${at}.Sid '${String(s.Sid)}'; expected letters and digits`);
      if (sids.has(s.Sid)) throw new Error(`${where}: ${at}.Sid '${s.Sid}' is used twice; expected unique statement ids`);
      sids.add(s.Sid);
    }
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny')
      throw new Error(`${where}: ${at}.Effect '${String(s.Effect)}'; expected 'Allow' or 'Deny'`);
    checkPrincipal(where, `${at}.Principal`, s.Principal);
    const actions = list(s.Action ?? []);
    if (actions.length === 0) throw new Error(`${where}: ${at}.Action is empty; expected S3 actions such as 's3:GetObject'`);
    for (const a of actions) {
      if (typeof a !== 'string' || !/^s3:[A-Za-z*]+$/.test(a))
        throw new Error(`${where}: ${at}.Action '${String(a)}'; expected an S3 action such as 's3:GetObject' or 's3:*'`);
    }
    const resources = list(s.Resource ?? []);
    if (resources.length === 0)
      throw new Error(`${where}: ${at}.Resource is empty; expected '${bucketArn(bucket)}' or '${objectsArn(bucket)}'`);
    for (const r of resources) {
      if (
        typeof r !== 'string' ||
        (r !== bucketArn(bucket) && !(r.startsWith(`${bucketArn(bucket)}/`) && r.length > bucketArn(bucket).length + 1))
      )
        throw new Error(
          `${where}: ${at}.Resource '${String(r)}'; expected this bucket, '${bucketArn(bucket)}', or keys in it, '${objectsArn(bucket, '<pattern>')}'`,
        );
    }
    for (const [operator, values] of Object.entries(s.Condition ?? {})) {
      if (!/^[A-Za-z]+$/.test(operator))
        throw new Error(`${where}: ${at}.Condition operator '${operator}'; expected a condition operator such as 'Bool' or 'StringEquals'`);
      for (const [key, value] of Object.entries(values ?? {})) {
        if (!/^[A-Za-z0-9]+:[A-Za-z0-9_/-]+$/.test(key))
          throw new Error(`${where}: ${at}.Condition.${operator} key '${key}'; expected a condition key such as 'aws:SecureTransport'`);
        if (!list(value).every((v) => typeof v === 'string'))
          throw new Error(`${where}: ${at}.Condition.${operator}.${key} ${JSON.stringify(value)}; expected a string or a list of strings`);
      }
    }
  });
}

function checkPrincipal(where: string, field: string, p: PolicyPrincipal): void {
  if (p === '*') return;
  const principals = typeof p === 'object' && p !== null && 'AWS' in p ? list(p.AWS) : [];
  const ok = (v: unknown) =>
    v === '*' || (typeof v === 'string' && (/^[0-9]{12}$/.test(v) || /^arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:[\w+=,.@/-]+$/.test(v)));
  if (principals.length === 0 || !principals.every(ok))
    throw new Error(`${where}: ${field} ${JSON.stringify(p)}; expected '*' or { AWS: <account id, IAM role/user ARN, or a list of them> }`);
}

/** Checks a bucket name list: valid names, each once. */
export function checkBucketNames(where: string, field: string, names: readonly string[]): void {
  if (names.length === 0) throw new Error(`${where}: ${field} is empty; expected at least one bucket`);
  const seen = new Set<string>();
  names.forEach((n, i) => {
    checkFormat(where, `${field}[${i}].name`, n, s3Bucket);
    if (seen.has(n)) throw new Error(`${where}: ${field}[${i}].name '${n}' is given twice; expected each bucket once`);
    seen.add(n);
  });
}
