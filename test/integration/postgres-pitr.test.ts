/**
 * Point-in-time recovery on a real PostgreSQL 15 with the rendered config and scripts: the
 * archive settings of {@link walArchiveSettings} run `wal-spool.sh` as archive_command, the
 * `wal-ship.sh` sidecar script uploads the spool to a local S3 (s3rver) with the real aws CLI,
 * `postgres-basebackup.sh` + the shared upload take a base backup, and `pitr-fetch.sh` +
 * `pitr-recover.sh` recover into a NEW data directory up to a time between two inserts: the first
 * row is there, the second is not. Also: the spool bound, refusals (non-empty directory, a target
 * older than every base backup) and WAL pruning against the oldest base backup.
 */
import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BUILT_IN_BACKUP_EXTENSIONS, s3Scripts } from '../../lib/constructs/backup/backup-scripts';
import { walArchiveSettings } from '../../lib/constructs/backup/wal-archive';
import {
  BASE_BACKUP_EXTENSION,
  BASE_BACKUP_NAME_PREFIX,
  pitrFetchScript,
  pitrRecoverScript,
  postgresBaseBackupScript,
  walShipScript,
  walSpoolScript,
} from '../../lib/constructs/backup/wal-archive-scripts';
import { renderPgHba, renderPostgresqlConf } from '../../lib/constructs/data/postgres-config';
import { PostgresServer, requirePostgresTools, runAsPostgres, startPostgres } from '../support/postgres-server';
import { awsClientEnv, LocalS3, requireAwsCli, startS3rver, listKeysArgs, parseKeyList } from '../support/s3-server';

const BUCKET = 'backups';
const ARCHIVE = 'shop/postgres/pitr';
const DB = 'appdb';

let workDir: string;
let binDir: string;
let pathWithTools: string;
let s3: LocalS3;
let s3Env: NodeJS.ProcessEnv;
let pg: PostgresServer;
let spoolDir: string;
let scriptsDir: string;

function mkdir(name: string, owner?: { uid: number; gid: number }): string {
  const dir = path.join(workDir, name);
  fs.mkdirSync(dir, { recursive: true });
  if (owner) fs.chownSync(dir, owner.uid, owner.gid);
  return dir;
}

function pgOwner(): { uid: number; gid: number } {
  const st = fs.statSync(pg.dataDir);
  return { uid: st.uid, gid: st.gid };
}

/** Runs a rendered bash script with only the given env (plus PATH and HOME); as OS user postgres when `asPostgres`. */
function run(script: string, env: NodeJS.ProcessEnv, asPostgres = false): SpawnSyncReturns<string> {
  const file = path.join(scriptsDir, `run-${Math.random().toString(36).slice(2)}.sh`);
  fs.writeFileSync(file, script, { mode: 0o755 });
  const fullEnv = { PATH: pathWithTools, HOME: workDir, ...env };
  if (asPostgres) {
    return runAsPostgres('env', ['-i', ...Object.entries(fullEnv).map(([k, v]) => `${k}=${v}`), 'bash', file], { timeout: 180_000 });
  }
  return spawnSync('bash', [file], { encoding: 'utf8', env: fullEnv, timeout: 180_000 });
}

function ok(r: SpawnSyncReturns<string>): string {
  if (r.status !== 0) throw new Error(`script exited ${r.status ?? r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  return r.stdout;
}

function aws(args: string[]): string {
  return ok(spawnSync('aws', ['--endpoint-url', s3.endpoint, ...args], { encoding: 'utf8', env: { ...s3Env, PATH: pathWithTools } }));
}

function keys(prefix: string): string[] {
  return parseKeyList(aws(listKeysArgs(BUCKET, prefix)));
}

/** Waits until PostgreSQL has archived (spooled) every finished segment up to the current one. */
async function waitForArchiver(): Promise<void> {
  const current = pg.superSql('SELECT pg_walfile_name(pg_current_wal_lsn())');
  for (let i = 0; i < 100; i++) {
    const last = pg.superSql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
    if (last !== '' && last.slice(0, 24) >= current.slice(0, 24)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the archiver did not archive ${current}:\n${pg.log().slice(-3000)}`);
}

