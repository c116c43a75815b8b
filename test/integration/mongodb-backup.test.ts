/**
 * The MongoDB backup engine of the library (lib/constructs/backup/mongodb-backup-engine.ts) end to
 * end: the backup and restore CronJobs that DatabaseBackup synthesizes with it and with
 * MongoDatabase.backupSource() are run container by container, their scripts taken from the
 * synthesized ConfigMap, against a local S3 (s3rver) with the real aws CLI. No MongoDB server can
 * be installed here, so mongodump and mongorestore are stand-ins that check what the scripts pass
 * (the password in a 0600 --config file, never on the command line; no credentials in the URI; the
 * user; the CA file with TLS) and behave like the tools: an archive is a gzipped tar of the
 * "database" directory, `--oplog` adds an oplog entry that `--oplogReplay` requires, a truncated
 * archive is refused. Then shellcheck on the rendered scripts and on the assets themselves.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { DatabaseBackup } from '../../lib/constructs/backup/database-backup';
import { MongoDbBackupEngine } from '../../lib/constructs/backup/mongodb-backup-engine';
import { MongoDatabase, MongoDatabaseProps } from '../../lib/constructs/data/mongodb-database';
import { S3CompatibleStorage } from '../../lib/constructs/storage';
import { Doc } from '../support/doc';
import { findExecutable } from '../support/postgres-server';
import { awsClientEnv, LocalS3, requireAwsCli, startS3rver, listKeysArgs, parseKeyList } from '../support/s3-server';
import { PROJECT_ROOT } from '../support/tools';
import { MONGO_PROPS } from '../support/mongodb-fixture';

/** mongodump and mongorestore stand-ins (and the part they share), copied onto PATH. */
const STAND_INS = path.join(PROJECT_ROOT, 'test', 'support', 'mongodb-stand-ins');
const BUCKET = 'backups';
const PASSWORD = `It's: a #"tricky" pa$$word\\ with spaces`;
const CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUTEST\n-----END CERTIFICATE-----';
const MONGO: MongoDatabaseProps = MONGO_PROPS;

let workDir: string;
let s3: LocalS3;
let basePath: string;

