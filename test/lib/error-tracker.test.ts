import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { IMAGES } from '../../config/images';
import { ServiceGraph } from '../../lib/constructs/network/service-graph';
import {
  DSN_KEY_ENV,
  ErrorTracker,
  ErrorTrackerProps,
  errorTrackerSetupScript,
  errorTrackerWorkerProbe,
} from '../../lib/constructs/observability/error-tracker';
import { WebService } from '../../lib/constructs/workloads/web-service';
import { Doc } from '../support/doc';
import { envOf, expectNoSecretValues, expectProbes, expectRestrictedPods } from '../support/stack-assertions';

const small = { cpuRequest: '50m', memoryRequest: '128Mi', memoryLimit: '256Mi' };
const ref = (key: string) => ({ secret: 'glitchtip-credentials', key });
const props: ErrorTrackerProps = {
  namespace: 'shop',
  partOf: 'shop',
  image: IMAGES.glitchtip,
  url: 'http://localhost:8000',
  fromEmail: 'glitchtip@shop.example',
  secretKey: ref('SECRET_KEY'),
  web: { replicas: 2, resources: small, pool: { maxSize: 5, minIdle: 1 } },
  worker: { resources: small, pool: { maxSize: 4, minIdle: 1 } },
  setupResources: small,
  organization: { slug: 'shop', name: 'Shop' },
  projects: [
    { slug: 'backend', id: 1, publicKey: { secret: 'error-tracking-keys', key: 'BACKEND_PUBLIC_KEY' } },
    { slug: 'gateway', id: 2, publicKey: { secret: 'error-tracking-keys', key: 'GATEWAY_PUBLIC_KEY' } },
  ],
  admin: { email: 'admin@shop.example', password: ref('ADMIN_PASSWORD') },
  postgres: {
    image: IMAGES.postgres16,
    exporterImage: IMAGES.postgresExporter,
    resources: small,
    exporterResources: small,
    storage: { size: '1Gi', storageClassName: 'standard' },
    superuserPassword: ref('POSTGRES_PASSWORD'),
    appPassword: ref('APP_PASSWORD'),
    exporterPassword: ref('EXPORTER_PASSWORD'),
  },
  redis: {
    image: IMAGES.redis72,
    exporterImage: IMAGES.redisExporter,
    resources: small,
    exporterResources: small,
    storage: { size: '1Gi', storageClassName: 'standard' },
    maxmemory: '64mb',
    password: ref('REDIS_PASSWORD'),
  },
  release: 'kps',
};

function synth(p: ErrorTrackerProps = props) {
  const chart = Testing.chart();
  const graph = new ServiceGraph(chart, 'graph', {
    namespace: 'shop',
    externals: { prometheus: { namespace: 'monitoring', podLabels: { 'app.kubernetes.io/name': 'prometheus' } } },
  });
  const tracker = new ErrorTracker(chart, 'tracker', p);
  tracker.addToGraph(graph);
  const app = new WebService(chart, 'gateway', {
    namespace: 'shop',
    name: 'gateway',
    partOf: 'shop',
    image: 'ghcr.io/shop/gateway:1.0.0',
    port: 5921,
    runAs: { user: 1000 },
    resources: small,
    readinessPath: '/ready',
    replicas: 1,
    env: { ...tracker.dsnEnv('gateway').env },
    secretEnv: { ...tracker.dsnEnv('gateway').secretEnv },
  });
  graph.addComponent(app);
  tracker.allowClient(graph, app);
  const objects: Doc[] = Testing.synth(chart);
  const of = (kind: string, name: string) => {
    const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
    if (!o) throw new Error(`no ${kind} ${name}`);
    return o;
  };
  return { tracker, objects, of, graph };
}

/** Every `$(VAR)` in a container's env names a variable listed before it (Kubernetes expands only those). */
function expectInterpolationResolves(container: Doc): void {
  const env = (container.env ?? []) as Doc[];
  env.forEach((e, i) => {
    for (const m of String(e.value ?? '').matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) {
      const before = env.slice(0, i).map((x) => x.name);
      expect([container.name, e.name, m[1], before.includes(m[1])]).toEqual([container.name, e.name, m[1], true]);
    }
  });
}