/** Forces a segment switch, waits for archive_command, then runs one pass of the sidecar script. */
async function switchAndShip(): Promise<string> {
  pg.superSql('SELECT pg_switch_wal()');
  await waitForArchiver();
  return ok(run(walShipScript, { ...s3Env, WAL_SPOOL_DIR: spoolDir, WAL_SHIP_ONCE: 'true' }));
}

function baseBackup(): string {
  const dir = fs.mkdtempSync(path.join(workDir, 'base-'));
  fs.chownSync(dir, pgOwner().uid, pgOwner().gid);
  ok(run(postgresBaseBackupScript, { ...pg.superuserTcpEnv, BACKUP_DIR: dir, BACKUP_NAME_PREFIX: BASE_BACKUP_NAME_PREFIX }, true));
  // The shared upload as a backup of the base backup engine renders it (its extension added to the built-in ones).
  ok(
    run(s3Scripts([...BUILT_IN_BACKUP_EXTENSIONS, BASE_BACKUP_EXTENSION]).upload, {
      ...s3Env,
      BACKUP_DIR: dir,
      S3_PREFIX: `${ARCHIVE}/base`,
      RETENTION_DAYS: '7',
    }),
  );
  return fs.readFileSync(path.join(dir, 'latest-name'), 'utf8').trim();
}

beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pitr-'));
  fs.chmodSync(workDir, 0o755);
  const tools = requirePostgresTools();
  binDir = mkdir('bin');
  fs.symlinkSync(requireAwsCli(), path.join(binDir, 'aws'));
  // The server's own bin directory first (pg_verifybackup has no Debian wrapper in /usr/bin), as in the postgres image.
  const pgBin = fs.existsSync('/usr/lib/postgresql/15/bin/pg_verifybackup') ? ['/usr/lib/postgresql/15/bin'] : [];
  pathWithTools = [binDir, ...pgBin, path.dirname(tools.postgres), '/usr/sbin', '/usr/bin', '/sbin', '/bin'].join(':');
  s3 = await startS3rver(mkdir('s3'), [BUCKET]);
  s3Env = { ...awsClientEnv(workDir), S3_ENDPOINT_URL: s3.endpoint, S3_BUCKET: BUCKET, S3_PREFIX: ARCHIVE };

  // The spool and the scripts dir exist before the server starts; ownership follows once the
  // server (and its OS user) is known.
  scriptsDir = mkdir('scripts');
  spoolDir = mkdir('spool');
  const settings = walArchiveSettings(scriptsDir, 60);
  pg = await startPostgres({
    postgresqlConf: renderPostgresqlConf(settings),
    pgHba: renderPgHba({ allowedCidrs: [], replicationRoles: ['postgres'] }),
  });
  fs.chownSync(spoolDir, pgOwner().uid, pgOwner().gid);
  fs.writeFileSync(path.join(scriptsDir, 'wal-spool.sh'), walSpoolScript({ dir: spoolDir, maxFiles: 32, maxAgeSeconds: 900 }), {
    mode: 0o755,
  });
  pg.createDatabase(DB);
  pg.superSql('CREATE TABLE events (id int PRIMARY KEY, what text NOT NULL)', DB);
}, 120_000);

