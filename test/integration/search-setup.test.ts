/**
 * The SearchSetup script (POSIX sh + curl) run for real against two small fake HTTP servers that
 * stand in for Elasticsearch and Kibana (no Elasticsearch can run here): they record every request
 * and keep the objects PUT or POSTed, answering the way the real APIs do (200 on PUT, 404 for a
 * missing data view). The tests assert the exact requests of a first run, that a second run leaves
 * every object as it was and creates nothing, and that a refused request fails the Job loudly.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { logStorageSteps, SearchSetupStep } from '../../lib/constructs/search/search-requests';
import { SearchSetup } from '../../lib/constructs/search/search-setup';
import { findTool } from '../support/tools';

interface Recorded {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  readonly authorization?: string;
  readonly xsrf?: string;
}

/** A fake API: records requests, stores PUT/POST bodies by path, answers health/status checks. */
class FakeApi {
  public readonly requests: Recorded[] = [];
  public readonly objects = new Map<string, string>();
  /** Paths answered with this status instead (to test failures). */
  public readonly failures = new Map<string, number>();
  private server!: http.Server;

  constructor(private readonly collection: string | undefined) {}

  public async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const url = req.url ?? '/';
        const p = url.split('?')[0];
        this.requests.push({
          method: req.method ?? '',
          path: url,
          ...(text ? { body: JSON.parse(text) as unknown } : {}),
          ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
          ...(typeof req.headers['kbn-xsrf'] === 'string' ? { xsrf: req.headers['kbn-xsrf'] } : {}),
        });
        const reply = (status: number, body: unknown): void => {
          res.writeHead(status, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        const failure = this.failures.get(p);
        if (failure) return reply(failure, { error: { type: 'illegal_argument_exception', reason: `refused ${p}` } });
        if (req.method === 'GET' && (p === '/_cluster/health' || p === '/api/status')) return reply(200, { status: 'yellow' });
        if (req.method === 'PUT') {
          this.objects.set(p, text);
          return reply(200, { acknowledged: true });
        }
        if (req.method === 'GET' && this.objects.has(p)) return reply(200, JSON.parse(this.objects.get(p)!));
        if (req.method === 'GET') return reply(404, { error: 'not found' });
        if (req.method === 'POST' && this.collection && p === this.collection) {
          const id = (JSON.parse(text) as { data_view: { id: string } }).data_view.id;
          this.objects.set(`${p}/${id}`, text);
          return reply(200, { data_view: { id } });
        }
        return reply(400, { error: `unexpected ${req.method} ${p}` });
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  public async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const component = { name: 'x', podLabels: { app: 'x' }, ports: { http: 1 } };
const securitySteps: SearchSetupStep[] = [
  { kind: 'role', name: 'log-writer', body: { indices: [{ names: ['logs-*'], privileges: ['create_doc', 'auto_configure'] }] } },
  { kind: 'user', name: 'log-shipper', body: { roles: ['log-writer'] }, password: { secret: 'users', key: 'SHIPPER' } },
  { kind: 'password', name: 'kibana_system', password: { secret: 'users', key: 'KIBANA' } },
];
const steps = logStorageSteps({
  streams: ['gateway-logs', 'backend-logs', 'logs'],
  retentionDays: 30,
  replicas: 1,
  snapshots: { bucket: 'shop-backups', basePath: 'elasticsearch', retentionDays: 30 },
  dataViews: true,
});

/** The ConfigMap files of a SearchSetup with these steps, written to a folder as the Job mounts them. */
function configDir(): string {
  const chart = Testing.chart();
  const setup = new SearchSetup(chart, 'setup', {
    namespace: 'shop',
    partOf: 'shop',
    elasticsearch: { url: 'http://es:9200', component, port: 'http' },
    kibana: { url: 'http://kibana:5601', component, port: 'http' },
    username: 'elastic',
    password: { secret: 's', key: 'k' },
    steps: [...securitySteps, ...steps],
    image: 'curlimages/curl:8.11.1',
    resources: { cpuRequest: '10m', memoryRequest: '16Mi', memoryLimit: '32Mi' },
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'search-setup-'));
  for (const [file, text] of Object.entries(setup.configMap.toJson().data as Record<string, string>))
    fs.writeFileSync(path.join(dir, file), text);
  return dir;
}

function run(dir: string, env: Record<string, string>): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('sh', [path.join(dir, 'search-setup.sh')], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        CONFIG_DIR: dir,
        ES_USERNAME: 'elastic',
        ES_PASSWORD: 'p@ss w:rd',
        WAIT_SECONDS: '5',
        PASSWORD_LOG_SHIPPER: 'shipper "quoted" \\ pass',
        PASSWORD_KIBANA_SYSTEM: 'kibana-secret-1',
        ...env,
      },
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('close', (status) => resolve({ status, output }));
  });
}

const AUTH = `Basic ${Buffer.from('elastic:p@ss w:rd').toString('base64')}`;
const DATA_VIEWS = '/api/data_views/data_view';

