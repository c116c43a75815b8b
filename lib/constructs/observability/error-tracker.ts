import { JsonPatch } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { readAsset } from '../../core/assets';
import { dnsLabel, email as emailFormat, pinnedImage, url as urlFormat } from '../../core/formats';
import { componentLabels, selectorLabels } from '../../core/labels';
import { PostgresDatabase } from '../data/postgres-database';
import { RedisCache } from '../data/redis-cache';
import { StorageSpec } from '../data/stateful-store';
import { GraphComponent, ServiceGraph } from '../network/service-graph';
import { renderContainer, ResourceSpec, SecretKeyRef, validateResources, writableVolumes } from '../workloads/container';
import { renderPodTemplate } from '../workloads/pod-template';
import { contentHashedName, MAX_HASHED_JOB_BASE_NAME, syncHookJob } from '../workloads/sync-hook-job';
import { WebService } from '../workloads/web-service';

/** One project of the error tracker, with the id its DSN ends in. */
export interface ErrorTrackerProject {
  /** Slug and name, e.g. `gateway` (lowercase letters, digits and hyphens). */
  readonly slug: string;
  /**
   * The project id: the last path segment of its DSN. Fixed here so the apps' DSNs can be composed
   * at deploy time; the setup Job creates the project with this id (integer >= 1, unique).
   */
  readonly id: number;
  /** The key holding the project's DSN public key: 32 hexadecimal digits (SecretsBackend format `uuid-hex`). */
  readonly publicKey: SecretKeyRef;
}

/** A Django database connection pool per process (GlitchTip's `DATABASE_POOL_MAX_SIZE` / `DATABASE_POOL_MIN_SIZE`). */
export interface ErrorTrackerPool {
  readonly maxSize: number;
  readonly minIdle: number;
}

export interface ErrorTrackerProps {
  readonly namespace: string;
  readonly partOf: string;
  /** Prefix of every object: `<name>-web`, `<name>-worker`, `<name>-postgres`, `<name>-redis`, `<name>-setup-<hash>`. @default 'glitchtip' */
  readonly name?: string;
  /** The GlitchTip image, pinned (`glitchtip/glitchtip:<version>`). */
  readonly image: string;
  /**
   * The URL people open the UI at (GlitchTip's `GLITCHTIP_DOMAIN`: links in e-mails, the DSNs the UI
   * shows), e.g. `http://localhost:8000` when it is reached by port-forward. The apps' DSNs do not
   * use it: they post to the web Service inside the cluster.
   */
  readonly url: string;
  /** Sender of GlitchTip's e-mails (`DEFAULT_FROM_EMAIL`). */
  readonly fromEmail: string;
  /** Django's `SECRET_KEY` (signs sessions and tokens). */
  readonly secretKey: SecretKeyRef;
  /** The web tier (UI, API, event ingest). */
  readonly web: { readonly replicas: number; readonly resources: ResourceSpec; readonly pool: ErrorTrackerPool };
  /** The worker (task queue and scheduler): exactly one runs, so scheduled tasks never run twice. */
  readonly worker: { readonly resources: ResourceSpec; readonly pool: ErrorTrackerPool };
  /** The setup Job (migrations, then the organization, projects and keys). */
  readonly setupResources: ResourceSpec;
  readonly organization: { readonly slug: string; readonly name: string };
  readonly projects: readonly ErrorTrackerProject[];
  /** The first user, owner of the organization: created once with this password (a password changed in the UI is kept). */
  readonly admin: { readonly email: string; readonly password: SecretKeyRef };
  /** GlitchTip's own PostgreSQL ({@link PostgresDatabase}). */
  readonly postgres: {
    readonly image: string;
    readonly exporterImage: string;
    readonly resources: ResourceSpec;
    readonly exporterResources: ResourceSpec;
    readonly storage: StorageSpec;
    readonly superuserPassword: SecretKeyRef;
    /** Password of the `glitchtip` role (owner of the schema: it runs the migrations). Letters and digits only: it is part of DATABASE_URL. */
    readonly appPassword: SecretKeyRef;
    readonly exporterPassword: SecretKeyRef;
    /** postgresql.conf settings. @default {} (memory settings derived from the limit) */
    readonly settings?: Readonly<Record<string, string | number | boolean>>;
  };
  /** GlitchTip's own Redis ({@link RedisCache}): cache, sessions and task queue. */
  readonly redis: {
    readonly image: string;
    readonly exporterImage: string;
    readonly resources: ResourceSpec;
    readonly exporterResources: ResourceSpec;
    readonly storage: StorageSpec;
    readonly maxmemory: string;
    /** Letters and digits only: it is part of VALKEY_URL. */
    readonly password: SecretKeyRef;
  };
  /** kube-prometheus-stack release label (the stores' exporters). */
  readonly release: string;
  /** @default false */
  readonly spreadAcrossZones?: boolean;
}

