/**
 * LocalStack's buckets survive a restart: the synthesized hooks and mirror script
 * (lib/constructs/data/assets/localstack-s3-mirror.sh), taken from the synthesized ConfigMaps and
 * run with the synthesized container env, with `awslocal` standing for the real aws CLI against
 * s3rver (test/support/s3-server.ts). A LocalStack restart is a fresh, empty s3rver and a new
 * container instance id. Only paths (the PVC folder, /tmp, the script folder) differ from the pod.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { IMAGES } from '../../config/images';
import { LocalStack } from '../../lib/constructs/data/localstack';
import { expectSuccess as ok, Run, runProcess as run } from '../support/run-process';
import { awsClientEnv, LocalS3, requireAwsCli, startS3rver } from '../support/s3-server';

const BUCKETS = ['backups', 'uploads'];

let workDir: string;
let binDir: string;
let scriptDir: string;
let mirrorDir: string;
let stateDir: string;
let containerEnv: Record<string, string>;
let hooks: { restore: string; save: string };

/** Env of the LocalStack container (synthesized) with the test's paths, `awslocal` pointed at `server`, as container instance `instance`. */
function envFor(server: LocalS3, instance: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...containerEnv,
    ...awsClientEnv(workDir),
    S3_MIRROR_DIR: mirrorDir,
    S3_MIRROR_STATE_DIR: stateDir,
    S3_MIRROR_INSTANCE: instance,
    S3_MIRROR_LOG: path.join(workDir, 'watch.log'),
    ENDPOINT: server.endpoint,
    HOME: workDir,
    PATH: [binDir, '/usr/bin', '/bin'].join(':'),
    ...extra,
  };
}

/** Runs a synthesized hook (`restore` = ready.d/20-restore-objects.sh, `save` = shutdown.d/10-save-objects.sh). */
function hook(which: 'restore' | 'save', env: NodeJS.ProcessEnv): Promise<Run> {
  return run('sh', ['-c', hooks[which]], env);
}

async function aws(server: LocalS3, args: string[]): Promise<string> {
  return ok(
    await run('aws', ['--endpoint-url', server.endpoint, ...args], {
      ...awsClientEnv(workDir),
      PATH: [binDir, '/usr/bin', '/bin'].join(':'),
    }),
  );
}

async function put(server: LocalS3, bucket: string, files: Record<string, Buffer | string>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(workDir, 'put-'));
  for (const [key, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, key)), { recursive: true });
    fs.writeFileSync(path.join(dir, key), content);
  }
  await aws(server, ['s3', 'cp', dir, `s3://${bucket}/`, '--recursive', '--only-show-errors']);
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Every object of a bucket as key -> bytes. */
async function objects(server: LocalS3, bucket: string): Promise<Record<string, Buffer>> {
  const dir = fs.mkdtempSync(path.join(workDir, 'get-'));
  await aws(server, ['s3', 'sync', `s3://${bucket}`, dir, '--only-show-errors']);
  const out = filesUnder(dir);
  fs.rmSync(dir, { recursive: true, force: true });
  return out;
}

function filesUnder(dir: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    out[path.relative(dir, full)] = fs.readFileSync(full);
  }
  return out;
}

const backupDump = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256));
const firstObjects = {
  backups: { 'wondernest/postgres/2026-12-06.dump.gz': backupDump, 'wondernest/postgres/2026-12-06.dump.gz.sha256': 'abc  dump\n' },
  uploads: { 'users/1/avatar.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]) },
};

beforeAll(() => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'localstack-mirror-'));
  binDir = path.join(workDir, 'bin');
  scriptDir = path.join(workDir, 'etc-localstack-s3-mirror');
  mirrorDir = path.join(workDir, 'pvc', 's3-mirror');
  stateDir = path.join(workDir, 'tmp');
  for (const d of [binDir, scriptDir, stateDir]) fs.mkdirSync(d, { recursive: true });
  fs.symlinkSync(requireAwsCli(), path.join(binDir, 'aws'));
  // LocalStack's awslocal: the aws CLI with the endpoint of the LocalStack in the same container.
  fs.writeFileSync(path.join(binDir, 'awslocal'), '#!/bin/sh\nexec aws --endpoint-url "$ENDPOINT" "$@"\n', { mode: 0o755 });

  const chart = Testing.chart();
  new LocalStack(chart, 'localstack', {
    namespace: 'app',
    partOf: 'app',
    image: IMAGES.localstack,
    resources: { cpuRequest: '100m', memoryRequest: '384Mi', memoryLimit: '768Mi' },
    storage: { size: '2Gi', storageClassName: 'standard' },
    buckets: BUCKETS,
  });
  const docs = Testing.synth(chart);
  const data = (name: string) => docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === name)!.data as Record<string, string>;
  const script = data('localstack-s3-mirror')['localstack-s3-mirror.sh'];
  fs.writeFileSync(path.join(scriptDir, 'localstack-s3-mirror.sh'), script, { mode: 0o755 });
  const at = (text: string) => text.replace('/etc/localstack/s3-mirror/', `${scriptDir}/`);
  hooks = { restore: at(data('localstack-init')['20-restore-objects.sh']), save: at(data('localstack-shutdown')['10-save-objects.sh']) };
  const sts = docs.find((d) => d.kind === 'StatefulSet')!;
  const env = sts.spec.template.spec.containers[0].env as { name: string; value?: string }[];
  containerEnv = Object.fromEntries(env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
  expect(containerEnv.S3_MIRROR_BUCKETS).toBe('backups uploads');
});

