/**
 * A local S3 for integration tests: s3rver (an npm devDependency) on 127.0.0.1 in a child
 * process, and the real aws CLI talking to it. Missing tools make the test FAIL with an install
 * hint, never skip.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as path from 'path';
import { findExecutable } from './postgres-server';

export const AWS_INSTALL_HINT =
  'the aws CLI is required for the S3 script tests: apt-get update && apt-get install -y awscli (Debian; a pyenv shim on PATH does not count, /usr/bin/aws is preferred)';
export const S3RVER_INSTALL_HINT =
  'the npm package s3rver is required for the S3 script tests: npm install --no-save s3rver (or add it to devDependencies)';

/** The credentials s3rver accepts (its built-in account). */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/** Finds a working aws CLI, preferring /usr/bin/aws (a pyenv shim on PATH may not work). */
export function requireAwsCli(): string {
  const candidates = ['/usr/bin/aws', findExecutable('aws')].filter((c): c is string => !!c);
  for (const c of candidates) {
    const r = spawnSync(c, ['--version'], { encoding: 'utf8' });
    if (r.status === 0 && /aws-cli\/\d/.test(r.stdout + r.stderr)) return c;
  }
  throw new Error(`no working aws CLI (tried ${candidates.join(', ') || 'nothing on PATH'}). ${AWS_INSTALL_HINT}`);
}

/** A running s3rver. */
export interface LocalS3 {
  readonly port: number;
  /** `http://localhost:<port>`, for `--endpoint-url` / S3_ENDPOINT_URL. */
  readonly endpoint: string;
  stop(): Promise<void>;
}

/**
 * Starts s3rver (a local S3) with the given buckets, storing into `dir`, in a child process so
 * that synchronous aws calls from the test do not block it.
 */
export async function startS3rver(dir: string, buckets: readonly string[]): Promise<LocalS3> {
  let modulePath: string;
  try {
    modulePath = require.resolve('s3rver');
  } catch {
    throw new Error(S3RVER_INSTALL_HINT);
  }
  const program = `
    const S3rver = require(${JSON.stringify(modulePath)});
    new S3rver({ port: 0, address: '127.0.0.1', directory: ${JSON.stringify(dir)}, silent: true,
        configureBuckets: ${JSON.stringify(buckets.map((name) => ({ name })))} })
      .run()
      .then((address) => process.stdout.write(JSON.stringify({ port: address.port }) + '\\n'))
      .catch((e) => { console.error(e); process.exit(1); });`;
  const child: ChildProcess = spawn(process.execPath, ['-e', program], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`s3rver did not start: ${stderr}`)), 20_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n')[0];
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(JSON.parse(line).port);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited ${code}: ${stderr}`));
    });
  });
  return {
    port,
    endpoint: `http://localhost:${port}`,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

/**
 * Environment for the aws CLI against s3rver: its credentials, no config files or instance
 * metadata, and checksums off (newer CLIs add checksums s3rver does not understand; 2.9
 * ignores these variables). `scratchDir` holds the (nonexistent) config file paths.
 */
export function awsClientEnv(scratchDir: string, region = 'us-east-1'): NodeJS.ProcessEnv {
  return {
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    AWS_REGION: region,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: path.join(scratchDir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(scratchDir, 'no-aws-credentials'),
    AWS_REQUEST_CHECKSUM_CALCULATION: 'when_required',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'when_required',
  };
}

/** aws CLI arguments that list the keys under `prefix` in `bucket`, as text (parse with {@link parseKeyList}). */
export function listKeysArgs(bucket: string, prefix: string): string[] {
  return ['s3api', 'list-objects-v2', '--bucket', bucket, '--prefix', prefix, '--query', 'Contents[].Key', '--output', 'text'];
}

/** The sorted keys of a {@link listKeysArgs} call's output (`None` or nothing: no key). */
export function parseKeyList(out: string): string[] {
  const text = out.trim();
  return text === 'None' || text === '' ? [] : text.split(/\s+/).sort();
}
