/**
 * The PostgreSQL reconcile step on a real PostgreSQL 15: the synthesized reconcile Job's container
 * (its env, its script from the init ConfigMap) run the way the pod runs it, over TCP as the
 * superuser. A changed connection limit and a rotated password reach the running database; the
 * data stays.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { renderPgHba } from '../../lib/constructs/data/postgres-config';
import { PostgresDatabase } from '../../lib/constructs/data/postgres-database';
import { PostgresServer, startPostgres } from '../support/postgres-server';
import { Doc } from '../support/doc';
import { secretKey, testPostgresProps } from '../support/postgres-props';

const DB = 'appdb';
const SUPERUSER_PASSWORD = 'super-Secret-41c9';

interface Synthesized {
  readonly job: Doc;
  readonly cronJob: Doc;
  readonly script: string;
}

/** A PostgresDatabase synthesized with app_rw's connection limit `rwLimit`; its reconcile Job, CronJob and init script. */
function synthesize(rwLimit: number): Synthesized {
  const chart = Testing.chart();
  const secret = secretKey('postgres-credentials');
  new PostgresDatabase(
    chart,
    'postgres',
    testPostgresProps('postgres-credentials', {
      database: DB,
      roles: [
        { name: 'app_owner', access: 'owner', connectionLimit: 5, password: secret('APP_OWNER_PASSWORD') },
        { name: 'app_rw', access: 'readwrite', connectionLimit: rwLimit, password: secret('APP_RW_PASSWORD') },
      ],
    }),
  );
  const docs = Testing.synth(chart);
  const job = docs.find((d) => d.kind === 'Job' && String(d.metadata.name).startsWith('postgres-reconcile-'))!;
  const cronJob = docs.find((d) => d.kind === 'CronJob' && d.metadata.name === 'postgres-reconcile')!;
  const init = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'postgres-init')!;
  return { job, cronJob, script: init.data['10-init-database.sh'] as string };
}

let pg: PostgresServer;
let workDir: string;

/** Runs the Job's container as the pod would: its command, its env (Secrets resolved from `secrets`), the server over TCP. */
function runReconcile(s: Synthesized, secrets: Record<string, string>) {
  const container = s.job.spec.template.spec.containers[0];
  const env: Record<string, string> = {};
  for (const e of container.env as Array<{ name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }>) {
    env[e.name] = e.value ?? secrets[e.valueFrom!.secretKeyRef.key];
  }
  // The Service name resolves to the pod in the cluster; here the server is on the loopback.
  expect(env.PGHOST).toBe('postgres.shop.svc.cluster.local');
  env.PGHOST = pg.host;
  env.PGPORT = String(pg.port);
  const scripts = path.join(workDir, 'scripts');
  fs.mkdirSync(scripts, { recursive: true });
  fs.writeFileSync(path.join(scripts, '10-init-database.sh'), s.script, { mode: 0o555 });
  const command = (container.command as string[]).map((a) => a.replace(/^\/scripts\//, `${scripts}/`));
  return spawnSync(command[0], command.slice(1), {
    encoding: 'utf8',
    env: { PATH: `${path.dirname(pg.tools.psql)}:${process.env.PATH ?? ''}`, ...env, HOME: workDir },
    timeout: 60_000,
  });
}

const login = (user: string, password: string, sql = 'select 1') => pg.tcpSql(sql, { user, password, database: DB });

const FIRST = { POSTGRES_PASSWORD: SUPERUSER_PASSWORD, APP_OWNER_PASSWORD: 'owner-Secret-1', APP_RW_PASSWORD: 'rw-Secret-1' };

beforeAll(async () => {
  pg = await startPostgres({
    superuserPassword: SUPERUSER_PASSWORD,
    pgHba: renderPgHba({ allowedCidrs: ['10.244.0.0/16'] }),
    postgresqlConf: "password_encryption = 'scram-sha-256'\nmax_connections = 50\n",
  });
  workDir = fs.mkdtempSync(path.join(pg.baseDir, 'reconcile-'));
  pg.createDatabase(DB);
  // First deploy: the reconcile Job initializes an empty database the same way the image's entrypoint does.
  const r = runReconcile(synthesize(20), FIRST);
  if (r.status !== 0) throw new Error(`first reconcile failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  expect(
    login('app_owner', FIRST.APP_OWNER_PASSWORD, 'CREATE TABLE app.orders (id int primary key); INSERT INTO app.orders VALUES (1), (2)')
      .status,
  ).toBe(0);
});

afterAll(() => pg?.stop());

describe('postgres reconcile Job on a real PostgreSQL', () => {
  test('a changed connection limit renders a Job of another name; the CronJob runs the same pod', () => {
    const before = synthesize(20);
    const after = synthesize(7);
    expect(after.job.metadata.name).not.toBe(before.job.metadata.name);
    expect(synthesize(20).job.metadata.name).toBe(before.job.metadata.name);
    expect(after.cronJob.spec.jobTemplate.spec.template).toEqual(after.job.spec.template);
    expect(after.job.metadata.annotations).toMatchObject({
      'argocd.argoproj.io/hook': 'Sync',
      'helm.sh/hook': 'post-install,post-upgrade',
    });
  });

  test('changed limit and rotated password reach the database; the old password no longer logs in; data untouched', () => {
    const rotated = { ...FIRST, APP_RW_PASSWORD: "rw-Rotated-2 'q' $x" };
    const r = runReconcile(synthesize(7), rotated);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    for (const pw of Object.values(rotated)) expect(r.stdout).not.toContain(pw);

    expect(login('app_rw', rotated.APP_RW_PASSWORD).stdout).toBe('1');
    const old = login('app_rw', FIRST.APP_RW_PASSWORD);
    expect(old.status).not.toBe(0);
    expect(old.stderr).toMatch(/password authentication failed for user "app_rw"/);
    expect(pg.superSql("SELECT rolconnlimit FROM pg_roles WHERE rolname = 'app_rw'", DB)).toBe('7');
    expect(login('app_rw', rotated.APP_RW_PASSWORD, 'SELECT count(*) FROM app.orders').stdout).toBe('2');
    expect(login('app_owner', FIRST.APP_OWNER_PASSWORD).stdout).toBe('1');
  });

  test('a wrong superuser password fails the Job (it retries) and changes nothing', () => {
    const r = runReconcile(synthesize(3), { ...FIRST, POSTGRES_PASSWORD: 'not-it' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/password authentication failed for user "postgres"/);
    expect(pg.superSql("SELECT rolconnlimit FROM pg_roles WHERE rolname = 'app_rw'", DB)).toBe('7');
  });
});