afterAll(() => {
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

describe('LocalStack S3 mirror (synthesized hooks, real aws CLI, s3rver)', () => {
  test('objects saved from one LocalStack come back into the next one; deletions reach the copy; nothing is wiped before a restore', async () => {
    const first = await startS3rver(path.join(workDir, 's3-first'), BUCKETS);
    try {
      // A save before this instance restored anything is refused and writes nothing.
      const early = await hook('save', envFor(first, 'boot-1', { S3_MIRROR_INTERVAL_SECONDS: '0' }));
      expect(early.status).not.toBe(0);
      expect(early.output).toContain('not saving: the buckets of this LocalStack were not restored yet');
      expect(fs.existsSync(mirrorDir)).toBe(false);

      // First start: nothing to restore; then the app writes; the shutdown hook copies.
      expect(ok(await hook('restore', envFor(first, 'boot-1', { S3_MIRROR_INTERVAL_SECONDS: '0' })))).toContain(
        'no copy of s3://backups yet',
      );
      await put(first, 'backups', firstObjects.backups);
      await put(first, 'uploads', firstObjects.uploads);
      ok(await hook('save', envFor(first, 'boot-1')));
      expect(filesUnder(path.join(mirrorDir, 'backups'))).toEqual(
        Object.fromEntries(Object.entries(firstObjects.backups).map(([k, v]) => [k, Buffer.from(v)])),
      );
      expect(fs.readFileSync(path.join(mirrorDir, '.last-save'), 'utf8')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/);
    } finally {
      await first.stop();
    }

    // Restart: an empty LocalStack (the community image keeps nothing) and a new container instance.
    const second = await startS3rver(path.join(workDir, 's3-second'), BUCKETS);
    try {
      const saveBeforeRestore = await hook('save', envFor(second, 'boot-2'));
      expect(saveBeforeRestore.status).not.toBe(0);
      expect(Object.keys(filesUnder(path.join(mirrorDir, 'backups')))).toHaveLength(2);

      expect(ok(await hook('restore', envFor(second, 'boot-2', { S3_MIRROR_INTERVAL_SECONDS: '0' })))).toContain('restoring s3://backups');
      expect(await objects(second, 'backups')).toEqual(
        Object.fromEntries(Object.entries(firstObjects.backups).map(([k, v]) => [k, Buffer.from(v)])),
      );
      expect(await objects(second, 'uploads')).toEqual(firstObjects.uploads);

      // Backup retention deletes a dump; the next save drops it from the copy too.
      await aws(second, ['s3', 'rm', 's3://backups/wondernest/postgres/2026-12-06.dump.gz', '--only-show-errors']);
      ok(await hook('save', envFor(second, 'boot-2')));
      expect(Object.keys(filesUnder(path.join(mirrorDir, 'backups')))).toEqual(['wondernest/postgres/2026-12-06.dump.gz.sha256']);
      expect(Object.keys(filesUnder(path.join(mirrorDir, 'uploads')))).toEqual(['users/1/avatar.png']);
    } finally {
      await second.stop();
    }

    // LocalStack gone mid-life: the save fails loudly and leaves the copy and its timestamp alone.
    const lastSave = fs.readFileSync(path.join(mirrorDir, '.last-save'), 'utf8');
    const down = await hook('save', envFor(second, 'boot-2'));
    expect(down.status).not.toBe(0);
    expect(Object.keys(filesUnder(path.join(mirrorDir, 'uploads')))).toEqual(['users/1/avatar.png']);
    expect(fs.readFileSync(path.join(mirrorDir, '.last-save'), 'utf8')).toBe(lastSave);
  }, 180_000);

  test('the restore starts a periodic copy in the background (every S3_MIRROR_INTERVAL_SECONDS)', async () => {
    const server = await startS3rver(path.join(workDir, 's3-watch'), BUCKETS);
    const watchMirror = path.join(workDir, 'pvc-watch');
    const env = envFor(server, 'boot-w', { S3_MIRROR_DIR: watchMirror, S3_MIRROR_INTERVAL_SECONDS: '1' });
    try {
      ok(await hook('restore', env));
      await put(server, 'uploads', { 'later.txt': 'written after the restore\n' });
      const deadline = Date.now() + 60_000;
      while (!fs.existsSync(path.join(watchMirror, 'uploads', 'later.txt')) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 500));
      expect(fs.readFileSync(path.join(watchMirror, 'uploads', 'later.txt'), 'utf8')).toBe('written after the restore\n');
    } finally {
      await run('pkill', ['-f', `${scriptDir}/localstack-s3-mirror.sh watch`], { PATH: '/usr/bin:/bin' });
      await server.stop();
    }
  }, 120_000);
});
