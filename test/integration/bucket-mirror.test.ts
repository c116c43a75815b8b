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
 *
 * Only the endpoints (in-cluster Services), the scratch folder and HOME differ from the pod.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { IMAGES } from '../../config/images';
import { BucketMirror, BucketMirrorProps, S3CompatibleStorage } from '../../lib/constructs/storage';
import { Doc } from '../support/doc';
import { awsClientEnv, LocalS3, requireAwsCli, S3RVER_CREDENTIALS, startS3rver } from '../support/s3-server';

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

interface Run {
  readonly status: number | null;
  readonly output: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise<Run>((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, output });
    });
  });
}

function expectOk(r: Run): string {
  if (r.status !== 0) throw new Error(`exited ${r.status}\n${r.output}`);
  return r.output;
}

/** The aws CLI against one s3rver. */
async function aws(server: LocalS3, args: string[]): Promise<string> {
  return expectOk(await run('aws', ['--endpoint-url', server.endpoint, ...args], { ...awsClientEnv(workDir), PATH: pathWithTools }));
}

async function keys(server: LocalS3, bucket: string, prefix: string): Promise<string[]> {
  const out = (
    await aws(server, ['s3api', 'list-objects-v2', '--bucket', bucket, '--prefix', prefix, '--query', 'Contents[].Key', '--output', 'text'])
  ).trim();
  return out === 'None' || out === '' ? [] : out.split(/\s+/).sort();
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