/** The environment an app needs to send to one project: `SENTRY_DSN`, composed by Kubernetes from the key Secret. */
export interface ErrorTrackerDsnEnv {
  /** `SENTRY_DSN` = `http://$(ERROR_TRACKING_DSN_KEY)@<web host>:<port>/<project id>`. */
  readonly env: Readonly<Record<string, string>>;
  /** `ERROR_TRACKING_DSN_KEY` from the project's key Secret. */
  readonly secretEnv: Readonly<Record<string, SecretKeyRef>>;
}

/** GlitchTip's web port (granian in the image listens on 8000). */
export const ERROR_TRACKER_PORT = 8000;
/** The image's user (`useradd -u 5000 app`). */
const GLITCHTIP_UID = 5000;
/** The variable the DSN key is read into; it sorts before SENTRY_DSN, as `$(VAR)` references need (containers list env by name). */
export const DSN_KEY_ENV = 'ERROR_TRACKING_DSN_KEY';
const SCRIPTS_DIR = '/etc/glitchtip-setup';
const SETUP_SCRIPT = 'glitchtip-setup.py';
const PROBE_SCRIPT = 'glitchtip-worker-probe.py';
const DB_ROLE = 'glitchtip';
const DB_NAME = 'glitchtip';

/** The setup script (asset `assets/glitchtip-setup.py`). */
export function errorTrackerSetupScript(): string {
  return readAsset(__dirname, `assets/${SETUP_SCRIPT}`);
}

/** The worker probe (asset `assets/glitchtip-worker-probe.py`). */
export function errorTrackerWorkerProbe(): string {
  return readAsset(__dirname, `assets/${PROBE_SCRIPT}`);
}

/** The variable the setup script reads a project's key from (`GLITCHTIP_PROJECT_KEY_<SLUG>`). */
export function projectKeyEnv(slug: string): string {
  return `GLITCHTIP_PROJECT_KEY_${slug.toUpperCase().replace(/-/g, '_')}`;
}

/**
 * GlitchTip, a Sentry-protocol error tracker (the Sentry SDKs send to it unchanged), with its own
 * PostgreSQL and Redis from the library:
 * - `<name>-web` ({@link WebService}, port 8000, health `/_health/`): UI, API and event ingest. An
 *   init container waits until the database schema is current (`manage.py migrate --check`), so a
 *   new version never serves an old schema.
 * - `<name>-worker`: `./bin/run-worker.sh` (task queue and scheduler), one replica, Recreate.
 * - `<name>-setup-<hash>`: an Argo CD Sync hook Job: GlitchTip's `./bin/run-migrate.sh` as init
 *   container (one run per deploy, not one per web pod racing the others), then
 *   `assets/glitchtip-setup.py`: the organization, the projects with their fixed ids and DSN keys,
 *   and the admin user, idempotently.
 * Passwords reach the URLs GlitchTip reads (`DATABASE_URL`, `VALKEY_URL`) by Kubernetes `$(VAR)`
 * interpolation of Secret-backed variables, so no value is rendered. User registration is off.
 */
export class ErrorTracker extends Construct {
  public readonly name: string;
  public readonly postgres: PostgresDatabase;
  public readonly redis: RedisCache;
  public readonly web: WebService;
  public readonly worker: k8s.KubeDeployment;
  public readonly workerComponent: GraphComponent;
  public readonly setupJob: k8s.KubeJob;
  public readonly setupComponent: GraphComponent;
  private readonly projects: ReadonlyMap<string, ErrorTrackerProject>;

