/**
 * The backup scripts against real tools: PostgreSQL 15 (dump, restore into a FRESH instance),
 * Redis (dump, restore into a fresh data dir), and the S3 scripts against a local
 * S3-compatible server (s3rver on 127.0.0.1) with the real aws CLI; the synthesized CronJobs of
 * an engine defined outside the library (stand-in mongodump/mongorestore) end to end; shellcheck
 * on every rendered script.
 */
import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import type { IEnvVar } from 'kubernetes-models/v1/EnvVar';
import {
  BACKUP_FILE_NAME_PATTERN,
  BUILT_IN_BACKUP_EXTENSIONS,
  postgresDumpScript,
  postgresRecreateRestoreScript,
  postgresRestoreScript,
  postgresSafetyDumpScript,
  redisDumpScript,
  redisEnsureStoppedScript,
  redisRestoreScript,
  s3DownloadScript,
  s3Scripts,
  s3UploadScript,
} from '../../lib/constructs/backup/backup-scripts';
import { DatabaseBackup } from '../../lib/constructs/backup/database-backup';
import { S3CompatibleStorage } from '../../lib/constructs/storage';
import { PostgresInitSpec, renderInitScript, renderPgHba, renderPostgresqlConf } from '../../lib/constructs/data/postgres-config';
import { findExecutable, PostgresServer, runAsPostgres, startPostgres } from '../support/postgres-server';
import { RedisServer, startRedis } from '../support/redis-server';
import { awsClientEnv, LocalS3, requireAwsCli, startS3rver, listKeysArgs, parseKeyList } from '../support/s3-server';
import { MongoBackupEngine, mongoDumpScript, mongoRestoreScript, mongoSafetyDumpScript } from '../support/mongo-backup-engine';
import { Doc } from '../support/doc';

const DB = 'appdb';
const SPEC: PostgresInitSpec = {
  schemas: ['app', 'audit'],
  extensions: ['uuid-ossp', 'pgcrypto', 'pg_trgm'],
  roles: [
    { name: 'app_owner', access: 'owner', connectionLimit: 5, passwordEnv: 'APP_OWNER_PASSWORD' },
    { name: 'app_rw', access: 'readwrite', connectionLimit: 20, passwordEnv: 'APP_RW_PASSWORD' },
    { name: 'app_ro', access: 'readonly', connectionLimit: 10, passwordEnv: 'APP_RO_PASSWORD' },
  ],
};
const PASSWORDS = { APP_OWNER_PASSWORD: 'owner-pw-1a2b', APP_RW_PASSWORD: 'rw-pw-3c4d', APP_RO_PASSWORD: 'ro-pw-5e6f' };
const REDIS_PASSWORD = 'redis-backup-pw-77';
const BUCKET = 'backups';

let workDir: string;
let pathWithTools: string;
let s3: LocalS3;
let awsEnv: NodeJS.ProcessEnv;
const servers: PostgresServer[] = [];
const redises: RedisServer[] = [];

// ------------------------------------------------------------------------------------------
// helpers
// ------------------------------------------------------------------------------------------

function mkdir(name: string): string {
  const dir = path.join(workDir, name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Runs a rendered script (bash or sh, as its shebang says) with only the given env (plus PATH/HOME). */
function runScript(script: string, env: NodeJS.ProcessEnv): SpawnSyncReturns<string> {
  const file = path.join(workDir, `script-${Math.random().toString(36).slice(2)}.sh`);
  fs.writeFileSync(file, script, { mode: 0o755 });
  const shell = script.startsWith('#!/bin/sh') ? 'sh' : 'bash';
  return spawnSync(shell, [file], { encoding: 'utf8', env: { PATH: pathWithTools, HOME: workDir, ...env }, timeout: 120_000 });
}

function expectOk(r: SpawnSyncReturns<string>): string {
  if (r.status !== 0) throw new Error(`script exited ${r.status ?? r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  return r.stdout;
}

function expectFailure(r: SpawnSyncReturns<string>, message: RegExp): void {
  expect(r.status).not.toBe(0);
  expect(r.stdout + r.stderr).toMatch(message);
}

/** Every line a script logs carries a UTC timestamp and the script's name. */
function expectTimestampedLog(stdout: string, name: string): void {
  const lines = stdout.split('\n').filter((l) => l.includes(`[${name}]`));
  expect(lines.length).toBeGreaterThan(1);
  for (const l of lines) expect(l).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \[/);
}

function formatTs(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

function aws(args: string[]): string {
  return expectOk(
    spawnSync('aws', ['--endpoint-url', `http://localhost:${s3.port}`, ...args], {
      encoding: 'utf8',
      env: { ...awsEnv, PATH: pathWithTools },
    }),
  );
}

function s3Keys(prefix: string): string[] {
  return parseKeyList(aws(listKeysArgs(BUCKET, prefix)));
}

/** Puts objects (one aws call: each aws run costs about a second). */
function putObjects(keys: string[], content: string): void {
  const dir = fs.mkdtempSync(path.join(workDir, 'put-'));
  for (const key of keys) {
    fs.mkdirSync(path.dirname(path.join(dir, key)), { recursive: true });
    fs.writeFileSync(path.join(dir, key), content);
  }
  aws(['s3', 'cp', dir, `s3://${BUCKET}/`, '--recursive', '--only-show-errors']);
  fs.rmSync(dir, { recursive: true, force: true });
}

function putObject(key: string, content: string): void {
  putObjects([key], content);
}

