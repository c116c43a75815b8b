/**
 * Runs the rendered postgresql.conf, pg_hba.conf and init script against a real PostgreSQL 15,
 * the way the postgres image's docker-entrypoint.sh does (bash, as OS user postgres, over the
 * unix socket, env POSTGRES_USER / POSTGRES_DB / the role password variables).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { PostgresInitSpec, renderInitScript, renderPgHba, renderPostgresqlConf } from '../../lib/constructs/data/postgres-config';
import { PostgresServer, runAsPostgres, startPostgres } from '../support/postgres-server';

const DB = 'appdb';
const SPEC: PostgresInitSpec = {
  schemas: ['app', 'audit'],
  extensions: ['uuid-ossp', 'pgcrypto', 'pg_trgm', 'pg_stat_statements'],
  roles: [
    { name: 'app_owner', access: 'owner', connectionLimit: 5, passwordEnv: 'APP_OWNER_PASSWORD' },
    { name: 'app_rw', access: 'readwrite', connectionLimit: 20, passwordEnv: 'APP_RW_PASSWORD' },
    { name: 'app_ro', access: 'readonly', connectionLimit: 10, passwordEnv: 'APP_RO_PASSWORD' },
    { name: 'app_mon', access: 'monitor', connectionLimit: 3, passwordEnv: 'APP_MON_PASSWORD' },
  ],
};
// Quotes, a backslash, '$' and spaces: must survive bash, psql variables and SCRAM unchanged.
const PASSWORDS: Record<string, string> = {
  APP_OWNER_PASSWORD: `own'er pw $HOME \\ "x"`,
  APP_RW_PASSWORD: 'rw-Secret-7c1f0e',
  APP_RO_PASSWORD: 'ro-Secret-52ab9d',
  APP_MON_PASSWORD: 'mon-Secret-0d4e11',
};
const CONF_NOTE = "it's a \\ backslash";

let pg: PostgresServer;
let initDir: string;

/** Runs an init script as docker-entrypoint.sh would. */
function runInit(script: string, name: string, env: Record<string, string>, database = DB) {
  const file = path.join(initDir, name);
  fs.writeFileSync(file, script, { mode: 0o755 });
  return runAsPostgres('bash', [file], {
    env: { POSTGRES_USER: 'postgres', POSTGRES_DB: database, PGHOST: pg.socketDir, PGPORT: String(pg.port), ...env },
  });
}

const as = (role: string, sql: string, password = PASSWORDS[SPEC.roles.find((r) => r.name === role)!.passwordEnv]) =>
  pg.tcpSql(sql, { user: role, password, database: DB });

