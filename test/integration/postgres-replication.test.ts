/**
 * The standby of a PostgresDatabase on real PostgreSQL 15 servers: a primary started from the
 * synthesized postgresql.conf and pg_hba.conf (TLS with the test CA, as postgres-tls.test.ts) and
 * initialised by the synthesized init script (replication role and slot); a standby cloned by the
 * synthesized `postgres-standby.sh bootstrap` (pg_basebackup through the slot, over verified TLS, as
 * the replication role) and started by `postgres-standby.sh start` with the containers' env and
 * args. A row written on the primary appears on the standby, the standby refuses writes, the
 * promotion script refuses while the primary still accepts writes and, once it is stopped, turns
 * the standby into a writable primary.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { PostgresDatabase } from '../../lib/constructs/data/postgres-database';
import { Doc } from '../support/doc';
import { secretKey, testPostgresProps } from '../support/postgres-props';
import { check, freePort, POSTGRES_OS_USER, PostgresServer, runAsPostgres, startPostgres, testTlsFiles } from '../support/postgres-server';

const DB = 'appdb';
const SECRETS: Record<string, string> = {
  POSTGRES_PASSWORD: 'super-Secret-7a1',
  APP_PASSWORD: 'app-Secret-2b3',
  ANALYTICS_PASSWORD: 'analytics-Secret-4c5',
  REPLICATION_PASSWORD: 'repl:Secret\\6d7',
};

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef: { name: string; key: string } };
}

interface Synthesized {
  readonly conf: string;
  readonly hba: string;
  readonly initScript: string;
  readonly standbyScript: string;
  readonly promoteScript: string;
  readonly reconcile: Doc;
  readonly standby: Doc;
  readonly promote: Doc;
}

function synthesize(): Synthesized {
  const chart = Testing.chart();
  const secret = secretKey('postgres-credentials');
  new PostgresDatabase(
    chart,
    'postgres',
    testPostgresProps('postgres-credentials', {
      database: DB,
      roles: [
        { name: 'app_owner', access: 'owner', connectionLimit: 5, password: secret('APP_PASSWORD') },
        { name: 'analytics', access: 'readonly', connectionLimit: 5, password: secret('ANALYTICS_PASSWORD') },
      ],
      settings: { max_connections: 30 },
      allowedCidrs: ['10.0.0.0/8'],
      tls: { issuer: { name: 'internal-ca' } },
      standby: { replicationPassword: secret('REPLICATION_PASSWORD') },
    }),
  );
  const docs = Testing.synth(chart);
  const find = (kind: string, name: string | RegExp) =>
    docs.find((d) => d.kind === kind && (typeof name === 'string' ? d.metadata.name === name : name.test(String(d.metadata.name))))!;
  const config = find('ConfigMap', 'postgres-config');
  return {
    conf: config.data['postgresql.conf'],
    hba: config.data['pg_hba.conf'],
    initScript: find('ConfigMap', 'postgres-init').data['10-init-database.sh'],
    standbyScript: find('ConfigMap', 'postgres-replica-scripts').data['postgres-standby.sh'],
    promoteScript: find('ConfigMap', 'postgres-promote').data['postgres-promote.sh'],
    reconcile: find('Job', /^postgres-reconcile-/),
    standby: find('StatefulSet', 'postgres-replica'),
    promote: find('CronJob', 'postgres-promote'),
  };
}

/** A container's env with Secret references resolved from {@link SECRETS}. */
function containerEnv(container: { env: EnvVar[] }): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of container.env) env[e.name] = e.value ?? SECRETS[e.valueFrom!.secretKeyRef.key];
  return env;
}

let s: Synthesized;
let primary: PostgresServer;
let work: string;
let pgBin: string;
let ca: string;
let standbyData: string;
let standbyPort: number;
let standbySocket: string;
let standbyConf: string;
let standbyHba: string;
let standbyLog: string;

