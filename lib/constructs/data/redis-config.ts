/**
 * Pure renderers for the Redis component (official `redis:7.2` image, non-root): `redis.conf`
 * and the container's start script.
 *
 * The password is never rendered. `redis.conf` ends with `include <authInclude>`; the start
 * script writes `requirepass "<pw>"` into that file (an emptyDir) from `$REDIS_PASSWORD` with
 * umask 077, then execs `redis-server <configPath>`. Only directives understood by both
 * Redis 7.0 and 7.2 are used.
 *
 * The text is in `assets/redis.conf` and `assets/redis-start.sh`; this module validates the
 * values and fills them in. Errors name the offending field, the bad value and what is allowed.
 */
import { renderAsset } from '../../core/asset-template';
import { describeUnserializable } from '../../core/describe';

/** Redis's `maxmemory-policy` values. */
export const REDIS_MAXMEMORY_POLICIES = [
  'volatile-lru',
  'allkeys-lru',
  'volatile-lfu',
  'allkeys-lfu',
  'volatile-random',
  'allkeys-random',
  'volatile-ttl',
  'noeviction',
] as const;

/** One of {@link REDIS_MAXMEMORY_POLICIES}. */
export type RedisMaxmemoryPolicy = (typeof REDIS_MAXMEMORY_POLICIES)[number];

/** `appendfsync` values. */
export const REDIS_APPENDFSYNC_VALUES = ['always', 'everysec', 'no'] as const;

/** Accepted `maxmemory`: a positive byte count, optionally with a k/kb/m/mb/g/gb unit (any case). */
export const REDIS_MAXMEMORY_PATTERN = /^[1-9][0-9]*([kmg]b?)?$/i;

/** Paths rendered into the config and the start script: absolute, no spaces or quotes. */
const PATH_PATTERN = /^\/[A-Za-z0-9._/-]*$/;

/** Input of {@link renderRedisConf}. */
export interface RedisConfProps {
  /** Memory limit, e.g. `256mb`, `1gb`, `536870912`. Keep it below the container's memory limit. */
  readonly maxmemory: string;
  /** Eviction policy. @default 'allkeys-lru' */
  readonly maxmemoryPolicy?: string;
  /** Append-only file persistence. @default true */
  readonly appendonly?: boolean;
  /** AOF fsync policy. @default 'everysec' */
  readonly appendfsync?: 'always' | 'everysec' | 'no';
  /** RDB snapshot points `[seconds, changes]`; `[]` disables snapshots. @default [[900,1],[300,10],[60,10000]] */
  readonly save?: Array<[number, number]>;
  /** TCP port. @default 6379 */
  readonly port?: number;
  /** Data directory (RDB and AOF). @default '/data' */
  readonly dir?: string;
  /** File holding `requirepass`, written at start from $REDIS_PASSWORD. @default '/run/redis/auth.conf' */
  readonly authInclude?: string;
}

/** Defaults of {@link RedisConfProps}. */
export const REDIS_CONF_DEFAULTS = Object.freeze({
  maxmemoryPolicy: 'allkeys-lru',
  appendonly: true,
  appendfsync: 'everysec' as const,
  save: Object.freeze([
    [900, 1],
    [300, 10],
    [60, 10000],
  ]),
  port: 6379,
  dir: '/data',
  authInclude: '/run/redis/auth.conf',
});

/**
 * Renders `redis.conf`. Listens on all interfaces (`bind * -::*`), logs to stdout, keeps data
 * in `dir`, and ends with `include <authInclude>` so the `requirepass` written at start wins.
 *
 * @throws Error naming the field, the bad value and what is allowed.
 */