/** A fresh PostgreSQL with the rendered config, database `appdb` and (unless `init` is false) the init script run. */
async function freshPostgres(init = true): Promise<PostgresServer> {
  const pg = await startPostgres({
    postgresqlConf: renderPostgresqlConf({}),
    pgHba: renderPgHba({ allowedCidrs: [] }),
  });
  servers.push(pg);
  pg.createDatabase(DB);
  if (init) {
    const file = path.join(pg.baseDir, 'init.sh');
    fs.writeFileSync(file, renderInitScript(SPEC), { mode: 0o755 });
    fs.chownSync(file, fs.statSync(pg.dataDir).uid, fs.statSync(pg.dataDir).gid);
    const r = runAsPostgres('bash', [file], {
      env: { POSTGRES_USER: 'postgres', POSTGRES_DB: DB, PGHOST: pg.socketDir, PGPORT: String(pg.port), ...PASSWORDS },
    });
    if (r.status !== 0) throw new Error(`init failed: ${r.stdout}\n${r.stderr}`);
  }
  return pg;
}

function pgEnv(pg: PostgresServer, backupDir: string): NodeJS.ProcessEnv {
  return { ...pg.superuserTcpEnv, PGDATABASE: DB, BACKUP_DIR: backupDir };
}

/** Row count of every user table, `schema.table=count`, sorted. */
function tableCounts(pg: PostgresServer): string {
  return pg.superSql(
    `SELECT string_agg(format('%I.%I=%s', schemaname, relname,
        (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM ONLY %I.%I', schemaname, relname), false, true, '')))[1]::text), ',' ORDER BY schemaname, relname)
     FROM pg_stat_user_tables`,
    DB,
  );
}

function newestFile(dir: string, pattern: RegExp): string | undefined {
  return fs
    .readdirSync(dir)
    .filter((f) => pattern.test(f))
    .sort()
    .pop();
}

// ------------------------------------------------------------------------------------------
// setup
// ------------------------------------------------------------------------------------------

beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'backup-restore-'));
  const awsPath = requireAwsCli();
  const binDir = mkdir('bin');
  fs.symlinkSync(awsPath, path.join(binDir, 'aws'));
  const pgTools = await import('../support/postgres-server').then((m) => m.requirePostgresTools());
  const redisCli = findExecutable('redis-cli');
  pathWithTools = [
    binDir,
    path.dirname(pgTools.pg_dump),
    path.dirname(pgTools.psql),
    ...(redisCli ? [path.dirname(redisCli)] : []),
    '/usr/sbin',
    '/usr/bin',
    '/sbin',
    '/bin',
  ].join(':');
  s3 = await startS3rver(mkdir('s3'), [BUCKET]);
  awsEnv = {
    ...awsClientEnv(workDir),
    S3_ENDPOINT_URL: s3.endpoint,
    S3_BUCKET: BUCKET,
  };
});