/** The pod's script paths, pointed at the rendered copies in the work directory. */
function writeScript(name: string, text: string): string {
  const file = path.join(work, name);
  fs.writeFileSync(file, text, { mode: 0o555 });
  return file;
}

/** Env of the standby's containers, as in the pod, with the primary on localhost (a name of the test certificate). */
function standbyEnv(container: { env: EnvVar[] }): Record<string, string> {
  const env = containerEnv(container);
  expect(env.PRIMARY_HOST).toBe('postgres.shop.svc.cluster.local');
  expect(env.PRIMARY_SSLROOTCERT).toBe('/etc/postgresql-ca/ca.crt');
  return {
    ...env,
    PATH: `${pgBin}:${process.env.PATH ?? ''}`,
    PGDATA: standbyData,
    PRIMARY_HOST: 'localhost',
    PRIMARY_PORT: String(primary.port),
    PRIMARY_SSLROOTCERT: ca,
    STANDBY_PASSFILE: path.join(work, 'standby', 'replication.pgpass'),
    STANDBY_NAME: 'postgres-replica-0',
  };
}

/** psql over TCP with verified TLS to a server on this host. */
function psql(port: number, sql: string, user = 'postgres', password = SECRETS.POSTGRES_PASSWORD) {
  const r = spawnSync(path.join(pgBin, 'psql'), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-At', '-c', sql], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      PGHOST: 'localhost',
      PGPORT: String(port),
      PGUSER: user,
      PGPASSWORD: password,
      PGDATABASE: DB,
      PGSSLMODE: 'verify-full',
      PGSSLROOTCERT: ca,
      PGCONNECT_TIMEOUT: '10',
    },
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}

async function waitFor(what: string, probe: () => boolean, seconds = 40): Promise<void> {
  for (let i = 0; i < seconds * 4; i++) {
    if (probe()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `timed out waiting for ${what}\n--- standby log\n${fs.existsSync(standbyLog) ? fs.readFileSync(standbyLog, 'utf8') : ''}`,
  );
}

function runPromote(): { status: number | null; output: string } {
  const container = s.promote.spec.jobTemplate.spec.template.spec.containers[0];
  const env = containerEnv(container);
  expect(env.PGHOST).toBe('postgres-replica-0.postgres-replica.shop.svc.cluster.local');
  expect(env.PRIMARY_HOST).toBe('postgres.shop.svc.cluster.local');
  const command = (container.command as string[]).map((a) =>
    a === '/scripts/postgres-promote.sh' ? writeScript('postgres-promote.sh', s.promoteScript) : a,
  );
  const r = spawnSync(command[0], command.slice(1), {
    encoding: 'utf8',
    env: {
      PATH: `${pgBin}:${process.env.PATH ?? ''}`,
      ...env,
      PGHOST: 'localhost',
      PGPORT: String(standbyPort),
      PRIMARY_HOST: 'localhost',
      PRIMARY_PORT: String(primary.port),
      PGSSLROOTCERT: ca,
      HOME: work,
    },
    timeout: 120_000,
  });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

beforeAll(async () => {
  s = synthesize();
  ca = testTlsFiles().caFile;
  primary = await startPostgres({
    postgresqlConf: s.conf,
    pgHba: s.hba,
    superuserPassword: SECRETS.POSTGRES_PASSWORD,
    initdbArgs: ['--data-checksums'],
  });
  pgBin = path.dirname(primary.tools.psql);
  // The image's entrypoint creates POSTGRES_DB before the init scripts run.
  primary.createDatabase(DB);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'pgreplica-'));
  fs.chmodSync(work, 0o755);
  const owner = execId();
  fs.mkdirSync(path.join(work, 'standby'));
  fs.mkdirSync(path.join(work, 'standby', 'sock'));
  standbyData = path.join(work, 'standby', 'pgdata');
  standbySocket = path.join(work, 'standby', 'sock');
  standbyLog = path.join(work, 'standby', 'postgres.log');
  // The standby reads the same files as the primary (the ConfigMap's copy), with the test certificate.
  standbyConf = path.join(work, 'standby', 'postgresql.conf');
  standbyHba = path.join(work, 'standby', 'pg_hba.conf');
  fs.copyFileSync(primary.configFile, standbyConf);
  fs.copyFileSync(primary.hbaFile, standbyHba);
  for (const p of [path.join(work, 'standby'), standbySocket, standbyConf, standbyHba]) fs.chownSync(p, owner.uid, owner.gid);
  fs.writeFileSync(standbyLog, '');
  fs.chownSync(standbyLog, owner.uid, owner.gid);

  // The init script, run the way the reconcile Job runs it (TCP, superuser, the Secrets' passwords).
  const reconcile = s.reconcile.spec.template.spec.containers[0];
  const init = spawnSync('bash', [writeScript('10-init-database.sh', s.initScript)], {
    encoding: 'utf8',
    env: {
      PATH: `${pgBin}:${process.env.PATH ?? ''}`,
      ...containerEnv(reconcile),
      PGHOST: 'localhost',
      PGPORT: String(primary.port),
      PGSSLROOTCERT: ca,
      HOME: work,
    },
    timeout: 60_000,
  });
  if (init.status !== 0) throw new Error(`init script failed: ${init.stdout}${init.stderr}`);
  standbyPort = await freePort();
}, 180_000);