export function renderRedisConf(props: RedisConfProps): string {
  if (!props || typeof props !== 'object') throw new Error(`redis.conf props: got ${describe(props)}; expected { maxmemory, ... }`);
  if (typeof props.maxmemory !== 'string' || !REDIS_MAXMEMORY_PATTERN.test(props.maxmemory)) {
    throw new Error(
      `redis.conf maxmemory: got ${describe(props.maxmemory)}; expected a positive size in bytes with an optional unit k, kb, m, mb, g or gb (e.g. "256mb"); ` +
        '0 (unlimited) is not allowed: Redis would grow until the container is OOM-killed',
    );
  }
  const policy = props.maxmemoryPolicy ?? REDIS_CONF_DEFAULTS.maxmemoryPolicy;
  if (!(REDIS_MAXMEMORY_POLICIES as readonly string[]).includes(policy)) {
    throw new Error(`redis.conf maxmemoryPolicy: got ${describe(policy)}; expected one of ${REDIS_MAXMEMORY_POLICIES.join(', ')}`);
  }
  const appendonly = props.appendonly ?? REDIS_CONF_DEFAULTS.appendonly;
  if (typeof appendonly !== 'boolean') throw new Error(`redis.conf appendonly: got ${describe(appendonly)}; expected true or false`);
  const appendfsync = props.appendfsync ?? REDIS_CONF_DEFAULTS.appendfsync;
  if (!(REDIS_APPENDFSYNC_VALUES as readonly string[]).includes(appendfsync)) {
    throw new Error(`redis.conf appendfsync: got ${describe(appendfsync)}; expected one of ${REDIS_APPENDFSYNC_VALUES.join(', ')}`);
  }
  const save = props.save ?? REDIS_CONF_DEFAULTS.save;
  if (!Array.isArray(save))
    throw new Error(`redis.conf save: got ${describe(save)}; expected an array of [seconds, changes] pairs ([] disables snapshots)`);
  save.forEach((pair, i) => {
    const ok =
      Array.isArray(pair) &&
      pair.length === 2 &&
      pair.every((n) => typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 2147483647);
    if (!ok)
      throw new Error(
        `redis.conf save[${i}]: got ${describe(pair)}; expected a [seconds, changes] pair of positive integers, e.g. [900, 1]`,
      );
  });
  const port = props.port ?? REDIS_CONF_DEFAULTS.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`redis.conf port: got ${describe(port)}; expected an integer from 1 to 65535`);
  }
  const dir = checkPath(props.dir ?? REDIS_CONF_DEFAULTS.dir, 'redis.conf dir');
  const authInclude = checkPath(props.authInclude ?? REDIS_CONF_DEFAULTS.authInclude, 'redis.conf authInclude');
  if (authInclude === dir || authInclude.startsWith(dir.endsWith('/') ? dir : `${dir}/`)) {
    throw new Error(
      `redis.conf authInclude: got ${JSON.stringify(authInclude)}; expected a path outside the data dir ${JSON.stringify(dir)} (the password must not end up in backups of the data volume)`,
    );
  }

  return renderAsset(__dirname, 'assets/redis.conf', {
    port: String(port),
    maxmemory: props.maxmemory.toLowerCase(),
    maxmemory_policy: policy,
    dir,
    save: save.length > 0 ? save.map(([s, c]) => `${s} ${c}`).join(' ') : '""',
    appendonly: appendonly ? 'yes' : 'no',
    appendfsync,
    auth_include: authInclude,
  });
}

/** Input of {@link redisStartScript}. */
export interface RedisStartScriptProps {
  /** Path of the rendered `redis.conf` in the container (e.g. a ConfigMap mount). */
  readonly configPath: string;
  /** Path of the auth include; must equal the `authInclude` given to {@link renderRedisConf}. */
  readonly authInclude: string;
}

/**
 * The container command (`#!/bin/sh`, POSIX sh as in the redis image): refuses to start without
 * a non-empty single-line `$REDIS_PASSWORD`, writes `requirepass "<pw>"` (quotes and backslashes
 * escaped for redis.conf) into `authInclude` with umask 077, unsets the variable, and execs
 * `redis-server <configPath> "$@"`. The password is never printed.
 *
 * @throws Error naming the field for a path that is not absolute or contains unsafe characters.
 */
export function redisStartScript(props: RedisStartScriptProps): string {
  const configPath = checkPath(props?.configPath, 'redisStartScript configPath');
  const authInclude = checkPath(props?.authInclude, 'redisStartScript authInclude');
  if (authInclude.endsWith('/'))
    throw new Error(`redisStartScript authInclude: got ${JSON.stringify(authInclude)}; expected a file path, not a directory`);
  const authDir = authInclude.slice(0, authInclude.lastIndexOf('/')) || '/';
  return renderAsset(__dirname, 'assets/redis-start.sh', { auth_file: authInclude, auth_dir: authDir, config_file: configPath });
}

function checkPath(path: unknown, field: string): string {
  if (typeof path !== 'string' || !PATH_PATTERN.test(path) || path.split('/').some((seg) => seg === '..')) {
    throw new Error(
      `${field}: got ${describe(path)}; expected an absolute path of letters, digits, '.', '_', '-' and '/' (no spaces, quotes or '..')`,
    );
  }
  return path;
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value) ?? describeUnserializable(value);
  } catch {
    return describeUnserializable(value);
  }
}
