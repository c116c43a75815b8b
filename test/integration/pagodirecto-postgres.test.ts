/**
 * PagoDirecto's PostgreSQL artifacts on a real server: the postgresql.conf, pg_hba.conf and init
 * script exactly as synthesized into the stack's ConfigMaps, then row-level security, privileges,
 * and the recreate-style restore (safety dump, terminate sessions, recreate, verify) for real.
 *
 * The stack runs PostgreSQL 16; this machine has PostgreSQL 15 (16 is not installable here). The
 * rendered SQL uses nothing newer than PostgreSQL 13 (event triggers with EXECUTE FUNCTION,
 * FORCE ROW LEVEL SECURITY, ALTER DATABASE ... RENAME in a transaction, pg_db_role_setting,
 * aclexplode), so it runs unchanged on 15 and 16.
 */
import { ChildProcess, spawn, spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadEnvironment } from '../../config';
import {
  postgresDumpScript,
  postgresRecreateRestoreScript,
  postgresSafetyDumpScript,
  RESTORE_NAME_FILE,
  SAFETY_NAME_FILE,
} from '../../lib/constructs/backup/backup-scripts';
import { REPLICATION_PASSWORD_ENV, rolePasswordEnv } from '../../lib/constructs/data/postgres-database';
import { PostgresServer, requirePostgresTools, runAsPostgres, startPostgres } from '../support/postgres-server';
import { envConfig, find, synthStack } from '../support/synth';

const DB = 'pagodirecto_crm';
const OWNER = 'pagodirecto_owner';
const APP = 'pagodirecto_app';
const RO = 'pagodirecto_readonly';
const SCHEMAS = ['identity', 'customers', 'sales', 'catalog', 'billing', 'payments', 'communications', 'audit'];
const PASSWORDS: Record<string, string> = {
  [OWNER]: `owner 'pw' $x`,
  [APP]: 'app-pw-1f2e',
  [RO]: 'ro-pw-3d4c',
  postgres_exporter: 'exp-pw-5b6a',
};
const REPLICATION_PASSWORD = 'repl-pw-7e8f';
const TENANT_A = '11111111-1111-1111-1111-111111111111';
const TENANT_B = '22222222-2222-2222-2222-222222222222';

const stacks = {
  dev: synthStack('pagodirecto', loadEnvironment(envConfig('dev'))),
  prod: synthStack('pagodirecto', loadEnvironment(envConfig('prod'))),
};
const artifacts = (env: 'dev' | 'prod') => ({
  conf: find(stacks[env], 'ConfigMap', 'postgres-config').data as Record<string, string>,
  init: find(stacks[env], 'ConfigMap', 'postgres-init').data['10-init-database.sh'] as string,
});

let workDir: string;
let pathWithTools: string;
const servers: PostgresServer[] = [];

