/**
 * The synthesized BucketMirror CronJob's script (lib/constructs/storage/assets/bucket-mirror.sh),
 * taken from the synthesized ConfigMap and run container by container with the env of the
 * synthesized pod, with the real aws CLI against s3rver (test/support/s3-server.ts):
 *
 * - one store (server-side copy) and two stores (two s3rver instances: download into a fresh
 *   folder, as the pod's emptyDir, then upload): the objects appear under the target prefix, a
 *   second run copies only the new object and deletes the one deleted at the source;
 * - a source that lists nothing while the mirror has objects is refused;
 * - the target's versioning is checked before syncing with --delete (s3rver has no versioning, so
 *   the sync tests turn the check off, and a node:http fake answers get-bucket-versioning here).
 * - server-side encryption: with a recording fake `aws` first on PATH, the exact sync arguments of
 *   the copy and upload steps carry `--sse aws:kms --sse-kms-key-id <key>` (or `--sse AES256`), the
 *   download's never; REQUIRE_SSE=true without SSE-KMS and a key refuses before any aws call.
 *
 * Only the endpoints (in-cluster Services), the scratch folder and HOME differ from the pod.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { IMAGES } from '../../config/images';
import { AmazonS3Storage, BucketMirror, BucketMirrorProps, S3CompatibleStorage } from '../../lib/constructs/storage';
import { Doc } from '../support/doc';
import { expectSuccess as expectOk, runProcess as run } from '../support/run-process';
import { awsClientEnv, LocalS3, requireAwsCli, S3RVER_CREDENTIALS, startS3rver, listKeysArgs, parseKeyList } from '../support/s3-server';

const resources = { cpuRequest: '50m', memoryRequest: '128Mi', memoryLimit: '256Mi' };
const storageOf = (name: string) =>
  new S3CompatibleStorage({
    server: { name, host: `${name}.shop.svc.cluster.local`, ports: { api: 9000 } },
    port: 'api',
    credentials: { accessKeyId: { secret: `${name}-keys`, key: 'ID' }, secretAccessKey: { secret: `${name}-keys`, key: 'SECRET' } },
  });
const minio = storageOf('minio');
const backupStore = storageOf('backup-s3');

let workDir: string;
let pathWithTools: string;
let source: LocalS3;
let target: LocalS3;

beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bucket-mirror-'));
  const binDir = path.join(workDir, 'bin');
  fs.mkdirSync(binDir);
  fs.symlinkSync(requireAwsCli(), path.join(binDir, 'aws'));
  pathWithTools = [binDir, '/usr/bin', '/bin'].join(':');
  source = await startS3rver(path.join(workDir, 's3-source'), ['ecommerce', 'backups', 'empty']);
  target = await startS3rver(path.join(workDir, 's3-target'), ['backups']);
});

afterAll(async () => {
  await source?.stop();
  await target?.stop();
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

/** The aws CLI against one s3rver. */
async function aws(server: LocalS3, args: string[]): Promise<string> {
  return expectOk(await run('aws', ['--endpoint-url', server.endpoint, ...args], { ...awsClientEnv(workDir), PATH: pathWithTools }));
}

async function keys(server: LocalS3, bucket: string, prefix: string): Promise<string[]> {
  return parseKeyList(await aws(server, listKeysArgs(bucket, prefix)));
}

/** Puts files (one CLI call) under s3://bucket/. */
async function putObjects(server: LocalS3, bucket: string, files: Record<string, string>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(workDir, 'put-'));
  for (const [key, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, key)), { recursive: true });
    fs.writeFileSync(path.join(dir, key), content);
  }
  await aws(server, ['s3', 'cp', dir, `s3://${bucket}/`, '--recursive', '--only-show-errors']);
  fs.rmSync(dir, { recursive: true, force: true });
}

function synthMirror(props: Partial<BucketMirrorProps> & Pick<BucketMirrorProps, 'source' | 'target'>): { pod: Doc; configMap: Doc } {
  const chart = Testing.chart();
  new BucketMirror(chart, 'mirror', {
    namespace: 'shop',
    partOf: 'shop',
    name: 'ecommerce-mirror',
    schedule: '30 2 * * *',
    image: IMAGES.awsCli,
    resources,
    // s3rver implements no versioning; the check is tested against the fake below
    requireTargetVersioning: false,
    ...props,
  });
  const objects = Testing.synth(chart);
  return {
    pod: objects.find((o) => o.kind === 'CronJob').spec.jobTemplate.spec.template.spec,
    configMap: objects.find((o) => o.kind === 'ConfigMap'),
  };
}