function mkdir(name: string): string {
  const dir = path.join(workDir, name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function aws(args: string[]): string {
  const r = spawnSync('aws', ['--endpoint-url', s3.endpoint, ...args], {
    encoding: 'utf8',
    env: { ...awsClientEnv(workDir), PATH: basePath },
  });
  if (r.status !== 0) throw new Error(`aws ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

function s3Keys(prefix: string): string[] {
  return parseKeyList(aws(listKeysArgs(BUCKET, prefix)));
}

/** `sha256sum` of every file under a directory, sorted: equal strings, equal contents. */
const snapshot = (dir: string) =>
  spawnSync('sh', ['-c', 'find . -type f | sort | xargs -r sha256sum'], { cwd: dir, encoding: 'utf8' }).stdout;

beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mongodb-backup-'));
  const bin = mkdir('bin');
  fs.symlinkSync(requireAwsCli(), path.join(bin, 'aws'));
  for (const file of fs.readdirSync(STAND_INS)) fs.copyFileSync(path.join(STAND_INS, file), path.join(bin, file));
  basePath = [bin, '/usr/sbin', '/usr/bin', '/sbin', '/bin'].join(':');
  s3 = await startS3rver(mkdir('s3'), [BUCKET]);
});

afterAll(async () => {
  await s3?.stop();
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

/** A synthesized MongoDB backup (CronJobs and scripts ConfigMap) and a "database" directory with data. */
class Scenario {
  public readonly objects: Doc[];
  public readonly dataDir: string;
  public readonly argvLog: string;
  public readonly caLog: string;
  public readonly passwordFile: string;

  constructor(
    public readonly name: string,
    public readonly prefix: string,
    engine: MongoDbBackupEngine,
    mongoProps: Partial<MongoDatabaseProps> = {},
  ) {
    const chart = Testing.chart();
    const mongo = new MongoDatabase(chart, 'mongodb', { ...MONGO, ...mongoProps });
    const storage = new S3CompatibleStorage({
      server: { name: 'minio', host: 'minio.shop.svc.cluster.local', ports: { api: 9000, console: 9001 } },
      port: 'api',
      credentials: {
        accessKeyId: { secret: 'minio-credentials', key: 'ACCESS_KEY' },
        secretAccessKey: { secret: 'minio-credentials', key: 'SECRET_KEY' },
      },
    });
    new DatabaseBackup(chart, 'backup', {
      namespace: 'shop',
      partOf: 'shop',
      name: 'mongodb-backup',
      engine,
      source: mongo.backupSource(),
      schedule: '30 1 * * *',
      retentionDays: 14,
      target: storage.target({ bucket: BUCKET, prefix }),
      uploaderImage: 'amazon/aws-cli:2.22.35',
      resources: { cpuRequest: '50m', memoryRequest: '128Mi', memoryLimit: '256Mi' },
    });
    this.objects = Testing.synth(chart);
    this.dataDir = mkdir(`${name}-db`);
    fs.mkdirSync(path.join(this.dataDir, 'ecommerce'));
    fs.writeFileSync(path.join(this.dataDir, 'ecommerce', 'orders.bson'), 'order 1\norder 2\n');
    fs.writeFileSync(path.join(this.dataDir, 'ecommerce', 'products.bson'), 'mug\nteapot\n');
    fs.mkdirSync(path.join(this.dataDir, 'admin'));
    fs.writeFileSync(path.join(this.dataDir, 'admin', 'system.users.bson'), 'app_user\nmongodb_backup\n');
    this.argvLog = path.join(mkdir(`${name}-logs`), 'argv.log');
    this.caLog = path.join(workDir, `${name}-logs`, 'ca.log');
    this.passwordFile = path.join(workDir, `${name}-logs`, 'password');
    fs.writeFileSync(this.passwordFile, PASSWORD);
  }

  /**
   * Runs a synthesized CronJob's pod: init containers, then the container, each with the script its
   * command names, its env (Secret references resolved to test values), the pod's volumes as temp
   * dirs, the endpoint of s3rver and the stand-ins on PATH.
   */
  public run(cronJob: string, options: { override?: Record<string, string>; password?: string } = {}) {
    const cj = this.objects.find((o) => o.kind === 'CronJob' && o.metadata.name === cronJob);
    const pod = cj.spec.jobTemplate.spec.template.spec;
    const scripts = this.objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'mongodb-backup-scripts').data;
    const backupDir = mkdir(`${this.name}-${cronJob}-${Math.random().toString(36).slice(2)}`);
    const tmpDir = mkdir(`${this.name}-${cronJob}-tmp-${Math.random().toString(36).slice(2)}`);
    const secrets: Record<string, string> = {
      'minio-credentials/ACCESS_KEY': awsClientEnv(workDir).AWS_ACCESS_KEY_ID!,
      'minio-credentials/SECRET_KEY': awsClientEnv(workDir).AWS_SECRET_ACCESS_KEY!,
      'mongodb-credentials/MONGO_BACKUP_PASSWORD': options.password ?? PASSWORD,
      'mongodb-tls/ca.crt': CA_PEM,
    };
    let output = '';
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
      const env: NodeJS.ProcessEnv = { ...awsClientEnv(workDir), AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined };
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef;
        const value = ref ? secrets[`${ref.name}/${ref.key}`] : e.value;
        if (value === undefined) throw new Error(`${c.name}: no test value for Secret ${ref.name} key ${ref.key}`);
        env[e.name] = value;
      }
      Object.assign(env, {
        BACKUP_DIR: backupDir,
        HOME: tmpDir,
        TMPDIR: tmpDir,
        S3_ENDPOINT_URL: s3.endpoint,
        PATH: basePath,
        STUB_DB_DIR: this.dataDir,
        STUB_USERNAME: 'mongodb_backup',
        STUB_PASSWORD_FILE: this.passwordFile,
        STUB_ARGV_LOG: this.argvLog,
        STUB_CA_LOG: this.caLog,
      });
      if ((c.env ?? []).some((e: Doc) => e.name === 'BACKUP_OBJECT')) Object.assign(env, options.override ?? {});
      const file = path.join(tmpDir, `${c.name}.sh`);
      fs.writeFileSync(file, scripts[path.basename(c.command[1])], { mode: 0o755 });
      const r = spawnSync(c.command[0], [file], { encoding: 'utf8', env, timeout: 120_000 });
      output += `--- ${c.name}\n${r.stdout}${r.stderr}`;
      if (r.status !== 0) return { ok: false, output, backupDir, tmpDir };
    }
    return { ok: true, output, backupDir, tmpDir };
  }

  public argv(): string {
    return fs.existsSync(this.argvLog) ? fs.readFileSync(this.argvLog, 'utf8') : '';
  }
}

/** An archive as the stand-in mongodump makes it, of `dir` (with an oplog entry or not), with a matching .sha256, uploaded as `name`. */
function uploadArchive(scenario: Scenario, name: string, content: Buffer): void {
  const dir = mkdir(`${scenario.name}-upload-${Math.random().toString(36).slice(2)}`);
  fs.writeFileSync(path.join(dir, name), content);
  const sum = spawnSync('sha256sum', [name], { cwd: dir, encoding: 'utf8' });
  fs.writeFileSync(path.join(dir, `${name}.sha256`), sum.stdout);
  aws(['s3', 'cp', dir, `s3://${BUCKET}/${scenario.prefix}/`, '--recursive', '--only-show-errors']);
}

function tarGz(dir: string): Buffer {
  return spawnSync('sh', ['-c', 'tar -C "$1" -cf - . | gzip -c', 'sh', dir]).stdout;
}

describe('MongoDB backup and restore CronJobs (oplog: the default), end to end', () => {
  let s: Scenario;
  let dumpName: string;
  let original: string;
  beforeAll(() => {
    s = new Scenario('replset', 'shop/mongodb', new MongoDbBackupEngine());
  });

  test('backup: mongodump --archive --gzip --oplog, verified, uploaded with its .sha256; the password only in a 0600 --config file', () => {
    original = snapshot(s.dataDir);
    const run = s.run('mongodb-backup');
    if (!run.ok) throw new Error(run.output);
    expect(run.output).toMatch(
      /\[mongodb-dump\] mongodump --archive --gzip --oplog of mongodb-0\.mongodb\.shop\.svc\.cluster\.local:27017,/,
    );
    expect(run.output).toContain('[mongodb-dump] verified the dump: whole gzip stream, read by mongorestore --dryRun --oplogReplay');
    expect(run.output).toMatch(/\[mongodb-dump\] backup complete: mongodb-\d{8}T\d{6}Z\.archive\.gz \(\d+ bytes\)/);
    dumpName = fs.readFileSync(path.join(run.backupDir, 'latest-name'), 'utf8').trim();
    expect(s3Keys('shop/mongodb/')).toEqual([`shop/mongodb/${dumpName}`, `shop/mongodb/${dumpName}.sha256`]);
    const argv = s.argv();
    expect(argv).toMatch(
      /^mongodump --config=\S+\/tools\.yaml --uri=mongodb:\/\/mongodb-0\S+\/\\\?authSource=admin\\&replicaSet=rs0 --username=mongodb_backup --archive=\S+ --gzip --oplog --quiet$/m,
    );
    expect(argv).toMatch(/^mongorestore .* --gzip --dryRun --oplogReplay --quiet$/m);
    expect(argv).not.toContain('tricky');
    expect(run.output).not.toContain('tricky');
    expect(fs.readdirSync(run.tmpDir).filter((f) => f.startsWith('mongodb-tools.'))).toEqual([]); // the config file is gone
  });

  test('restore: latest dump verified, the current data dumped and uploaded under pre-restore/ first, then mongorestore --drop --oplogReplay', () => {
    fs.writeFileSync(path.join(s.dataDir, 'ecommerce', 'orders.bson'), 'changed after the backup\n');
    fs.writeFileSync(path.join(s.dataDir, 'ecommerce', 'later.bson'), 'created after the backup\n');
    const changed = snapshot(s.dataDir);
    fs.writeFileSync(s.argvLog, '');
    const run = s.run('mongodb-restore');
    if (!run.ok) throw new Error(run.output);
    expect(run.output).toContain(`latest backup is shop/mongodb/${dumpName}`);
    expect(run.output).toContain('stand-in: replayed the oplog');
    expect(run.output).toMatch(
      /\[mongodb-restore\] restore of mongodb-\S+ complete; users and roles are the dump's: run the database's init Job again/,
    );
    expect(snapshot(s.dataDir)).toBe(original);
    const calls = s
      .argv()
      .trim()
      .split('\n')
      .map((l) =>
        l
          .split(' ')
          .filter((a) => /^--(dryRun|drop|oplog|oplogReplay)$/.test(a) || /^mongo/.test(a))
          .join(' '),
      );
    expect(calls).toEqual([
      'mongorestore --dryRun --oplogReplay', // safety-dump: the download is verified first
      'mongodump --oplog', // the safety dump
      'mongorestore --dryRun --oplogReplay', // ... verified
      'mongorestore --dryRun --oplogReplay', // restore: verified again
      'mongorestore --drop --oplogReplay',
    ]);
    const safety = s3Keys('shop/mongodb/pre-restore/');
    expect(safety).toEqual([
      expect.stringMatching(/^shop\/mongodb\/pre-restore\/pre-restore-\d{8}T\d{6}Z\.archive\.gz$/),
      expect.stringMatching(/\.archive\.gz\.sha256$/),
    ]);
    const check = mkdir('replset-safety-check');
    aws(['s3', 'cp', `s3://${BUCKET}/${safety[0]}`, path.join(check, 'safety.tgz'), '--only-show-errors']);
    fs.mkdirSync(path.join(check, 'data'));
    spawnSync('tar', ['-C', path.join(check, 'data'), '-xzf', path.join(check, 'safety.tgz'), '--exclude=./oplog.bson']);
    expect(snapshot(path.join(check, 'data'))).toBe(changed);
  });

  test('a truncated archive (with a matching .sha256) is refused before the data is touched', () => {
    const bad = 'mongodb-20000101T000000Z.archive.gz';
    const whole = tarGz(s.dataDir);
    uploadArchive(s, bad, whole.subarray(0, Math.floor(whole.length / 2)));
    const before = snapshot(s.dataDir);
    const run = s.run('mongodb-restore', { override: { BACKUP_OBJECT: bad } });
    expect(run.ok).toBe(false);
    expect(run.output).toContain(`[mongodb-safety-dump] ERROR: ${bad} is not a whole gzip stream (truncated or corrupt)`);
    expect(snapshot(s.dataDir)).toBe(before);
  });

  test('a dump without an oplog is refused by the dry run before the data is touched', () => {
    const noOplog = 'mongodb-20000102T000000Z.archive.gz';
    uploadArchive(s, noOplog, tarGz(s.dataDir));
    const before = snapshot(s.dataDir);
    const run = s.run('mongodb-restore', { override: { BACKUP_OBJECT: noOplog } });
    expect(run.ok).toBe(false);
    expect(run.output).toContain('Failed: no oplog file to replay');
    expect(run.output).toContain(`[mongodb-safety-dump] ERROR: mongorestore --dryRun rejected ${noOplog}`);
    expect(snapshot(s.dataDir)).toBe(before);
  });

  test('a wrong password fails the backup (nothing uploaded) without printing it', () => {
    const keys = s3Keys('shop/mongodb/');
    const run = s.run('mongodb-backup', { password: 'not-the-password' });
    expect(run.ok).toBe(false);
    expect(run.output).toContain('Authentication failed');
    expect(run.output).toContain('[mongodb-dump] ERROR: mongodump failed');
    expect(run.output).not.toContain('not-the-password');
    expect(s3Keys('shop/mongodb/')).toEqual(keys);
  });
});

describe('MongoDB backups of a standalone mongod (oplog: false)', () => {
  test('dump without --oplog, restore without --oplogReplay', () => {
    const s = new Scenario('standalone', 'shop/mongodb-standalone', new MongoDbBackupEngine({ oplog: false }));
    const original = snapshot(s.dataDir);
    const backup = s.run('mongodb-backup');
    if (!backup.ok) throw new Error(backup.output);
    fs.writeFileSync(path.join(s.dataDir, 'ecommerce', 'orders.bson'), 'changed\n');
    const restore = s.run('mongodb-restore');
    if (!restore.ok) throw new Error(restore.output);
    expect(snapshot(s.dataDir)).toBe(original);
    expect(s.argv()).not.toMatch(/--oplog/);
  });
});

describe('MongoDB backups with TLS', () => {
  test('the CA of the TLS Secret verifies the servers: tls=true and tlsCAFile in the URI, the file removed afterwards', () => {
    const s = new Scenario('tls', 'shop/mongodb-tls', new MongoDbBackupEngine(), { tls: { secretName: 'mongodb-tls' } });
    const run = s.run('mongodb-backup');
    if (!run.ok) throw new Error(run.output);
    expect(s.argv()).toMatch(/--uri=mongodb:\/\/\S+authSource=admin\\&replicaSet=rs0\\&tls=true\\&tlsCAFile=\S+\/ca\.pem /);
    const caFiles = fs.readFileSync(s.caLog, 'utf8').trim().split('\n');
    expect(caFiles.length).toBeGreaterThan(0);
    for (const f of caFiles) expect(fs.existsSync(f)).toBe(false);
  });
});

describe('shellcheck', () => {
  test('the rendered MongoDB scripts (both oplog settings) pass shellcheck at every severity', () => {
    const shellcheck = findExecutable('shellcheck');
    if (!shellcheck) throw new Error('shellcheck is required: apt-get install -y shellcheck');
    const dir = mkdir('shellcheck');
    const problems: string[] = [];
    for (const engine of [new MongoDbBackupEngine(), new MongoDbBackupEngine({ oplog: false })]) {
      for (const [name, text] of Object.entries({
        dump: engine.dumpScript,
        safety: engine.safetyDumpScript,
        restore: engine.restoreScript,
      })) {
        const file = path.join(dir, `${name}-${engine.oplog}.sh`);
        fs.writeFileSync(file, text);
        const r = spawnSync(shellcheck, ['--norc', '-s', 'bash', file], { encoding: 'utf8' });
        if (r.status !== 0) problems.push(`${name} (oplog ${engine.oplog}):\n${r.stdout}${r.stderr}`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('the asset files themselves pass shellcheck -x (bash)', () => {
    const shellcheck = findExecutable('shellcheck')!;
    const assets = path.join(PROJECT_ROOT, 'lib', 'constructs', 'backup', 'assets');
    const files = fs.readdirSync(assets).filter((f) => /^mongodb-.*\.sh$/.test(f));
    expect(files.sort()).toEqual(['mongodb-common.sh', 'mongodb-dump.sh', 'mongodb-restore.sh', 'mongodb-safety-dump.sh']);
    const r = spawnSync(shellcheck, ['--norc', '-x', ...files], { cwd: assets, encoding: 'utf8' });
    expect([r.status, r.stdout + r.stderr]).toEqual([0, '']);
  });
});