  constructor(scope: Construct, id: string, props: ErrorTrackerProps) {
    super(scope, id);
    const name = props.name ?? 'glitchtip';
    validate(name, props);
    this.name = name;
    this.projects = new Map(props.projects.map((p) => [p.slug, p]));
    const where = `ErrorTracker '${name}'`;

    this.postgres = new PostgresDatabase(this, 'postgres', {
      namespace: props.namespace,
      name: `${name}-postgres`,
      partOf: props.partOf,
      image: props.postgres.image,
      database: DB_NAME,
      superuserPassword: props.postgres.superuserPassword,
      schemas: ['public'],
      // What GlitchTip's migrations create (pg_trgm for issue search); made here as the superuser,
      // so the `glitchtip` role needs no superuser rights.
      extensions: ['pg_trgm', 'btree_gin'],
      roles: [
        // Web and worker pools plus the setup Job's migrate and script sessions; the budget check holds the pools to it.
        { name: DB_ROLE, access: 'owner', connectionLimit: 40, password: props.postgres.appPassword },
        { name: 'postgres_exporter', access: 'monitor', connectionLimit: 3, password: props.postgres.exporterPassword },
      ],
      settings: { ...props.postgres.settings },
      resources: props.postgres.resources,
      storage: props.postgres.storage,
      exporter: { image: props.postgres.exporterImage, role: 'postgres_exporter', resources: props.postgres.exporterResources },
      release: props.release,
      helmPrefix: 'errorTracking.postgres',
    });
    this.redis = new RedisCache(this, 'redis', {
      namespace: props.namespace,
      name: `${name}-redis`,
      partOf: props.partOf,
      image: props.redis.image,
      password: props.redis.password,
      maxmemory: props.redis.maxmemory,
      // Cache and task queue share it: evict only keys with a TTL (the cache's), never a queued task.
      maxmemoryPolicy: 'volatile-lru',
      resources: props.redis.resources,
      storage: props.redis.storage,
      exporter: { image: props.redis.exporterImage, resources: props.redis.exporterResources },
      release: props.release,
      helmPrefix: 'errorTracking.redis',
    });

    const common = this.commonEnv(props);
    const scripts = new k8s.KubeConfigMap(this, 'scripts', {
      metadata: {
        name: `${name}-scripts`,
        namespace: props.namespace,
        labels: componentLabels({ name: `${name}-setup`, partOf: props.partOf, component: 'error-tracker' }),
      },
      data: { [SETUP_SCRIPT]: errorTrackerSetupScript(), [PROBE_SCRIPT]: errorTrackerWorkerProbe() },
    });
    const scriptsVolume: k8s.Volume = { name: 'scripts', configMap: { name: scripts.name, defaultMode: 0o444 } };
    const scriptsMount: k8s.VolumeMount = { name: 'scripts', mountPath: SCRIPTS_DIR, readOnly: true };
    const waitForSchema = (resources: ResourceSpec, pool: ErrorTrackerPool): k8s.Container =>
      renderContainer({
        name: 'wait-for-migrations',
        image: props.image,
        runAs: { user: GLITCHTIP_UID },
        resources,
        // Exits non-zero while migrations are unapplied; the kubelet retries it until the setup Job has run them.
        command: ['./manage.py', 'migrate', '--check'],
        env: { ...common.env, ...poolEnv(pool) },
        secretEnv: common.secretEnv,
        volumeMounts: [{ name: 'app-rw-0', mountPath: '/tmp' }],
      });

    this.web = new WebService(this, 'web', {
      namespace: props.namespace,
      name: `${name}-web`,
      partOf: props.partOf,
      component: 'error-tracker',
      image: props.image,
      port: ERROR_TRACKER_PORT,
      runAs: { user: GLITCHTIP_UID },
      resources: props.web.resources,
      readinessPath: '/_health/',
      startupSeconds: 120,
      replicas: props.web.replicas,
      spreadAcrossZones: props.spreadAcrossZones,
      env: { ...common.env, SERVER_ROLE: 'web' },
      secretEnv: common.secretEnv,
      // Uploaded source maps and debug files: the server-side apps upload none, so they need not outlive the pod.
      writablePaths: [
        { path: '/tmp', sizeLimit: '256Mi' },
        { path: '/code/uploads', sizeLimit: '256Mi' },
      ],
      helmPrefix: 'errorTracking.web',
    });
    this.web.deployment.addJsonPatch(
      JsonPatch.add('/spec/template/spec/initContainers', [waitForSchema(props.setupResources, props.web.pool)]),
    );
    this.postgres.client(this.web.deployment, { role: DB_ROLE, ...pool(props.web.pool), env: POOL_ENV });

    const workerName = `${name}-worker`;
    const workerLabels = componentLabels({ name: workerName, partOf: props.partOf, component: 'error-tracker' });
    this.workerComponent = { name: workerName, podLabels: selectorLabels({ name: workerName, partOf: props.partOf }), ports: {} };
    const probe = { exec: ['python', `${SCRIPTS_DIR}/${PROBE_SCRIPT}`], timeoutSeconds: 10 };
    const workerRw = writableVolumes('app', [{ path: '/tmp', sizeLimit: '256Mi' }]);
    this.worker = new k8s.KubeDeployment(this, 'worker', {
      metadata: { name: workerName, namespace: props.namespace, labels: workerLabels },
      spec: {
        replicas: 1,
        revisionHistoryLimit: 5,
        selector: { matchLabels: { ...this.workerComponent.podLabels } },
        // Never two schedulers at once (each would enqueue the periodic tasks).
        strategy: { type: 'Recreate' },
        template: renderPodTemplate({
          labels: workerLabels,
          selector: this.workerComponent.podLabels,
          runAs: { user: GLITCHTIP_UID },
          initContainers: [waitForSchema(props.setupResources, props.worker.pool)],
          containers: [
            renderContainer({
              name: 'worker',
              image: props.image,
              runAs: { user: GLITCHTIP_UID },
              resources: props.worker.resources,
              command: ['./bin/run-worker.sh'],
              env: {
                ...common.env,
                GLITCHTIP_PROBE_TARGETS: `${this.redis.host}:${this.redis.port},${this.postgres.host}:${this.postgres.port}`,
              },
              secretEnv: common.secretEnv,
              // GlitchTip's worker has no health endpoint: the probe checks it can reach its queue and database.
              readiness: { ...probe, periodSeconds: 30, failureThreshold: 3 },
              liveness: { ...probe, periodSeconds: 30, failureThreshold: 6 },
              volumeMounts: [...workerRw.mounts, scriptsMount],
            }),
          ],
          volumes: [...workerRw.volumes, scriptsVolume],
          spreadAcrossZones: false,
          terminationGracePeriodSeconds: 60,
        }),
      },
    });
    this.postgres.client(this.worker, { role: DB_ROLE, ...pool(props.worker.pool), env: POOL_ENV });

    const setupName = `${name}-setup`;
    const setupLabels = componentLabels({ name: setupName, partOf: props.partOf, component: 'error-tracker' });
    this.setupComponent = { name: setupName, podLabels: selectorLabels({ name: setupName, partOf: props.partOf }), ports: {} };
    const setupRw = writableVolumes('app', [{ path: '/tmp', sizeLimit: '256Mi' }]);
    const setupEnv = {
      ...common.env,
      GLITCHTIP_ORGANIZATION_SLUG: props.organization.slug,
      GLITCHTIP_ORGANIZATION_NAME: props.organization.name,
      GLITCHTIP_PROJECTS: props.projects.map((p) => `${p.slug}:${p.id}`).join(','),
      GLITCHTIP_ADMIN_EMAIL: props.admin.email,
    };
    const setupSecretEnv = {
      ...common.secretEnv,
      GLITCHTIP_ADMIN_PASSWORD: props.admin.password,
      ...Object.fromEntries(props.projects.map((p) => [projectKeyEnv(p.slug), p.publicKey])),
    };
    const template = renderPodTemplate({
      labels: setupLabels,
      selector: this.setupComponent.podLabels,
      runAs: { user: GLITCHTIP_UID },
      initContainers: [
        renderContainer({
          name: 'migrate',
          image: props.image,
          runAs: { user: GLITCHTIP_UID },
          resources: props.setupResources,
          // GlitchTip's own migration step: migrate, the cache table, the event partitions.
          command: ['./bin/run-migrate.sh'],
          env: { ...common.env, ...poolEnv({ maxSize: 1, minIdle: 0 }) },
          secretEnv: common.secretEnv,
          volumeMounts: [...setupRw.mounts],
        }),
      ],
      containers: [
        renderContainer({
          name: 'setup',
          image: props.image,
          runAs: { user: GLITCHTIP_UID },
          resources: props.setupResources,
          command: ['python', `${SCRIPTS_DIR}/${SETUP_SCRIPT}`],
          env: { ...setupEnv, ...poolEnv({ maxSize: 1, minIdle: 0 }) },
          secretEnv: setupSecretEnv,
          volumeMounts: [...setupRw.mounts, scriptsMount],
        }),
      ],
      volumes: [...setupRw.volumes, scriptsVolume],
      restartPolicy: 'Never',
    });
    if (setupName.length > MAX_HASHED_JOB_BASE_NAME)
      throw new Error(
        `${where}: name '${name}' makes the setup Job name too long; expected at most ${MAX_HASHED_JOB_BASE_NAME - 6} characters`,
      );
    this.setupJob = syncHookJob(this, 'setup', {
      name: contentHashedName(setupName, { template, setup: errorTrackerSetupScript() }),
      namespace: props.namespace,
      labels: setupLabels,
      template,
      // The first attempts fail while PostgreSQL starts; the steps converge, so retries are safe.
      backoffLimit: 10,
      activeDeadlineSeconds: 1800,
      ttlSecondsAfterFinished: 86400,
    });
  }