/**
 * Runs the pod as Kubernetes would: its init containers, then its container, each with its own
 * env (Secret refs resolved to s3rver's keys; each in-cluster endpoint mapped to a local server),
 * the script from the ConfigMap, and a fresh scratch folder per run (the emptyDir).
 */
async function runPod(mirror: { pod: Doc; configMap: Doc }, endpoints: Record<string, string>): Promise<string> {
  const scripts = fs.mkdtempSync(path.join(workDir, 'scripts-'));
  for (const [key, text] of Object.entries<string>(mirror.configMap.data)) fs.writeFileSync(path.join(scripts, key), text);
  const scratch = fs.mkdtempSync(path.join(workDir, 'mirror-'));
  let output = '';
  for (const c of [...(mirror.pod.initContainers ?? []), ...mirror.pod.containers]) {
    const env: NodeJS.ProcessEnv = {
      PATH: pathWithTools,
      AWS_CONFIG_FILE: path.join(workDir, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(workDir, 'no-aws-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    for (const e of c.env) {
      if (e.valueFrom) env[e.name] = e.name === 'AWS_ACCESS_KEY_ID' ? S3RVER_CREDENTIALS.accessKeyId : S3RVER_CREDENTIALS.secretAccessKey;
      else env[e.name] = e.value;
    }
    expect([c.name, env.S3_ENDPOINT_URL! in endpoints]).toEqual([c.name, true]);
    env.S3_ENDPOINT_URL = endpoints[env.S3_ENDPOINT_URL!];
    if (env.MIRROR_DIR) env.MIRROR_DIR = scratch;
    env.HOME = workDir;
    env.TMPDIR = workDir;
    expect(c.command).toEqual(['bash', '/scripts/bucket-mirror.sh']);
    const r = await run('bash', [path.join(scripts, 'bucket-mirror.sh')], env);
    output += r.output;
    if (r.status !== 0) throw new Error(`container ${c.name} exited ${r.status}\n${output}`);
  }
  return output;
}

const SEED = { 'images/a.jpg': 'aaa', 'images/b.jpg': 'bbbb', 'docs/readme.txt': 'hello' };

test('two stores: the source appears under the target prefix; a second run copies only the new object and deletes the removed one', async () => {
  await putObjects(source, 'ecommerce', SEED);
  const mirror = synthMirror({
    source: { storage: minio, bucket: 'ecommerce' },
    target: { storage: backupStore, bucket: 'backups', prefix: 'mirror/ecommerce' },
  });
  expect(mirror.pod.initContainers.map((c: Doc) => c.name)).toEqual(['download']);
  const endpoints = { [minio.endpointUrl]: source.endpoint, [backupStore.endpointUrl]: target.endpoint };

  const first = await runPod(mirror, endpoints);
  expect(first).toContain('downloaded 3 object(s)');
  expect(first).toContain('mirror complete: s3://ecommerce/ -> s3://backups/mirror/ecommerce/: 3 object(s) copied, 0 deleted');
  expect(await keys(target, 'backups', 'mirror/')).toEqual([
    'mirror/ecommerce/docs/readme.txt',
    'mirror/ecommerce/images/a.jpg',
    'mirror/ecommerce/images/b.jpg',
  ]);

  await putObjects(source, 'ecommerce', { 'images/c.jpg': 'cc' });
  await aws(source, ['s3', 'rm', 's3://ecommerce/docs/readme.txt', '--only-show-errors']);
  const second = await runPod(mirror, endpoints);
  expect(second).toContain('mirror complete: s3://ecommerce/ -> s3://backups/mirror/ecommerce/: 1 object(s) copied, 1 deleted');
  expect(second.match(/^upload: /gm)).toHaveLength(1);
  expect(second).toMatch(/^upload: .*images\/c\.jpg to s3:\/\/backups\/mirror\/ecommerce\/images\/c\.jpg$/m);
  expect(await keys(target, 'backups', 'mirror/')).toEqual([
    'mirror/ecommerce/images/a.jpg',
    'mirror/ecommerce/images/b.jpg',
    'mirror/ecommerce/images/c.jpg',
  ]);
}, 300_000);

test('one store: a server-side copy to the target prefix; a second run copies only the new object', async () => {
  const mirror = synthMirror({
    source: { storage: minio, bucket: 'ecommerce', prefix: 'images' },
    target: { storage: minio, bucket: 'backups', prefix: 'mirror/images' },
  });
  expect(mirror.pod.initContainers).toBeUndefined();
  const endpoints = { [minio.endpointUrl]: source.endpoint };
  const first = await runPod(mirror, endpoints);
  expect(first).toContain('(server-side copy');
  expect(first.match(/^copy: /gm)?.length).toBeGreaterThanOrEqual(2);
  const copied = await keys(source, 'backups', 'mirror/');
  expect(copied).toEqual(expect.arrayContaining(['mirror/images/a.jpg', 'mirror/images/b.jpg']));

  await putObjects(source, 'ecommerce', { 'images/d.jpg': 'dddd' });
  const second = await runPod(mirror, endpoints);
  expect(second.match(/^copy: /gm)).toEqual([expect.stringMatching(/^copy: /)]);
  expect(second).toMatch(/^copy: s3:\/\/ecommerce\/images\/d\.jpg to s3:\/\/backups\/mirror\/images\/d\.jpg$/m);
  expect(second).toContain('1 object(s) copied, 0 deleted');
  expect(await keys(source, 'backups', 'mirror/')).toEqual([...copied, 'mirror/images/d.jpg'].sort());
}, 300_000);

test('a source with no object while the mirror has some is refused, with one store and with two (a wrong prefix must not empty the backup)', async () => {
  await putObjects(source, 'backups', { 'mirror/empty/keep.txt': 'x' });
  const mirror = synthMirror({
    source: { storage: minio, bucket: 'empty' },
    target: { storage: minio, bucket: 'backups', prefix: 'mirror/empty' },
  });
  await expect(runPod(mirror, { [minio.endpointUrl]: source.endpoint })).rejects.toThrow(
    /ERROR: s3:\/\/empty\/ is empty but s3:\/\/backups\/mirror\/empty\/ is not: refusing to delete the mirror/,
  );
  expect(await keys(source, 'backups', 'mirror/empty/')).toEqual(['mirror/empty/keep.txt']);

  // two stores: the download brings nothing, and the upload refuses
  await putObjects(target, 'backups', { 'mirror/empty/keep.txt': 'x' });
  const twoStores = synthMirror({
    source: { storage: minio, bucket: 'empty' },
    target: { storage: backupStore, bucket: 'backups', prefix: 'mirror/empty' },
  });
  await expect(runPod(twoStores, { [minio.endpointUrl]: source.endpoint, [backupStore.endpointUrl]: target.endpoint })).rejects.toThrow(
    /ERROR: s3:\/\/empty\/ is empty \(nothing was downloaded\) but s3:\/\/backups\/mirror\/empty\/ is not: refusing to delete the mirror/,
  );
  expect(await keys(target, 'backups', 'mirror/empty/')).toEqual(['mirror/empty/keep.txt']);
}, 300_000);

test('the target must be versioned before a sync with --delete (get-bucket-versioning, against a node:http fake)', async () => {
  const requests: string[] = [];
  const fake = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'application/xml' });
    res.end('<?xml version="1.0" encoding="UTF-8"?>\n<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>');
  });
  await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
  try {
    const mirror = synthMirror({
      source: { storage: minio, bucket: 'ecommerce' },
      target: { storage: minio, bucket: 'backups', prefix: 'mirror/v' },
      requireTargetVersioning: true,
    });
    await expect(runPod(mirror, { [minio.endpointUrl]: `http://127.0.0.1:${(fake.address() as AddressInfo).port}` })).rejects.toThrow(
      /ERROR: target bucket backups has versioning 'None'; expected Enabled/,
    );
    expect(requests).toEqual(['GET /backups?versioning']);
  } finally {
    await new Promise<void>((resolve) => fake.close(() => resolve()));
  }
}, 120_000);

