/**
 * The scripts of ElasticsearchCluster (lib/constructs/search/elasticsearch-cluster.ts) run for real
 * with POSIX sh (no Elasticsearch can run here):
 * - assets/elasticsearch-prepare.sh with the environment of the synthesized `prepare` init container
 *   (paths moved to temporary folders), a fake image config directory, the ConfigMap files the
 *   construct renders, and a fake `elasticsearch-keystore` on PATH that records its arguments,
 *   ES_PATH_CONF and stdin: the config directory it builds, the keystore calls (keys on stdin, never
 *   in argv or the output), the IRSA token link, a second run in the same pod, and its refusals;
 * - assets/elasticsearch-ready.sh against a small HTTP server standing in for the node: ready only
 *   on HTTP 200, with the `elastic` credentials sent as Basic auth.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import {
  ElasticsearchCluster,
  ElasticsearchClusterProps,
  elasticsearchPrepareScript,
  elasticsearchReadyScript,
} from '../../lib/constructs/search/elasticsearch-cluster';
import { AmazonS3Storage, S3CompatibleStorage } from '../../lib/constructs/storage';
import { Doc } from '../support/doc';
import { find } from '../support/synth';
import { findTool } from '../support/tools';

const ACCESS_KEY = 'AKIAFAKEACCESSKEY';
const SECRET_KEY = 'fake/secret+key with spaces';
const PASSWORD = 'p@ss w:rd"\\x';

const BASE: ElasticsearchClusterProps = {
  namespace: 'shop',
  partOf: 'shop',
  image: 'docker.elastic.co/elasticsearch/elasticsearch:9.4.0',
  clusterName: 'ecommerce-dev',
  heap: '512m',
  resources: { cpuRequest: '250m', memoryRequest: '1Gi', memoryLimit: '1Gi' },
  storage: { size: '5Gi', storageClassName: 'standard' },
  security: { elasticPassword: { secret: 'es', key: 'password' } },
};
const MINIO = new S3CompatibleStorage({
  server: { name: 'minio', host: 'minio.shop.svc.cluster.local', ports: { api: 9000 } },
  port: 'api',
  credentials: { accessKeyId: { secret: 'minio', key: 'access' }, secretAccessKey: { secret: 'minio', key: 'secret' } },
});
const AMAZON_S3 = new AmazonS3Storage({ region: 'eu-west-1', roleArn: 'arn:aws:iam::123456789012:role/es' });

interface Run {
  readonly status: number | null;
  readonly output: string;
}

function run(script: string, env: Record<string, string>, pathPrefix?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn('sh', [script], {
      env: { PATH: `${pathPrefix ? `${pathPrefix}:` : ''}${process.env.PATH ?? '/usr/bin:/bin'}`, ...env },
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('close', (status) => resolve({ status, output }));
  });
}

/** A pod's worth of folders: the image config, the emptyDir, the settings ConfigMap, the scripts, a fake keystore tool. */
function pod(props: ElasticsearchClusterProps) {
  const chart = Testing.chart();
  new ElasticsearchCluster(chart, 'es', props);
  const objects: Doc[] = Testing.synth(chart);
  const prepare = find(objects, 'StatefulSet', 'elasticsearch').spec.template.spec.initContainers[0];
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'es-prepare-'));
  const dirs = { source: 'image-config', target: 'config', settings: 'settings', bin: 'bin' };
  const at = Object.fromEntries(Object.entries(dirs).map(([k, d]) => [k, path.join(root, d)])) as typeof dirs;
  for (const d of Object.values(at)) fs.mkdirSync(d);
  fs.mkdirSync(path.join(at.source, 'jvm.options.d'));
  fs.writeFileSync(path.join(at.source, 'jvm.options'), '-XX:+UseG1GC\n');
  fs.writeFileSync(path.join(at.source, 'log4j2.properties'), 'status = error\n');
  fs.writeFileSync(path.join(at.source, 'elasticsearch.yml'), 'cluster.name: docker-cluster\nnetwork.host: 0.0.0.0\n');
  for (const [file, text] of Object.entries(find(objects, 'ConfigMap', 'elasticsearch-settings').data as Record<string, string>))
    fs.writeFileSync(path.join(at.settings, file), text);
  const script = path.join(root, 'prepare.sh');
  fs.writeFileSync(script, find(objects, 'ConfigMap', 'elasticsearch-scripts').data['prepare.sh']);
  // The fake keystore tool: one line per call (ES_PATH_CONF | args | stdin), `create` makes the file.
  const calls = path.join(root, 'keystore-calls');
  fs.writeFileSync(
    path.join(at.bin, 'elasticsearch-keystore'),
    [
      '#!/bin/sh',
      'input=""',
      'if [ "$1" = add ]; then input=$(cat); fi',
      `printf '%s|%s|%s\\n' "$ES_PATH_CONF" "$*" "$input" >> '${calls}'`,
      'if [ "$1" = create ]; then : > "$ES_PATH_CONF/elasticsearch.keystore"; fi',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  // The init container's own environment, with its paths moved into the temporary folders.
  const env: Record<string, string> = {};
  for (const e of prepare.env as Doc[]) if (e.value !== undefined) env[e.name] = e.value;
  expect(env).toMatchObject({
    ES_CONFIG_SOURCE: expect.any(String),
    ES_CONFIG_TARGET: expect.any(String),
    ES_SETTINGS_DIR: expect.any(String),
  });
  const secretEnv = (prepare.env as Doc[]).filter((e) => e.valueFrom).map((e) => e.name as string);
  Object.assign(env, { ES_CONFIG_SOURCE: at.source, ES_CONFIG_TARGET: at.target, ES_SETTINGS_DIR: at.settings });
  const readCalls = (): string[] => (fs.existsSync(calls) ? fs.readFileSync(calls, 'utf8').trimEnd().split('\n') : []);
  return { at, env, secretEnv, script, readCalls, objects };
}

describe('elasticsearch-prepare.sh', () => {
  beforeAll(() => {
    expect(elasticsearchPrepareScript.startsWith('#!/bin/sh')).toBe(true);
  });

  test('S3-compatible store: the image config, ours over it, a new keystore with the S3 keys from stdin; a rerun converges', async () => {
    const p = pod({ ...BASE, objectStorage: MINIO });
    expect(p.secretEnv.sort()).toEqual(['S3_ACCESS_KEY', 'S3_SECRET_KEY']);
    const env = { ...p.env, S3_ACCESS_KEY: ACCESS_KEY, S3_SECRET_KEY: SECRET_KEY };
    const first = await run(p.script, env, p.at.bin);
    expect([first.status, first.output]).toEqual([
      0,
      expect.stringContaining("keystore ready with the access and secret keys of S3 client 'default'"),
    ]);
    expect(fs.readFileSync(path.join(p.at.target, 'jvm.options'), 'utf8')).toBe('-XX:+UseG1GC\n');
    expect(fs.readFileSync(path.join(p.at.target, 'log4j2.properties'), 'utf8')).toBe('status = error\n');
    expect(fs.readFileSync(path.join(p.at.target, 'elasticsearch.yml'), 'utf8')).toBe(
      fs.readFileSync(path.join(p.at.settings, 'elasticsearch.yml'), 'utf8'),
    );
    expect(fs.readFileSync(path.join(p.at.target, 'jvm.options.d', 'gc.options'), 'utf8')).toContain('-Xlog:disable');
    expect(p.readCalls()).toEqual([
      `${p.at.target}|create|`,
      `${p.at.target}|add --stdin --force s3.client.default.access_key|${ACCESS_KEY}`,
      `${p.at.target}|add --stdin --force s3.client.default.secret_key|${SECRET_KEY}`,
    ]);
    expect(first.output).not.toContain(ACCESS_KEY);
    expect(first.output).not.toContain(SECRET_KEY);
    expect(fs.existsSync(path.join(p.at.target, 'repository-s3'))).toBe(false);

    // The same pod again (an init container reruns on a pod restart): the keystore is made anew.
    fs.writeFileSync(path.join(p.at.target, 'elasticsearch.keystore'), 'stale');
    const second = await run(p.script, env, p.at.bin);
    expect(second.status).toBe(0);
    expect(fs.readFileSync(path.join(p.at.target, 'elasticsearch.keystore'), 'utf8')).toBe('');
    expect(p.readCalls()).toHaveLength(6);
    expect(p.readCalls()[3]).toBe(`${p.at.target}|create|`);
  });

  test('Amazon S3 with IRSA: no keys, the web identity token linked into the config directory', async () => {
    const p = pod({ ...BASE, objectStorage: AMAZON_S3 });
    expect(p.secretEnv).toEqual([]);
    const token = path.join(p.at.bin, 'token');
    fs.writeFileSync(token, 'jwt');
    const result = await run(p.script, { ...p.env, AWS_WEB_IDENTITY_TOKEN_FILE: token }, p.at.bin);
    expect([result.status, result.output]).toEqual([0, expect.stringContaining('keystore ready (no static S3 keys)')]);
    const link = path.join(p.at.target, 'repository-s3', 'aws-web-identity-token-file');
    expect(fs.readlinkSync(link)).toBe(token);
    expect(fs.readFileSync(link, 'utf8')).toBe('jwt');
    expect(p.readCalls()).toEqual([`${p.at.target}|create|`]);
    // Without the variable (an init container the webhook left alone), EKS's fixed token path.
    fs.rmSync(link);
    expect((await run(p.script, p.env, p.at.bin)).status).toBe(0);
    expect(fs.readlinkSync(link)).toBe('/var/run/secrets/eks.amazonaws.com/serviceaccount/token');
  });

  test('refuses half a key pair, a missing elasticsearch.yml, an unknown settings file or a missing target', async () => {
    const p = pod({ ...BASE, objectStorage: MINIO });
    const half = await run(p.script, { ...p.env, S3_ACCESS_KEY: ACCESS_KEY, S3_SECRET_KEY: '' }, p.at.bin);
    expect([half.status, half.output]).toEqual([1, expect.stringContaining('S3_ACCESS_KEY is set but S3_SECRET_KEY is empty')]);
    expect(half.output).not.toContain(ACCESS_KEY);

    fs.writeFileSync(path.join(p.at.settings, 'extra.conf'), 'x');
    const unknown = await run(p.script, p.env, p.at.bin);
    expect([unknown.status, unknown.output]).toEqual([1, expect.stringContaining('unexpected settings file extra.conf')]);
    fs.rmSync(path.join(p.at.settings, 'extra.conf'));

    fs.rmSync(path.join(p.at.settings, 'elasticsearch.yml'));
    const missing = await run(p.script, p.env, p.at.bin);
    expect([missing.status, missing.output]).toEqual([1, expect.stringContaining('elasticsearch.yml is missing or empty')]);

    const gone = await run(p.script, { ...p.env, ES_CONFIG_TARGET: path.join(p.at.target, 'nowhere') }, p.at.bin);
    expect([gone.status, gone.output]).toEqual([1, expect.stringContaining('is not a writable directory')]);
  });
});

describe('elasticsearch-ready.sh', () => {
  let server: http.Server;
  let base: string;
  let status = 200;
  const authorizations: string[] = [];
  let script: string;

  beforeAll(async () => {
    findTool('curl', 'Install it with `apt-get install curl` (.ci/run does this).');
    server = http.createServer((req, res) => {
      authorizations.push(req.headers.authorization ?? '');
      const ok = req.url === '/_cluster/health?local=true';
      res.writeHead(ok ? status : 404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ status: 'yellow' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    script = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'es-ready-')), 'ready.sh');
    fs.writeFileSync(script, elasticsearchReadyScript);
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('ready on 200 with the elastic credentials as Basic auth; not ready on 503, a wrong path or no server', async () => {
    const env = { ES_HEALTH_URL: `${base}/_cluster/health?local=true`, ELASTIC_PASSWORD: PASSWORD };
    status = 200;
    const ready = await run(script, env);
    expect(ready).toEqual({ status: 0, output: '' });
    expect(authorizations.at(-1)).toBe(`Basic ${Buffer.from(`elastic:${PASSWORD}`).toString('base64')}`);

    status = 503;
    const unavailable = await run(script, env);
    expect([unavailable.status, unavailable.output]).toEqual([1, expect.stringContaining('answered HTTP 503')]);
    expect(unavailable.output).not.toContain(PASSWORD);

    status = 200;
    expect((await run(script, { ...env, ES_HEALTH_URL: `${base}/_cluster/health` })).status).toBe(1);
    const closed = await run(script, { ...env, ES_HEALTH_URL: 'http://127.0.0.1:1/_cluster/health?local=true', ES_PROBE_TIMEOUT: '2' });
    expect([closed.status, closed.output]).toEqual([1, expect.stringContaining('answered HTTP 000')]);
  });

  test('refuses to run without the URL or the password', async () => {
    expect((await run(script, { ELASTIC_PASSWORD: PASSWORD })).status).not.toBe(0);
    expect((await run(script, { ES_HEALTH_URL: `${base}/_cluster/health?local=true` })).status).not.toBe(0);
  });
});