  /** The web Service's cluster DNS name. */
  public get host(): string {
    return this.web.host;
  }

  /**
   * What an app needs to send errors to project `slug`: `SENTRY_DSN` composed by Kubernetes from
   * the project's key (`http://$(ERROR_TRACKING_DSN_KEY)@<web host>:8000/<id>`), no value rendered.
   * @throws Error naming the slug when the tracker has no such project.
   */
  public dsnEnv(slug: string): ErrorTrackerDsnEnv {
    const project = this.projects.get(slug);
    if (!project)
      throw new Error(`ErrorTracker '${this.name}': project '${slug}'; expected one of ${[...this.projects.keys()].join(', ')}`);
    return {
      env: { SENTRY_DSN: `http://$(${DSN_KEY_ENV})@${this.web.host}:${ERROR_TRACKER_PORT}/${project.id}` },
      secretEnv: { [DSN_KEY_ENV]: project.publicKey },
    };
  }

  /**
   * Adds GlitchTip to a service graph: web, worker and setup reach its PostgreSQL and Redis, the
   * stores' own pods (reconcile) theirs. Who may send events is the caller's: {@link allowClient}.
   */
  public addToGraph(graph: ServiceGraph): void {
    this.postgres.addToGraph(graph);
    graph.addComponent(this.redis);
    graph.addComponent(this.web);
    graph.addComponent(this.workerComponent);
    graph.addComponent(this.setupComponent);
    for (const from of [this.web, this.workerComponent, this.setupComponent]) {
      graph.allow(from, this.postgres, 'postgres');
      graph.allow(from, this.redis, 'redis');
    }
  }