/** A server with the synthesized config of `env`, database pagodirecto_crm and its init script run. */
async function pagodirectoPostgres(env: 'dev' | 'prod'): Promise<PostgresServer> {
  const { conf, init } = artifacts(env);
  const pg = await startPostgres({ postgresqlConf: conf['postgresql.conf'], pgHba: conf['pg_hba.conf'] });
  servers.push(pg);
  pg.createDatabase(DB);
  const file = path.join(pg.baseDir, '10-init-database.sh');
  fs.writeFileSync(file, init, { mode: 0o755 });
  const r = runAsPostgres('bash', [file], {
    env: {
      POSTGRES_USER: 'postgres',
      POSTGRES_DB: DB,
      PGHOST: pg.socketDir,
      PGPORT: String(pg.port),
      ...Object.fromEntries(Object.entries(PASSWORDS).map(([role, pw]) => [rolePasswordEnv(role), pw])),
      // prod has a standby: the init script also sets the replication role's password.
      [REPLICATION_PASSWORD_ENV]: REPLICATION_PASSWORD,
    },
  });
  if (r.status !== 0) throw new Error(`init script failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  for (const pw of [...Object.values(PASSWORDS), REPLICATION_PASSWORD]) expect(r.stdout + r.stderr).not.toContain(pw);
  return pg;
}

const as = (pg: PostgresServer, role: string, sql: string) => pg.tcpSql(sql, { user: role, password: PASSWORDS[role], database: DB });
const ok = (r: { status: number | null; stdout: string; stderr: string }): string => {
  if (r.status !== 0) throw new Error(`psql failed (${r.status}): ${r.stderr}`);
  return r.stdout;
};
const withTenant = (tenant: string, sql: string) => `BEGIN; SET LOCAL app.tenant_id = '${tenant}'; ${sql}; COMMIT;`;

function runScript(script: string, env: NodeJS.ProcessEnv): SpawnSyncReturns<string> {
  const file = path.join(workDir, `script-${Math.random().toString(36).slice(2)}.sh`);
  fs.writeFileSync(file, script, { mode: 0o755 });
  return spawnSync('bash', [file], { encoding: 'utf8', env: { PATH: pathWithTools, HOME: workDir, ...env }, timeout: 120_000 });
}

function expectOk(r: SpawnSyncReturns<string>): string {
  if (r.status !== 0) throw new Error(`script exited ${r.status ?? r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  return r.stdout;
}

beforeAll(() => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pagodirecto-pg-'));
  const tools = requirePostgresTools();
  pathWithTools = [path.dirname(tools.pg_dump), path.dirname(tools.psql), '/usr/sbin', '/usr/bin', '/sbin', '/bin'].join(':');
});

afterAll(() => {
  for (const pg of servers) pg.stop();
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

describe('synthesized postgresql.conf on a real server', () => {
  test('dev: the tuning derived from the 512Mi limit is accepted', async () => {
    const pg = await pagodirectoPostgres('dev');
    expect(['shared_buffers', 'effective_cache_size', 'work_mem', 'max_connections'].map((n) => pg.superSql(`SHOW ${n}`))).toEqual([
      '128MB',
      '384MB',
      // (512 - 128) MB / 50 connections, rounded down (lib/constructs/data/postgres-memory.ts)
      '7MB',
      '50',
    ]);
    pg.stop();
  });
});

describe('PagoDirecto database (prod config)', () => {
  let pg: PostgresServer;
  beforeAll(async () => {
    pg = await pagodirectoPostgres('prod');
  });

  test('the seed tuning and the derived memory settings are in force', () => {
    const show = (name: string) => pg.superSql(`SHOW ${name}`);
    expect([
      show('shared_buffers'),
      show('effective_cache_size'),
      show('work_mem'),
      show('random_page_cost'),
      show('max_connections'),
      // shared_buffers and effective_cache_size are the seed's; work_mem is derived, (2048 - 512) MB / 150 (the seed's 16MB would overcommit)
    ]).toEqual(['512MB', '1536MB', '10MB', '1.1', '150']);
    expect([
      show('autovacuum'),
      show('autovacuum_naptime'),
      show('log_lock_waits'),
      show('log_checkpoints'),
      show('log_min_duration_statement'),
    ]).toEqual(['on', '30s', 'on', 'on', '200ms']);
    expect(show('shared_preload_libraries')).toBe('pg_stat_statements');
    expect(show('password_encryption')).toBe('scram-sha-256');
  });

  test('extensions uuid-ossp, pgcrypto, pg_stat_statements, pg_trgm', () => {
    expect(pg.superSql("SELECT string_agg(extname, ',' ORDER BY extname) FROM pg_extension WHERE extname <> 'plpgsql'", DB)).toBe(
      'pg_stat_statements,pg_trgm,pgcrypto,uuid-ossp',
    );
    expect(ok(as(pg, APP, "SELECT uuid_generate_v4() IS NOT NULL, gen_random_uuid() IS NOT NULL, similarity('pago', 'pagos') > 0"))).toBe(
      't|t|t',
    );
  });

  test('eight bounded-context schemas owned by the owner role, closed to PUBLIC', () => {
    const rows = pg.superSql(
      `SELECT nspname || ':' || pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = ANY (ARRAY[${SCHEMAS.map((s) => `'${s}'`).join(',')}]) ORDER BY 1`,
      DB,
    );
    expect(rows.split('\n')).toEqual([...SCHEMAS].sort().map((s) => `${s}:${OWNER}`));
    for (const s of SCHEMAS) {
      expect(
        pg.superSql(
          `SELECT has_schema_privilege('${APP}', '${s}', 'USAGE'), has_schema_privilege('${APP}', '${s}', 'CREATE'), has_schema_privilege('${RO}', '${s}', 'CREATE')`,
          DB,
        ),
      ).toBe('t|f|f');
    }
  });

  test('roles: login, connection limits, no superpowers, no BYPASSRLS', () => {
    expect(
      pg.superSql(
        "SELECT string_agg(format('%s|%s|%s|%s|%s', rolname, rolconnlimit, rolsuper, rolcreaterole, rolbypassrls), ' ' ORDER BY rolname) FROM pg_roles WHERE rolname LIKE 'pagodirecto%' OR rolname = 'postgres_exporter'",
      ),
    ).toBe(`${APP}|100|f|f|f ${OWNER}|5|f|f|f ${RO}|10|f|f|f postgres_exporter|3|f|f|f`);
  });

  describe('row-level security', () => {
    beforeAll(() => {
      ok(
        as(
          pg,
          OWNER,
          `
        CREATE TABLE customers.accounts (id uuid PRIMARY KEY DEFAULT uuid_generate_v4(), tenant_id uuid NOT NULL, name text NOT NULL);
        CREATE TABLE catalog.currencies (code text PRIMARY KEY);
        INSERT INTO catalog.currencies VALUES ('EUR'), ('MXN');`,
        ),
      );
      ok(
        as(
          pg,
          APP,
          withTenant(
            TENANT_A,
            "INSERT INTO customers.accounts (tenant_id, name) VALUES ('" + TENANT_A + "', 'a1'), ('" + TENANT_A + "', 'a2')",
          ),
        ),
      );
      ok(as(pg, APP, withTenant(TENANT_B, "INSERT INTO customers.accounts (tenant_id, name) VALUES ('" + TENANT_B + "', 'b1')")));
    });

    test('a table with tenant_id is put under a FORCEd tenant_isolation policy as it is created', () => {
      expect(
        pg.superSql(
          "SELECT relrowsecurity, relforcerowsecurity, pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'customers.accounts'::regclass",
          DB,
        ),
      ).toBe(`t|t|${OWNER}`);
      expect(
        pg.superSql(
          "SELECT polname, polpermissive, pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid) FROM pg_policy WHERE polrelid = 'customers.accounts'::regclass",
          DB,
        ),
      ).toBe('tenant_isolation|t|(tenant_id = current_tenant_id())|(tenant_id = current_tenant_id())');
      // A table without the tenant column is shared reference data.
      expect(pg.superSql("SELECT relrowsecurity FROM pg_class WHERE oid = 'catalog.currencies'::regclass", DB)).toBe('f');
      expect(ok(as(pg, APP, 'SELECT count(*) FROM catalog.currencies'))).toBe('2');
    });

    test('the app role sees only the tenant in app.tenant_id, and nothing without it', () => {
      expect(ok(as(pg, APP, 'SELECT count(*) FROM customers.accounts'))).toBe('0');
      expect(ok(as(pg, APP, withTenant(TENANT_A, "SELECT string_agg(name, ',' ORDER BY name) FROM customers.accounts")))).toBe('a1,a2');
      expect(ok(as(pg, APP, withTenant(TENANT_B, "SELECT string_agg(name, ',' ORDER BY name) FROM customers.accounts")))).toBe('b1');
      expect(
        ok(as(pg, APP, withTenant(TENANT_A, `UPDATE customers.accounts SET name = 'x' WHERE tenant_id = '${TENANT_B}' RETURNING 1`))),
      ).toBe('');
      expect(ok(as(pg, APP, withTenant(TENANT_A, `DELETE FROM customers.accounts WHERE tenant_id = '${TENANT_B}' RETURNING 1`)))).toBe('');
    });

    test("the app role cannot write another tenant's rows", () => {
      const r = as(pg, APP, withTenant(TENANT_A, `INSERT INTO customers.accounts (tenant_id, name) VALUES ('${TENANT_B}', 'sneaky')`));
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/new row violates row-level security policy for table "accounts"/);
    });

    test('the app role cannot bypass it: not the owner, no BYPASSRLS, row_security off fails, cannot disable or drop the policy', () => {
      expect(pg.superSql(`SELECT rolbypassrls FROM pg_roles WHERE rolname = '${APP}'`)).toBe('f');
      expect(as(pg, APP, 'SET row_security = off; SELECT count(*) FROM customers.accounts').stderr).toMatch(
        /query would be affected by row-level security policy/,
      );
      expect(as(pg, APP, 'ALTER TABLE customers.accounts DISABLE ROW LEVEL SECURITY').stderr).toMatch(/must be owner of table accounts/);
      expect(as(pg, APP, 'DROP POLICY tenant_isolation ON customers.accounts').stderr).toMatch(
        /must be owner of (relation|table) accounts/,
      );
      expect(
        as(pg, APP, 'CREATE OR REPLACE FUNCTION public.current_tenant_id() RETURNS uuid LANGUAGE sql AS $$ SELECT NULL::uuid $$').stderr,
      ).toMatch(/permission denied|must be owner/);
      expect(as(pg, APP, `SELECT public.enable_tenant_isolation('customers.accounts')`).stderr).toMatch(
        /permission denied for function enable_tenant_isolation/,
      );
    });

    test('FORCE: the owner and the read-only role are filtered too; an owner cannot switch FORCE off', () => {
      expect(ok(as(pg, OWNER, 'SELECT count(*) FROM customers.accounts'))).toBe('0');
      expect(ok(as(pg, RO, withTenant(TENANT_B, 'SELECT count(*) FROM customers.accounts')))).toBe('1');
      ok(as(pg, OWNER, 'ALTER TABLE customers.accounts NO FORCE ROW LEVEL SECURITY'));
      expect(pg.superSql("SELECT relforcerowsecurity FROM pg_class WHERE oid = 'customers.accounts'::regclass", DB)).toBe('t');
    });

    test('a tenant column of the wrong type is refused at CREATE TABLE', () => {
      expect(as(pg, OWNER, 'CREATE TABLE sales.bad (tenant_id text)').stderr).toMatch(/column tenant_id is text, expected uuid/);
    });

    test('least privilege: read-only cannot write, the app cannot create tables, PUBLIC cannot connect', () => {
      expect(
        as(pg, RO, withTenant(TENANT_A, `INSERT INTO customers.accounts (tenant_id, name) VALUES ('${TENANT_A}', 'x')`)).stderr,
      ).toMatch(/read-only transaction|permission denied/);
      expect(as(pg, APP, 'CREATE TABLE customers.mine (id int)').stderr).toMatch(/permission denied for schema customers/);
      pg.superSql("CREATE ROLE stranger LOGIN PASSWORD 'stranger-pw'");
      expect(pg.tcpSql('SELECT 1', { user: 'stranger', password: 'stranger-pw', database: DB }).stderr).toMatch(
        /permission denied for database/,
      );
    });
  });

  describe('recreate restore: safety dump, terminate sessions, recreate, verify', () => {
    let backupDir: string;
    let dumpName: string;
    const env = (): NodeJS.ProcessEnv => ({ ...pg.superuserTcpEnv, PGDATABASE: DB, BACKUP_DIR: backupDir });
    const accounts = () => pg.superSql("SELECT string_agg(name, ',' ORDER BY name) FROM customers.accounts", DB);

    beforeAll(() => {
      backupDir = fs.mkdtempSync(path.join(workDir, 'restore-'));
      expectOk(runScript(postgresDumpScript, { ...env(), BACKUP_NAME_PREFIX: 'postgres' }));
      dumpName = fs.readFileSync(path.join(backupDir, 'latest-name'), 'utf8').trim();
      // Changes after the backup, which the restore must undo.
      ok(as(pg, APP, withTenant(TENANT_A, `INSERT INTO customers.accounts (tenant_id, name) VALUES ('${TENANT_A}', 'after-backup')`)));
      ok(as(pg, OWNER, 'CREATE TABLE audit.after_backup (id int)'));
      fs.writeFileSync(path.join(backupDir, RESTORE_NAME_FILE), `${dumpName}\n`);
    });

    test('a corrupt dump is refused before anything is touched', () => {
      const dir = fs.mkdtempSync(path.join(workDir, 'corrupt-'));
      const name = 'postgres-20260101T000000Z.sql.gz';
      fs.writeFileSync(path.join(dir, name), 'not gzip');
      fs.writeFileSync(path.join(dir, `${name}.sha256`), `${'0'.repeat(64)}  ${name}\n`);
      fs.writeFileSync(path.join(dir, RESTORE_NAME_FILE), `${name}\n`);
      const r = runScript(postgresRecreateRestoreScript, { ...env(), BACKUP_DIR: dir });
      expect(r.status).not.toBe(0);
      expect(r.stdout + r.stderr).toMatch(/checksum mismatch/);
      expect(fs.readdirSync(dir).filter((f) => f.startsWith('pre-restore-'))).toEqual([]);
      expect(accounts()).toBe('a1,a2,after-backup,b1');
    });

    test('a dump that fails to restore leaves the live database as it was and open', () => {
      const dir = fs.mkdtempSync(path.join(workDir, 'broken-'));
      const text = spawnSync('gzip', ['-dc', path.join(backupDir, dumpName)], { encoding: 'utf8', maxBuffer: 1 << 26 }).stdout;
      const broken = text.replace(
        '-- PostgreSQL database dump complete',
        'SELECT no_such_function();\n\n-- PostgreSQL database dump complete',
      );
      const name = 'postgres-20260102T000000Z.sql.gz';
      fs.writeFileSync(path.join(dir, name), spawnSync('gzip', ['-c'], { input: broken, maxBuffer: 1 << 26 }).stdout);
      expectOk(spawnSync('bash', ['-c', `cd ${dir} && sha256sum ${name} > ${name}.sha256`], { encoding: 'utf8' }));
      fs.writeFileSync(path.join(dir, RESTORE_NAME_FILE), `${name}\n`);
      const r = runScript(postgresRecreateRestoreScript, { ...env(), BACKUP_DIR: dir });
      expect(r.status).not.toBe(0);
      expect(r.stdout).toMatch(
        /restore of postgres-20260102T000000Z\.sql\.gz into 'pagodirecto_crm_restoring' failed; 'pagodirecto_crm' is unchanged/,
      );
      expect(r.stdout).toMatch(/dropping 'pagodirecto_crm_restoring' after the failure/);
      expect(
        pg.superSql(
          "SELECT string_agg(datname || ':' || datallowconn, ',' ORDER BY datname) FROM pg_database WHERE datname LIKE 'pagodirecto%'",
        ),
      ).toBe('pagodirecto_crm:true');
      expect(accounts()).toBe('a1,a2,after-backup,b1');
    });

    test('restores the backup for real and keeps security, grants and the tenant setting', async () => {
      // The separate safety-dump step of the restore Job (its upload is the tested s3-upload script).
      expect(expectOk(runScript(postgresSafetyDumpScript, env()))).toMatch(/safety dump complete: pre-restore-\d{8}T\d{6}Z\.sql\.gz/);
      const safety = fs.readFileSync(path.join(backupDir, SAFETY_NAME_FILE), 'utf8').trim();
      expect(fs.readFileSync(path.join(backupDir, 'latest-name'), 'utf8').trim()).toBe(safety);
      const safetyText = spawnSync('gzip', ['-dc', path.join(backupDir, safety)], { encoding: 'utf8', maxBuffer: 1 << 26 }).stdout;
      expect(safetyText).toContain('after-backup');

      // An application session that the restore must terminate.
      const session: ChildProcess = spawn(
        pg.tools.psql,
        ['-X', '-h', '127.0.0.1', '-p', String(pg.port), '-U', APP, '-d', DB, '-c', 'SELECT pg_sleep(120)'],
        {
          env: { ...process.env, PGPASSWORD: PASSWORDS[APP] },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let sessionErr = '';
      session.stderr!.on('data', (d) => (sessionErr += d));
      const sessionExit = new Promise<number | null>((resolve) => session.on('exit', (code) => resolve(code)));
      for (let i = 0; i < 50 && pg.superSql(`SELECT count(*) FROM pg_stat_activity WHERE usename = '${APP}'`) === '0'; i++)
        await new Promise((r) => setTimeout(r, 100));

      const out = expectOk(runScript(postgresRecreateRestoreScript, env()));
      expect(out).toMatch(new RegExp(`safety dump ${safety} was taken before this step`));
      expect(out).toMatch(/terminated [1-9]\d* session\(s\)/);
      expect(out).toMatch(/swapping: 'pagodirecto_crm' -> 'pagodirecto_crm_pre_restore', 'pagodirecto_crm_restoring' -> 'pagodirecto_crm'/);
      expect(out).toMatch(/customers\.accounts: 3/);
      expect(out).toMatch(/dropped the replaced database 'pagodirecto_crm_pre_restore'/);
      expect(out).toMatch(/restore of postgres-\d{8}T\d{6}Z\.sql\.gz complete and verified/);
      expect(await sessionExit).not.toBe(0);
      expect(sessionErr).toMatch(/terminat/);

      // Data as in the backup; objects created after it are gone; only the live database is left.
      expect(accounts()).toBe('a1,a2,b1');
      expect(pg.superSql("SELECT to_regclass('audit.after_backup') IS NULL", DB)).toBe('t');
      expect(pg.superSql("SELECT string_agg(datname || ':' || datallowconn, ',') FROM pg_database WHERE datname LIKE 'pagodirecto%'")).toBe(
        'pagodirecto_crm:true',
      );
      // Database-level grants and the tenant setting were carried over; RLS and its trigger came back with the dump.
      expect(
        pg.superSql(
          `SELECT (SELECT setconfig FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = '${DB}' AND s.setrole = 0)::text`,
        ),
      ).toBe('{app.tenant_id=}');
      expect(pg.tcpSql('SELECT 1', { user: 'stranger', password: 'stranger-pw', database: DB }).stderr).toMatch(
        /permission denied for database/,
      );
      expect(ok(as(pg, APP, 'SELECT count(*) FROM customers.accounts'))).toBe('0');
      expect(ok(as(pg, APP, withTenant(TENANT_B, "SELECT string_agg(name, ',') FROM customers.accounts")))).toBe('b1');
      expect(pg.superSql("SELECT relforcerowsecurity FROM pg_class WHERE oid = 'customers.accounts'::regclass", DB)).toBe('t');
      ok(as(pg, OWNER, 'CREATE TABLE payments.charges (id bigserial PRIMARY KEY, tenant_id uuid NOT NULL)'));
      expect(pg.superSql("SELECT relrowsecurity AND relforcerowsecurity FROM pg_class WHERE oid = 'payments.charges'::regclass", DB)).toBe(
        't',
      );
    });

    test('RESTORE_KEEP_PREVIOUS=yes keeps the replaced database closed to connections', () => {
      fs.rmSync(path.join(backupDir, SAFETY_NAME_FILE));
      const out = expectOk(runScript(postgresRecreateRestoreScript, { ...env(), RESTORE_KEEP_PREVIOUS: 'yes' }));
      expect(out).toMatch(/taking a safety dump of the current database 'pagodirecto_crm' first/);
      expect(out).toMatch(/kept the replaced database as 'pagodirecto_crm_pre_restore'/);
      expect(
        pg.superSql(
          "SELECT string_agg(datname || ':' || datallowconn, ',' ORDER BY datname) FROM pg_database WHERE datname LIKE 'pagodirecto%'",
        ),
      ).toBe('pagodirecto_crm:true,pagodirecto_crm_pre_restore:false');
      // A second restore refuses to overwrite the kept database.
      const again = runScript(postgresRecreateRestoreScript, env());
      expect(again.status).not.toBe(0);
      expect(again.stdout).toMatch(/database 'pagodirecto_crm_pre_restore' exists \(kept by an earlier restore\); drop or rename it first/);
    });
  });
});