describe('ErrorTracker', () => {
  const { tracker, objects, of, graph } = synth();
  const web = of('Deployment', 'glitchtip-web');
  const worker = of('Deployment', 'glitchtip-worker');
  const job = objects.find((o) => o.kind === 'Job' && o.metadata.name.startsWith('glitchtip-setup-'))!;

  test('snapshot', () => {
    expect(objects).toMatchSnapshot();
  });

  test('restricted pods with probes, pinned images and resources; no secret value rendered', () => {
    expectRestrictedPods(objects, 6);
    expectProbes(objects);
    expectNoSecretValues(objects);
    for (const d of [web, worker]) expect(d.spec.template.spec.securityContext.runAsUser).toBe(5000);
  });

  test('passwords reach DATABASE_URL and VALKEY_URL by $(VAR) interpolation of Secret-backed variables', () => {
    const c = web.spec.template.spec.containers[0];
    const env = envOf(c);
    expect(env.DATABASE_URL).toBe('postgres://glitchtip:$(DATABASE_PASSWORD)@glitchtip-postgres.shop.svc.cluster.local:5432/glitchtip');
    expect(env.DATABASE_PASSWORD).toEqual({ secretKeyRef: { name: 'glitchtip-credentials', key: 'APP_PASSWORD' } });
    expect(env.VALKEY_URL).toBe('redis://:$(REDIS_PASSWORD)@glitchtip-redis.shop.svc.cluster.local:6379/0');
    expect(env.SECRET_KEY).toEqual({ secretKeyRef: { name: 'glitchtip-credentials', key: 'SECRET_KEY' } });
    expect(env).toMatchObject({ ENABLE_USER_REGISTRATION: 'false', GLITCHTIP_DOMAIN: 'http://localhost:8000', SERVER_ROLE: 'web' });
    for (const o of [web, worker, job]) {
      for (const container of [...(o.spec.template.spec.initContainers ?? []), ...o.spec.template.spec.containers])
        expectInterpolationResolves(container);
    }
  });

  test("an app's SENTRY_DSN is composed from the project's key Secret and the project id, and resolves in its container", () => {
    expect(tracker.dsnEnv('gateway')).toEqual({
      env: { SENTRY_DSN: `http://$(${DSN_KEY_ENV})@glitchtip-web.shop.svc.cluster.local:8000/2` },
      secretEnv: { [DSN_KEY_ENV]: { secret: 'error-tracking-keys', key: 'GATEWAY_PUBLIC_KEY' } },
    });
    expect(tracker.dsnEnv('backend').env.SENTRY_DSN).toMatch(/:8000\/1$/);
    expectInterpolationResolves(of('Deployment', 'gateway').spec.template.spec.containers[0]);
  });

  test('web: port 8000, /_health/, waits for the schema before it starts; worker: one replica, Recreate, run-worker', () => {
    const c = web.spec.template.spec.containers[0];
    expect(c.ports).toEqual([{ name: 'http', containerPort: 8000, protocol: 'TCP' }]);
    expect(c.readinessProbe.httpGet.path).toBe('/_health/');
    expect(web.spec.template.spec.initContainers.map((i: Doc) => i.command)).toEqual([['./manage.py', 'migrate', '--check']]);
    expect(worker.spec).toMatchObject({ replicas: 1, strategy: { type: 'Recreate' } });
    const w = worker.spec.template.spec.containers[0];
    expect(w.command).toEqual(['./bin/run-worker.sh']);
    expect(w.livenessProbe.exec.command).toEqual(['python', '/etc/glitchtip-setup/glitchtip-worker-probe.py']);
    expect(envOf(w).GLITCHTIP_PROBE_TARGETS).toBe(
      'glitchtip-redis.shop.svc.cluster.local:6379,glitchtip-postgres.shop.svc.cluster.local:5432',
    );
  });

  test('setup: a Sync hook Job named by its content, migrations first, then the projects with their ids and keys', () => {
    expect(job.metadata.name).toMatch(/^glitchtip-setup-[0-9a-f]{8}$/);
    expect(job.metadata.annotations).toMatchObject({ 'argocd.argoproj.io/hook': 'Sync' });
    const spec = job.spec.template.spec;
    expect(spec.initContainers.map((c: Doc) => c.command)).toEqual([['./bin/run-migrate.sh']]);
    const setup = spec.containers[0];
    expect(setup.command).toEqual(['python', '/etc/glitchtip-setup/glitchtip-setup.py']);
    expect(envOf(setup)).toMatchObject({
      GLITCHTIP_PROJECTS: 'backend:1,gateway:2',
      GLITCHTIP_ORGANIZATION_SLUG: 'shop',
      GLITCHTIP_ADMIN_EMAIL: 'admin@shop.example',
      GLITCHTIP_PROJECT_KEY_GATEWAY: { secretKeyRef: { name: 'error-tracking-keys', key: 'GATEWAY_PUBLIC_KEY' } },
      GLITCHTIP_ADMIN_PASSWORD: { secretKeyRef: { name: 'glitchtip-credentials', key: 'ADMIN_PASSWORD' } },
    });
    expect(of('ConfigMap', 'glitchtip-scripts').data['glitchtip-setup.py']).toBe(errorTrackerSetupScript());
    // Other inputs are another Job (a Job's pod template is immutable).
    const other = synth({ ...props, organization: { slug: 'shop-eu', name: 'Shop EU' } });
    expect(other.objects.find((o) => o.kind === 'Job')!.metadata.name).not.toBe(job.metadata.name);
  });

  test('its own PostgreSQL (owner role glitchtip, pools of web and worker declared) and Redis from the library', () => {
    expect(tracker.postgres.name).toBe('glitchtip-postgres');
    expect(tracker.redis.name).toBe('glitchtip-redis');
    const budget = tracker.postgres.connectionBudget();
    expect(budget.roles).toEqual({ glitchtip: 40, postgres_exporter: 3 });
    expect(budget.clients.map((c) => [c.kind, c.name, c.role, c.env.maxSize])).toEqual([
      ['Deployment', 'glitchtip-web', 'glitchtip', 'DATABASE_POOL_MAX_SIZE'],
      ['Deployment', 'glitchtip-worker', 'glitchtip', 'DATABASE_POOL_MAX_SIZE'],
    ]);
    expect(envOf(web.spec.template.spec.containers[0])).toMatchObject({ DATABASE_POOL_MAX_SIZE: '5', DATABASE_POOL_MIN_SIZE: '1' });
    expect(envOf(worker.spec.template.spec.containers[0])).toMatchObject({ DATABASE_POOL_MAX_SIZE: '4' });
  });

  test('graph: only the declared client reaches the web Service; web, worker and setup reach the stores (Prometheus their exporters)', () => {
    const into = (to: string) => graph.flows.filter((f) => f.to === to).map((f) => `${f.from}:${f.port}`);
    expect(into('glitchtip-web')).toEqual(['gateway:8000']);
    expect(into('glitchtip-postgres').sort()).toEqual(
      [
        'glitchtip-postgres-reconcile:5432',
        'glitchtip-setup:5432',
        'glitchtip-web:5432',
        'glitchtip-worker:5432',
        'prometheus:9187',
      ].sort(),
    );
    expect(into('glitchtip-redis').sort()).toEqual([
      'glitchtip-setup:6379',
      'glitchtip-web:6379',
      'glitchtip-worker:6379',
      'prometheus:9121',
    ]);
  });

  test.each<[string, Partial<ErrorTrackerProps>, string]>([
    ['a name that is no DNS label', { name: 'Glitch_Tip' }, "ErrorTracker 'Glitch_Tip': name 'Glitch_Tip'; expected a DNS label"],
    ['an unpinned image', { image: 'glitchtip/glitchtip:latest' }, "image 'glitchtip/glitchtip:latest'; expected"],
    ['a URL that is none', { url: 'localhost:8000' }, "url 'localhost:8000'; expected an http(s) URL"],
    ['an admin e-mail that is none', { admin: { ...props.admin, email: 'admin' } }, "admin.email 'admin'; expected an e-mail address"],
    ['no web replica', { web: { ...props.web, replicas: 0 } }, 'web.replicas 0; expected an integer >= 1'],
    [
      'a pool that keeps more idle than its size',
      { worker: { ...props.worker, pool: { maxSize: 2, minIdle: 3 } } },
      'worker.pool.minIdle 3; expected an integer from 0 to maxSize (2)',
    ],
    ['no project', { projects: [] }, 'projects is empty; expected at least one project'],
    [
      'a project id used twice',
      { projects: [props.projects[0], { ...props.projects[1], id: 1 }] },
      'projects[1].id 1 is used twice; expected unique ids',
    ],
    ['a project id 0', { projects: [{ ...props.projects[0], id: 0 }] }, 'projects[0].id 0; expected an integer >= 1'],
    [
      'a project slug with capitals',
      { projects: [{ ...props.projects[0], slug: 'Backend' }] },
      "projects[0].slug 'Backend'; expected lowercase letters, digits and hyphens",
    ],
  ])('rejects %s', (_what, override, message) => {
    expect(() => synth({ ...props, ...override })).toThrow(message);
  });

  test('dsnEnv of a project it does not have names the slug and the projects', () => {
    expect(() => tracker.dsnEnv('frontend')).toThrow("ErrorTracker 'glitchtip': project 'frontend'; expected one of backend, gateway");
  });
});

