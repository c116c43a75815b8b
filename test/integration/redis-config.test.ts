/**
 * Starts a real redis-server with the rendered redis.conf through the rendered start script,
 * as the container does, and checks auth, persistence (AOF + RDB) and the script's refusals.
 */
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { RedisServer, runStartScriptExpectingExit, startRedis } from '../support/redis-server';

// Quotes, backslash, '#', '$' and spaces: must reach requirepass unchanged.
const PASSWORD = `r3dis "pa\\ss" #not-a-comment $HOME 'x'`;

let redis: RedisServer;

beforeAll(async () => {
  redis = await startRedis({ password: PASSWORD, conf: { maxmemory: '64mb', maxmemoryPolicy: 'allkeys-lfu' } });
});

afterAll(async () => {
  await redis?.destroy();
});

test('demands the password: NOAUTH without it, WRONGPASS with a wrong one, PONG with it', () => {
  const anonymous = redis.cli(['ping'], false);
  expect(anonymous.stdout + anonymous.stderr).toMatch(/NOAUTH Authentication required/);
  const wrong = spawnSync(redis.tools.redisCli, ['-h', '127.0.0.1', '-p', String(redis.port), '--no-auth-warning', '-a', 'wrong', 'ping'], {
    encoding: 'utf8',
  });
  expect(wrong.stdout + wrong.stderr).toMatch(/WRONGPASS|invalid username-password/);
  expect(redis.cli(['ping']).stdout.trim()).toBe('PONG');
});

test('the password is only in the auth include (mode 0600), never in redis.conf or the output', () => {
  expect(fs.readFileSync(redis.configFile, 'utf8')).not.toContain(PASSWORD);
  expect(fs.readFileSync(redis.configFile, 'utf8').trimEnd().split('\n').pop()).toBe(`include ${redis.authInclude}`);
  expect(fs.statSync(redis.authInclude).mode & 0o777).toBe(0o600);
  expect(fs.readFileSync(redis.authInclude, 'utf8')).toMatch(/^requirepass "/);
  expect(redis.output()).not.toContain(PASSWORD);
  expect(redis.output()).toMatch(/\[redis-start\] wrote auth include/);
});

test('runs with the rendered settings', () => {
  const get = (name: string) => redis.cli(['config', 'get', name]).stdout.trim().split('\n')[1];
  expect(get('maxmemory')).toBe(String(64 * 1024 * 1024));
  expect(get('maxmemory-policy')).toBe('allkeys-lfu');
  expect(get('appendonly')).toBe('yes');
  expect(get('appendfsync')).toBe('everysec');
  expect(get('save')).toBe('900 1 300 10 60 10000');
  expect(get('dir')).toBe(redis.dataDir);
});

test('writes the AOF, and SAVE writes an RDB that redis-check-rdb accepts', () => {
  expect(redis.cli(['set', 'greeting', 'hello']).stdout.trim()).toBe('OK');
  expect(redis.cli(['hset', 'user:1', 'name', 'Ada', 'lang', 'en']).stdout.trim()).toBe('2');
  expect(fs.existsSync(path.join(redis.dataDir, 'appendonlydir', 'appendonly.aof.manifest'))).toBe(true);
  expect(redis.cli(['save']).stdout.trim()).toBe('OK');
  const rdb = path.join(redis.dataDir, 'dump.rdb');
  expect(fs.existsSync(rdb)).toBe(true);
  const check = spawnSync(redis.tools.redisCheckRdb, [rdb], { encoding: 'utf8' });
  expect(check.status).toBe(0);
  expect(check.stdout).toMatch(/RDB looks OK/);
});

test('data survives a restart from the AOF', async () => {
  await redis.stop();
  redis = await startRedis({ password: PASSWORD, baseDir: redis.baseDir });
  expect(redis.cli(['get', 'greeting']).stdout.trim()).toBe('hello');
  expect(redis.cli(['hget', 'user:1', 'name']).stdout.trim()).toBe('Ada');
});

describe('start script refusals', () => {
  test('refuses to start without a password', () => {
    const r = runStartScriptExpectingExit(redis.startScript, { REDIS_PASSWORD: '' });
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/REDIS_PASSWORD is not set or empty; refusing to start/);
  });

  test('refuses a password with a newline (it would split the config line)', () => {
    const r = runStartScriptExpectingExit(redis.startScript, { REDIS_PASSWORD: 'line1\nrequirepass other' });
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/control character/);
    expect(r.stdout + r.stderr).not.toContain('line1');
  });
});