  /** Lets `client` send events to the web Service (port 8000). */
  public allowClient(graph: ServiceGraph, client: GraphComponent | string): void {
    graph.allow(client, this.web, 'http');
  }

  /**
   * The environment web, worker and setup share: the database and Redis URLs with their passwords
   * interpolated from Secret-backed variables, Django's secret key, the public URL, mail sender,
   * registration off.
   */
  private commonEnv(props: ErrorTrackerProps): { env: Record<string, string>; secretEnv: Record<string, SecretKeyRef> } {
    return {
      env: {
        // `$(VAR)` is expanded by Kubernetes from the Secret-backed variables below (they sort first).
        DATABASE_URL: `postgres://${DB_ROLE}:$(DATABASE_PASSWORD)@${this.postgres.host}:${this.postgres.port}/${DB_NAME}`,
        // Persistent connections are pooled (the pool's size is DATABASE_POOL_MAX_SIZE per process).
        DATABASE_CONN_MAX_AGE: '0',
        // GlitchTip 6 reads VALKEY_URL (REDIS_URL is its older name).
        VALKEY_URL: `redis://:$(REDIS_PASSWORD)@${this.redis.host}:${this.redis.port}/0`,
        GLITCHTIP_DOMAIN: props.url,
        DEFAULT_FROM_EMAIL: props.fromEmail,
        // No e-mail server in the stack: GlitchTip logs mails instead of failing to send them.
        EMAIL_URL: 'consolemail://',
        ENABLE_USER_REGISTRATION: 'false',
        ENABLE_ORGANIZATION_CREATION: 'false',
        GRANIAN_WORKERS: '1',
        HOME: '/tmp',
        PYTHONDONTWRITEBYTECODE: '1',
      },
      secretEnv: {
        DATABASE_PASSWORD: props.postgres.appPassword,
        REDIS_PASSWORD: props.redis.password,
        SECRET_KEY: props.secretKey,
      },
    };
  }
}