describe('server-side encryption of what the mirror writes (the synthesized containers, a recording fake aws on PATH)', () => {
  const KMS_KEY = 'arn:aws:kms:eu-west-1:123456789012:alias/shop-prod-backups';
  const kms = { serverSideEncryption: { algorithm: 'aws:kms', kmsKeyId: KMS_KEY }, requireSse: true } as const;
  const amazon = new AmazonS3Storage({ region: 'eu-west-1', roleArn: 'arn:aws:iam::123456789012:role/shop-backup' });
  /**
   * Logs each call (arguments one per line, then `--`) to $AWS_LOG; the target is versioned, the
   * source lists an object, a sync succeeds without output.
   */
  const FAKE_AWS = `#!/usr/bin/env bash
set -eu
printf '%s\\n' "$@" -- >> "$AWS_LOG"
while [ "$1" = --region ] || [ "$1" = --endpoint-url ]; do shift 2; done
case "$1 $2" in
  's3api get-bucket-versioning') echo Enabled ;;
  's3api list-objects-v2') echo images/a.jpg ;;
esac
`;

  /** Runs the pod's containers in order with their env (and `overrides`; undefined removes a variable); returns each one's aws calls. */
  function runWithFakeAws(
    mirror: { pod: Doc; configMap: Doc },
    overrides: Record<string, string | undefined> = {},
  ): { status: number | null; output: string; calls: Record<string, string[][]> } {
    const dir = fs.mkdtempSync(path.join(workDir, 'fake-aws-'));
    const bin = path.join(dir, 'bin');
    const scratch = path.join(dir, 'mirror');
    fs.mkdirSync(bin);
    fs.mkdirSync(path.join(scratch, 'images'), { recursive: true });
    fs.writeFileSync(path.join(scratch, 'images', 'a.jpg'), 'aaa'); // what the download step would have left
    fs.writeFileSync(path.join(bin, 'aws'), FAKE_AWS, { mode: 0o755 });
    for (const [key, text] of Object.entries<string>(mirror.configMap.data)) fs.writeFileSync(path.join(dir, key), text);
    const calls: Record<string, string[][]> = {};
    let output = '';
    for (const c of [...(mirror.pod.initContainers ?? []), ...mirror.pod.containers]) {
      const log = path.join(dir, `${c.name}.log`);
      fs.writeFileSync(log, '');
      const env: NodeJS.ProcessEnv = { PATH: `${bin}:/usr/bin:/bin`, AWS_LOG: log, TMPDIR: dir };
      for (const e of c.env) env[e.name] = e.valueFrom ? 'from-a-secret' : e.value;
      if (env.MIRROR_DIR) env.MIRROR_DIR = scratch;
      env.HOME = dir;
      for (const [k, v] of Object.entries(overrides)) {
        if (v === undefined) delete env[k];
        else env[k] = v;
      }
      const r = spawnSync('bash', [path.join(dir, 'bucket-mirror.sh')], { env, encoding: 'utf8', timeout: 30_000 });
      output += r.stdout + r.stderr;
      calls[c.name] = fs
        .readFileSync(log, 'utf8')
        .split('--\n')
        .filter(Boolean)
        .map((call) => call.trimEnd().split('\n'));
      if (r.status !== 0) return { status: r.status, output, calls };
    }
    return { status: 0, output, calls };
  }

  const syncs = (calls: string[][] | undefined) => (calls ?? []).filter((c) => c.includes('sync'));

  test('one store (Amazon S3, as e-commerce prod): the server-side sync carries --sse aws:kms --sse-kms-key-id <key>, after the versioning check', () => {
    const mirror = synthMirror({
      source: { storage: amazon, bucket: 'shop-media' },
      target: { storage: amazon, bucket: 'shop-backups-prod', prefix: 'shop/objects' },
      requireTargetVersioning: true,
      ...kms,
    });
    const r = runWithFakeAws(mirror);
    expect(r.status).toBe(0);
    expect(Object.keys(r.calls)).toEqual(['mirror']);
    expect(r.calls.mirror[0]).toEqual(expect.arrayContaining(['get-bucket-versioning']));
    expect(syncs(r.calls.mirror)).toEqual([
      [
        '--region',
        'eu-west-1',
        's3',
        'sync',
        's3://shop-media/',
        's3://shop-backups-prod/shop/objects/',
        '--delete',
        '--sse',
        'aws:kms',
        '--sse-kms-key-id',
        KMS_KEY,
        '--no-progress',
      ],
    ]);
    expect(r.output).toContain('(server-side copy, server-side encryption aws:kms)');
  });

  test('two stores: the upload sync carries the SSE-KMS flags, the download sync none', () => {
    const mirror = synthMirror({
      source: { storage: minio, bucket: 'ecommerce' },
      target: { storage: amazon, bucket: 'shop-backups-prod', prefix: 'shop/objects' },
      ...kms,
    });
    const r = runWithFakeAws(mirror);
    expect(r.status).toBe(0);
    expect(syncs(r.calls.download)).toHaveLength(1);
    expect(syncs(r.calls.download)[0]).not.toContain('--sse');
    expect(syncs(r.calls.upload)).toEqual([
      [
        '--region',
        'eu-west-1',
        's3',
        'sync',
        expect.stringMatching(/\/mirror\/$/),
        's3://shop-backups-prod/shop/objects/',
        '--delete',
        '--sse',
        'aws:kms',
        '--sse-kms-key-id',
        KMS_KEY,
        '--no-progress',
      ],
    ]);
  });

  test('SSE-S3: --sse AES256 without a key id; no encryption asked: no --sse', () => {
    const target = { storage: minio, bucket: 'backups', prefix: 'mirror/ecommerce' };
    const aes = runWithFakeAws(
      synthMirror({ source: { storage: minio, bucket: 'ecommerce' }, target, serverSideEncryption: { algorithm: 'AES256' } }),
    );
    expect(aes.status).toBe(0);
    expect(syncs(aes.calls.mirror)).toEqual([
      [
        '--region',
        'us-east-1',
        '--endpoint-url',
        'http://minio.shop.svc.cluster.local:9000',
        's3',
        'sync',
        's3://ecommerce/',
        's3://backups/mirror/ecommerce/',
        '--delete',
        '--sse',
        'AES256',
        '--no-progress',
      ],
    ]);
    const plain = runWithFakeAws(synthMirror({ source: { storage: minio, bucket: 'ecommerce' }, target }));
    expect(plain.status).toBe(0);
    expect(syncs(plain.calls.mirror)).toHaveLength(1);
    expect(syncs(plain.calls.mirror)[0]).not.toContain('--sse');
  });

  const oneStore = () =>
    synthMirror({
      source: { storage: amazon, bucket: 'shop-media' },
      target: { storage: amazon, bucket: 'shop-backups-prod', prefix: 'shop/objects' },
      requireTargetVersioning: true,
      ...kms,
    });
  const twoStores = () =>
    synthMirror({
      source: { storage: minio, bucket: 'ecommerce' },
      target: { storage: amazon, bucket: 'shop-backups-prod', prefix: 'shop/objects' },
      requireTargetVersioning: true,
      ...kms,
    });
  test.each([
    ['copy', 'no key', oneStore, { S3_SSE_KMS_ID: undefined }, /refusing to upload: S3_SSE=aws:kms needs S3_SSE_KMS_ID/],
    ['copy', 'an empty key', oneStore, { S3_SSE_KMS_ID: '' }, /refusing to upload: S3_SSE=aws:kms needs S3_SSE_KMS_ID/],
    [
      'copy',
      'SSE-S3 only',
      oneStore,
      { S3_SSE: 'AES256', S3_SSE_KMS_ID: undefined },
      /refusing to upload: REQUIRE_SSE=true needs S3_SSE=aws:kms .*S3_SSE is 'AES256'/,
    ],
    [
      'copy',
      'no encryption',
      oneStore,
      { S3_SSE: undefined, S3_SSE_KMS_ID: undefined },
      /refusing to upload: REQUIRE_SSE=true needs S3_SSE=aws:kms and S3_SSE_KMS_ID .*S3_SSE is ''/,
    ],
    ['upload', 'no key', twoStores, { S3_SSE_KMS_ID: undefined }, /refusing to upload: S3_SSE=aws:kms needs S3_SSE_KMS_ID/],
    [
      'upload',
      'no encryption',
      twoStores,
      { S3_SSE: undefined, S3_SSE_KMS_ID: undefined },
      /refusing to upload: REQUIRE_SSE=true needs S3_SSE=aws:kms/,
    ],
  ])(
    'REQUIRE_SSE=true in the %s step with %s: exits non-zero before any aws call of that step',
    (step, _what, mirror, overrides, message) => {
      const r = runWithFakeAws(mirror(), overrides);
      expect(r.status).not.toBe(0);
      expect(r.output).toMatch(message);
      const container = step === 'copy' ? 'mirror' : 'upload';
      expect(r.calls[container]).toEqual([]);
      if (step === 'upload') expect(syncs(r.calls.download)).toHaveLength(1); // the download ran (it writes nothing to the target)
    },
  );
});
