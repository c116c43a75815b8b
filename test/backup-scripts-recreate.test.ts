import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { postgresRecreateRestoreScript, postgresSafetyDumpScript, s3KeySelectionFunctions } from '../lib/constructs/backup/backup-scripts';

const SCRIPTS = { postgresSafetyDumpScript, postgresRecreateRestoreScript };
let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'recreate-unit-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs a script with only the given env (and a PATH without database tools). */
function run(script: string, env: Record<string, string>): SpawnSyncReturns<string> {
  return spawnSync('bash', ['-c', script], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', ...env }, timeout: 20_000 });
}

const BASE_ENV = { PGHOST: 'db', PGUSER: 'postgres', PGPASSWORD: 'pw-never-printed', PGDATABASE: 'pagodirecto_crm' };

describe.each(Object.entries(SCRIPTS))('%s', (_name, script) => {
  test('is strict bash and parses', () => {
    expect(script.startsWith('#!/usr/bin/env bash\n')).toBe(true);
    expect(script).toContain('\nset -euo pipefail\n');
    const r = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
    expect([r.status, r.stderr]).toEqual([0, '']);
  });

  test('logs with timestamps, never traces and never prints a password', () => {
    expect(script).not.toMatch(/set -[a-z]*x/);
    for (const l of script.split('\n').filter((x) => /^\s*(log|die|echo|printf)\b/.test(x))) expect(l).not.toMatch(/\$\{?PGPASSWORD\b/);
    expect(script).not.toMatch(/undefined|\[object Object\]/);
  });

  test('verifies the dump before touching the database: a missing checksum stops it', () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'bad-'));
    fs.writeFileSync(path.join(dir, 'restore-name'), 'postgres-20260101T000000Z.sql.gz\n');
    fs.writeFileSync(path.join(dir, 'postgres-20260101T000000Z.sql.gz'), 'x');
    const r = run(script, { ...BASE_ENV, BACKUP_DIR: dir });
    expect(r.status).not.toBe(0);
    expect(r.stdout).toMatch(/checksum file \S*\/postgres-20260101T000000Z\.sql\.gz\.sha256 not found/);
    expect(r.stdout + r.stderr).not.toContain('pw-never-printed');
  });
});

describe('postgresRecreateRestoreScript settings (no database needed)', () => {
  test.each([
    [{ RESTORE_KEEP_PREVIOUS: 'maybe' }, /RESTORE_KEEP_PREVIOUS must be yes or no, got 'maybe'/],
    [{ RESTORE_DRAIN_SECONDS: 'soon' }, /RESTORE_DRAIN_SECONDS must be a number of seconds, got 'soon'/],
    [{ PGDATABASE: 'Pago-Directo' }, /PGDATABASE 'Pago-Directo' must be a lower case identifier/],
    [{ PGDATABASE: 'a'.repeat(51) }, /is longer than 50 characters; the restore needs room for the _restoring and _pre_restore names/],
    [{ PGMAINTENANCE_DB: 'pagodirecto_crm' }, /PGMAINTENANCE_DB must be another database than PGDATABASE 'pagodirecto_crm'/],
  ])('rejects %j', (env, message) => {
    const r = run(postgresRecreateRestoreScript, { ...BASE_ENV, BACKUP_DIR: tmp, ...env });
    expect(r.status).not.toBe(0);
    expect(r.stdout).toMatch(message);
  });
});

test('safety dumps uploaded under <prefix>/pre-restore/ never count as the latest backup', () => {
  const keys = [
    'pagodirecto/postgres/postgres-20260101T030000Z.sql.gz',
    'pagodirecto/postgres/postgres-20260101T030000Z.sql.gz.sha256',
    'pagodirecto/postgres/pre-restore/pre-restore-20260105T120000Z.sql.gz',
    'pagodirecto/postgres/pre-restore/pre-restore-20260105T120000Z.sql.gz.sha256',
  ];
  const r = spawnSync('sh', ['-c', `${s3KeySelectionFunctions}\nselect_latest_key "$@"`, 'sh', 'pagodirecto/postgres'], {
    input: keys.join('\n') + '\n',
    encoding: 'utf8',
  });
  expect([r.status, r.stdout.trim()]).toEqual([0, 'pagodirecto/postgres/postgres-20260101T030000Z.sql.gz']);
});
