import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  BACKUP_FILE_NAME_PATTERN,
  BACKUP_TIMESTAMP_FORMAT,
  PG_DUMP_COMPLETE_MARKER,
  postgresDumpScript,
  postgresRestoreScript,
  redisDumpScript,
  redisRestoreScript,
  s3DownloadScript,
  s3KeySelectionFunctions,
  s3UploadScript,
} from '../lib/constructs/backup/backup-scripts';

const BASH_SCRIPTS = { postgresDumpScript, postgresRestoreScript, s3UploadScript, s3DownloadScript };
const SH_SCRIPTS = { redisDumpScript, redisRestoreScript };
const ALL = { ...BASH_SCRIPTS, ...SH_SCRIPTS };

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'backup-scripts-unit-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs a script with only the given env (and a PATH without database tools). */
function run(script: string, env: Record<string, string>): SpawnSyncReturns<string> {
  const shell = script.startsWith('#!/bin/sh') ? 'sh' : 'bash';
  return spawnSync(shell, ['-c', script], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', ...env }, timeout: 20_000 });
}

function dir(name: string): string {
  const d = path.join(tmp, name);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

describe('all scripts', () => {
  test.each(Object.entries(BASH_SCRIPTS))('%s is strict bash and parses', (_name, script) => {
    expect(script.startsWith('#!/usr/bin/env bash\n')).toBe(true);
    expect(script).toContain('\nset -euo pipefail\n');
    const r = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test.each(Object.entries(SH_SCRIPTS))('%s is strict POSIX sh and parses', (_name, script) => {
    expect(script.startsWith('#!/bin/sh\n')).toBe(true);
    expect(script).toContain('\nset -eu\n');
    const r = spawnSync('sh', ['-n'], { input: script, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // No bashisms: the redis image variants may only have a POSIX sh.
    for (const bashism of ['[[', '<<<', "$'", 'pipefail', '${!', 'local ', 'function ']) expect(script).not.toContain(bashism);
  });

  test.each(Object.entries(ALL))('%s logs with UTC timestamps and never traces or prints secrets', (_name, script) => {
    expect(script).toContain(`log() { printf '%s [%s] %s\\n' "$(date -u '+%Y-%m-%dT%H:%M:%SZ')" "$SCRIPT_NAME" "$*"; }`);
    expect(script).not.toMatch(/set -[a-z]*x/);
    const output = script.split('\n').filter((l) => /^\s*(log|die|echo|printf)\b/.test(l));
    for (const l of output) expect(l).not.toMatch(/\$\{?(PGPASSWORD|REDISCLI_AUTH|REDIS_PASSWORD|AWS_SECRET_ACCESS_KEY)\b/);
  });

  test.each(Object.entries(ALL))('%s renders no template leftovers or escapes cooked into raw newlines', (_name, script) => {
    expect(script).not.toMatch(/undefined|\[object Object\]/);
    expect(script).not.toMatch(/printf '[^'\n]*\n/); // a printf format split by a real newline
  });
});

describe('postgresDumpScript', () => {
  test('pg_dump --clean --if-exists | gzip -9, verified, named by UTC timestamp, with sha256 and latest-name', () => {
    expect(postgresDumpScript).toContain('pg_dump --clean --if-exists --no-password | gzip -9 > "$PARTIAL"');
    expect(postgresDumpScript).toContain(`date -u '+${BACKUP_TIMESTAMP_FORMAT}'`);
    expect(postgresDumpScript).toContain('name="$BACKUP_NAME_PREFIX-$(utc_ts).sql.gz"');
    expect(postgresDumpScript).toContain('gzip -t "$1"');
    expect(postgresDumpScript).toContain(PG_DUMP_COMPLETE_MARKER);
    expect(postgresDumpScript).toContain('sha256sum "$2"');
    expect(postgresDumpScript).toContain('write_name_file "$BACKUP_DIR/latest-name" "$name"');
  });

  test.each(['PGHOST', 'PGUSER', 'PGPASSWORD', 'PGDATABASE', 'BACKUP_DIR', 'BACKUP_NAME_PREFIX'])(
    'fails naming %s when it is missing',
    (missing) => {
      const env: Record<string, string> = {
        PGHOST: 'h',
        PGUSER: 'u',
        PGPASSWORD: 'secret-pw',
        PGDATABASE: 'd',
        BACKUP_DIR: dir('pg-env'),
        BACKUP_NAME_PREFIX: 'p',
      };
      delete env[missing];
      const r = run(postgresDumpScript, env);
      expect(r.status).toBe(1);
      expect(r.stdout).toMatch(new RegExp(`ERROR: environment variable ${missing} must be set and non-empty`));
      expect(r.stdout + r.stderr).not.toContain('secret-pw');
    },
  );

  test.each([['../x'], ['a b'], ['-x'], ['x/y']])('rejects BACKUP_NAME_PREFIX %j', (prefix) => {
    const r = run(postgresDumpScript, {
      PGHOST: 'h',
      PGUSER: 'u',
      PGPASSWORD: 'p',
      PGDATABASE: 'd',
      BACKUP_DIR: dir('pg-prefix'),
      BACKUP_NAME_PREFIX: prefix,
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`BACKUP_NAME_PREFIX '${prefix}' is invalid`);
  });

  test('fails when BACKUP_DIR is not a writable directory', () => {
    const r = run(postgresDumpScript, {
      PGHOST: 'h',
      PGUSER: 'u',
      PGPASSWORD: 'p',
      PGDATABASE: 'd',
      BACKUP_DIR: path.join(tmp, 'nope'),
      BACKUP_NAME_PREFIX: 'x',
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/BACKUP_DIR '.*nope' is not a writable directory/);
  });
});

describe('postgresRestoreScript', () => {
  test('verifies the file, then takes a safety dump, then restores in one transaction, then verifies', () => {
    const s = postgresRestoreScript;
    const order = [
      'verify_checksum "$BACKUP_DIR" "$name"',
      'check_sql_gz "$dump" "$name"',
      'pg_dump_to "$BACKUP_DIR" "$safety"',
      'pg_terminate_backend(pid)',
      'DROP SCHEMA IF EXISTS $drop_list CASCADE;',
      '--single-transaction',
      "quote_ident(nspname) = :'schema'",
      'SELECT count(*) FROM ONLY $table',
    ].map((needle) => {
      expect(s).toContain(needle);
      return s.indexOf(needle);
    });
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(s).toContain('safety="pre-restore-$(utc_ts).sql.gz"');
    expect(s).toContain('psql -X --no-password --quiet -v ON_ERROR_STOP=1');
  });

  test('rejects RESTORE_DROP_SCHEMAS other than yes/no', () => {
    const r = run(postgresRestoreScript, {
      PGHOST: 'h',
      PGUSER: 'u',
      PGPASSWORD: 'p',
      PGDATABASE: 'd',
      BACKUP_DIR: dir('rds'),
      RESTORE_DROP_SCHEMAS: 'true',
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/RESTORE_DROP_SCHEMAS must be yes or no, got 'true'/);
  });

  test('refuses to run without restore-name, and refuses a file without a valid checksum (no database needed)', () => {
    const env = { PGHOST: '/nonexistent', PGUSER: 'u', PGPASSWORD: 'p', PGDATABASE: 'd' };
    const empty = dir('restore-empty');
    expect(run(postgresRestoreScript, { ...env, BACKUP_DIR: empty }).stdout).toMatch(/restore-name not found/);

    const d = dir('restore-bad-sum');
    const name = 'appdb-20240101T000000Z.sql.gz';
    fs.writeFileSync(path.join(d, name), 'whatever');
    fs.writeFileSync(path.join(d, `${name}.sha256`), `${'0'.repeat(64)}  ${name}\n`);
    fs.writeFileSync(path.join(d, 'restore-name'), `${name}\n`);
    const r = run(postgresRestoreScript, { ...env, BACKUP_DIR: d });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/checksum mismatch for appdb-20240101T000000Z\.sql\.gz/);
    expect(fs.readdirSync(d).some((f) => f.startsWith('pre-restore-'))).toBe(false);
  });

  test.each([['../etc/passwd'], ['appdb.sql.gz'], ['appdb-20240101T000000Z.rdb'], ['appdb-2024-01-01.sql.gz']])(
    'refuses the file name %j',
    (name) => {
      const d = dir(`restore-name-${Math.random().toString(36).slice(2)}`);
      fs.writeFileSync(path.join(d, 'restore-name'), `${name}\n`);
      const r = run(postgresRestoreScript, { PGHOST: 'h', PGUSER: 'u', PGPASSWORD: 'p', PGDATABASE: 'd', BACKUP_DIR: d });
      expect(r.status).toBe(1);
      expect(r.stdout).toMatch(/backup file name .* (is invalid|is not <prefix>-YYYYMMDDTHHMMSSZ\.<sql\.gz>)/);
    },
  );
});

describe('redis scripts', () => {
  test('redisDumpScript: redis-cli --rdb, redis-check-rdb, .rdb name, sha256, latest-name', () => {
    expect(redisDumpScript).toContain('redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" --no-auth-warning --rdb "$PARTIAL"');
    expect(redisDumpScript).toContain('redis-check-rdb "$PARTIAL"');
    expect(redisDumpScript).toContain('name="$BACKUP_NAME_PREFIX-$(utc_ts).rdb"');
    expect(redisDumpScript).toContain('write_checksum "$BACKUP_DIR" "$name"');
    expect(redisDumpScript).toContain('write_name_file "$BACKUP_DIR/latest-name" "$name"');
    const r = run(redisDumpScript, { REDIS_HOST: 'h', BACKUP_DIR: dir('redis-env'), BACKUP_NAME_PREFIX: 'c' });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/environment variable REDISCLI_AUTH must be set/);
  });

  test('redisRestoreScript: verifies before touching the data dir, moves old data aside, rebuilds the AOF', () => {
    const s = redisRestoreScript;
    expect(s.indexOf('verify_checksum')).toBeLessThan(s.indexOf('redis-check-rdb "$BACKUP_DIR/$name"'));
    expect(s.indexOf('redis-check-rdb "$BACKUP_DIR/$name"')).toBeLessThan(s.indexOf('for old in appendonlydir dump.rdb'));
    expect(s).toContain('--appendonly no');
    expect(s).toContain('config set appendonly yes');
    expect(s).toContain('--port 0 --unixsocket');
  });

  test('redisRestoreScript refuses a checksum mismatch and leaves the data dir alone', () => {
    const b = dir('redis-restore-bad');
    const data = dir('redis-restore-data');
    fs.writeFileSync(path.join(data, 'dump.rdb'), 'current');
    const name = 'cache-20240101T000000Z.rdb';
    fs.writeFileSync(path.join(b, name), 'REDIS0011...');
    fs.writeFileSync(path.join(b, `${name}.sha256`), `${'f'.repeat(64)}  ${name}\n`);
    fs.writeFileSync(path.join(b, 'restore-name'), `${name}\n`);
    const r = run(redisRestoreScript, { BACKUP_DIR: b, REDIS_DATA_DIR: data });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/checksum mismatch/);
    expect(fs.readdirSync(data)).toEqual(['dump.rdb']);
  });

  test.each([
    ['REDIS_APPENDONLY', 'maybe', /REDIS_APPENDONLY must be yes or no/],
    ['REDIS_RESTORE_TIMEOUT', '5m', /REDIS_RESTORE_TIMEOUT must be a number of seconds/],
  ])('redisRestoreScript rejects %s=%s', (name, value, message) => {
    const r = run(redisRestoreScript, { BACKUP_DIR: dir('rr'), REDIS_DATA_DIR: dir('rrd'), [name]: value });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(message);
  });
});

describe('S3 scripts', () => {
  test('s3UploadScript: endpoint only when set, uploads dump and .sha256, refuses RETENTION_DAYS < 1', () => {
    const s = s3UploadScript;
    expect(s).toContain('if [ -n "${S3_ENDPOINT_URL:-}" ]; then set -- --endpoint-url "$S3_ENDPOINT_URL" "$@"; fi');
    expect(s).toContain('s3 s3 cp "$BACKUP_DIR/$name" "s3://$S3_BUCKET/$key"');
    expect(s).toContain('s3 s3 cp "$BACKUP_DIR/$name.sha256" "s3://$S3_BUCKET/$key.sha256"');
    expect(s).toContain('refusing to prune: RETENTION_DAYS must be an integer >= 1');
    expect(s.indexOf('verify_checksum')).toBeLessThan(s.indexOf('s3 s3 cp'));
    expect(s).toContain('select_expired_keys "$PREFIX" "$name_prefix" "$cutoff" "$name"');
  });

  test('s3DownloadScript: latest by embedded timestamp, verifies, writes restore-name', () => {
    expect(s3DownloadScript).toContain('if [ "$BACKUP_OBJECT" = latest ]; then');
    expect(s3DownloadScript).toContain('select_latest_key "$PREFIX" "${BACKUP_NAME_PREFIX:-}"');
    expect(s3DownloadScript.indexOf('verify_checksum')).toBeLessThan(
      s3DownloadScript.indexOf('write_name_file "$BACKUP_DIR/restore-name"'),
    );
  });

  test.each([
    ['s3UploadScript', s3UploadScript, { BACKUP_DIR: '/x', S3_BUCKET: 'b', RETENTION_DAYS: '7' }, /S3_PREFIX must be set/],
    [
      's3UploadScript',
      s3UploadScript,
      { BACKUP_DIR: '/x', S3_BUCKET: 'b', S3_PREFIX: '//', RETENTION_DAYS: '7' },
      /S3_PREFIX '\/\/' is empty once '\/' are stripped/,
    ],
    [
      's3UploadScript',
      s3UploadScript,
      { BACKUP_DIR: '/x', S3_BUCKET: 'b', S3_PREFIX: 'a b', RETENTION_DAYS: '7' },
      /S3_PREFIX 'a b' is invalid/,
    ],
    ['s3DownloadScript', s3DownloadScript, { BACKUP_DIR: '/x', S3_BUCKET: 'b', S3_PREFIX: 'p' }, /BACKUP_OBJECT must be set/],
  ])('%s fails early on bad env', (_name, script, env, message) => {
    const r = run(script, env);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(message);
  });
});

describe('S3 key selection (shell functions, no network)', () => {
  /** Runs a selection function under POSIX sh with the given keys on stdin. */
  function select(call: 'select_expired_keys' | 'select_latest_key', args: string[], keys: string[]): string[] {
    const r = spawnSync('sh', ['-c', `${s3KeySelectionFunctions}\n${call} "$@"`, 'sh', ...args], {
      input: keys.join('\n') + '\n',
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return r.stdout.split('\n').filter(Boolean);
  }

  const keys = [
    'db/app-20200101T000000Z.sql.gz',
    'db/app-20200101T000000Z.sql.gz.sha256',
    'db/app-20240531T235959Z.rdb',
    'db/app-20240601T000000Z.sql.gz', // exactly the cutoff: kept
    'db/app-20991231T000000Z.sql.gz',
    'db/app-20190101T000000Z.sql.gz', // the one being uploaded: kept
    'db/app-20190101T000000Z.sql.gz.sha256',
    'db/other-20200101T000000Z.sql.gz',
    'db/app-extra-20200101T000000Z.sql.gz',
    'db/sub/app-20200101T000000Z.sql.gz',
    'db2/app-20200101T000000Z.sql.gz',
    'xdb/app-20200101T000000Z.sql.gz',
    'db/app-2020010T000000Z.sql.gz',
    'db/app-20200101T000000Z.sql.gz.bak',
    'db/app-20200101T000000Z.txt',
    'db/app-20200101T000000Z.sql',
    'db/README',
    'db/',
  ];

  test('select_expired_keys picks only same-prefix backups (and checksums) older than the cutoff, never the kept one', () => {
    expect(select('select_expired_keys', ['db', 'app', '20240601T000000Z', 'app-20190101T000000Z.sql.gz'], keys)).toEqual([
      'db/app-20200101T000000Z.sql.gz',
      'db/app-20200101T000000Z.sql.gz.sha256',
      'db/app-20240531T235959Z.rdb',
    ]);
  });

  test('select_expired_keys treats the prefix literally', () => {
    expect(
      select(
        'select_expired_keys',
        ['d.b', 'app', '20240601T000000Z', 'none'],
        ['dxb/app-20200101T000000Z.rdb', 'd.b/app-20200101T000000Z.rdb'],
      ),
    ).toEqual(['d.b/app-20200101T000000Z.rdb']);
  });

  test('select_expired_keys selects nothing from an empty list', () => {
    expect(select('select_expired_keys', ['db', 'app', '20240601T000000Z', 'x'], [])).toEqual([]);
  });

  test('select_latest_key picks the newest backup that has a .sha256', () => {
    const list = [
      'db/app-20240101T000000Z.sql.gz',
      'db/app-20240101T000000Z.sql.gz.sha256',
      'db/app-20240301T000000Z.sql.gz',
      'db/app-20240301T000000Z.sql.gz.sha256',
      'db/app-20240401T000000Z.sql.gz', // no checksum: skipped
      'db/cache-20240501T000000Z.rdb',
      'db/cache-20240501T000000Z.rdb.sha256',
      'db/sub/app-20250101T000000Z.sql.gz',
      'db/sub/app-20250101T000000Z.sql.gz.sha256',
    ];
    expect(select('select_latest_key', ['db'], list)).toEqual(['db/cache-20240501T000000Z.rdb']);
    expect(select('select_latest_key', ['db', 'app'], list)).toEqual(['db/app-20240301T000000Z.sql.gz']);
    expect(select('select_latest_key', ['db', 'nothing'], list)).toEqual([]);
    expect(select('select_latest_key', ['empty'], [])).toEqual([]);
  });
});

describe('BACKUP_FILE_NAME_PATTERN', () => {
  test.each([['appdb-20240101T000000Z.sql.gz'], ['cache-20240101T235959Z.rdb'], ['my.db_1-x-20240101T000000Z.sql.gz']])(
    'matches %s',
    (name) => {
      expect(name).toMatch(BACKUP_FILE_NAME_PATTERN);
    },
  );
  test.each([['appdb-20240101T000000Z.sql'], ['appdb-20240101T000000.sql.gz'], ['-20240101T000000Z.rdb'], ['a/b-20240101T000000Z.rdb']])(
    'does not match %s',
    (name) => {
      expect(name).not.toMatch(BACKUP_FILE_NAME_PATTERN);
    },
  );
});
