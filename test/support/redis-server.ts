/**
 * Throwaway Redis servers for integration tests, started the way the container starts them:
 * `sh <redisStartScript>` with `$REDIS_PASSWORD`, the rendered redis.conf (data dir and auth
 * include in a temp dir) and `--bind 127.0.0.1` appended (the rendered conf binds every
 * interface; tests listen on loopback only). Missing tools make the test FAIL with an install
 * hint, never skip.
 */
import { ChildProcess, spawn, spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { redisStartScript, renderRedisConf, RedisConfProps } from '../../lib/constructs/data/redis-config';
import { findExecutable, freePort } from './postgres-server';

/** Printed when a Redis tool is missing. */
export const REDIS_INSTALL_HINT =
  'redis-server, redis-cli and redis-check-rdb are required: apt-get update && apt-get install -y redis-server (Debian bookworm ships Redis 7.0)';

/** Absolute paths of the Redis tools used by the tests. */
export interface RedisTools {
  readonly redisServer: string;
  readonly redisCli: string;
  readonly redisCheckRdb: string;
}

/**
 * Returns the Redis tools (version 7 or later).
 * @throws Error with {@link REDIS_INSTALL_HINT} when something is missing.
 */
export function requireRedisTools(): RedisTools {
  const names = { redisServer: 'redis-server', redisCli: 'redis-cli', redisCheckRdb: 'redis-check-rdb' } as const;
  const missing = Object.values(names).filter((n) => !findExecutable(n));
  if (missing.length > 0) throw new Error(`missing ${missing.join(', ')}. ${REDIS_INSTALL_HINT}`);
  const tools: RedisTools = {
    redisServer: findExecutable(names.redisServer)!,
    redisCli: findExecutable(names.redisCli)!,
    redisCheckRdb: findExecutable(names.redisCheckRdb)!,
  };
  const version = spawnSync(tools.redisServer, ['--version'], { encoding: 'utf8' });
  const major = Number(/v=(\d+)\./.exec(version.stdout ?? '')?.[1]);
  if (!(major >= 7))
    throw new Error(
      `redis-server --version said ${JSON.stringify((version.stdout ?? '').trim())}; Redis 7 is needed. ${REDIS_INSTALL_HINT}`,
    );
  return tools;
}

/** Options of {@link startRedis}. */
export interface StartRedisOptions {
  /** Password written by the start script. */
  readonly password: string;
  /** renderRedisConf props; `port`, `dir` and `authInclude` are set by the helper. @default { maxmemory: '64mb' } */
  readonly conf?: Omit<RedisConfProps, 'port' | 'dir' | 'authInclude'>;
  /** Reuse this temp dir (data in `<baseDir>/data`) instead of creating one, e.g. to restart on the same data. */
  readonly baseDir?: string;
}

/** A running throwaway Redis. */
export interface RedisServer {
  readonly tools: RedisTools;
  readonly baseDir: string;
  readonly dataDir: string;
  readonly configFile: string;
  readonly authInclude: string;
  readonly startScript: string;
  readonly port: number;
  readonly password: string;
  /** stdout+stderr of the start script and redis-server so far. */
  output(): string;
  /** redis-cli against the server; authenticates (via REDISCLI_AUTH) unless `auth` is false. */
  cli(args: string[], auth?: boolean): SpawnSyncReturns<string>;
  /** Stops the server (SIGTERM, waits). Keeps baseDir. Idempotent. */
  stop(): Promise<void>;
  /** stop() and remove baseDir. */
  destroy(): Promise<void>;
}

/** Starts a Redis the way the container does and waits until it answers PING. */
export async function startRedis(opts: StartRedisOptions): Promise<RedisServer> {
  requireRedisTools();
  const baseDir = opts.baseDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'redistest-'));
  const dataDir = path.join(baseDir, 'data');
  const runDir = path.join(baseDir, 'run');
  const configFile = path.join(baseDir, 'redis.conf');
  const authInclude = path.join(runDir, 'auth.conf');
  const startScript = path.join(baseDir, 'start.sh');
  fs.mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  fs.writeFileSync(configFile, renderRedisConf({ maxmemory: '64mb', ...opts.conf, port, dir: dataDir, authInclude }));
  fs.writeFileSync(startScript, redisStartScript({ configPath: configFile, authInclude }), { mode: 0o755 });
  return launchRedis({ baseDir, dataDir, configFile, authInclude, startScript, port, password: opts.password });
}

