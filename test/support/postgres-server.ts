/**
 * Throwaway PostgreSQL servers for integration tests: a fresh cluster in a temp dir, owned by
 * OS user `postgres` (tests run as root; `runuser` switches user), on a random free loopback
 * port with its unix socket in the temp dir. Missing tools make the test FAIL with an install
 * hint, never skip.
 */
import { execFileSync, spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

/** Printed when a PostgreSQL tool is missing. */
export const POSTGRES_INSTALL_HINT =
  'PostgreSQL 15 is required (initdb, pg_ctl, postgres, psql, pg_dump and the contrib extensions): ' +
  'apt-get update && apt-get install -y postgresql-15 (binaries land in /usr/lib/postgresql/15/bin, which is searched too)';

/** OS user (and database superuser) the servers run as; the init scripts' peer auth needs both equal. */
export const POSTGRES_OS_USER = 'postgres';

const PG_BIN_FALLBACKS = ['/usr/lib/postgresql/15/bin'];

/** Absolute paths of the PostgreSQL tools used by the tests. */
export interface PostgresTools {
  readonly initdb: string;
  readonly pg_ctl: string;
  readonly postgres: string;
  readonly psql: string;
  readonly pg_dump: string;
}

/** Finds `name` on PATH, then in `extraDirs`; undefined if absent. */
export function findExecutable(name: string, extraDirs: string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...extraDirs];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

/**
 * Returns the PostgreSQL tools, checking they are version 15 and that OS user `postgres`
 * exists (when running as root).
 * @throws Error with {@link POSTGRES_INSTALL_HINT} when something is missing.
 */
export function requirePostgresTools(): PostgresTools {
  const missing: string[] = [];
  const find = (name: string) => {
    const found = findExecutable(name, PG_BIN_FALLBACKS);
    if (!found) missing.push(name);
    return found ?? '';
  };
  const tools: PostgresTools = {
    initdb: find('initdb'),
    pg_ctl: find('pg_ctl'),
    postgres: find('postgres'),
    psql: find('psql'),
    pg_dump: find('pg_dump'),
  };
  if (missing.length > 0) throw new Error(`missing ${missing.join(', ')}. ${POSTGRES_INSTALL_HINT}`);
  const version = spawnSync(tools.postgres, ['--version'], { encoding: 'utf8' });
  if (version.status !== 0 || !/\(PostgreSQL\) 15\./.test(version.stdout)) {
    throw new Error(
      `${tools.postgres} --version said ${JSON.stringify((version.stdout || version.stderr || '').trim())}; PostgreSQL 15 is needed. ${POSTGRES_INSTALL_HINT}`,
    );
  }
  if (isRoot()) {
    const id = spawnSync('id', ['-u', POSTGRES_OS_USER], { encoding: 'utf8' });
    if (id.error) throw new Error(`cannot run id to look up OS user ${POSTGRES_OS_USER}: ${id.error.message}`);
    if (id.status !== 0) throw new Error(`OS user ${POSTGRES_OS_USER} does not exist. ${POSTGRES_INSTALL_HINT} (the package creates it)`);
    if (!findExecutable('runuser'))
      throw new Error('runuser (util-linux) is needed to run PostgreSQL as OS user postgres when tests run as root');
  }
  return tools;
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** uid and gid of the OS user that runs the servers (the current user when not root). */
function serverOwner(): { uid: number; gid: number } {
  if (!isRoot()) return { uid: process.getuid!(), gid: process.getgid!() };
  const uid = Number(execFileSync('id', ['-u', POSTGRES_OS_USER], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', POSTGRES_OS_USER], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

/** Options for {@link runAsPostgres}. */
export interface RunOptions {
  /** Extra environment (merged over process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** Text for stdin. */
  readonly input?: string;
  readonly cwd?: string;
  /** ms; default 60 s. */
  readonly timeout?: number;
}

/** Runs a command as OS user `postgres` (through `runuser` when root). Never throws on exit status. */
export function runAsPostgres(command: string, args: string[], opts: RunOptions = {}): SpawnSyncReturns<string> {
  const [cmd, argv] = isRoot() ? ['runuser', ['-u', POSTGRES_OS_USER, '--', command, ...args]] : [command, args];
  return spawnSync(cmd, argv, {
    encoding: 'utf8',
    env: { ...process.env, ...opts.env },
    input: opts.input,
    cwd: opts.cwd ?? os.tmpdir(),
    timeout: opts.timeout ?? 60_000,
  });
}

/** Throws with the command's output unless it exited 0; returns stdout. */
export function check(result: SpawnSyncReturns<string>, what: string): string {
  if (result.error) throw new Error(`${what}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`${what} exited ${result.status ?? result.signal}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
  }
  return result.stdout;
}

/** A free TCP port on 127.0.0.1 (as far as the OS can tell right now). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Result of a psql run. */
export interface PsqlResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link startPostgres}. */
export interface StartPostgresOptions {
  /** Contents of postgresql.conf (e.g. from renderPostgresqlConf). @default minimal */
  readonly postgresqlConf?: string;
  /** Contents of pg_hba.conf (e.g. from renderPgHba). @default peer on the socket, SCRAM on loopback */
  readonly pgHba?: string;
  /** Password set for the superuser `postgres` (for TCP/SCRAM connections). @default random */
  readonly superuserPassword?: string;
  /**
   * Extra initdb arguments, after the helper's own (e.g. a StatefulSet's POSTGRES_INITDB_ARGS,
   * `--data-checksums`), as the postgres image appends `$POSTGRES_INITDB_ARGS`. @default none
   */
  readonly initdbArgs?: readonly string[];
}

/** A running throwaway server. */
export interface PostgresServer {
  readonly tools: PostgresTools;
  /** Temp dir holding everything below (removed by stop()). */
  readonly baseDir: string;
  readonly dataDir: string;
  readonly socketDir: string;
  readonly configFile: string;
  readonly hbaFile: string;
  readonly logFile: string;
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly superuser: string;
  readonly superuserPassword: string;
  /** Env connecting libpq tools as the superuser over TCP with its password. */
  readonly superuserTcpEnv: NodeJS.ProcessEnv;
  /** Runs SQL as the superuser over the unix socket (peer auth, as OS user postgres); throws on error; returns `-At` output. */
  superSql(sql: string, database?: string): string;
  /** Runs SQL over TCP 127.0.0.1 with a password (SCRAM); never throws. */
  tcpSql(sql: string, login: { user: string; password: string; database: string }): PsqlResult;
  /** CREATE DATABASE. */
  createDatabase(name: string): void;
  /** The server log so far. */
  log(): string;
  /** Stops the server and removes baseDir. Idempotent. */
  stop(): void;
}

/**
 * A test CA and a server certificate it signed (ECDSA P-256, made once per process with openssl) for
 * `localhost` and 127.0.0.1, the names the tests connect to: the stand-in for the cert-manager
 * Certificate of a PostgresDatabase with TLS. `ca.crt` is what clients verify with.
 */
export interface TestTlsFiles {
  readonly dir: string;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

let testTls: TestTlsFiles | undefined;

/** The process's test CA and server certificate (see {@link TestTlsFiles}); removed at exit. */
export function testTlsFiles(): TestTlsFiles {
  if (testTls) return testTls;
  if (!findExecutable('openssl')) throw new Error('openssl is required for PostgreSQL TLS in tests: apt-get install -y openssl');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgtest-tls-'));
  fs.chmodSync(dir, 0o755);
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=test-ca']);
  fs.writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl(['req', ...ec, '-keyout', 'tls.key', '-out', 'tls.csr', '-subj', '/CN=localhost']);
  openssl([
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
  ]);
  for (const f of ['ca.crt', 'tls.crt']) fs.chmodSync(path.join(dir, f), 0o444);
  testTls = { dir, caFile: path.join(dir, 'ca.crt'), certFile: path.join(dir, 'tls.crt'), keyFile: path.join(dir, 'tls.key') };
  return testTls;
}

const SSL_FILE_SETTINGS: Readonly<Record<string, keyof TestTlsFiles>> = {
  ssl_cert_file: 'certFile',
  ssl_key_file: 'keyFile',
  ssl_ca_file: 'caFile',
};

/**
 * postgresql.conf with its `ssl_*_file` settings that name files absent here (the pod's mount
 * paths) pointed at copies of the test certificate in
 * `dir` (the key root-owned, group postgres, mode 0440: as the kubelet mounts a Secret with
 * fsGroup 999); unchanged when it names no such file.
 */
function withTestTls(conf: string, dir: string, owner: { gid: number }): string {
  let out = conf;
  for (const [setting, file] of Object.entries(SSL_FILE_SETTINGS)) {
    const re = new RegExp(`^${setting} = '([^']*)'$`, 'm');
    const given = re.exec(out)?.[1];
    // A file that exists here was provided by the test (e.g. its own certificate): keep it.
    if (given === undefined || fs.existsSync(given)) continue;
    const source = testTlsFiles()[file];
    const target = path.join(dir, path.basename(source));
    fs.copyFileSync(source, target);
    if (isRoot()) fs.chownSync(target, 0, owner.gid);
    fs.chmodSync(target, isRoot() ? 0o440 : 0o600);
    out = out.replace(re, `${setting} = '${target}'`);
  }
  return out;
}

const DEFAULT_CONF = "listen_addresses = '127.0.0.1'\npassword_encryption = 'scram-sha-256'\n";
const DEFAULT_HBA = 'local all all peer\nhost all all 127.0.0.1/32 scram-sha-256\n';

/**
 * Starts a throwaway PostgreSQL 15 with the given postgresql.conf and pg_hba.conf, as the
 * postgres image does (`-c config_file=... -c hba_file=...`). `listen_addresses`, `port` and
 * `unix_socket_directories` are overridden on the command line (loopback only, a free port,
 * a socket dir in the temp dir); everything else comes from the given files.
 */
export async function startPostgres(opts: StartPostgresOptions = {}): Promise<PostgresServer> {
  const tools = requirePostgresTools();
  const owner = serverOwner();
  const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgtest-'));
  const dataDir = path.join(baseDir, 'data');
  const socketDir = path.join(baseDir, 'sock');
  const etcDir = path.join(baseDir, 'etc');
  const configFile = path.join(etcDir, 'postgresql.conf');
  const hbaFile = path.join(etcDir, 'pg_hba.conf');
  const logFile = path.join(baseDir, 'postgres.log');
  let stopped = false;
  let started = false;
  const cleanup = () => {
    if (stopped) return;
    stopped = true;
    if (started) {
      const r = runAsPostgres(tools.pg_ctl, ['-D', dataDir, '-m', 'fast', '-w', '-t', '30', 'stop']);
      if (r.status !== 0) killPostmaster(dataDir);
    }
    fs.rmSync(baseDir, { recursive: true, force: true });
  };
  try {
    for (const dir of [socketDir, etcDir]) fs.mkdirSync(dir);
    fs.writeFileSync(configFile, withTestTls(opts.postgresqlConf ?? DEFAULT_CONF, etcDir, owner));
    fs.writeFileSync(hbaFile, opts.pgHba ?? DEFAULT_HBA);
    for (const p of [baseDir, socketDir, etcDir, configFile, hbaFile]) fs.chownSync(p, owner.uid, owner.gid);

    check(
      runAsPostgres(tools.initdb, [
        '-D',
        dataDir,
        '-U',
        POSTGRES_OS_USER,
        '--auth-local=peer',
        '--auth-host=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C.UTF-8',
        ...(opts.initdbArgs ?? []),
      ]),
      'initdb',
    );
    let lastError: unknown;
    let port = 0;
    for (let attempt = 0; attempt < 3 && !started; attempt++) {
      port = await freePort();
      const serverOpts = [
        `-c config_file=${configFile}`,
        `-c hba_file=${hbaFile}`,
        // The rendered conf says listen_addresses = '*'; tests listen on loopback only.
        "-c listen_addresses='127.0.0.1'",
        `-c port=${port}`,
        `-c unix_socket_directories='${socketDir}'`,
      ].join(' ');
      const r = runAsPostgres(tools.pg_ctl, ['-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', serverOpts, 'start']);
      if (r.status === 0) started = true;
      else lastError = new Error(`pg_ctl start failed (${r.status}): ${r.stderr}${r.stdout}\n${safeRead(logFile)}`);
    }
    if (!started) throw lastError;

    const superuserPassword = opts.superuserPassword ?? `su-${Math.random().toString(36).slice(2)}`;
    const psqlBase = ['-X', '-v', 'ON_ERROR_STOP=1', '-At', '-h', socketDir, '-p', String(port), '-U', POSTGRES_OS_USER];
    const superSql = (sql: string, database = 'postgres') =>
      check(runAsPostgres(tools.psql, [...psqlBase, '-d', database], { input: sql }), `psql (superuser, ${database})`).trim();
    // Pass the password as a psql variable, never in the SQL text's command line.
    check(
      runAsPostgres(tools.psql, [...psqlBase, '-d', 'postgres', '-v', `pw=${superuserPassword}`], {
        input: "ALTER ROLE postgres PASSWORD :'pw';\n",
      }),
      'set superuser password',
    );

    const server: PostgresServer = {
      tools,
      baseDir,
      dataDir,
      socketDir,
      configFile,
      hbaFile,
      logFile,
      host: '127.0.0.1',
      port,
      superuser: POSTGRES_OS_USER,
      superuserPassword,
      superuserTcpEnv: { PGHOST: '127.0.0.1', PGPORT: String(port), PGUSER: POSTGRES_OS_USER, PGPASSWORD: superuserPassword },
      superSql,
      tcpSql(sql, login) {
        const r = spawnSync(
          tools.psql,
          ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-At', '-h', '127.0.0.1', '-p', String(port), '-U', login.user, '-d', login.database],
          {
            encoding: 'utf8',
            input: sql,
            env: { ...process.env, PGPASSWORD: login.password, PGCONNECT_TIMEOUT: '10' },
            timeout: 60_000,
          },
        );
        return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
      },
      createDatabase(name) {
        superSql(`CREATE DATABASE "${name}";`);
      },
      log: () => safeRead(logFile),
      stop: cleanup,
    };
    return server;
  } catch (e) {
    cleanup();
    throw e;
  }
}

function killPostmaster(dataDir: string): void {
  const pid = Number(safeRead(path.join(dataDir, 'postmaster.pid')).split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0) {
    try {
      process.kill(pid, 'SIGQUIT');
    } catch {
      // already gone
    }
  }
}

function safeRead(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