describe('GlitchTip scripts (Python assets)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'glitchtip-scripts-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('both compile (python3 -m py_compile)', () => {
    const files = [
      ['glitchtip-setup.py', errorTrackerSetupScript()],
      ['glitchtip-worker-probe.py', errorTrackerWorkerProbe()],
    ].map(([name, text]) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, text);
      return file;
    });
    execFileSync('python3', ['-m', 'py_compile', ...files], { env: { ...process.env, PYTHONPYCACHEPREFIX: path.join(dir, 'pyc') } });
  });

  test('the worker probe exits 0 when its targets accept connections and 1 naming the one that does not', async () => {
    const net = await import('net');
    const server = net.createServer((s) => s.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const probe = path.join(dir, 'probe.py');
    fs.writeFileSync(probe, errorTrackerWorkerProbe());
    const run = (targets: string) => {
      try {
        execFileSync('python3', [probe], { env: { ...process.env, GLITCHTIP_PROBE_TARGETS: targets }, stdio: 'pipe' });
        return { code: 0, stderr: '' };
      } catch (e) {
        const err = e as { status: number; stderr: Buffer };
        return { code: err.status, stderr: err.stderr.toString() };
      }
    };
    try {
      expect(run(`127.0.0.1:${port},127.0.0.1:${port}`)).toEqual({ code: 0, stderr: '' });
      // Port 1 on the loopback: nothing listens there.
      const down = run(`127.0.0.1:${port},127.0.0.1:1`);
      expect(down.code).toBe(1);
      expect(down.stderr).toMatch(/^cannot reach 127\.0\.0\.1:1: /);
      expect(run('').stderr).toMatch(/GLITCHTIP_PROBE_TARGETS is empty/);
    } finally {
      server.close();
    }
  });
});