describe('search-setup.sh against fake Elasticsearch and Kibana', () => {
  let es: FakeApi;
  let kibana: FakeApi;
  let env: Record<string, string>;
  let dir: string;

  beforeAll(() => {
    findTool('curl', 'Install it with `apt-get install curl` (.ci/run does this).');
  });
  beforeEach(async () => {
    es = new FakeApi(undefined);
    kibana = new FakeApi(DATA_VIEWS);
    env = { ES_URL: await es.start(), KIBANA_URL: await kibana.start() };
    dir = configDir();
  });
  afterEach(async () => {
    await es.stop();
    await kibana.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const body = (file: string): unknown => JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));

  test('first run: the exact requests, authenticated, in plan order', async () => {
    const result = await run(dir, env);
    expect(result).toMatchObject({ status: 0 });
    expect(result.output).toContain('done: 12 steps');
    for (const secret of ['p@ss', 'quoted', 'kibana-secret']) expect(result.output).not.toContain(secret);
    expect(es.requests.map(({ method, path: p, body: b }) => ({ method, path: p, ...(b ? { body: b } : {}) }))).toEqual([
      { method: 'GET', path: '/_cluster/health?wait_for_status=yellow&timeout=5s' },
      { method: 'PUT', path: '/_security/role/log-writer', body: body('role.log-writer.json') },
      // The password from the environment, JSON-escaped, added to the ConfigMap's body (which has none).
      { method: 'PUT', path: '/_security/user/log-shipper', body: { roles: ['log-writer'], password: 'shipper "quoted" \\ pass' } },
      { method: 'PUT', path: '/_security/user/kibana_system/_password', body: { password: 'kibana-secret-1' } },
      { method: 'PUT', path: '/_ilm/policy/logs-30d', body: body('ilm-policy.logs-30d.json') },
      { method: 'PUT', path: '/_index_template/gateway-logs', body: body('index-template.gateway-logs.json') },
      { method: 'PUT', path: '/_index_template/backend-logs', body: body('index-template.backend-logs.json') },
      { method: 'PUT', path: '/_index_template/logs', body: body('index-template.logs.json') },
      { method: 'PUT', path: '/_snapshot/log-snapshots', body: body('snapshot-repository.log-snapshots.json') },
      { method: 'PUT', path: '/_slm/policy/daily-logs', body: body('slm-policy.daily-logs.json') },
    ]);
    expect(kibana.requests.map(({ method, path: p }) => `${method} ${p}`)).toEqual([
      'GET /api/status',
      `GET ${DATA_VIEWS}/gateway-logs`,
      `POST ${DATA_VIEWS}`,
      `GET ${DATA_VIEWS}/backend-logs`,
      `POST ${DATA_VIEWS}`,
      `GET ${DATA_VIEWS}/logs`,
      `POST ${DATA_VIEWS}`,
    ]);
    expect(kibana.requests.filter((r) => r.method === 'POST').map((r) => r.body)).toEqual([
      body('gateway-logs.json'),
      body('backend-logs.json'),
      body('logs.json'),
    ]);
    expect(new Set([...es.requests, ...kibana.requests].map((r) => r.authorization))).toEqual(new Set([AUTH]));
    expect(kibana.requests.every((r) => r.xsrf === 'search-setup')).toBe(true);
  });

  test('second run changes nothing: same objects, no data view created again', async () => {
    expect((await run(dir, env)).status).toBe(0);
    const esAfterFirst = new Map(es.objects);
    const kibanaAfterFirst = new Map(kibana.objects);
    const kibanaRequests = kibana.requests.length;
    const second = await run(dir, env);
    expect(second.status).toBe(0);
    expect(es.objects).toEqual(esAfterFirst);
    expect(kibana.objects).toEqual(kibanaAfterFirst);
    expect(kibana.requests.slice(kibanaRequests).map(({ method, path: p }) => `${method} ${p}`)).toEqual([
      'GET /api/status',
      `GET ${DATA_VIEWS}/gateway-logs`,
      `GET ${DATA_VIEWS}/backend-logs`,
      `GET ${DATA_VIEWS}/logs`,
    ]);
    expect(second.output).toContain(`${DATA_VIEWS}/logs exists: left as it is`);
  });

  test('no password is in the ConfigMap; a missing password variable fails before that request', async () => {
    expect(body('user.log-shipper.json')).toEqual({ roles: ['log-writer'] });
    expect(body('password.kibana_system.json')).toEqual({});
    const result = await run(dir, { ...env, PASSWORD_KIBANA_SYSTEM: '' });
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('environment variable PASSWORD_KIBANA_SYSTEM (the password of');
    expect(es.requests.map((r) => r.path)).not.toContain('/_security/user/kibana_system/_password');
  });

  test('Kibana is waited for only before its first step (it logs in as a user an earlier step sets)', async () => {
    kibana.failures.set('/api/status', 503);
    const result = await run(dir, { ...env, WAIT_SECONDS: '0' });
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/ERROR: Kibana did not answer 200/);
    expect(es.requests.map((r) => r.path)).toEqual(
      expect.arrayContaining(['/_security/user/kibana_system/_password', '/_slm/policy/daily-logs']),
    );
  });

  test('a refused request fails the run, names the path and shows the answer; later steps do not run', async () => {
    es.failures.set('/_index_template/backend-logs', 400);
    const result = await run(dir, env);
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/ERROR: PUT \/_index_template\/backend-logs answered 400: .*refused \/_index_template\/backend-logs/);
    expect(es.requests.map((r) => r.path)).not.toContain('/_snapshot/log-snapshots');
    expect(kibana.requests.filter((r) => r.method === 'POST')).toEqual([]);
  });

  test('a server that never answers fails after WAIT_SECONDS', async () => {
    es.failures.set('/_cluster/health', 503);
    const result = await run(dir, { ...env, WAIT_SECONDS: '0' });
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/ERROR: Elasticsearch did not answer 200 .* within 0s \(last status 503/);
  });

  test('a kibana step without KIBANA_URL is refused before any change', async () => {
    const result = await run(dir, { ES_URL: env.ES_URL });
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('the plan has a kibana step but KIBANA_URL is not set');
    expect(es.requests.filter((r) => r.method === 'PUT')).toEqual([]);
  });
});
