/**
 * TLS of a PostgresDatabase on a real PostgreSQL 15: the synthesized postgresql.conf (ssl = on, the
 * certificate files, TLS 1.2 at least) and pg_hba.conf (`hostnossl ... reject`, then `hostssl`),
 * with a CA and a server certificate made by openssl for the Service's name, the key file owned by
 * root, group postgres, mode 0440 (as the kubelet mounts it with fsGroup 999). A plain connection
 * is refused; `sslmode=verify-full` with the CA succeeds; with another CA, or to a name the
 * certificate does not hold, it fails.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { PostgresDatabase } from '../../lib/constructs/data/postgres-database';
import { findExecutable, POSTGRES_OS_USER, PostgresServer, startPostgres } from '../support/postgres-server';

const HOST = 'postgres.shop.svc.cluster.local';
const SERVER_TLS_DIR = '/etc/postgresql/tls';

/** postgresql.conf and pg_hba.conf of a synthesized PostgresDatabase with tls, and its client CA path. */
function synthesize(): { conf: string; hba: string; caPath: string; certNames: string[] } {
  const chart = Testing.chart();
  const postgres = new PostgresDatabase(chart, 'postgres', {
    namespace: 'shop',
    partOf: 'shop',
    image: 'postgres:15.8-bookworm',
    database: 'shop',
    superuserPassword: { secret: 'pg', key: 'POSTGRES_PASSWORD' },
    schemas: ['app'],
    roles: [],
    settings: { max_connections: 20 },
    // The test connects from the loopback, which pg_hba always lists.
    allowedCidrs: ['10.0.0.0/8'],
    resources: { cpuRequest: '100m', memoryRequest: '256Mi', memoryLimit: '512Mi' },
    storage: { size: '1Gi', storageClassName: 'standard' },
    tls: { issuer: { name: 'internal-ca' } },
  });
  const docs = Testing.synth(chart);
  const config = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'postgres-config')!;
  const cert = docs.find((d) => d.kind === 'Certificate')!;
  return {
    conf: config.data['postgresql.conf'],
    hba: config.data['pg_hba.conf'],
    caPath: postgres.clientTls!.caPath,
    certNames: cert.spec.dnsNames,
  };
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

/** A self-signed CA (ECDSA P-256) in `<dir>/<name>.crt` / `.key`. */
function makeCa(dir: string, name: string): void {
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
    ],
    dir,
  );
}

let pg: PostgresServer;
let work: string;
let synthesized: ReturnType<typeof synthesize>;

beforeAll(async () => {
  if (!findExecutable('openssl')) throw new Error('openssl is required: apt-get install -y openssl');
  synthesized = synthesize();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'pgtls-'));
  fs.chmodSync(work, 0o755);
  makeCa(work, 'ca');
  makeCa(work, 'other-ca');
  // The server certificate with the names of the synthesized Certificate (what cert-manager issues).
  fs.writeFileSync(path.join(work, 'san.ext'), `subjectAltName=${synthesized.certNames.map((n) => `DNS:${n}`).join(',')},IP:127.0.0.1\n`);
  openssl(
    [
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'tls.key',
      '-out',
      'tls.csr',
      '-subj',
      '/CN=postgres',
    ],
    work,
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'tls.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'tls.crt',
      '-days',
      '2',
      '-extfile',
      'san.ext',
    ],
    work,
  );
  // As the kubelet mounts the Secret with fsGroup 999 and mode 0440: root-owned, group postgres.
  const gid = Number(execFileSync('id', ['-g', POSTGRES_OS_USER], { encoding: 'utf8' }).trim());
  for (const f of ['tls.crt', 'tls.key', 'ca.crt']) {
    fs.chownSync(path.join(work, f), 0, gid);
    fs.chmodSync(path.join(work, f), 0o440);
  }
  pg = await startPostgres({
    postgresqlConf: synthesized.conf.split(`${SERVER_TLS_DIR}/`).join(`${work}/`),
    pgHba: synthesized.hba,
  });
}, 120_000);

afterAll(() => {
  pg?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** psql over TCP to 127.0.0.1 as the superuser, with libpq settings; host is the name TLS verifies. */
function connect(settings: Record<string, string>, host = HOST) {
  const r = spawnSync(pg.tools.psql, ['-X', '-At', '-c', 'select ssl, version from pg_stat_ssl where pid = pg_backend_pid()'], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      PGHOST: host,
      PGHOSTADDR: '127.0.0.1',
      PGPORT: String(pg.port),
      PGUSER: 'postgres',
      PGDATABASE: 'postgres',
      PGPASSWORD: pg.superuserPassword,
      PGCONNECT_TIMEOUT: '10',
      ...settings,
    },
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}

test('the synthesized settings are those under test', () => {
  expect(synthesized.conf).toContain('ssl = on');
  expect(synthesized.hba).toMatch(/^hostnossl\s+all\s+all\s+0\.0\.0\.0\/0\s+reject$/m);
  expect(synthesized.certNames).toContain(HOST);
  expect(pg.superSql('show ssl')).toBe('on');
  expect(pg.superSql('show ssl_min_protocol_version')).toBe('TLSv1.2');
});

test('a plain connection (sslmode=disable) is refused by pg_hba', () => {
  const r = connect({ PGSSLMODE: 'disable' });
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/pg_hba\.conf rejects connection for host "127\.0\.0\.1", user "postgres", database "postgres", no encryption/);
});

test('sslmode=verify-full with the CA succeeds, over TLS 1.2 or newer', () => {
  const r = connect({ PGSSLMODE: 'verify-full', PGSSLROOTCERT: path.join(work, 'ca.crt') });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^t\|TLSv1\.[23]$/);
  // The clients' CA path is the mounted ca.crt of the certificate's Secret.
  expect(synthesized.caPath).toBe('/etc/postgresql-ca/ca.crt');
});

test('sslmode=verify-full with another CA fails verification', () => {
  const r = connect({ PGSSLMODE: 'verify-full', PGSSLROOTCERT: path.join(work, 'other-ca.crt') });
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/certificate verify failed/);
});

test('sslmode=verify-full to a name the certificate does not hold fails', () => {
  const r = connect({ PGSSLMODE: 'verify-full', PGSSLROOTCERT: path.join(work, 'ca.crt') }, 'postgres.elsewhere.svc.cluster.local');
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/does not match host name "postgres\.elsewhere\.svc\.cluster\.local"/);
});