function execId(): { uid: number; gid: number } {
  const id = (flag: string) => Number(spawnSync('id', [flag, POSTGRES_OS_USER], { encoding: 'utf8' }).stdout.trim());
  return process.getuid?.() === 0 ? { uid: id('-u'), gid: id('-g') } : { uid: process.getuid!(), gid: process.getgid!() };
}

afterAll(() => {
  if (standbyData && fs.existsSync(path.join(standbyData, 'postmaster.pid'))) {
    runAsPostgres(path.join(pgBin, 'pg_ctl'), ['-D', standbyData, '-m', 'immediate', '-w', 'stop']);
  }
  primary?.stop();
  if (work && !process.env.KEEP_WORK) fs.rmSync(work, { recursive: true, force: true });
});

test('the primary has the replication role (REPLICATION, no database access) and the standby slot', () => {
  expect(s.conf).toMatch(/^wal_level = 'replica'$/m);
  expect(s.hba).toMatch(/^hostssl\s+replication\s+replicator\s+10\.0\.0\.0\/8\s+scram-sha-256$/m);
  expect(primary.superSql("select rolreplication, rolcanlogin, rolconnlimit from pg_roles where rolname = 'replicator'")).toBe('t|t|3');
  expect(primary.superSql("select has_database_privilege('replicator', 'appdb', 'CONNECT')")).toBe('f');
  expect(
    primary.superSql("select slot_type, restart_lsn is not null from pg_replication_slots where slot_name = 'postgres_replica_0'"),
  ).toBe('physical|t');
  // The replication role cannot open a normal session.
  const r = psql(primary.port, 'select 1', 'replicator', SECRETS.REPLICATION_PASSWORD);
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/permission denied for database "appdb"|no pg_hba\.conf entry/);
});

test('bootstrap clones the primary through the slot over verified TLS, once', () => {
  const initContainer = s.standby.spec.template.spec.initContainers[0];
  expect(initContainer.command).toEqual(['bash', '/scripts/postgres-standby.sh', 'bootstrap']);
  const script = writeScript('postgres-standby.sh', s.standbyScript);
  const env = standbyEnv(initContainer);
  check(runAsPostgres('bash', [script, 'bootstrap'], { env, timeout: 120_000 }), 'standby bootstrap');
  expect(fs.existsSync(path.join(standbyData, 'standby.signal'))).toBe(true);
  expect(fs.existsSync(`${standbyData}.clone`)).toBe(false);
  // No password in the data directory (primary_conninfo is given at start and names the passfile).
  const auto = fs.readFileSync(path.join(standbyData, 'postgresql.auto.conf'), 'utf8');
  expect(auto).not.toContain('Secret');
  const again = check(runAsPostgres('bash', [script, 'bootstrap'], { env }), 'standby bootstrap again');
  expect(again).toMatch(/exists; not cloning/);
});