afterAll(async () => {
  for (const pg of servers) pg.stop();
  for (const r of redises) await r.destroy();
  await s3?.stop();
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

// ------------------------------------------------------------------------------------------
// PostgreSQL
// ------------------------------------------------------------------------------------------

describe('PostgreSQL: dump -> S3 -> download -> restore into a fresh instance', () => {
  let source: PostgresServer;
  let dumpDir: string;
  let dumpName: string;
  const prefix = 'postgres/appdb';

  beforeAll(async () => {
    source = await freshPostgres();
    const seed = source.tcpSql(
      `CREATE TABLE app.customers (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, ref uuid NOT NULL DEFAULT uuid_generate_v4());
       CREATE INDEX customers_email_trgm ON app.customers USING gin (email gin_trgm_ops);
       INSERT INTO app.customers (email) SELECT 'user' || i || '@example.com' FROM generate_series(1, 1000) i;
       CREATE TABLE app.orders (id bigserial PRIMARY KEY, customer_id bigint NOT NULL REFERENCES app.customers, total numeric(10,2), note text);
       INSERT INTO app.orders (customer_id, total, note)
         SELECT 1 + i % 1000, i * 1.25, E'line 1\\nline 2\\ttab ''quoted'' \\\\ backslash #' || i FROM generate_series(1, 2500) i;
       CREATE TABLE app."Order Lines" (id int, sku text);
       INSERT INTO app."Order Lines" VALUES (1, 'a'), (2, 'b'), (3, 'c');
       CREATE TABLE audit.events (id bigserial PRIMARY KEY, what text);
       CREATE VIEW app.big_orders AS SELECT * FROM app.orders WHERE total > 1000;`,
      { user: 'app_owner', password: PASSWORDS.APP_OWNER_PASSWORD, database: DB },
    );
    if (seed.status !== 0) throw new Error(seed.stderr);
    dumpDir = mkdir('pg-dump');
  });

  test('postgresDumpScript writes a gzip dump, verified, with a .sha256 and latest-name', () => {
    const r = runScript(postgresDumpScript, { ...pgEnv(source, dumpDir), BACKUP_NAME_PREFIX: 'appdb' });
    const out = expectOk(r);
    expectTimestampedLog(out, 'postgres-dump');
    expect(out + r.stderr).not.toContain(source.superuserPassword);
    dumpName = fs.readFileSync(path.join(dumpDir, 'latest-name'), 'utf8').trim();
    expect(dumpName).toMatch(/^appdb-\d{8}T\d{6}Z\.sql\.gz$/);
    expect(fs.readdirSync(dumpDir).sort()).toEqual([dumpName, `${dumpName}.sha256`, 'latest-name']);
    expect(spawnSync('sha256sum', ['-c', `${dumpName}.sha256`], { cwd: dumpDir }).status).toBe(0);
    expect(spawnSync('gzip', ['-t', path.join(dumpDir, dumpName)]).status).toBe(0);
    const sql = spawnSync('gzip', ['-dc', path.join(dumpDir, dumpName)], { encoding: 'utf8', maxBuffer: 1 << 28 }).stdout;
    expect(sql).toContain('-- PostgreSQL database dump complete');
    expect(sql).toContain('DROP TABLE IF EXISTS app.orders;');
  });

  test('postgresDumpScript fails without leaving a file when pg_dump fails or env is missing', () => {
    const dir = mkdir('pg-dump-fail');
    expectFailure(
      runScript(postgresDumpScript, { ...pgEnv(source, dir), PGPASSWORD: 'wrong', BACKUP_NAME_PREFIX: 'appdb' }),
      /pg_dump \| gzip of database 'appdb' failed/,
    );
    expect(fs.readdirSync(dir)).toEqual([]);
    expectFailure(runScript(postgresDumpScript, { ...pgEnv(source, dir) }), /environment variable BACKUP_NAME_PREFIX must be set/);
    expectFailure(
      runScript(postgresDumpScript, { ...pgEnv(source, dir), BACKUP_NAME_PREFIX: '../x' }),
      /BACKUP_NAME_PREFIX '..\/x' is invalid/,
    );
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  test('s3UploadScript uploads, then prunes only expired backups of the same prefix', () => {
    const day = 86_400_000;
    const old30 = `appdb-${formatTs(new Date(Date.now() - 30 * day))}.sql.gz`;
    const recent = `appdb-${formatTs(new Date(Date.now() - 1 * day))}.sql.gz`;
    const seeded = [
      `${prefix}/appdb-20200101T000000Z.sql.gz`,
      `${prefix}/appdb-20200101T000000Z.sql.gz.sha256`,
      `${prefix}/${old30}`,
      `${prefix}/${old30}.sha256`,
      `${prefix}/${recent}`,
      `${prefix}/${recent}.sha256`,
      `${prefix}/appdb-29990101T000000Z.sql.gz`, // future, no .sha256: neither pruned nor "latest"
      `${prefix}/other-20200101T000000Z.sql.gz`, // another name prefix
      `${prefix}/README`,
      `${prefix}/nested/appdb-20200101T000000Z.sql.gz`,
      `postgres/appdb-old/appdb-20200101T000000Z.sql.gz`, // a sibling prefix
    ];
    putObjects(seeded, 'old');
    const r = runScript(s3UploadScript, { ...awsEnv, BACKUP_DIR: dumpDir, S3_PREFIX: `/${prefix}/`, RETENTION_DAYS: '7' });
    const out = expectOk(r);
    expectTimestampedLog(out, 's3-upload');
    expect(out).toMatch(/pruned 4 object\(s\)/);
    expect(s3Keys('postgres/')).toEqual(
      [
        `${prefix}/${dumpName}`,
        `${prefix}/${dumpName}.sha256`,
        `${prefix}/${recent}`,
        `${prefix}/${recent}.sha256`,
        `${prefix}/appdb-29990101T000000Z.sql.gz`,
        `${prefix}/other-20200101T000000Z.sql.gz`,
        `${prefix}/README`,
        `${prefix}/nested/appdb-20200101T000000Z.sql.gz`,
        `postgres/appdb-old/appdb-20200101T000000Z.sql.gz`,
      ].sort(),
    );
    const downloaded = path.join(workDir, 'check-upload');
    aws(['s3', 'cp', `s3://${BUCKET}/${prefix}/${dumpName}`, downloaded, '--only-show-errors']);
    expect(fs.readFileSync(downloaded).equals(fs.readFileSync(path.join(dumpDir, dumpName)))).toBe(true);
  });

  test('s3UploadScript never deletes the backup it uploads, even an old one', () => {
    const dir = mkdir('old-upload');
    const oldName = 'appdb-20200102T000000Z.sql.gz';
    fs.copyFileSync(path.join(dumpDir, dumpName), path.join(dir, oldName));
    expectOk(
      spawnSync('sh', ['-c', `sha256sum ${oldName} > ${oldName}.sha256 && echo ${oldName} > latest-name`], { cwd: dir, encoding: 'utf8' }),
    );
    putObject(`${prefix}/appdb-20200101T000000Z.sql.gz`, 'old');
    expectOk(runScript(s3UploadScript, { ...awsEnv, BACKUP_DIR: dir, S3_PREFIX: prefix, RETENTION_DAYS: '7' }));
    const keys = s3Keys(`${prefix}/appdb-2020`);
    expect(keys).toEqual([`${prefix}/${oldName}`, `${prefix}/${oldName}.sha256`]);
    aws(['s3', 'rm', `s3://${BUCKET}/${prefix}/${oldName}`, '--only-show-errors']);
    aws(['s3', 'rm', `s3://${BUCKET}/${prefix}/${oldName}.sha256`, '--only-show-errors']);
  });

  test.each([['0'], ['-3']])('s3UploadScript uploads but refuses to prune with RETENTION_DAYS=%s', (days) => {
    putObject(`${prefix}/appdb-20200101T000000Z.sql.gz`, 'old');
    const r = runScript(s3UploadScript, { ...awsEnv, BACKUP_DIR: dumpDir, S3_PREFIX: prefix, RETENTION_DAYS: days });
    expectFailure(r, /refusing to prune: RETENTION_DAYS must be an integer >= 1/);
    expect(s3Keys(`${prefix}/`)).toEqual(expect.arrayContaining([`${prefix}/appdb-20200101T000000Z.sql.gz`, `${prefix}/${dumpName}`]));
    aws(['s3', 'rm', `s3://${BUCKET}/${prefix}/appdb-20200101T000000Z.sql.gz`, '--only-show-errors']);
  });

  test('s3UploadScript refuses a backup whose checksum does not match', () => {
    const dir = mkdir('bad-upload');
    fs.copyFileSync(path.join(dumpDir, dumpName), path.join(dir, dumpName));
    fs.writeFileSync(path.join(dir, `${dumpName}.sha256`), `${'0'.repeat(64)}  ${dumpName}\n`);
    fs.writeFileSync(path.join(dir, 'latest-name'), `${dumpName}\n`);
    expectFailure(
      runScript(s3UploadScript, { ...awsEnv, BACKUP_DIR: dir, S3_PREFIX: 'postgres/bad', RETENTION_DAYS: '7' }),
      /checksum mismatch/,
    );
    expect(s3Keys('postgres/bad/')).toEqual([]);
  });

  let restoreDir: string;

  test('s3DownloadScript fetches the latest backup that has a .sha256 and verifies it', () => {
    restoreDir = mkdir('pg-restore');
    const out = expectOk(
      runScript(s3DownloadScript, {
        ...awsEnv,
        BACKUP_DIR: restoreDir,
        S3_PREFIX: prefix,
        BACKUP_OBJECT: 'latest',
        BACKUP_NAME_PREFIX: 'appdb',
      }),
    );
    expectTimestampedLog(out, 's3-download');
    expect(out).toContain(`latest backup is ${prefix}/${dumpName}`);
    expect(fs.readFileSync(path.join(restoreDir, 'restore-name'), 'utf8').trim()).toBe(dumpName);
    expect(fs.readFileSync(path.join(restoreDir, dumpName)).equals(fs.readFileSync(path.join(dumpDir, dumpName)))).toBe(true);
  });

  test('s3DownloadScript takes an explicit key, and refuses an object whose checksum does not match', () => {
    const dir = mkdir('pg-download-explicit');
    expectOk(runScript(s3DownloadScript, { ...awsEnv, BACKUP_DIR: dir, S3_PREFIX: prefix, BACKUP_OBJECT: dumpName }));
    expect(fs.readFileSync(path.join(dir, 'restore-name'), 'utf8').trim()).toBe(dumpName);

    const tampered = 'appdb-20240101T000000Z.sql.gz';
    putObject(`${prefix}/${tampered}`, 'not the original content');
    putObject(`${prefix}/${tampered}.sha256`, `${'a'.repeat(64)}  ${tampered}\n`);
    const bad = mkdir('pg-download-tampered');
    expectFailure(
      runScript(s3DownloadScript, { ...awsEnv, BACKUP_DIR: bad, S3_PREFIX: prefix, BACKUP_OBJECT: `${prefix}/${tampered}` }),
      /checksum mismatch/,
    );
    expect(fs.existsSync(path.join(bad, 'restore-name'))).toBe(false);
    expectFailure(
      runScript(s3DownloadScript, { ...awsEnv, BACKUP_DIR: bad, S3_PREFIX: 'postgres/none', BACKUP_OBJECT: 'latest' }),
      /no backup with a .sha256 found/,
    );
  });

  test('postgresRestoreScript restores into a fresh instance and verifies schemas and row counts', async () => {
    const target = await freshPostgres();
    const r = runScript(postgresRestoreScript, pgEnv(target, restoreDir));
    const out = expectOk(r);
    expectTimestampedLog(out, 'postgres-restore');
    expect(out + r.stderr).not.toContain(target.superuserPassword);
    expect(out).toMatch(/schema app present/);
    expect(out).toMatch(/schema audit present/);
    expect(out).toMatch(/app\.orders: 2500/);
    expect(out).toMatch(/app\."Order Lines": 3/);
    expect(out).toMatch(/audit\.events: 0/);
    expect(tableCounts(target)).toBe(tableCounts(source));
    expect(tableCounts(target)).toBe('app."Order Lines"=3,app.customers=1000,app.orders=2500,audit.events=0');
    const digest = `SELECT md5(string_agg(id || '|' || customer_id || '|' || total || '|' || note, ',' ORDER BY id)) FROM app.orders`;
    expect(target.superSql(digest, DB)).toBe(source.superSql(digest, DB));
    expect(target.superSql('SELECT last_value FROM app.customers_id_seq', DB)).toBe('1000');
    // Ownership and grants came back: the readonly role reads, the owner still owns.
    expect(
      target.tcpSql('SELECT count(*) FROM app.big_orders', { user: 'app_ro', password: PASSWORDS.APP_RO_PASSWORD, database: DB }).stdout,
    ).toBe('1700');
    expect(target.superSql("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'app.orders'::regclass", DB)).toBe('app_owner');
    // The safety dump of the (empty) database taken before the restore.
    const safety = newestFile(restoreDir, /^pre-restore-\d{8}T\d{6}Z\.sql\.gz$/);
    expect(safety).toBeDefined();
    expect(spawnSync('sha256sum', ['-c', `${safety}.sha256`], { cwd: restoreDir }).status).toBe(0);
  });

  test('postgresRestoreScript restores in place over changed data and objects created after the backup', () => {
    const dir = mkdir('pg-restore-in-place');
    for (const f of [dumpName, `${dumpName}.sha256`, 'restore-name']) fs.copyFileSync(path.join(restoreDir, f), path.join(dir, f));
    const before = tableCounts(source);
    const owner = { user: 'app_owner', password: PASSWORDS.APP_OWNER_PASSWORD, database: DB };
    const change = source.tcpSql(
      `DELETE FROM app.orders WHERE id <= 100;
       UPDATE app.customers SET email = 'changed@example.com' WHERE id = 1;
       CREATE TABLE app.added_after_backup (id int);
       CREATE VIEW audit.recent AS SELECT * FROM app.orders WHERE id > 2400;`,
      owner,
    );
    expect(change.stderr).toBe('');
    expect(tableCounts(source)).not.toBe(before);
    const out = expectOk(runScript(postgresRestoreScript, pgEnv(source, dir)));
    expect(out).toMatch(/drops schema\(s\) app,audit CASCADE first/);
    expect(tableCounts(source)).toBe(before);
    expect(source.superSql('SELECT email FROM app.customers WHERE id = 1', DB)).toBe('user1@example.com');
    expect(source.superSql("SELECT count(*) FROM pg_class WHERE relname IN ('added_after_backup', 'recent')", DB)).toBe('0');
    // The safety dump holds the changed state.
    const safety = newestFile(dir, /^pre-restore-.*\.sql\.gz$/)!;
    const sql = spawnSync('gzip', ['-dc', path.join(dir, safety)], { encoding: 'utf8', maxBuffer: 1 << 28 }).stdout;
    expect(sql).toContain('CREATE TABLE app.added_after_backup');
  });

  test('a restore that fails part-way is rolled back (roles missing on the target)', async () => {
    const bare = await freshPostgres(false);
    bare.superSql("CREATE TABLE sentinel (v text); INSERT INTO sentinel VALUES ('still here');", DB);
    const dir = mkdir('pg-restore-bare');
    for (const f of [dumpName, `${dumpName}.sha256`, 'restore-name']) fs.copyFileSync(path.join(restoreDir, f), path.join(dir, f));
    expectFailure(runScript(postgresRestoreScript, pgEnv(bare, dir)), /failed and was rolled back: the database is unchanged/);
    expect(bare.superSql('SELECT v FROM sentinel', DB)).toBe('still here');
    expect(bare.superSql("SELECT count(*) FROM pg_namespace WHERE nspname IN ('app', 'audit')", DB)).toBe('0');
  });

  describe('a corrupt dump is refused before the database is touched', () => {
    let target: PostgresServer;
    beforeAll(async () => {
      target = await freshPostgres();
      target.superSql("CREATE TABLE app.sentinel (v text); INSERT INTO app.sentinel VALUES ('untouched');", DB);
    });

    function corruptCase(
      name: string,
      mutate: (file: string) => void,
      recomputeChecksum: boolean,
    ): { dir: string; r: SpawnSyncReturns<string> } {
      const dir = mkdir(`corrupt-${name}`);
      const file = path.join(dir, dumpName);
      fs.copyFileSync(path.join(dumpDir, dumpName), file);
      fs.copyFileSync(path.join(dumpDir, `${dumpName}.sha256`), `${file}.sha256`);
      fs.writeFileSync(path.join(dir, 'restore-name'), `${dumpName}\n`);
      mutate(file);
      if (recomputeChecksum)
        expectOk(spawnSync('sh', ['-c', `sha256sum ${dumpName} > ${dumpName}.sha256`], { cwd: dir, encoding: 'utf8' }));
      return { dir, r: runScript(postgresRestoreScript, pgEnv(target, dir)) };
    }

    function expectUntouched(dir: string): void {
      expect(fs.readdirSync(dir).filter((f) => f.startsWith('pre-restore-'))).toEqual([]);
      expect(target.superSql('SELECT v FROM app.sentinel', DB)).toBe('untouched');
    }

    test('flipped bytes: checksum mismatch', () => {
      const { dir, r } = corruptCase(
        'flipped',
        (file) => {
          const buf = fs.readFileSync(file);
          for (let i = 100; i < 110; i++) buf[i] ^= 0xff;
          fs.writeFileSync(file, buf);
        },
        false,
      );
      expectFailure(r, /checksum mismatch/);
      expectUntouched(dir);
    });

    test('truncated gzip (checksum recomputed): gzip integrity check', () => {
      const { dir, r } = corruptCase('truncated', (file) => fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2)), true);
      expectFailure(r, /failed the gzip integrity check/);
      expectUntouched(dir);
    });

    test('valid gzip of an incomplete dump (checksum recomputed): completion marker missing', () => {
      const { dir, r } = corruptCase(
        'incomplete',
        (file) => {
          const sql = spawnSync('gzip', ['-dc', file], { maxBuffer: 1 << 28 }).stdout as Buffer;
          const cut = sql.subarray(0, Math.floor(sql.length * 0.6));
          fs.writeFileSync(file, spawnSync('gzip', ['-9c'], { input: cut, maxBuffer: 1 << 28 }).stdout);
        },
        true,
      );
      expectFailure(r, /lacks the 'PostgreSQL database dump complete' marker/);
      expectUntouched(dir);
    });

    test('a .sha256 naming another file', () => {
      const { dir, r } = corruptCase('misnamed', (file) => fs.writeFileSync(`${file}.sha256`, `${'b'.repeat(64)}  other.sql.gz\n`), false);
      expectFailure(r, /is for 'other.sql.gz'/);
      expectUntouched(dir);
    });
  });
});

// ------------------------------------------------------------------------------------------
// Redis
// ------------------------------------------------------------------------------------------

describe('Redis: dump -> S3 -> download -> restore into a fresh data dir', () => {
  let source: RedisServer;
  let dumpDir: string;
  let dumpName: string;
  let sourceKeys: string;

  beforeAll(async () => {
    source = await startRedis({ password: REDIS_PASSWORD });
    redises.push(source);
    const seed = source.cli([
      'eval',
      "for i = 1, 500 do redis.call('SET', 'k:' .. i, i) end; redis.call('HSET', 'user:1', 'name', 'Ada'); redis.call('RPUSH', 'queue', 'a', 'b', 'c'); redis.call('SET', 'session', 'x', 'EX', 3600); return redis.call('DBSIZE')",
      '0',
    ]);
    sourceKeys = seed.stdout.trim();
    expect(sourceKeys).toBe('503');
    dumpDir = mkdir('redis-dump');
  });

  const redisEnv = (dir: string, auth = REDIS_PASSWORD) => ({
    REDIS_HOST: '127.0.0.1',
    REDIS_PORT: String(source.port),
    REDISCLI_AUTH: auth,
    BACKUP_DIR: dir,
    BACKUP_NAME_PREFIX: 'cache',
  });

  test('redisDumpScript writes an .rdb verified by redis-check-rdb, with a .sha256 and latest-name', () => {
    const r = runScript(redisDumpScript, redisEnv(dumpDir));
    const out = expectOk(r);
    expectTimestampedLog(out, 'redis-dump');
    expect(out).toMatch(/RDB looks OK/);
    expect(out + r.stderr).not.toContain(REDIS_PASSWORD);
    dumpName = fs.readFileSync(path.join(dumpDir, 'latest-name'), 'utf8').trim();
    expect(dumpName).toMatch(BACKUP_FILE_NAME_PATTERN);
    expect(dumpName).toMatch(/^cache-\d{8}T\d{6}Z\.rdb$/);
    expect(fs.readdirSync(dumpDir).sort()).toEqual([dumpName, `${dumpName}.sha256`, 'latest-name']);
    expect(spawnSync('sha256sum', ['-c', `${dumpName}.sha256`], { cwd: dumpDir }).status).toBe(0);
    expect(spawnSync(source.tools.redisCheckRdb, [path.join(dumpDir, dumpName)]).status).toBe(0);
  });

  test('redisDumpScript fails without leaving a file on a wrong password', () => {
    const dir = mkdir('redis-dump-fail');
    const r = runScript(redisDumpScript, redisEnv(dir, 'wrong-password'));
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).not.toContain('wrong-password');
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  let restoreDir: string;

  test('the .rdb goes through the S3 scripts too', () => {
    expectOk(runScript(s3UploadScript, { ...awsEnv, BACKUP_DIR: dumpDir, S3_PREFIX: 'redis/cache', RETENTION_DAYS: '14' }));
    expect(s3Keys('redis/')).toEqual([`redis/cache/${dumpName}`, `redis/cache/${dumpName}.sha256`]);
    restoreDir = mkdir('redis-restore-download');
    expectOk(runScript(s3DownloadScript, { ...awsEnv, BACKUP_DIR: restoreDir, S3_PREFIX: 'redis/cache', BACKUP_OBJECT: 'latest' }));
    expect(fs.readFileSync(path.join(restoreDir, 'restore-name'), 'utf8').trim()).toBe(dumpName);
  });

  test('redisRestoreScript installs the dump (rebuilding the AOF) over stale data; Redis starts with the restored keys', async () => {
    // A stale instance whose AOF and RDB must not win over the restored dump.
    const stale = await startRedis({ password: REDIS_PASSWORD });
    redises.push(stale);
    stale.cli(['set', 'stale', 'yes']);
    stale.cli(['save']);
    await stale.stop();
    expect(fs.existsSync(path.join(stale.dataDir, 'appendonlydir'))).toBe(true);

    const r = runScript(redisRestoreScript, { BACKUP_DIR: restoreDir, REDIS_DATA_DIR: stale.dataDir });
    const out = expectOk(r);
    expectTimestampedLog(out, 'redis-restore');
    expect(out).toMatch(/moved the existing appendonlydir aside/);
    expect(out).toMatch(/rebuilt the AOF .* \(503 key\(s\) in db 0\)/);
    expect(fs.readdirSync(stale.dataDir).filter((f) => f.includes('.pre-restore-')).length).toBe(2);
    expect(fs.readdirSync(stale.dataDir).filter((f) => f.endsWith('.sock'))).toEqual([]);

    const restored = await startRedis({ password: REDIS_PASSWORD, baseDir: stale.baseDir });
    redises.push(restored);
    expect(restored.cli(['dbsize']).stdout.trim()).toBe(sourceKeys);
    expect(restored.cli(['exists', 'stale']).stdout.trim()).toBe('0');
    expect(restored.cli(['get', 'k:500']).stdout.trim()).toBe('500');
    expect(restored.cli(['lrange', 'queue', '0', '-1']).stdout.trim().split('\n')).toEqual(['a', 'b', 'c']);
    expect(Number(restored.cli(['ttl', 'session']).stdout.trim())).toBeGreaterThan(3000);
    await restored.stop();
  });

  test('redisRestoreScript with REDIS_APPENDONLY=no places dump.rdb only, and Redis (appendonly no) loads it', async () => {
    const base = fs.mkdtempSync(path.join(workDir, 'redis-noaof-'));
    fs.mkdirSync(path.join(base, 'data'));
    expectOk(runScript(redisRestoreScript, { BACKUP_DIR: restoreDir, REDIS_DATA_DIR: path.join(base, 'data'), REDIS_APPENDONLY: 'no' }));
    expect(fs.readdirSync(path.join(base, 'data'))).toEqual(['dump.rdb']);
    const restored = await startRedis({ password: REDIS_PASSWORD, baseDir: base, conf: { maxmemory: '64mb', appendonly: false } });
    redises.push(restored);
    expect(restored.cli(['dbsize']).stdout.trim()).toBe(sourceKeys);
    await restored.stop();
  });

  test('redisRestoreScript refuses a corrupt .rdb before touching the data dir', () => {
    const dir = mkdir('redis-corrupt');
    const file = path.join(dir, dumpName);
    const buf = fs.readFileSync(path.join(dumpDir, dumpName));
    fs.writeFileSync(file, buf.subarray(0, Math.floor(buf.length / 2)));
    expectOk(
      spawnSync('sh', ['-c', `sha256sum ${dumpName} > ${dumpName}.sha256 && echo ${dumpName} > restore-name`], {
        cwd: dir,
        encoding: 'utf8',
      }),
    );
    const dataDir = mkdir('redis-corrupt-data');
    fs.writeFileSync(path.join(dataDir, 'dump.rdb'), 'existing');
    expectFailure(runScript(redisRestoreScript, { BACKUP_DIR: dir, REDIS_DATA_DIR: dataDir }), /redis-check-rdb rejected/);
    expect(fs.readdirSync(dataDir)).toEqual(['dump.rdb']);
    expect(fs.readFileSync(path.join(dataDir, 'dump.rdb'), 'utf8')).toBe('existing');
  });
});

// ------------------------------------------------------------------------------------------
// An engine from outside the library, through DatabaseBackup's synthesized pods
// ------------------------------------------------------------------------------------------

/**
 * Stand-ins for mongodump/mongorestore (no MongoDB server can be installed here). The "database"
 * is a directory named by the URI (`stub://<dir>`); an archive is a gzipped tar of it. They take
 * the arguments the engine's scripts pass and fail like the real tools: mongodump when it cannot
 * reach the database, `mongorestore --dryRun` on an archive it cannot read.
 */
const MONGO_STUBS = {
  mongodump: `#!/usr/bin/env bash
set -euo pipefail
uri= archive= gz=no
for a in "$@"; do case $a in --uri=*) uri=\${a#--uri=} ;; --archive=*) archive=\${a#--archive=} ;; --gzip) gz=yes ;; --quiet) ;; *) echo "mongodump stand-in: unexpected argument $a" >&2; exit 2 ;; esac; done
dir=\${uri#stub://}
[ -d "$dir" ] || { echo "Failed: cannot connect to $uri" >&2; exit 1; }
[ "$gz" = yes ] && [ -n "$archive" ] || { echo "mongodump stand-in: expects --archive=FILE --gzip" >&2; exit 2; }
tar -C "$dir" -cf - . | gzip -c > "$archive"
`,
  mongorestore: `#!/usr/bin/env bash
set -euo pipefail
uri= archive= gz=no dry=no drop=no
for a in "$@"; do case $a in --uri=*) uri=\${a#--uri=} ;; --archive=*) archive=\${a#--archive=} ;; --gzip) gz=yes ;; --dryRun) dry=yes ;; --drop) drop=yes ;; --quiet) ;; *) echo "mongorestore stand-in: unexpected argument $a" >&2; exit 2 ;; esac; done
[ "$gz" = yes ] && [ -f "$archive" ] || { echo "mongorestore stand-in: expects --archive=FILE --gzip" >&2; exit 2; }
gzip -t "$archive" 2>/dev/null && tar -tzf "$archive" > /dev/null 2>&1 || { echo "Failed: corruption found in archive $archive" >&2; exit 1; }
[ "$dry" = no ] || exit 0
dir=\${uri#stub://}
[ -d "$dir" ] || { echo "Failed: cannot connect to $uri" >&2; exit 1; }
[ "$drop" = yes ] && find "$dir" -mindepth 1 -delete
tar -C "$dir" -xzf "$archive"
`,
};

describe('an engine defined outside the library (test/support/mongo-backup-engine.ts): its synthesized backup and restore CronJobs, end to end', () => {
  const prefix = 'shop/mongodb';
  let objects: Doc[];
  let dataDir: string;
  let stubPath: string;

  beforeAll(() => {
    const chart = Testing.chart();
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
      engine: new MongoBackupEngine(),
      source: {
        image: 'mongo:7.0.14',
        runAsUser: 999,
        env: {},
        secretEnv: { MONGODB_URI: { secret: 'mongodb-credentials', key: 'BACKUP_URI' } },
      },
      schedule: '30 1 * * *',
      retentionDays: 14,
      target: storage.target({ bucket: BUCKET, prefix }),
      uploaderImage: 'amazon/aws-cli:2.22.35',
      resources: { cpuRequest: '50m', memoryRequest: '128Mi', memoryLimit: '256Mi' },
    });
    objects = Testing.synth(chart);
    const bin = mkdir('mongo-stubs');
    for (const [tool, text] of Object.entries(MONGO_STUBS)) fs.writeFileSync(path.join(bin, tool), text, { mode: 0o755 });
    stubPath = `${bin}:${pathWithTools}`;
    dataDir = mkdir('mongo-data');
    fs.mkdirSync(path.join(dataDir, 'shop'));
    fs.writeFileSync(path.join(dataDir, 'shop', 'orders.bson'), 'order 1\norder 2\n');
    fs.writeFileSync(path.join(dataDir, 'shop', 'users.bson'), 'ada\n');
  });

  const cronJob = (name: string) => objects.find((o) => o.kind === 'CronJob' && o.metadata.name === name);
  const snapshot = (dir: string) =>
    spawnSync('sh', ['-c', 'find . -type f | sort | xargs -r sha256sum'], { cwd: dir, encoding: 'utf8' }).stdout;

  /**
   * Runs a synthesized pod container by container (init containers, then the container), each
   * with the script its command names from the scripts ConfigMap and its env. Local stand-ins:
   * the pod's volumes are temp dirs, Secret values resolve to the stub database and s3rver's
   * keys, the endpoint URL to s3rver, and the aws CLI gets s3rver's client settings.
   */
  function runPod(name: string, override: Record<string, string> = {}): { ok: boolean; output: string; backupDir: string } {
    const pod = cronJob(name).spec.jobTemplate.spec.template.spec;
    const scripts = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'mongodb-backup-scripts').data;
    const backupDir = mkdir(`${name}-${Math.random().toString(36).slice(2)}`);
    const tmpDir = mkdir(`${name}-tmp-${Math.random().toString(36).slice(2)}`);
    const secrets: Record<string, string> = {
      'minio-credentials/ACCESS_KEY': awsEnv.AWS_ACCESS_KEY_ID!,
      'minio-credentials/SECRET_KEY': awsEnv.AWS_SECRET_ACCESS_KEY!,
      'mongodb-credentials/BACKUP_URI': `stub://${dataDir}`,
    };
    const secret = (ref: { name: string; key: string }): string => {
      const v = secrets[`${ref.name}/${ref.key}`];
      if (v === undefined) throw new Error(`the pod references Secret ${ref.name} key ${ref.key}, which this test does not stand in for`);
      return v;
    };
    let output = '';
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
      const env: NodeJS.ProcessEnv = { ...awsClientEnv(workDir), AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined };
      for (const e of c.env ?? []) env[e.name] = e.value ?? secret(e.valueFrom.secretKeyRef);
      Object.assign(env, { BACKUP_DIR: backupDir, HOME: tmpDir, S3_ENDPOINT_URL: s3.endpoint, PATH: stubPath });
      if ((c.env ?? []).some((e: IEnvVar) => e.name === 'BACKUP_OBJECT')) Object.assign(env, override);
      const script = scripts[path.basename(c.command[1])];
      const file = path.join(tmpDir, `${c.name}.sh`);
      fs.writeFileSync(file, script, { mode: 0o755 });
      const r = spawnSync(c.command[0], [file], { encoding: 'utf8', env, timeout: 120_000 });
      output += `--- ${c.name}\n${r.stdout}${r.stderr}`;
      if (r.status !== 0) return { ok: false, output, backupDir };
    }
    return { ok: true, output, backupDir };
  }

  let dumpName: string;
  let original: string;

  test('the backup CronJob: dump (verified with mongorestore --dryRun), upload with its .sha256', () => {
    original = snapshot(dataDir);
    const run = runPod('mongodb-backup');
    if (!run.ok) throw new Error(run.output);
    expect(run.output).toMatch(/\[mongodb-dump\] backup complete: mongodb-\d{8}T\d{6}Z\.archive\.gz/);
    dumpName = fs.readFileSync(path.join(run.backupDir, 'latest-name'), 'utf8').trim();
    expect(dumpName).toMatch(/^mongodb-\d{8}T\d{6}Z\.archive\.gz$/);
    expect(s3Keys(`${prefix}/`)).toEqual([`${prefix}/${dumpName}`, `${prefix}/${dumpName}.sha256`]);
  });

  test('the restore CronJob: download latest, safety dump uploaded under pre-restore/, then restore', () => {
    fs.writeFileSync(path.join(dataDir, 'shop', 'orders.bson'), 'changed after the backup\n');
    fs.writeFileSync(path.join(dataDir, 'shop', 'later.bson'), 'created after the backup\n');
    const changed = snapshot(dataDir);
    const run = runPod('mongodb-restore');
    if (!run.ok) throw new Error(run.output);
    expect(run.output).toContain(`latest backup is ${prefix}/${dumpName}`);
    expect(snapshot(dataDir)).toBe(original);
    const safety = s3Keys(`${prefix}/pre-restore/`);
    expect(safety).toEqual([
      expect.stringMatching(/^shop\/mongodb\/pre-restore\/pre-restore-\d{8}T\d{6}Z\.archive\.gz$/),
      expect.stringMatching(/\.archive\.gz\.sha256$/),
    ]);
    const check = mkdir('mongo-safety-check');
    aws(['s3', 'cp', `s3://${BUCKET}/${safety[0]}`, path.join(check, 'safety.tgz'), '--only-show-errors']);
    fs.mkdirSync(path.join(check, 'data'));
    expectOk(spawnSync('tar', ['-C', path.join(check, 'data'), '-xzf', path.join(check, 'safety.tgz')], { encoding: 'utf8' }));
    expect(snapshot(path.join(check, 'data'))).toBe(changed);
  });

  test('a corrupt archive (matching .sha256) is refused before the data is touched', () => {
    const dir = mkdir('mongo-corrupt');
    const bad = 'mongodb-20000101T000000Z.archive.gz';
    const archive = spawnSync('sh', ['-c', 'tar -C "$1" -cf - . | gzip -c', 'sh', dataDir]).stdout;
    fs.writeFileSync(path.join(dir, bad), archive.subarray(0, Math.floor(archive.length / 2)));
    expectOk(spawnSync('sh', ['-c', `sha256sum ${bad} > ${bad}.sha256`], { cwd: dir, encoding: 'utf8' }));
    aws(['s3', 'cp', dir, `s3://${BUCKET}/${prefix}/`, '--recursive', '--only-show-errors']);
    const before = snapshot(dataDir);
    const run = runPod('mongodb-restore', { BACKUP_OBJECT: bad });
    expect(run.ok).toBe(false);
    expect(run.output).toMatch(/\[mongodb-safety-dump\] ERROR: mongorestore --dryRun rejected mongodb-20000101T000000Z\.archive\.gz/);
    expect(snapshot(dataDir)).toBe(before);
  });
});

