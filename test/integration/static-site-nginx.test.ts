/**
 * The frontend's nginx.conf (PagoDirecto's ConfigMap) against a real nginx: `nginx -t` on the exact
 * synthesized file, then the same config serving a fake React build on a loopback port: health,
 * gzip, SPA fallback, caching of hashed assets and of index.html.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { loadEnvironment } from '../../config';
import { renderStaticSiteConfig } from '../../lib/constructs/workloads/static-site-config';
import { freePort } from '../support/postgres-server';
import { envConfig, find, synthStack } from '../support/synth';
import { findTool } from '../support/tools';

const NGINX_INSTALL_HINT =
  'nginx is required for the static-site tests: apt-get update && apt-get install -y nginx-light (Debian; installs /usr/sbin/nginx), or set $NGINX';

/** nginx from $NGINX, .tools/bin or PATH, else Debian's /usr/sbin/nginx (often not on a user's PATH). */
function requireNginx(): string {
  try {
    return findTool('nginx', NGINX_INSTALL_HINT);
  } catch (e) {
    if (!process.env.NGINX && fs.existsSync('/usr/sbin/nginx')) return '/usr/sbin/nginx';
    throw e;
  }
}

const artifact: string = find(synthStack('pagodirecto', loadEnvironment(envConfig('prod'))), 'ConfigMap', 'frontend-config').data[
  'nginx.conf'
];
let nginx: string;
let workDir: string;

beforeAll(() => {
  nginx = requireNginx();
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'static-site-'));
  fs.chmodSync(workDir, 0o755);
});