/** GlitchTip's pool variables (Django's pool of `django.db.backends.postgresql`). */
const POOL_ENV = { maxSize: 'DATABASE_POOL_MAX_SIZE', minIdle: 'DATABASE_POOL_MIN_SIZE' } as const;

function pool(p: ErrorTrackerPool): { poolSize: number; minIdle: number } {
  return { poolSize: p.maxSize, minIdle: p.minIdle };
}

/** The pool variables of a short-lived process (init containers, the setup Job): not counted by the budget check, set explicitly. */
function poolEnv(p: ErrorTrackerPool): Record<string, string> {
  return { [POOL_ENV.maxSize]: String(p.maxSize), [POOL_ENV.minIdle]: String(p.minIdle) };
}

function validate(name: string, p: ErrorTrackerProps): void {
  const where = `ErrorTracker '${name}'`;
  if (!dnsLabel.test(name) || name.length > 40)
    throw new Error(`${where}: name '${name}'; expected a DNS label of at most 40 characters (it prefixes every object)`);
  if (!pinnedImage.test(p.image)) throw new Error(`${where}: image '${p.image}'; expected ${pinnedImage.expected}`);
  if (!urlFormat.test(p.url)) throw new Error(`${where}: url '${p.url}'; expected ${urlFormat.expected}`);
  if (!emailFormat.test(p.fromEmail)) throw new Error(`${where}: fromEmail '${p.fromEmail}'; expected ${emailFormat.expected}`);
  if (!emailFormat.test(p.admin.email)) throw new Error(`${where}: admin.email '${p.admin.email}'; expected ${emailFormat.expected}`);
  if (!/^[a-z0-9]([a-z0-9-]{0,48}[a-z0-9])?$/.test(p.organization.slug))
    throw new Error(`${where}: organization.slug '${p.organization.slug}'; expected lowercase letters, digits and hyphens`);
  if (!Number.isInteger(p.web.replicas) || p.web.replicas < 1)
    throw new Error(`${where}: web.replicas ${JSON.stringify(p.web.replicas)}; expected an integer >= 1`);
  validateResources(`${where}: setupResources`, p.setupResources);
  for (const [field, pl] of [
    ['web.pool', p.web.pool],
    ['worker.pool', p.worker.pool],
  ] as const) {
    if (!Number.isInteger(pl.maxSize) || pl.maxSize < 1)
      throw new Error(`${where}: ${field}.maxSize ${JSON.stringify(pl.maxSize)}; expected an integer >= 1`);
    if (!Number.isInteger(pl.minIdle) || pl.minIdle < 0 || pl.minIdle > pl.maxSize)
      throw new Error(`${where}: ${field}.minIdle ${JSON.stringify(pl.minIdle)}; expected an integer from 0 to maxSize (${pl.maxSize})`);
  }
  if (p.projects.length === 0) throw new Error(`${where}: projects is empty; expected at least one project`);
  const slugs = new Set<string>();
  const ids = new Set<number>();
  p.projects.forEach((project, i) => {
    if (!/^[a-z0-9]([a-z0-9-]{0,48}[a-z0-9])?$/.test(project.slug))
      throw new Error(`${where}: projects[${i}].slug '${project.slug}'; expected lowercase letters, digits and hyphens`);
    if (!Number.isInteger(project.id) || project.id < 1)
      throw new Error(`${where}: projects[${i}].id ${JSON.stringify(project.id)}; expected an integer >= 1`);
    if (slugs.has(project.slug)) throw new Error(`${where}: projects[${i}].slug '${project.slug}' is used twice; expected unique slugs`);
    if (ids.has(project.id)) throw new Error(`${where}: projects[${i}].id ${project.id} is used twice; expected unique ids`);
    slugs.add(project.slug);
    ids.add(project.id);
  });
}