test('the started standby streams: a row written on the primary is visible on it', async () => {
  const main = s.standby.spec.template.spec.containers[0];
  expect(main.command).toEqual(['bash', '/scripts/postgres-standby.sh', 'start']);
  const args = (main.args as string[]).map((a) =>
    a.replace('/etc/postgresql/postgresql.conf', standbyConf).replace('/etc/postgresql/pg_hba.conf', standbyHba),
  );
  const env = standbyEnv(main);
  const out = fs.openSync(standbyLog, 'a');
  const child = spawn(
    'runuser',
    [
      '-u',
      POSTGRES_OS_USER,
      '--',
      'bash',
      path.join(work, 'postgres-standby.sh'),
      'start',
      ...args,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `port=${standbyPort}`,
      '-c',
      `unix_socket_directories=${standbySocket}`,
    ],
    { env: { ...process.env, ...env }, detached: true, stdio: ['ignore', out, out] },
  );
  child.unref();
  await waitFor('the standby to accept connections', () => psql(standbyPort, 'select 1').stdout === '1');
  expect(psql(standbyPort, 'select pg_is_in_recovery()').stdout).toBe('t');
  await waitFor('the WAL receiver to stream', () => psql(standbyPort, 'select status from pg_stat_wal_receiver').stdout === 'streaming');
  expect(primary.superSql("select active from pg_replication_slots where slot_name = 'postgres_replica_0'")).toBe('t');
  expect(primary.superSql('select application_name, ssl from pg_stat_replication join pg_stat_ssl using (pid)')).toBe(
    'postgres-replica-0|t',
  );

  primary.superSql('create table app.orders (id int primary key, note text); insert into app.orders values (1, $$first$$);', DB);
  await waitFor('row 1 on the standby', () => psql(standbyPort, 'select note from app.orders where id = 1').stdout === 'first');
  // The read-only role reads on the standby (the -ro Service's clients).
  primary.superSql('grant select on app.orders to analytics;', DB);
  await waitFor(
    'the grant on the standby',
    () => psql(standbyPort, 'select count(*) from app.orders', 'analytics', SECRETS.ANALYTICS_PASSWORD).stdout === '1',
  );
}, 120_000);

test('the standby refuses writes', () => {
  const r = psql(standbyPort, "insert into app.orders values (2, 'second')");
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/cannot execute INSERT in a read-only transaction/);
});

test('the promotion script refuses while the primary accepts writes', () => {
  const r = runPromote();
  expect(r.status).toBe(1);
  expect(r.output).toMatch(/refusing: the primary localhost still answers and accepts writes/);
  expect(psql(standbyPort, 'select pg_is_in_recovery()').stdout).toBe('t');
});

test('with the primary stopped, the promotion script makes the standby a writable primary', () => {
  check(runAsPostgres(primary.tools.pg_ctl, ['-D', primary.dataDir, '-m', 'fast', '-w', 'stop']), 'stop the primary');
  const r = runPromote();
  expect(r.output).toMatch(/does not answer; promoting/);
  expect(r.status).toBe(0);
  expect(psql(standbyPort, 'select pg_is_in_recovery()').stdout).toBe('f');
  const write = psql(standbyPort, "insert into app.orders values (2, 'second'); select count(*) from app.orders");
  expect(write.stderr).toBe('');
  expect(write.stdout).toBe('2');
  const again = runPromote();
  expect(again.status).toBe(0);
  expect(again.output).toMatch(/already a primary/);
});