/** Where a Redis started by {@link launchRedis} has its files, and how it is started. */
export interface RedisLaunchOptions {
  /** Temp dir of this server (output logs go here; destroy() removes it). */
  readonly baseDir: string;
  readonly dataDir: string;
  /** redis.conf the start script execs redis-server with. */
  readonly configFile: string;
  /** The auth include the start script writes. */
  readonly authInclude: string;
  /** A start script run as the container runs it: `sh <startScript> <args...>`. */
  readonly startScript: string;
  /** The port the config makes Redis listen on. */
  readonly port: number;
  /** The password the start script writes (REDIS_PASSWORD, unless `env` sets it). */
  readonly password: string;
  /** Arguments after the script (passed on to redis-server). @default ['--bind', '127.0.0.1'] */
  readonly args?: readonly string[];
  /** Environment of the start script, over process.env and REDIS_PASSWORD. @default none */
  readonly env?: NodeJS.ProcessEnv;
}

/** Runs a start script that execs redis-server (as the container does) and waits until it answers PING. */
export async function launchRedis(opts: RedisLaunchOptions): Promise<RedisServer> {
  const tools = requireRedisTools();
  const { baseDir, dataDir, configFile, authInclude, startScript, port } = opts;
  fs.mkdirSync(dataDir, { recursive: true });

  // Output goes to a file (not a pipe) so it is complete whatever the event loop is doing.
  const outputFile = path.join(baseDir, `output-${Date.now()}.log`);
  const outputFd = fs.openSync(outputFile, 'a');
  const child: ChildProcess = spawn('sh', [startScript, ...(opts.args ?? ['--bind', '127.0.0.1'])], {
    env: { ...process.env, REDIS_PASSWORD: opts.password, ...opts.env },
    stdio: ['ignore', outputFd, outputFd],
  });
  fs.closeSync(outputFd);
  const output = () => {
    try {
      return fs.readFileSync(outputFile, 'utf8');
    } catch {
      return '';
    }
  };
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.on('exit', () => {
      exited = true;
      resolve();
    }),
  );

  const cli = (args: string[], auth = true) =>
    spawnSync(tools.redisCli, ['-h', '127.0.0.1', '-p', String(port), '--no-auth-warning', ...args], {
      encoding: 'utf8',
      env: { ...process.env, REDISCLI_AUTH: auth ? opts.password : '' },
      timeout: 30_000,
    });
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      await Promise.race([exit, sleep(20_000)]);
      if (!exited) {
        child.kill('SIGKILL');
        await exit;
      }
    }
  };
  const server: RedisServer = {
    tools,
    baseDir,
    dataDir,
    configFile,
    authInclude,
    startScript,
    port,
    password: opts.password,
    output,
    cli,
    stop,
    destroy: async () => {
      await stop();
      fs.rmSync(baseDir, { recursive: true, force: true });
    },
  };

  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (exited) break;
    const r = cli(['ping']);
    if (r.stdout.trim() === 'PONG') return server;
    await sleep(100);
  }
  await server.destroy();
  throw new Error(`redis did not start (exited: ${exited}); output:\n${output()}`);
}

/** Starts the start script with the given env and waits for it to exit (for refusal tests). */
export function runStartScriptExpectingExit(script: string, env: NodeJS.ProcessEnv): SpawnSyncReturns<string> {
  return spawnSync('sh', [script, '--bind', '127.0.0.1', '--port', '0'], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 10_000,
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
