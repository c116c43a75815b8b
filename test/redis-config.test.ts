import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REDIS_MAXMEMORY_POLICIES, redisStartScript, renderRedisConf } from '../lib/constructs/data/redis-config';

/** Directive -> arguments, for the non-comment lines. */
function directives(conf: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of conf.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const [name, ...rest] = line.split(' ');
    expect(map.has(name)).toBe(false); // every directive once
    map.set(name, rest.join(' '));
  }
  return map;
}

describe('renderRedisConf', () => {
  test('defaults: allkeys-lru, AOF everysec, the usual save points, port 6379, /data, auth include last', () => {
    const conf = renderRedisConf({ maxmemory: '256mb' });
    const d = directives(conf);
    expect(d.get('maxmemory')).toBe('256mb');
    expect(d.get('maxmemory-policy')).toBe('allkeys-lru');
    expect(d.get('appendonly')).toBe('yes');
    expect(d.get('appendfsync')).toBe('everysec');
    expect(d.get('save')).toBe('900 1 300 10 60 10000');
    expect(d.get('port')).toBe('6379');
    expect(d.get('dir')).toBe('/data');
    expect(d.get('bind')).toBe('* -::*');
    expect(d.get('daemonize')).toBe('no');
    expect(d.get('logfile')).toBe('""');
    expect(conf.trimEnd().split('\n').pop()).toBe('include /run/redis/auth.conf');
  });

  test('never contains a password', () => {
    const conf = renderRedisConf({ maxmemory: '1gb' });
    expect(conf).not.toMatch(/^\s*(requirepass|masterauth|user)\b/m);
  });

  test('only uses directives Redis 7.0 and 7.2 both know', () => {
    const known = new Set([
      'bind',
      'protected-mode',
      'port',
      'tcp-keepalive',
      'timeout',
      'daemonize',
      'supervised',
      'loglevel',
      'logfile',
      'maxmemory',
      'maxmemory-policy',
      'dir',
      'dbfilename',
      'save',
      'stop-writes-on-bgsave-error',
      'rdbcompression',
      'rdbchecksum',
      'appendonly',
      'appendfilename',
      'appenddirname',
      'appendfsync',
      'aof-use-rdb-preamble',
      'include',
    ]);
    for (const name of directives(renderRedisConf({ maxmemory: '1gb' })).keys()) expect(known).toContain(name);
  });

  test('applies every option', () => {
    const d = directives(
      renderRedisConf({
        maxmemory: '2GB',
        maxmemoryPolicy: 'volatile-ttl',
        appendonly: false,
        appendfsync: 'always',
        save: [[3600, 1]],
        port: 6380,
        dir: '/var/lib/redis',
        authInclude: '/etc/redis-auth/auth.conf',
      }),
    );
    expect(d.get('maxmemory')).toBe('2gb');
    expect(d.get('maxmemory-policy')).toBe('volatile-ttl');
    expect(d.get('appendonly')).toBe('no');
    expect(d.get('appendfsync')).toBe('always');
    expect(d.get('save')).toBe('3600 1');
    expect(d.get('port')).toBe('6380');
    expect(d.get('dir')).toBe('/var/lib/redis');
    expect(d.get('include')).toBe('/etc/redis-auth/auth.conf');
  });

  test('save: [] disables snapshots', () => {
    expect(directives(renderRedisConf({ maxmemory: '1mb', save: [] })).get('save')).toBe('""');
  });

  test.each([['1'], ['100'], ['512k'], ['512kb'], ['256m'], ['256MB'], ['1g'], ['4gb']])('accepts maxmemory %s', (maxmemory) => {
    expect(() => renderRedisConf({ maxmemory })).not.toThrow();
  });

  test.each([['0'], [''], ['256 mb'], ['256tb'], ['-1mb'], ['1.5gb'], ['0256mb'], ['mb'], ['256mib']])(
    'rejects maxmemory %j',
    (maxmemory) => {
      expect(() => renderRedisConf({ maxmemory })).toThrow(
        /^redis\.conf maxmemory: got .*; expected a positive size in bytes with an optional unit k, kb, m, mb, g or gb/,
      );
    },
  );

  test('rejects a non-string maxmemory', () => {
    expect(() => renderRedisConf({ maxmemory: 256 as unknown as string })).toThrow(/maxmemory: got 256;/);
  });

  test.each(REDIS_MAXMEMORY_POLICIES.map((p) => [p]))('accepts policy %s', (maxmemoryPolicy) => {
    expect(directives(renderRedisConf({ maxmemory: '1mb', maxmemoryPolicy })).get('maxmemory-policy')).toBe(maxmemoryPolicy);
  });

  test.each([['lru'], ['allkeys_lru'], ['ALLKEYS-LRU'], ['']])('rejects policy %j, listing the allowed ones', (maxmemoryPolicy) => {
    expect(() => renderRedisConf({ maxmemory: '1mb', maxmemoryPolicy })).toThrow(
      /^redis\.conf maxmemoryPolicy: got .*; expected one of volatile-lru, allkeys-lru, volatile-lfu, allkeys-lfu, volatile-random, allkeys-random, volatile-ttl, noeviction$/,
    );
  });

  test('rejects a bad appendfsync and appendonly', () => {
    expect(() => renderRedisConf({ maxmemory: '1mb', appendfsync: 'sometimes' as 'no' })).toThrow(
      /appendfsync: got "sometimes"; expected one of always, everysec, no/,
    );
    expect(() => renderRedisConf({ maxmemory: '1mb', appendonly: 'yes' as unknown as boolean })).toThrow(
      /appendonly: got "yes"; expected true or false/,
    );
  });

  test.each([[[[0, 1]]], [[[900, -1]]], [[[900]]], [[[900, 1.5]]], [[[900, 1, 2]]]])('rejects save point %j', (save) => {
    expect(() => renderRedisConf({ maxmemory: '1mb', save: save as Array<[number, number]> })).toThrow(
      /^redis\.conf save\[0\]: got .*; expected a \[seconds, changes\] pair of positive integers/,
    );
  });

  test('rejects a non-array save', () => {
    expect(() => renderRedisConf({ maxmemory: '1mb', save: '900 1' as unknown as Array<[number, number]> })).toThrow(
      /save: got "900 1"; expected an array/,
    );
  });

  test.each([[0], [65536], [6379.5], [-1]])('rejects port %p', (port) => {
    expect(() => renderRedisConf({ maxmemory: '1mb', port })).toThrow(/^redis\.conf port: got .*; expected an integer from 1 to 65535$/);
  });

  test.each([['data'], ['/da ta'], ['/data/../etc'], ['/data"'], ['']])('rejects dir %j', (dir) => {
    expect(() => renderRedisConf({ maxmemory: '1mb', dir })).toThrow(/^redis\.conf dir: got .*; expected an absolute path/);
  });

  test('rejects an auth include that is a bad path or inside the data dir', () => {
    expect(() => renderRedisConf({ maxmemory: '1mb', authInclude: 'auth.conf' })).toThrow(
      /^redis\.conf authInclude: got "auth.conf"; expected an absolute path/,
    );
    expect(() => renderRedisConf({ maxmemory: '1mb', authInclude: '/data/auth.conf' })).toThrow(
      /authInclude: got "\/data\/auth.conf"; expected a path outside the data dir "\/data"/,
    );
    expect(() => renderRedisConf({ maxmemory: '1mb', authInclude: '/database/auth.conf' })).not.toThrow();
  });
});