beforeAll(async () => {
  pg = await startPostgres({
    postgresqlConf: renderPostgresqlConf({ shared_preload_libraries: 'pg_stat_statements', 'app.note': CONF_NOTE, max_connections: 50 }),
    pgHba: renderPgHba({ allowedCidrs: ['10.244.0.0/16', 'fd00::/8'] }),
  });
  initDir = path.join(pg.baseDir, 'docker-entrypoint-initdb.d');
  fs.mkdirSync(initDir);
  fs.chownSync(initDir, fs.statSync(pg.dataDir).uid, fs.statSync(pg.dataDir).gid);
  pg.createDatabase(DB);
  const r = runInit(renderInitScript(SPEC), '10-init.sh', PASSWORDS);
  if (r.status !== 0) throw new Error(`init script failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  for (const pw of Object.values(PASSWORDS)) {
    expect(r.stdout + r.stderr).not.toContain(pw);
  }
  expect(r.stdout).toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \[postgres-init\] database appdb initialised/);
});

afterAll(() => pg?.stop());

describe('rendered postgresql.conf and pg_hba.conf', () => {
  test('the server runs with our settings (quoting survives)', () => {
    expect(pg.superSql('SHOW password_encryption')).toBe('scram-sha-256');
    expect(pg.superSql('SHOW app.note')).toBe(CONF_NOTE);
    expect(pg.superSql('SHOW max_connections')).toBe('50');
    expect(pg.superSql('SHOW shared_preload_libraries')).toBe('pg_stat_statements');
    expect(pg.superSql('SHOW hba_file')).toBe(pg.hbaFile);
  });

  test('pg_hba: the socket uses peer auth (OS root cannot log in as postgres), TCP needs the SCRAM password', () => {
    const asRoot = spawnSync(
      pg.tools.psql,
      ['-X', '-h', pg.socketDir, '-p', String(pg.port), '-U', 'postgres', '-d', DB, '-c', 'select 1'],
      {
        encoding: 'utf8',
        env: { ...process.env, PGPASSWORD: pg.superuserPassword },
      },
    );
    expect(asRoot.status).not.toBe(0);
    expect(asRoot.stderr).toMatch(/Peer authentication failed/);
    expect(as('app_rw', 'select 1', 'wrong-password').stderr).toMatch(/password authentication failed for user "app_rw"/);
    expect(as('app_rw', 'select 1').stdout).toBe('1');
  });
});

describe('init script', () => {
  test('creates the schemas, owned by the owner role', () => {
    expect(
      pg.superSql("SELECT nspname || ':' || pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname IN ('app','audit') ORDER BY 1", DB),
    ).toBe('app:app_owner\naudit:app_owner');
  });

  test('creates the extensions', () => {
    expect(pg.superSql('SELECT extname FROM pg_extension ORDER BY 1', DB).split('\n')).toEqual(
      expect.arrayContaining(['pg_stat_statements', 'pg_trgm', 'pgcrypto', 'uuid-ossp']),
    );
  });

  test('creates login roles with their connection limits, no superpowers, SCRAM passwords', () => {
    const rows = pg.superSql(
      "SELECT rolname, rolconnlimit, rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolbypassrls, rolpassword LIKE 'SCRAM-SHA-256$%' " +
        "FROM pg_authid WHERE rolname LIKE 'app\\_%' ORDER BY rolname",
    );
    expect(rows.split('\n')).toEqual([
      'app_mon|3|t|f|f|f|f|t',
      'app_owner|5|t|f|f|f|f|t',
      'app_ro|10|t|f|f|f|f|t',
      'app_rw|20|t|f|f|f|f|t',
    ]);
  });

  test('passwords reach neither pg_stat_statements nor the server log', () => {
    const statements = pg.superSql('SELECT query FROM pg_stat_statements', DB);
    const log = pg.log();
    for (const pw of Object.values(PASSWORDS)) {
      expect(statements).not.toContain(pw);
      expect(log).not.toContain(pw);
    }
  });

  test('PUBLIC can no longer connect or create in schema public', () => {
    pg.superSql("CREATE ROLE intruder LOGIN PASSWORD 'intruder-pw'");
    const r = pg.tcpSql('select 1', { user: 'intruder', password: 'intruder-pw', database: DB });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/permission denied for database "appdb"/);
    expect(as('app_rw', 'CREATE TABLE public.t (a int)').stderr).toMatch(/permission denied for schema public/);
  });

  test('the owner creates tables after init (unqualified names land in the first schema)', () => {
    const r = as(
      'app_owner',
      `CREATE TABLE items (id uuid PRIMARY KEY DEFAULT uuid_generate_v4(), n serial, name text NOT NULL);
       CREATE TABLE audit.events (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), what text);
       CREATE FUNCTION app.item_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM app.items';
       INSERT INTO items (name) VALUES ('created by owner');
       SELECT count(*) FROM app.items;`,
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').pop()).toBe('1');
    expect(pg.superSql("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'app.items'::regclass", DB)).toBe('app_owner');
  });

  test('readwrite can use tables, sequences and functions created by the owner after init (default privileges)', () => {
    const r = as(
      'app_rw',
      `INSERT INTO app.items (name) VALUES ('rw 1'), ('rw 2');
       UPDATE app.items SET name = name || '!' WHERE name = 'rw 2';
       DELETE FROM app.items WHERE name = 'rw 1';
       INSERT INTO audit.events (what) VALUES ('hello');
       SELECT nextval('app.items_n_seq') > 0;
       SELECT app.item_count();
       SELECT name FROM items ORDER BY n;`,
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')).toEqual(['t', '2', 'created by owner', 'rw 2!']);
  });

  test('readwrite cannot create tables (no DDL)', () => {
    const r = as('app_rw', 'CREATE TABLE app.rw_table (a int)');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/permission denied for schema app/);
  });

  test('readonly can select; its sessions are read-only and it lacks INSERT even in a read-write transaction', () => {
    expect(as('app_ro', 'SELECT count(*) FROM app.items; SHOW default_transaction_read_only;').stdout).toBe('2\non');
    const readOnly = as('app_ro', "INSERT INTO app.items (name) VALUES ('nope')");
    expect(readOnly.status).not.toBe(0);
    expect(readOnly.stderr).toMatch(/read-only transaction/);
    const noPrivilege = as('app_ro', "BEGIN READ WRITE; INSERT INTO app.items (name) VALUES ('nope'); COMMIT;");
    expect(noPrivilege.status).not.toBe(0);
    expect(noPrivilege.stderr).toMatch(/permission denied for table items/);
    expect(as('app_ro', 'SELECT last_value >= 0 FROM app.items_n_seq').stdout).toBe('t');
  });

  test('readonly cannot create', () => {
    const r = as('app_ro', 'BEGIN READ WRITE; CREATE TABLE app.ro_table (a int); COMMIT;');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/permission denied for schema app/);
  });

  test('monitor reads statistics (pg_monitor) but no application data', () => {
    expect(Number(as('app_mon', 'SELECT count(*) FROM pg_stat_statements').stdout)).toBeGreaterThan(0);
    expect(as('app_mon', "SELECT pg_has_role('app_mon', 'pg_monitor', 'MEMBER')").stdout).toBe('t');
    const r = as('app_mon', 'SELECT count(*) FROM app.items');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/permission denied for schema app/);
  });

  test('is idempotent and rotates passwords on a re-run', () => {
    const rotated = { ...PASSWORDS, APP_RW_PASSWORD: 'rw-Rotated-991' };
    const r = runInit(renderInitScript(SPEC), '10-init.sh', rotated);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(as('app_rw', 'SELECT count(*) FROM app.items', 'rw-Rotated-991').stdout).toBe('2');
    expect(as('app_rw', 'select 1').status).not.toBe(0);
    expect(runInit(renderInitScript(SPEC), '10-init.sh', PASSWORDS).status).toBe(0);
    expect(as('app_rw', 'select 1').stdout).toBe('1');
  });

  test('fails before touching the database when a password variable is missing', () => {
    const r = runInit(renderInitScript(SPEC), '10-init.sh', { ...PASSWORDS, APP_RO_PASSWORD: '' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/APP_RO_PASSWORD must be set to the password of role app_ro/);
    expect(r.stdout).not.toMatch(/initialising/);
  });

  test('refuses a role named like the bootstrap superuser, and rolls back', () => {
    const r = runInit(
      renderInitScript({
        schemas: ['x'],
        extensions: [],
        roles: [{ name: 'postgres', access: 'readonly', connectionLimit: 1, passwordEnv: 'X_PW' }],
      }),
      '20-bad.sh',
      { X_PW: 'whatever-pw' },
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/bootstrap superuser/);
    expect(r.stderr).not.toContain('whatever-pw');
    expect(pg.superSql("SELECT count(*) FROM pg_namespace WHERE nspname = 'x'", DB)).toBe('0');
    expect(pg.superSql("SELECT rolsuper FROM pg_roles WHERE rolname = 'postgres'")).toBe('t');
  });

  test('without an owner role, default privileges cover tables the superuser creates later', () => {
    pg.createDatabase('plaindb');
    const spec: PostgresInitSpec = {
      schemas: ['data'],
      extensions: [],
      roles: [
        { name: 'plain_rw', access: 'readwrite', connectionLimit: -1, passwordEnv: 'PLAIN_RW_PW' },
        { name: 'plain_ro', access: 'readonly', connectionLimit: 2, passwordEnv: 'PLAIN_RO_PW' },
      ],
    };
    const r = runInit(renderInitScript(spec), '30-plain.sh', { PLAIN_RW_PW: 'plain-rw-pw', PLAIN_RO_PW: 'plain-ro-pw' }, 'plaindb');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(pg.superSql("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'data'", 'plaindb')).toBe('postgres');
    pg.superSql('CREATE TABLE data.t (id serial PRIMARY KEY, v text)', 'plaindb');
    const rw = pg.tcpSql("INSERT INTO data.t (v) VALUES ('a'); SELECT count(*) FROM data.t;", {
      user: 'plain_rw',
      password: 'plain-rw-pw',
      database: 'plaindb',
    });
    expect(rw.stderr).toBe('');
    expect(rw.stdout).toBe('1');
    expect(pg.tcpSql('SELECT v FROM data.t', { user: 'plain_ro', password: 'plain-ro-pw', database: 'plaindb' }).stdout).toBe('a');
    expect(pg.superSql("SELECT rolconnlimit FROM pg_roles WHERE rolname = 'plain_rw'")).toBe('-1');
    // Roles are cluster-wide, but CONNECT is per database: plain_rw cannot reach appdb.
    expect(pg.tcpSql('select 1', { user: 'plain_rw', password: 'plain-rw-pw', database: DB }).stderr).toMatch(
      /permission denied for database "appdb"/,
    );
  });
});