afterAll(() => {
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

/**
 * Standard output and error as files, as a container runtime gives them: nginx opens /dev/stdout
 * for its access log, which fails on the sockets node uses for pipes.
 */
function outputFiles(name: string): { fds: [number, number]; read: () => string; close: () => void } {
  const files = [path.join(workDir, `${name}.out`), path.join(workDir, `${name}.err`)];
  const fds = files.map((f) => fs.openSync(f, 'w')) as [number, number];
  return { fds, read: () => files.map((f) => fs.readFileSync(f, 'utf8')).join(''), close: () => fds.forEach((fd) => fs.closeSync(fd)) };
}

/** `nginx -t` of a config file in a prefix dir; returns status and output. */
function nginxTest(conf: string): { status: number | null; output: string } {
  const prefix = fs.mkdtempSync(path.join(workDir, 'prefix-'));
  fs.mkdirSync(path.join(prefix, 'logs'));
  fs.writeFileSync(path.join(prefix, 'nginx.conf'), conf);
  const out = outputFiles(path.basename(prefix));
  const r = spawnSync(nginx, ['-t', '-p', prefix, '-c', path.join(prefix, 'nginx.conf'), '-e', path.join(prefix, 'logs', 'error.log')], {
    stdio: ['ignore', out.fds[0], out.fds[1]],
  });
  out.close();
  return { status: r.status, output: out.read() };
}

describe('frontend nginx.conf', () => {
  test('the synthesized ConfigMap is what the library renders for the stack', () => {
    expect(artifact).toBe(renderStaticSiteConfig({ port: 8080, healthPath: '/health', immutablePaths: ['/assets/'], tempDir: '/tmp' }));
  });

  test('passes nginx -t', () => {
    // nginx -t creates the config's temp dirs and pid file (in /tmp): remove the ones it made.
    const made = ['client_temp', 'proxy_temp', 'fastcgi_temp', 'uwsgi_temp', 'scgi_temp', 'nginx.pid']
      .map((f) => path.join('/tmp', f))
      .filter((f) => !fs.existsSync(f));
    let r: { status: number | null; output: string };
    try {
      r = nginxTest(artifact);
    } finally {
      for (const f of made) fs.rmSync(f, { recursive: true, force: true });
    }
    expect(r.output).toMatch(/syntax is ok/);
    expect(r.output).toMatch(/test is successful/);
    expect(r.status).toBe(0);
  });

  test('nginx -t catches a broken config (the check is real)', () => {
    const r = nginxTest(artifact.replace('gzip on;', 'gzip maybe;'));
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/invalid value "maybe"/);
  });
});

describe('serving a React build with the frontend config', () => {
  let server: ChildProcess;
  let port: number;
  let logs: ReturnType<typeof outputFiles>;
  const INDEX =
    '<!doctype html><html><body><div id="root"></div><script type="module" src="/assets/index-3f9a1c2b.js"></script></body></html>\n';
  const JS = `export const app = ${JSON.stringify('x'.repeat(4000))};\n`;

  const get = (urlPath: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: urlPath, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
    });

  beforeAll(async () => {
    const root = path.join(workDir, 'html');
    const tmp = path.join(workDir, 'tmp');
    fs.mkdirSync(path.join(root, 'assets'), { recursive: true });
    fs.mkdirSync(tmp);
    fs.writeFileSync(path.join(root, 'index.html'), INDEX);
    fs.writeFileSync(path.join(root, 'assets', 'index-3f9a1c2b.js'), JS);
    fs.writeFileSync(path.join(root, 'favicon.ico'), 'icon');
    fs.writeFileSync(path.join(root, '.env'), 'SECRET=1');
    for (const d of [root, path.join(root, 'assets'), tmp]) fs.chmodSync(d, 0o755);
    port = await freePort();
    // The stack's config with only the port, document root and temp dir of this machine.
    const conf = renderStaticSiteConfig({ port, healthPath: '/health', immutablePaths: ['/assets/'], root, tempDir: tmp });
    expect(conf.replace(String(port), '8080').replace(`root ${root};`, 'root /usr/share/nginx/html;').split(tmp).join('/tmp')).toBe(
      artifact,
    );
    const confFile = path.join(workDir, 'serve.conf');
    fs.writeFileSync(confFile, conf);
    logs = outputFiles('serve');
    server = spawn(nginx, ['-p', workDir, '-c', confFile, '-e', path.join(tmp, 'error.log'), '-g', 'daemon off;'], {
      stdio: ['ignore', logs.fds[0], logs.fds[1]],
    });
    for (let i = 0; i < 100; i++) {
      try {
        if ((await get('/health')).status === 200) return;
      } catch {
        // not listening yet
      }
      if (server.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`nginx did not start: ${logs.read()}`);
  });

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server.on('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    logs?.close();
  });

  test('/health answers without touching the build', async () => {
    const r = await get('/health');
    expect([r.status, r.body.toString(), r.headers['content-type']]).toEqual([200, '{"status":"UP"}', 'application/json']);
  });

  test('index.html is never cached', async () => {
    for (const p of ['/', '/index.html']) {
      const r = await get(p);
      expect([p, r.status, r.body.toString(), r.headers['cache-control']]).toEqual([p, 200, INDEX, 'no-cache, no-store, must-revalidate']);
    }
  });

  test('SPA fallback: client-side routes get index.html, uncached', async () => {
    const r = await get('/customers/42/invoices');
    expect([r.status, r.body.toString(), r.headers['cache-control']]).toEqual([200, INDEX, 'no-cache, no-store, must-revalidate']);
  });

  test('hashed assets: gzip and a year of immutable caching; a missing asset is a 404, not index.html', async () => {
    const r = await get('/assets/index-3f9a1c2b.js', { 'Accept-Encoding': 'gzip' });
    expect([r.status, r.headers['content-encoding'], r.headers['cache-control'], r.headers.vary]).toEqual([
      200,
      'gzip',
      'public, max-age=31536000, immutable',
      'Accept-Encoding',
    ]);
    expect(r.body.length).toBeLessThan(JS.length / 4);
    const missing = await get('/assets/index-00000000.js');
    expect(missing.status).toBe(404);
    expect(missing.body.toString()).not.toContain('<div id="root">');
  });

  test('other files are cached briefly; dotfiles are not served; no version in Server', async () => {
    const icon = await get('/favicon.ico');
    expect([icon.status, icon.headers['cache-control']]).toEqual([200, 'public, max-age=3600']);
    expect((await get('/.env')).status).toBe(404);
    expect(icon.headers.server).toBe('nginx');
  });

  test('requests are logged to standard output, health checks are not', async () => {
    await get('/customers');
    await new Promise((r) => setTimeout(r, 200));
    const out = logs.read();
    expect(out).toMatch(/"GET \/customers HTTP\/1\.1" 200/);
    expect(out).not.toMatch(/GET \/health/);
  });
});