describe('redisStartScript', () => {
  const script = redisStartScript({ configPath: '/etc/redis/redis.conf', authInclude: '/run/redis/auth.conf' });

  test('is a POSIX sh script that writes the include with umask 077 and execs redis-server', () => {
    expect(script.startsWith('#!/bin/sh\n')).toBe(true);
    expect(script).toContain('\nset -eu\n');
    expect(script).toContain("AUTH_FILE='/run/redis/auth.conf'");
    expect(script).toContain("CONFIG_FILE='/etc/redis/redis.conf'");
    expect(script.indexOf('umask 077')).toBeLessThan(script.indexOf('> "$tmp"'));
    expect(script.trimEnd().split('\n').pop()).toBe('exec redis-server "$CONFIG_FILE" "$@"');
    expect(spawnSync('sh', ['-n'], { input: script }).status).toBe(0);
  });

  test('never echoes the password', () => {
    const logLines = script.split('\n').filter((l) => /^\s*(log|echo) /.test(l));
    expect(logLines.length).toBeGreaterThan(0);
    for (const l of logLines) expect(l).not.toMatch(/\$\{?(REDIS_PASSWORD|escaped)\b/);
    expect(script).not.toMatch(/set -x/);
  });

  test('writes requirepass with quotes and backslashes escaped (run against a temp dir)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-start-unit-'));
    try {
      const s = redisStartScript({ configPath: `${dir}/redis.conf`, authInclude: `${dir}/run/auth.conf` }).replace(
        'exec redis-server "$CONFIG_FILE" "$@"',
        'exit 0',
      );
      const r = spawnSync('sh', ['-c', s], { encoding: 'utf8', env: { ...process.env, REDIS_PASSWORD: 'a "b" \\c $d' } });
      expect(r.status).toBe(0);
      expect(r.stdout + r.stderr).not.toContain('"b"');
      expect(fs.readFileSync(`${dir}/run/auth.conf`, 'utf8')).toBe('requirepass "a \\"b\\" \\\\c $d"\n');
      expect(fs.statSync(`${dir}/run/auth.conf`).mode & 0o777).toBe(0o600);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test.each([
    ['configPath', { configPath: 'redis.conf', authInclude: '/run/a.conf' }],
    ['authInclude', { configPath: '/etc/r.conf', authInclude: "/run/a'.conf" }],
  ])('rejects a bad %s', (field, props) => {
    expect(() => redisStartScript(props)).toThrow(new RegExp(`^redisStartScript ${field}: got .*; expected an absolute path`));
  });

  test('rejects a directory as auth include', () => {
    expect(() => redisStartScript({ configPath: '/etc/r.conf', authInclude: '/run/redis/' })).toThrow(
      /authInclude: got "\/run\/redis\/"; expected a file path/,
    );
  });
});