// ------------------------------------------------------------------------------------------
// shellcheck
// ------------------------------------------------------------------------------------------

test("every rendered backup script, and an engine's own built with backupScript, passes shellcheck (warnings and errors)", () => {
  const shellcheck = findExecutable('shellcheck');
  if (!shellcheck) throw new Error('shellcheck is required: apt-get update && apt-get install -y shellcheck (Debian)');
  const extra = s3Scripts([...BUILT_IN_BACKUP_EXTENSIONS, 'archive.gz']);
  const scripts: Record<string, string> = {
    postgresDumpScript,
    postgresRestoreScript,
    postgresSafetyDumpScript,
    postgresRecreateRestoreScript,
    redisDumpScript,
    redisRestoreScript,
    redisEnsureStoppedScript,
    s3UploadScript,
    s3DownloadScript,
    upload: extra.upload,
    download: extra.download,
    mongoDumpScript,
    mongoSafetyDumpScript,
    mongoRestoreScript,
  };
  const dir = mkdir('shellcheck');
  const problems: string[] = [];
  for (const [name, text] of Object.entries(scripts)) {
    const file = path.join(dir, `${name}.sh`);
    fs.writeFileSync(file, text);
    const r = spawnSync(shellcheck, ['--severity=warning', '-s', text.startsWith('#!/bin/sh') ? 'sh' : 'bash', file], { encoding: 'utf8' });
    if (r.status !== 0) problems.push(`${name}:\n${r.stdout}${r.stderr}`);
  }
  expect(problems).toEqual([]);
});