afterAll(async () => {
  pg?.stop();
  await s3?.stop();
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

describe('continuous archiving, base backup, recovery to a time between two inserts', () => {
  let target: string;
  let baseName: string;

  test('the rendered archive settings are what the server runs with', () => {
    expect(pg.superSql('SHOW archive_mode')).toBe('on');
    expect(pg.superSql('SHOW archive_timeout')).toBe('1min');
    expect(pg.superSql('SHOW archive_command')).toBe(`bash ${scriptsDir}/wal-spool.sh "%p" "%f"`);
  });

  test('archive_command spools gzip files; the sidecar uploads them under <prefix>/wal/ and empties the spool', async () => {
    const out = await switchAndShip();
    expect(out).toMatch(/\[wal-ship\] uploaded shop\/postgres\/pitr\/wal\/[0-9A-F]{24}\.gz/);
    expect(fs.readdirSync(spoolDir)).toEqual([]);
    const wal = keys(`${ARCHIVE}/wal/`);
    expect(wal.length).toBeGreaterThan(0);
    for (const k of wal) expect(k).toMatch(/^shop\/postgres\/pitr\/wal\/[0-9A-F]{24}(\.[0-9A-F]{8}\.backup)?\.gz$/);
    // An archived object is the gzip of a full 16 MiB segment.
    const local = path.join(workDir, 'one.gz');
    aws(['s3', 'cp', `s3://${BUCKET}/${wal[0]}`, local, '--only-show-errors']);
    const size = spawnSync('sh', ['-c', `gzip -dc '${local}' | wc -c`], { encoding: 'utf8' }).stdout.trim();
    expect(Number(size)).toBe(16 * 1024 * 1024);
    expect(pg.superSql('SELECT failed_count FROM pg_stat_archiver')).toBe('0');
  });

  test('a base backup (pg_basebackup over a replication connection) is uploaded under <prefix>/base/', () => {
    baseName = baseBackup();
    expect(baseName).toMatch(/^postgres-base-\d{8}T\d{6}Z\.tar\.gz$/);
    expect(keys(`${ARCHIVE}/base/`)).toEqual([`${ARCHIVE}/base/${baseName}`, `${ARCHIVE}/base/${baseName}.sha256`]);
  });

  test('row 1, the target time, row 2; the WAL of both reaches the archive', async () => {
    pg.superSql("INSERT INTO events VALUES (1, 'first')", DB);
    await new Promise((r) => setTimeout(r, 300));
    target = pg.superSql("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'");
    await new Promise((r) => setTimeout(r, 300));
    pg.superSql("INSERT INTO events VALUES (2, 'second')", DB);
    await switchAndShip();
    expect(pg.superSql('SELECT count(*) FROM events', DB)).toBe('2');
  });

  test('recovery to the target into a new, empty data directory has row 1 and not row 2', () => {
    const backupDir = mkdir('restore-scratch', pgOwner());
    const fetch = ok(run(pitrFetchScript, { ...s3Env, BACKUP_DIR: backupDir, RECOVERY_TARGET_TIME: target }));
    expect(fetch).toContain(`from base backup ${ARCHIVE}/base/${baseName}`);
    expect(fs.readFileSync(path.join(backupDir, 'restore-name'), 'utf8').trim()).toBe(baseName);
    spawnSync('chown', ['-R', `${pgOwner().uid}:${pgOwner().gid}`, backupDir]);

    const dataDir = path.join(mkdir('restore-volume', pgOwner()), 'pgdata');
    const socketDir = mkdir('restore-sock', pgOwner());
    const recover = ok(
      run(
        pitrRecoverScript,
        {
          BACKUP_DIR: backupDir,
          PITR_DATA_DIR: dataDir,
          PITR_SOCKET_DIR: socketDir,
          RECOVERY_TARGET_TIME: target,
          PGDATABASE: DB,
          BACKUP_NAME_PREFIX: 'pitr',
        },
        true,
      ),
    );
    expect(recover).toContain('recovered and promoted');
    expect(recover).toMatch(/recovery stopping before commit of transaction/);
    const dump = fs.readFileSync(path.join(backupDir, 'latest-name'), 'utf8').trim();
    expect(dump).toMatch(/^pitr-\d{8}T\d{6}Z\.sql\.gz$/);
    const sql = spawnSync('gzip', ['-dc', path.join(backupDir, dump)], { encoding: 'utf8' }).stdout;
    const copy = /COPY public\.events \(id, what\) FROM stdin;\n([\s\S]*?)\\\.\n/.exec(sql);
    expect(copy?.[1]).toBe('1\tfirst\n');

    // The recovered directory itself, started on its own: promoted, row 1 only, and not archiving.
    const opts = `-c listen_addresses='' -c unix_socket_directories='${socketDir}' -c port=5432`;
    ok(runAsPostgres(pg.tools.pg_ctl, ['-D', dataDir, '-l', path.join(socketDir, 'log'), '-w', '-o', opts, 'start']));
    try {
      const q = (s: string) => ok(runAsPostgres(pg.tools.psql, ['-X', '-At', '-h', socketDir, '-p', '5432', '-d', DB, '-c', s])).trim();
      expect(q('SELECT pg_is_in_recovery()')).toBe('f');
      expect(q("SELECT string_agg(id || ':' || what, ',' ORDER BY id) FROM events")).toBe('1:first');
      expect(q('SHOW archive_mode')).toBe('off');
    } finally {
      runAsPostgres(pg.tools.pg_ctl, ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
    }
    // The live server is untouched.
    expect(pg.superSql('SELECT count(*) FROM events', DB)).toBe('2');
  });

  test('pitr-recover refuses a data directory that is not empty', () => {
    const backupDir = mkdir('restore-scratch');
    const dataDir = mkdir('not-empty', pgOwner());
    fs.writeFileSync(path.join(dataDir, 'PG_VERSION'), '15\n');
    const r = run(
      pitrRecoverScript,
      { BACKUP_DIR: backupDir, PITR_DATA_DIR: dataDir, RECOVERY_TARGET_TIME: target, PGDATABASE: DB, BACKUP_NAME_PREFIX: 'pitr' },
      true,
    );
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/is not empty: a recovery only writes into an empty new volume/);
    expect(fs.readdirSync(dataDir)).toEqual(['PG_VERSION']);
  });

  test('pitr-fetch refuses a target before every base backup, and a target that is not a time', () => {
    const dir = mkdir('fetch-refusals');
    const old = run(pitrFetchScript, { ...s3Env, BACKUP_DIR: dir, RECOVERY_TARGET_TIME: '2001-01-01 00:00:00+00' });
    expect(old.status).not.toBe(0);
    expect(old.stdout).toMatch(/no base backup under .* started at or before 20010101T000000Z/);
    const bad = run(pitrFetchScript, { ...s3Env, BACKUP_DIR: dir, RECOVERY_TARGET_TIME: "yesterday'; DROP" });
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toMatch(/has characters a time never has/);
  });

  test('the sidecar refuses an unencrypted upload when REQUIRE_SSE=true', () => {
    const r = run(walShipScript, { ...s3Env, WAL_SPOOL_DIR: spoolDir, WAL_SHIP_ONCE: 'true', REQUIRE_SSE: 'true' });
    expect(r.status).not.toBe(0);
    expect(r.stdout).toMatch(/refusing to upload: REQUIRE_SSE=true needs S3_SSE=aws:kms/);
  });
});

describe('the spool bound and WAL retention', () => {
  test('archive_command fails (PostgreSQL keeps the WAL) while the spool is full, and spools once there is room', () => {
    const full = path.join(workDir, 'full-spool');
    fs.mkdirSync(full);
    const script = walSpoolScript({ dir: full, maxFiles: 2, maxAgeSeconds: 900 });
    const segment = path.join(workDir, '000000010000000000000099');
    fs.writeFileSync(segment, Buffer.alloc(1024, 7));
    for (const n of ['A', 'B']) fs.writeFileSync(path.join(full, `00000001000000000000000${n}.gz`), 'x');
    const file = path.join(workDir, 'spool-bound.sh');
    fs.writeFileSync(file, script);
    const refused = spawnSync('bash', [file, segment, '000000010000000000000099'], { encoding: 'utf8', env: { PATH: pathWithTools } });
    expect(refused.status).not.toBe(0);
    expect(refused.stdout).toMatch(/spool holds 2 files \(at most 2\): the wal-ship sidecar is not uploading/);
    for (const n of ['A', 'B']) fs.rmSync(path.join(full, `00000001000000000000000${n}.gz`));
    const spooled = spawnSync('bash', [file, segment, '000000010000000000000099'], { encoding: 'utf8', env: { PATH: pathWithTools } });
    expect(spooled.status).toBe(0);
    expect(spawnSync('sh', ['-c', `gzip -dc '${full}/000000010000000000000099.gz' | cmp - '${segment}'`]).status).toBe(0);
    // A retry of the same segment is a success; a different content under the same name is refused.
    expect(spawnSync('bash', [file, segment, '000000010000000000000099'], { env: { PATH: pathWithTools } }).status).toBe(0);
    fs.writeFileSync(segment, Buffer.alloc(1024, 8));
    const clash = spawnSync('bash', [file, segment, '000000010000000000000099'], { encoding: 'utf8', env: { PATH: pathWithTools } });
    expect(clash.status).not.toBe(0);
    expect(clash.stdout).toMatch(/exists with other content; refusing to overwrite it/);
  });

  test('a stale spool (oldest file past maxAgeSeconds) fails archive_command', () => {
    const stale = path.join(workDir, 'stale-spool');
    fs.mkdirSync(stale);
    const old = path.join(stale, '000000010000000000000001.gz');
    fs.writeFileSync(old, 'x');
    const past = new Date(Date.now() - 3600_000);
    fs.utimesSync(old, past, past);
    const file = path.join(workDir, 'spool-stale.sh');
    fs.writeFileSync(file, walSpoolScript({ dir: stale, maxFiles: 32, maxAgeSeconds: 600 }));
    const segment = path.join(workDir, '000000010000000000000002');
    fs.writeFileSync(segment, 'segment');
    const r = spawnSync('bash', [file, segment, '000000010000000000000002'], { encoding: 'utf8', env: { PATH: pathWithTools } });
    expect(r.status).not.toBe(0);
    expect(r.stdout).toMatch(/the oldest spooled file waits for \d+s \(at most 600s\)/);
  });

  test('pruning deletes WAL uploaded before the oldest base backup (minus the margin) and keeps the rest', () => {
    // A base backup named two days after the WAL objects' upload time: everything uploaded before
    // it (less the one-hour margin) is useless to every retained backup and goes.
    const before = keys(`${ARCHIVE}/wal/`);
    expect(before.length).toBeGreaterThan(0);
    const future = new Date(Date.now() + 2 * 86400_000)
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}Z$/, 'Z');
    const prefix = `${ARCHIVE}-prune`;
    const dir = fs.mkdtempSync(path.join(workDir, 'prune-'));
    fs.mkdirSync(path.join(dir, 'wal'));
    fs.mkdirSync(path.join(dir, 'base'));
    fs.writeFileSync(path.join(dir, 'wal', '000000010000000000000001.gz'), 'old');
    fs.writeFileSync(path.join(dir, 'base', `${BASE_BACKUP_NAME_PREFIX}-${future}.tar.gz`), 'b');
    fs.writeFileSync(path.join(dir, 'base', `${BASE_BACKUP_NAME_PREFIX}-${future}.tar.gz.sha256`), 'c');
    aws(['s3', 'cp', dir, `s3://${BUCKET}/${prefix}/`, '--recursive', '--only-show-errors']);
    const emptySpool = mkdir('empty-spool');
    const out = ok(run(walShipScript, { ...s3Env, S3_PREFIX: prefix, WAL_SPOOL_DIR: emptySpool, WAL_SHIP_ONCE: 'true' }));
    expect(out).toMatch(/pruned 1 WAL file\(s\)/);
    expect(keys(`${prefix}/wal/`)).toEqual([]);
    expect(keys(`${prefix}/base/`)).toHaveLength(2);

    // The real archive: its only base backup is newer than no WAL by more than the margin, so nothing goes.
    const kept = ok(run(walShipScript, { ...s3Env, WAL_SPOOL_DIR: emptySpool, WAL_SHIP_ONCE: 'true' }));
    expect(kept).toMatch(/pruned 0 WAL file\(s\)/);
    expect(keys(`${ARCHIVE}/wal/`)).toEqual(before);
  });
});
