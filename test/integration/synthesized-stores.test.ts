/**
 * Everything the project synthesizes, run with the real tools (issue 3, checks 6 and 7).
 *
 * The whole project is synthesized in memory as main.ts does it (one App per environment of
 * config/index.ts ENVIRONMENTS: the platform chart plus every stack of charts/index.ts STACKS).
 * The data stores are found by walking the construct tree (PostgresDatabase, RedisCache,
 * DatabaseBackup), and every config file and script comes FROM THE SYNTHESIZED OBJECTS (the
 * ConfigMaps mounted into the StatefulSets and CronJobs, resolved through the pod specs' volume
 * mounts; env from the pod specs). Nothing here names a stack, a store or a role: a new stack, or
 * a new store in an existing stack, is covered without new test code.
 *
 * - PostgreSQL 15 (local): a throwaway server per distinct store with the synthesized
 *   postgresql.conf and pg_hba.conf and the StatefulSet's POSTGRES_INITDB_ARGS, the init scripts
 *   of /docker-entrypoint-initdb.d run the way the official image's entrypoint runs them, then the
 *   database must hold EXACTLY what the construct declares (schemas, extensions, roles with their
 *   limits and attributes) and every role must have exactly its access.
 * - Redis: the synthesized redis.conf through the synthesized start script: auth, persistence,
 *   memory policy as declared, data surviving a restart from the AOF.
 * - nginx: every nginx config in any ConfigMap of any environment passes `nginx -t`.
 * - Backups: each DatabaseBackup's CronJob pod (dump + upload) against a seeded store and a local
 *   S3 (s3rver + the real aws CLI), then its restore pod into a FRESH instance/data dir; a
 *   corrupted upload is refused by the integrity check before the target is touched. Pods run
 *   container by container (initContainers, then containers), each with its own script (from the
 *   ConfigMap its command names through its mounts) and env. The drills run side by side in the
 *   background (the aws CLI costs about a second per call) and the tests await their steps.
 *
 * Local stand-ins, and only these (each is said again where it happens):
 * - Secret values: generated per (Secret, key), the same value wherever the same key is referenced
 *   (StatefulSet, CronJobs), with quotes, `$`, a backslash and spaces in them. S3 credentials are
 *   s3rver's, and prod's IRSA (no credentials, no endpoint) gets s3rver's endpoint and credentials.
 * - Network: cluster DNS names of the stores (`<name>.<ns>.svc.cluster.local`) become 127.0.0.1 and
 *   their ports the local servers' ports; PostgreSQL listens on 127.0.0.1 on a free port with its
 *   socket in a temp dir, Redis gets `--bind 127.0.0.1 --port <free>`.
 * - Paths: the pod's mount paths (ConfigMap volumes, emptyDirs, the data PVC) are directories in a
 *   temp dir; mount paths named in env values, container commands and mounted files are rewritten.
 * - TLS: the PostgreSQL certificate (a cert-manager Certificate's Secret) is a test CA and a server
 *   certificate for localhost/127.0.0.1 (test/support/postgres-server.ts testTlsFiles), mounted
 *   where the pods mount the Secret; clients still verify it (`sslmode=verify-full`).
 * - Server-side encryption: s3rver has none, so the uploads' S3_SSE, S3_SSE_KMS_ID and
 *   REQUIRE_SSE are dropped (test/backup-upload-sse.test.ts runs them against a recording aws).
 * - Tools: this machine's PostgreSQL 15, Redis 7.0, aws CLI 2, nginx-light (the images run
 *   PostgreSQL 15/16, Redis 7.2, aws-cli and nginx-unprivileged).
 *
 * MongoDB and MinIO cannot be installed here: their stacks' backups are checked to run exactly the
 * scripts test/integration/mongodb-backup.test.ts drills with stand-in tools, and the servers are
 * counted as covered by their own suites (named in the coverage test below).
 *
 * Runtime: stores are deduplicated by the content hash of what would run (config files, init
 * scripts, container env, declaration), drills by the hash of their CronJobs, scripts and store,
 * nginx configs by content; the test names list the environment/stack occurrences each hash
 * covers. The corrupt-dump refusal runs once per distinct restore program (containers, commands,
 * scripts). Access checks batch their statements per role and session (synth_probe.try).
 */
import { spawn, spawnSync, SpawnSyncReturns } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Chart, Testing } from 'cdk8s';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import type { IVolumeMount } from 'kubernetes-models/v1/VolumeMount';
import { ENVIRONMENTS, loadEnvironment } from '../../config';
import { MongoDbBackupEngine } from '../../lib/constructs/backup/mongodb-backup-engine';
import { PostgresBaseBackupEngine } from '../../lib/constructs/backup/postgres-base-backup-engine';
import { MongoDatabase } from '../../lib/constructs/data/mongodb-database';
import { MinioServer } from '../../lib/constructs/storage/minio-server';
import { ElasticsearchCluster } from '../../lib/constructs/search/elasticsearch-cluster';
import { PostgresStandby, REPLICATION_CONNECTION_LIMIT } from '../../lib/constructs/data/postgres-replication';
import { STACKS } from '../../charts';
import { PlatformChart } from '../../charts/platform';
import {
  backupFileNamePattern,
  postgresRestoreScript,
  redisRestoreScript,
  s3DownloadScript,
} from '../../lib/constructs/backup/backup-scripts';
import { DatabaseBackup } from '../../lib/constructs/backup/database-backup';
import { quoteIdent, quoteLiteral } from '../../lib/constructs/data/postgres-config';
import { PostgresDatabase, PostgresDatabaseDeclaration } from '../../lib/constructs/data/postgres-database';
import { RedisCache } from '../../lib/constructs/data/redis-cache';
import { StatefulStore } from '../../lib/constructs/data/stateful-store';
import {
  freePort,
  PostgresServer,
  PsqlResult,
  requirePostgresTools,
  runAsPostgres,
  startPostgres,
  testTlsFiles,
} from '../support/postgres-server';
import { launchRedis, RedisServer, requireRedisTools } from '../support/redis-server';
import { awsClientEnv, LocalS3, requireAwsCli, S3RVER_CREDENTIALS, startS3rver, listKeysArgs, parseKeyList } from '../support/s3-server';
import { findTool } from '../support/tools';
import { Doc } from '../support/doc';

// =============================================================================================
// Synthesis: the whole project, in memory, as main.ts builds it
// =============================================================================================

/** A k8s object as synthesized (JSON): the envelope is typed, the pod specs inside are read with {@link podSpecOf}. */
type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [field: string]: Doc };

interface SynthesizedChart {
  /** Environment name (config/index.ts ENVIRONMENTS key). */
  readonly env: string;
  /** Chart id: a stack name, or `platform`. */
  readonly id: string;
  readonly chart: Chart;
  readonly objects: readonly K8sObject[];
}

function synthesizeProject(): SynthesizedChart[] {
  const charts: SynthesizedChart[] = [];
  for (const [envName, raw] of Object.entries(ENVIRONMENTS)) {
    const env = loadEnvironment(raw, `config/${envName}.ts`);
    const app = new App();
    const built: Array<{ id: string; chart: Chart }> = [{ id: 'platform', chart: new PlatformChart(app, 'platform', { env }) }];
    for (const stack of STACKS) built.push({ id: stack.name, chart: stack.create(app, stack.name, env) });
    for (const { id, chart } of built) charts.push({ env: envName, id, chart, objects: Testing.synth(chart) as K8sObject[] });
  }
  return charts;
}

const CHARTS = synthesizeProject();

// =============================================================================================
// Reading the synthesized objects
// =============================================================================================

const sha = (value: unknown): string =>
  createHash('sha256')
    .update(typeof value === 'string' ? value : JSON.stringify(value))
    .digest('hex');
const short = (hash: string): string => hash.slice(0, 10);
const occurrences = (where: readonly string[]): string => `[${where.join(', ')}]`;

function findObject(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found)
    throw new Error(
      `${kind}/${name} is not in the synthesized chart (objects: ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')})`,
    );
  return found;
}

function podSpecOf(o: K8sObject): IPodSpec {
  if (o.kind === 'CronJob') return o.spec.jobTemplate.spec.template.spec;
  if (['StatefulSet', 'Deployment', 'Job', 'DaemonSet'].includes(o.kind)) return o.spec.template.spec;
  throw new Error(`${o.kind}/${o.metadata.name} has no pod template`);
}

/** The container of a pod that exposes `port`. */
function containerWithPort(pod: IPodSpec, port: number, owner: string): IContainer {
  const c = pod.containers.find((x) => (x.ports ?? []).some((p) => p.containerPort === port));
  if (!c) throw new Error(`${owner}: no container exposes port ${port}`);
  return c;
}

/** Files of a ConfigMap volume as mounted: relative path -> { content, mode }. */
function configMapVolumeFiles(objects: readonly K8sObject[], volume: IVolume): Map<string, { content: string; mode: number }> {
  const source = volume.configMap;
  if (!source?.name) throw new Error(`volume ${volume.name} is not a volume of a named ConfigMap`);
  const cm = findObject(objects, 'ConfigMap', source.name);
  const data: Record<string, string> = cm.data ?? {};
  const defaultMode: number = source.defaultMode ?? 0o644;
  const files = new Map<string, { content: string; mode: number }>();
  if (source.items) {
    for (const item of source.items) {
      if (!(item.key in data)) throw new Error(`ConfigMap ${cm.metadata.name} has no key ${item.key}`);
      files.set(item.path, { content: data[item.key], mode: item.mode ?? defaultMode });
    }
  } else {
    for (const [key, content] of Object.entries(data)) files.set(key, { content, mode: defaultMode });
  }
  return files;
}

/** The mount of `container` that holds absolute path `p` (longest mount path wins), and the rest of the path. */
function mountFor(container: IContainer, p: string): { mount: IVolumeMount; rest: string } | undefined {
  let best: { mount: IVolumeMount; rest: string } | undefined;
  for (const m of container.volumeMounts ?? []) {
    const mp = String(m.mountPath).replace(/\/+$/, '');
    if (p === mp || p.startsWith(`${mp}/`)) {
      if (!best || mp.length > best.mount.mountPath.replace(/\/+$/, '').length)
        best = { mount: m, rest: p.slice(mp.length).replace(/^\//, '') };
    }
  }
  return best;
}

/** The ConfigMap files mounted into `container` under directory `dir` (empty when nothing is mounted there). */
function mountedConfigFiles(
  objects: readonly K8sObject[],
  pod: IPodSpec,
  container: IContainer,
  dir: string,
): Map<string, { content: string; mode: number }> {
  const found = mountFor(container, dir);
  if (!found) return new Map();
  const volume = (pod.volumes ?? []).find((v) => v.name === found.mount.name);
  if (!volume?.configMap) return new Map();
  const prefix = [found.mount.subPath, found.rest].filter(Boolean).join('/');
  const out = new Map<string, { content: string; mode: number }>();
  for (const [rel, f] of configMapVolumeFiles(objects, volume)) {
    if (!prefix) out.set(rel, f);
    else if (rel.startsWith(`${prefix}/`)) out.set(rel.slice(prefix.length + 1), f);
  }
  return out;
}

/** One file mounted into `container` from a ConfigMap, by its absolute path in the container. */
function mountedConfigFile(objects: readonly K8sObject[], pod: IPodSpec, container: IContainer, file: string): string {
  const found = mountFor(container, file);
  const volume = found && (pod.volumes ?? []).find((v) => v.name === found.mount.name);
  if (!found || !volume?.configMap) throw new Error(`container ${container.name}: ${file} is not in a ConfigMap volume`);
  const rel = [found.mount.subPath, found.rest].filter(Boolean).join('/');
  const f = configMapVolumeFiles(objects, volume).get(rel);
  if (!f) throw new Error(`container ${container.name}: ${file} is not in ConfigMap ${volume.configMap.name}`);
  return f.content;
}

// =============================================================================================
// Local stand-ins for Secret values
// =============================================================================================

/**
 * A value per (Secret, key), the same wherever it is referenced. Values carry a quote, a double
 * quote, `$`, a backslash and spaces: they must reach SCRAM, requirepass and the tools unchanged.
 * The S3 credentials are s3rver's (the only ones it accepts).
 */
class LocalSecrets {
  private readonly values = new Map<string, string>();

  value(secret: string, key: string, envName: string): string {
    if (envName === 'AWS_ACCESS_KEY_ID') return S3RVER_CREDENTIALS.accessKeyId;
    if (envName === 'AWS_SECRET_ACCESS_KEY') return S3RVER_CREDENTIALS.secretAccessKey;
    const id = `${secret}/${key}`;
    let v = this.values.get(id);
    if (v === undefined) {
      v = `${key.toLowerCase()}-${sha(id).slice(0, 8)} 'q' "d" $HOME \\b`;
      this.values.set(id, v);
    }
    return v;
  }

  /** Every value handed out so far (none may appear in any output). */
  all(): string[] {
    return [...this.values.values()];
  }
}

const SECRETS = new LocalSecrets();

/** A container's env as the kubelet would give it, with the local Secret values. */
function containerEnv(objects: readonly K8sObject[], container: IContainer): Record<string, string> {
  if (container.envFrom?.length)
    throw new Error(`container ${container.name}: envFrom is not reproduced by this suite; extend containerEnv()`);
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = String(e.value);
    else if (e.valueFrom?.secretKeyRef)
      env[e.name] = SECRETS.value(e.valueFrom.secretKeyRef.name ?? '', e.valueFrom.secretKeyRef.key, e.name);
    else if (e.valueFrom?.configMapKeyRef) {
      const cm = findObject(objects, 'ConfigMap', e.valueFrom.configMapKeyRef.name ?? '');
      env[e.name] = cm.data[e.valueFrom.configMapKeyRef.key];
    } else if (e.valueFrom === undefined) env[e.name] = '';
    else throw new Error(`container ${container.name}: env ${e.name} is ${JSON.stringify(e.valueFrom)}; not reproduced by this suite`);
  }
  return env;
}

/** The declared env of a container (names, values, Secret references), for content hashes. */
const declaredEnv = (container: IContainer) => (container.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]);

/** Replaces the port number `from` (as a whole number) in a probe or command argument. */
const replacePort = (text: string, from: number, to: number) => text.replace(new RegExp(`(?<![0-9])${from}(?![0-9])`, 'g'), String(to));

function expectNoSecretIn(text: string, what: string): void {
  for (const value of SECRETS.all()) {
    if (text.includes(value)) throw new Error(`${what} contains the value of a Secret`);
  }
}

// =============================================================================================
// The stores and backups of the synthesized project, deduplicated
// =============================================================================================

interface PostgresUnit {
  readonly key: string;
  readonly where: string[];
  readonly db: PostgresDatabase;
  readonly objects: readonly K8sObject[];
  readonly statefulSet: K8sObject;
  readonly container: IContainer;
  readonly postgresqlConf: string;
  readonly pgHba: string;
  /** /docker-entrypoint-initdb.d, as mounted. */
  readonly initFiles: Map<string, { content: string; mode: number }>;
  readonly drills: Drill[];
}

interface RedisUnit {
  readonly key: string;
  readonly where: string[];
  readonly cache: RedisCache;
  readonly objects: readonly K8sObject[];
  readonly statefulSet: K8sObject;
  readonly container: IContainer;
  readonly drills: Drill[];
}

interface Drill {
  readonly key: string;
  readonly where: string[];
  /** The environment whose local S3 this drill uses. */
  readonly env: string;
  readonly backup: DatabaseBackup;
  readonly objects: readonly K8sObject[];
  readonly cronJob: K8sObject;
  readonly restoreCronJob?: K8sObject;
  /** Hash of what the restore runs (containers, commands, scripts): the corrupt-dump refusal runs once per distinct restore. */
  readonly restoreProgram: string;
}

const PG_UNITS: PostgresUnit[] = [];
/** MongoDB backups of the stacks (drilled by mongodb-backup.test.ts; here: same scripts). */
/** PITR base backups of the stacks (drilled by postgres-pitr.test.ts), as `<env>/<chart> <construct path>`. */
const PITR_BASE_BACKUPS: string[] = [];
const MONGO_BACKUPS: Array<{ where: string; backup: DatabaseBackup; engine: MongoDbBackupEngine; objects: readonly K8sObject[] }> = [];
const REDIS_UNITS: RedisUnit[] = [];

function unitFor<T extends { key: string; where: string[] }>(units: T[], key: string, where: string, make: () => T): T {
  const existing = units.find((u) => u.key === key);
  if (existing) {
    existing.where.push(where);
    return existing;
  }
  const unit = make();
  units.push(unit);
  return unit;
}

/** config_file= / hba_file= from the server's command line (`-c name=value`). */
function serverArg(container: IContainer, name: string, owner: string): string {
  const args: string[] = [...(container.command ?? []), ...(container.args ?? [])];
  for (let i = 0; i < args.length; i++) {
    const a =
      args[i] === '-c'
        ? args[i + 1]
        : args[i].startsWith('-c')
          ? args[i].slice(2)
          : args[i].startsWith('--')
            ? args[i].slice(2)
            : undefined;
    if (a && a.startsWith(`${name}=`)) return a.slice(name.length + 1);
  }
  throw new Error(`${owner}: the postgres command line sets no ${name}; this suite starts PostgreSQL with the synthesized files it names`);
}

for (const { env, id, chart, objects } of CHARTS) {
  const where = `${env}/${id}`;
  const constructs = chart.node.findAll();
  const storeUnits = new Map<StatefulStore, PostgresUnit | RedisUnit>();
  for (const c of constructs) {
    if (c instanceof PostgresDatabase) {
      const statefulSet = findObject(objects, 'StatefulSet', c.statefulSet.name);
      const pod = podSpecOf(statefulSet);
      const container = containerWithPort(pod, c.port, `StatefulSet ${c.statefulSet.name}`);
      const postgresqlConf = mountedConfigFile(
        objects,
        pod,
        container,
        serverArg(container, 'config_file', `StatefulSet ${c.statefulSet.name}`),
      );
      const pgHba = mountedConfigFile(objects, pod, container, serverArg(container, 'hba_file', `StatefulSet ${c.statefulSet.name}`));
      const initFiles = mountedConfigFiles(objects, pod, container, '/docker-entrypoint-initdb.d');
      const key = sha({ postgresqlConf, pgHba, init: [...initFiles], env: declaredEnv(container), declaration: c.declaration });
      storeUnits.set(
        c,
        unitFor(PG_UNITS, key, where, () => ({
          key,
          where: [where],
          db: c,
          objects,
          statefulSet,
          container,
          postgresqlConf,
          pgHba,
          initFiles,
          drills: [],
        })),
      );
    } else if (c instanceof RedisCache) {
      const statefulSet = findObject(objects, 'StatefulSet', c.statefulSet.name);
      const pod = podSpecOf(statefulSet);
      const container = containerWithPort(pod, c.port, `StatefulSet ${c.statefulSet.name}`);
      const configs = (pod.volumes ?? []).filter((v) => v.configMap).map((v) => [...configMapVolumeFiles(objects, v)]);
      const key = sha({
        pod: { containers: pod.containers.map((x) => ({ ...x, env: declaredEnv(x) })) },
        configs,
        declaration: c.declaration,
      });
      storeUnits.set(
        c,
        unitFor(REDIS_UNITS, key, where, () => ({ key, where: [where], cache: c, objects, statefulSet, container, drills: [] })),
      );
    }
  }
  for (const c of constructs) {
    if (!(c instanceof DatabaseBackup)) continue;
    if (c.engine instanceof MongoDbBackupEngine) {
      // No MongoDB server can run here: test/integration/mongodb-backup.test.ts drills the engine's
      // scripts with stand-in tools. This suite checks the stack runs exactly those scripts.
      MONGO_BACKUPS.push({ where, backup: c, engine: c.engine, objects });
      continue;
    }
    // Physical base backups (point-in-time recovery) restore through the PITR restore CronJob, not a
    // dump restore: test/integration/postgres-pitr.test.ts drills them on a real PostgreSQL, with WAL.
    if (c.engine instanceof PostgresBaseBackupEngine) {
      PITR_BASE_BACKUPS.push(`${where} ${c.node.path}`);
      continue;
    }
    const cronJob = findObject(objects, 'CronJob', c.cronJob.name);
    const restoreCronJob = c.restoreCronJob ? findObject(objects, 'CronJob', c.restoreCronJob.name) : undefined;
    // The store a backup dumps: the one whose cluster DNS name its containers' env names.
    const hosts = new Set(
      [...(podSpecOf(cronJob).initContainers ?? []), ...podSpecOf(cronJob).containers].flatMap((x) => (x.env ?? []).map((e) => e.value)),
    );
    const stores = [...storeUnits.keys()].filter((s) => hosts.has(s.host));
    if (stores.length !== 1) {
      throw new Error(
        `${where}: backup ${c.node.path} names ${stores.length} PostgresDatabase/RedisCache host(s) of its chart in its env (${stores.map((s) => s.host).join(', ')}); ` +
          'expected exactly one (a backup of another kind of store needs a drill in this suite)',
      );
    }
    const unit = storeUnits.get(stores[0])!;
    const scripts = (o: K8sObject | undefined) =>
      o && (podSpecOf(o).volumes ?? []).filter((v) => v.configMap).map((v) => [...configMapVolumeFiles(objects, v)]);
    const program = (o: K8sObject | undefined) =>
      o && [...(podSpecOf(o).initContainers ?? []), ...podSpecOf(o).containers].map((x) => [x.name, x.command, x.args]);
    const restoreProgram = sha({ engine: c.engine.name, restore: program(restoreCronJob), scripts: scripts(restoreCronJob) });
    const key = sha({ store: unit.key, env, cronJob, restoreCronJob, scripts: [scripts(cronJob), scripts(restoreCronJob)] });
    const drills = unit.drills;
    unitFor(drills, key, where, () => ({ key, where: [where], env, backup: c, objects, cronJob, restoreCronJob, restoreProgram }));
  }
}

// =============================================================================================
// Tools, work dir, local S3 per environment
// =============================================================================================

const NGINX_INSTALL_HINT =
  'nginx is required: apt-get update && apt-get install -y nginx-light (Debian; installs /usr/sbin/nginx), or set $NGINX';
const UNSHARE_INSTALL_HINT =
  'unshare (util-linux) and root (or CAP_SYS_ADMIN) are required to give nginx -t a private /etc/hosts and /tmp: apt-get install -y util-linux';

let workDir: string;
/** PATH for the scripts: aws, the PostgreSQL and Redis client tools, coreutils. */
let toolsPath: string;
let nginx: string;
let unshare: string;
let awsCli: string;
const localS3 = new Map<string, LocalS3>();
const cleanups: Array<() => Promise<void> | void> = [];

function scratch(name: string): string {
  const dir = fs.mkdtempSync(path.join(workDir, `${name.replace(/[^A-Za-z0-9_-]+/g, '-')}-`));
  fs.chmodSync(dir, 0o755);
  return dir;
}

beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthesized-stores-'));
  fs.chmodSync(workDir, 0o755);
  // Every tool is checked up front: a missing one FAILS the suite with how to install it.
  const pg = requirePostgresTools();
  const redis = requireRedisTools();
  try {
    nginx = findTool('nginx', NGINX_INSTALL_HINT);
  } catch (e) {
    if (process.env.NGINX || !fs.existsSync('/usr/sbin/nginx')) throw e;
    nginx = '/usr/sbin/nginx'; // Debian's nginx is often not on a user's PATH
  }
  unshare = findTool('unshare', UNSHARE_INSTALL_HINT);
  awsCli = requireAwsCli();
  const binDir = scratch('bin');
  fs.symlinkSync(awsCli, path.join(binDir, 'aws'));
  toolsPath = [
    ...new Set([
      binDir,
      path.dirname(pg.pg_dump),
      path.dirname(pg.psql),
      path.dirname(redis.redisCli),
      path.dirname(redis.redisCheckRdb),
      '/usr/sbin',
      '/usr/bin',
      '/sbin',
      '/bin',
    ]),
  ].join(':');
  // One S3 per environment (as dev's LocalStack and prod's account are separate), with the buckets its CronJobs use.
  const buckets = new Map<string, Set<string>>();
  for (const d of [...PG_UNITS, ...REDIS_UNITS].flatMap((u) => u.drills)) {
    for (const o of [d.cronJob, d.restoreCronJob].filter((x): x is K8sObject => !!x)) {
      for (const c of [...(podSpecOf(o).initContainers ?? []), ...podSpecOf(o).containers]) {
        const bucket = (c.env ?? []).find((e) => e.name === 'S3_BUCKET')?.value;
        if (bucket) buckets.set(d.env, new Set([...(buckets.get(d.env) ?? []), bucket]));
      }
    }
  }
  for (const [env, names] of buckets) {
    const s3 = await startS3rver(scratch(`s3-${env}`), [...names]);
    localS3.set(env, s3);
    cleanups.push(() => s3.stop());
  }
});

afterAll(async () => {
  const errors: unknown[] = [];
  for (const c of cleanups.reverse()) {
    try {
      await c();
    } catch (e) {
      errors.push(e);
    }
  }
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  if (errors.length > 0) throw new Error(`cleanup failed: ${errors.map(String).join('; ')}`);
});

// =============================================================================================
// Running pods' containers locally
// =============================================================================================

/** Volume name -> local directory of one pod. */
type PodVolumes = Map<string, string>;

/** Maps mount paths of `container` inside `text` (env values, command args, mounted files) to the pod's local dirs, in one pass. */
function localizePaths(container: IContainer, volumes: PodVolumes, text: string): string {
  const targets = new Map<string, string>();
  for (const m of container.volumeMounts ?? []) {
    const dir = volumes.get(m.name);
    if (dir) targets.set(m.mountPath.replace(/\/+$/, ''), path.join(dir, m.subPath ?? ''));
  }
  if (targets.size === 0) return text;
  const alternatives = [...targets.keys()].sort((a, b) => b.length - a.length).map((mp) => mp.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return text.replace(new RegExp(`(?<![\\w./-])(${alternatives.join('|')})(?=[/\\s'";:]|$)`, 'gm'), (mp) => targets.get(mp)!);
}

/**
 * Materializes a pod's volumes in `root`: ConfigMap volumes as files (mount paths inside them
 * rewritten for `rewriteFor`, when given), emptyDirs and claims as empty dirs; `overrides` maps
 * a volume name to an existing dir (e.g. a data dir to restore into).
 */
function materializePod(
  objects: readonly K8sObject[],
  pod: IPodSpec,
  root: string,
  overrides: Record<string, string> = {},
  rewriteFor?: IContainer,
  claimNames: readonly string[] = [],
): PodVolumes {
  const volumes: PodVolumes = new Map();
  for (const name of [...claimNames, ...(pod.volumes ?? []).map((v) => v.name)]) {
    const dir = overrides[name] ?? path.join(root, `vol-${name}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.chmodSync(dir, 0o777);
    volumes.set(name, dir);
  }
  for (const v of pod.volumes ?? []) {
    if (overrides[v.name]) continue;
    if (v.configMap) {
      for (const [rel, f] of configMapVolumeFiles(objects, v)) {
        const file = path.join(volumes.get(v.name)!, rel);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, rewriteFor ? localizePaths(rewriteFor, volumes, f.content) : f.content);
        fs.chmodSync(file, f.mode);
      }
    } else if (v.secret) {
      // A cert-manager Certificate's Secret: the test CA and certificate stand in for it (header).
      const tls = testTlsFiles();
      const files: Record<string, string> = { 'ca.crt': tls.caFile, 'tls.crt': tls.certFile, 'tls.key': tls.keyFile };
      for (const item of v.secret.items ?? []) {
        if (!(item.key in files))
          throw new Error(
            `volume ${v.name}: Secret key ${item.key} is not reproduced by this suite (only ${Object.keys(files).join(', ')})`,
          );
        fs.copyFileSync(files[item.key], path.join(volumes.get(v.name)!, item.path));
      }
    } else if (!v.emptyDir && !v.persistentVolumeClaim) {
      throw new Error(`volume ${v.name} (${JSON.stringify(v)}) is not reproduced by this suite; extend materializePod()`);
    }
  }
  return volumes;
}

interface ProcResult {
  readonly status: number | null;
  /** stdout and stderr, interleaved as they came. */
  readonly output: string;
}

/** A child process, asynchronously: the drills run side by side while the aws CLI works. */
function spawnAsync(
  cmd: string,
  args: readonly string[],
  opts: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number },
): Promise<ProcResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, [...args], { env: opts.env, cwd: opts.cwd ?? workDir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 180_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ status: null, output: `${output}\n${e.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ status: code, output: signal ? `${output}\nkilled by ${signal}` : output });
    });
  });
}

interface ContainerRun extends ProcResult {
  readonly name: string;
}

interface PodRun {
  readonly runs: ContainerRun[];
  readonly volumes: PodVolumes;
  readonly ok: boolean;
  /** The first container that failed. */
  readonly failed?: ContainerRun;
}

/** How a pod's env becomes local (see the header): the stores' hosts and ports, S3, paths. */
interface LocalNetwork {
  /** Cluster DNS name of a store -> its cluster port and the local port. */
  readonly stores: ReadonlyMap<string, { port: number; localPort: number }>;
  readonly s3?: LocalS3;
}

function localEnv(
  objects: readonly K8sObject[],
  container: IContainer,
  volumes: PodVolumes,
  net: LocalNetwork,
  extra: Record<string, string>,
): NodeJS.ProcessEnv {
  const env = { ...containerEnv(objects, container), ...extra };
  const values = new Set(Object.values(env));
  for (const [name, value] of Object.entries(env)) {
    if (net.stores.has(value)) env[name] = '127.0.0.1';
    for (const [host, s] of net.stores) {
      if (values.has(host) && /PORT$/.test(name) && value === String(s.port)) env[name] = String(s.localPort);
    }
    env[name] = localizePaths(container, volumes, env[name]);
  }
  if (net.s3 && ('S3_BUCKET' in env || 'S3_ENDPOINT_URL' in env)) {
    // LocalStack in dev, Amazon S3 via IRSA in prod: both become the local s3rver.
    Object.assign(env, awsClientEnv(workDir, env.AWS_REGION || 'us-east-1'), { S3_ENDPOINT_URL: net.s3.endpoint });
    // s3rver implements no server-side encryption (test/backup-upload-sse.test.ts drills it).
    for (const name of ['S3_SSE', 'S3_SSE_KMS_ID', 'REQUIRE_SSE']) delete env[name];
  }
  return { ...env, PATH: toolsPath };
}

/**
 * Runs a pod's containers in order (initContainers, then containers) as the kubelet runs a Job
 * pod with restartPolicy Never: each with its own command, env and mounts; the first failure
 * ends the pod. Scripts run as the test's OS user (the images' uids do not exist here).
 */
async function runPod(
  objects: readonly K8sObject[],
  pod: IPodSpec,
  net: LocalNetwork,
  opts: { name: string; overrides?: Record<string, string>; envFor?: (container: IContainer) => Record<string, string> },
): Promise<PodRun> {
  const root = scratch(`pod-${opts.name}`);
  const volumes = materializePod(objects, pod, root, opts.overrides ?? {});
  const runs: ContainerRun[] = [];
  for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
    const argv: string[] = [...(container.command ?? []), ...(container.args ?? [])].map((a: string) =>
      localizePaths(container, volumes, a),
    );
    if (argv.length === 0) throw new Error(`container ${container.name} has no command: the image's entrypoint cannot be reproduced here`);
    const r = await spawnAsync(argv[0], argv.slice(1), {
      env: localEnv(objects, container, volumes, net, opts.envFor?.(container) ?? {}),
      cwd: root,
    });
    const run = { name: container.name, ...r };
    expectNoSecretIn(run.output, `the output of container ${container.name}`);
    runs.push(run);
    if (r.status !== 0) return { runs, volumes, ok: false, failed: run };
  }
  return { runs, volumes, ok: true };
}

function expectPodOk(run: PodRun, what: string): void {
  if (!run.ok) {
    throw new Error(
      `${what}: container ${run.failed!.name} exited ${run.failed!.status}\n${run.runs.map((r) => `--- ${r.name} (exit ${r.status})\n${r.output}`).join('\n')}`,
    );
  }
}

const containerNames = (pod: IPodSpec): string => [...(pod.initContainers ?? []), ...pod.containers].map((c) => c.name).join(' -> ');

async function aws(s3: LocalS3, args: string[]): Promise<string> {
  const r = await spawnAsync(awsCli, ['--endpoint-url', s3.endpoint, ...args], { env: { ...awsClientEnv(workDir), PATH: toolsPath } });
  if (r.status !== 0) throw new Error(`aws ${args.join(' ')} exited ${r.status}: ${r.output}`);
  return r.output;
}

async function s3Keys(s3: LocalS3, bucket: string, prefix: string): Promise<string[]> {
  return parseKeyList(await aws(s3, listKeysArgs(bucket, `${prefix}/`)));
}

/** Env value of the first container of a pod that sets `name`. */
function podEnvValue(o: K8sObject, name: string): string {
  for (const c of [...(podSpecOf(o).initContainers ?? []), ...podSpecOf(o).containers]) {
    const value = (c.env ?? []).find((x) => x.name === name && x.value !== undefined)?.value;
    if (value !== undefined) return value;
  }
  throw new Error(`no container of ${o.kind}/${o.metadata.name} sets ${name}`);
}

/** The volume where a backup pod's dump script wrote `latest-name` (the pod's shared scratch volume). */
function dumpDirOf(run: PodRun): string {
  const dir = [...run.volumes.values()].find((d) => fs.existsSync(path.join(d, 'latest-name')));
  if (!dir) throw new Error(`no volume of the backup pod holds latest-name (containers: ${run.runs.map((r) => r.name).join(', ')})`);
  return dir;
}

/** Names of the dumps of a backup: `<prefix>-<timestamp>.<its engine's extension>` (groups: prefix, timestamp, extension). */
function dumpNamePattern(backup: DatabaseBackup): RegExp {
  return backupFileNamePattern([backup.engine.fileExtension]);
}

/**
 * A copy of the dump just made, truncated to half, with a MATCHING .sha256 (so the checksum
 * passes and the integrity check must refuse it), uploaded next to the real one under an old
 * timestamp (so it is never `latest`). Returns its file name.
 */
async function uploadTruncatedCopy(s3: LocalS3, drill: Drill, backupDir: string): Promise<string> {
  const cronJob = drill.cronJob;
  const dumpName = fs.readFileSync(path.join(backupDir, 'latest-name'), 'utf8').trim();
  const pattern = dumpNamePattern(drill.backup);
  const m = pattern.exec(dumpName);
  if (!m) throw new Error(`dump name ${dumpName} does not match ${pattern}`);
  const name = `${m[1]}-20000101T000000Z.${m[3]}`;
  const dir = scratch('corrupt');
  const buf = fs.readFileSync(path.join(backupDir, dumpName));
  fs.writeFileSync(path.join(dir, name), buf.subarray(0, Math.floor(buf.length / 2)));
  fs.writeFileSync(
    path.join(dir, `${name}.sha256`),
    `${createHash('sha256')
      .update(fs.readFileSync(path.join(dir, name)))
      .digest('hex')}  ${name}\n`,
  );
  await aws(s3, [
    's3',
    'cp',
    dir,
    `s3://${podEnvValue(cronJob, 'S3_BUCKET')}/${podEnvValue(cronJob, 'S3_PREFIX')}/`,
    '--recursive',
    '--only-show-errors',
  ]);
  return name;
}

/** Env override for the containers that download (they set BACKUP_OBJECT): restore this file instead of `latest`, as one restores a specific backup. */
const backupObject =
  (name: string) =>
  (container: IContainer): Record<string, string> =>
    (container.env ?? []).some((e) => e.name === 'BACKUP_OBJECT') ? { BACKUP_OBJECT: name } : {};

/** What an integrity check says when it refuses a dump (gzip, pg_dump's completion marker, redis-check-rdb). */
const INTEGRITY_REFUSAL = /failed the gzip integrity check|lacks the '.*' marker|redis-check-rdb rejected/;

/**
 * The pod that restores a backup that has no synthesized restore CronJob (redis): the backup
 * pod's own uploader container (image, env, mounts) runs the library's s3DownloadScript, then its
 * dump container runs the library's restore script for the engine, with a data volume mounted at
 * REDIS_DATA_DIR (redis). Only the two scripts come from the library; the rest is the CronJob's.
 */
function fallbackRestorePod(drill: Drill, engine: 'postgres' | 'redis'): IPodSpec {
  const pod = podSpecOf(drill.cronJob);
  const all = [...(pod.initContainers ?? []), ...pod.containers];
  const uploader = all.find((c) => (c.env ?? []).some((e) => e.name === 'S3_BUCKET'));
  const dumper = all.find((c) => c !== uploader);
  if (!uploader || !dumper)
    throw new Error(`CronJob ${drill.cronJob.metadata.name}: expected an uploader container (S3_BUCKET) and a dump container`);
  const scriptsDir = (c: IContainer) => String((c.command ?? []).find((a) => a.startsWith('/'))).replace(/\/[^/]+$/, '');
  const env = (c: IContainer, extra: Record<string, string>) => [
    ...(c.env ?? []).filter((e) => !(e.name in extra)),
    ...Object.entries(extra).map(([name, value]) => ({ name, value })),
  ];
  return {
    ...pod,
    volumes: [
      ...(pod.volumes ?? []).map((v) => (v.configMap ? { ...v, configMap: { ...v.configMap, name: fallbackScriptsName(drill) } } : v)),
      ...(engine === 'redis' ? [{ name: 'drill-data', emptyDir: {} }] : []),
    ],
    initContainers: [
      {
        ...uploader,
        name: 'download',
        command: ['bash', `${scriptsDir(uploader)}/download.sh`],
        env: env(uploader, { BACKUP_OBJECT: 'latest' }),
      },
    ],
    containers: [
      {
        ...dumper,
        name: 'restore',
        command: [engine === 'redis' ? 'sh' : 'bash', `${scriptsDir(dumper)}/restore.sh`],
        env: env(dumper, engine === 'redis' ? { REDIS_DATA_DIR: '/data' } : {}),
        volumeMounts: [...(dumper.volumeMounts ?? []), ...(engine === 'redis' ? [{ name: 'drill-data', mountPath: '/data' }] : [])],
      },
    ],
  };
}

const fallbackScriptsName = (drill: Drill) => `${drill.backup.node.id}-drill-restore-scripts`;

function fallbackRestoreObjects(drill: Drill, engine: 'postgres' | 'redis'): K8sObject[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: fallbackScriptsName(drill) },
      data: { 'download.sh': s3DownloadScript, 'restore.sh': engine === 'redis' ? redisRestoreScript : postgresRestoreScript },
    },
  ];
}

/** The restore pod of a drill and the objects it reads: the restore CronJob's, or {@link fallbackRestorePod}. */
function restoreOf(drill: Drill, engine: 'postgres' | 'redis'): { pod: IPodSpec; objects: readonly K8sObject[]; label: string } {
  return drill.restoreCronJob
    ? { pod: podSpecOf(drill.restoreCronJob), objects: drill.objects, label: `CronJob ${drill.restoreCronJob.metadata.name}` }
    : {
        pod: fallbackRestorePod(drill, engine),
        objects: [...drill.objects, ...fallbackRestoreObjects(drill, engine)],
        label: `the library's s3DownloadScript + ${engine}RestoreScript in the backup pod's containers (no restore CronJob is synthesized for this backup)`,
      };
}

/** The first drill (in test order) of each distinct restore program runs the corrupt-dump refusal. */
const isFirstOfProgram = (drill: Drill) =>
  [...PG_UNITS, ...REDIS_UNITS].flatMap((u) => u.drills).find((d) => d.restoreProgram === drill.restoreProgram) === drill;

/** Marks a background step's rejection as handled (the test awaiting it still sees it). */
function background<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

// =============================================================================================
// PostgreSQL
// =============================================================================================

/** A local server as the StatefulSet would run it, with its init scripts run. */
interface BootedPostgres {
  readonly server: PostgresServer;
  readonly env: Record<string, string>;
  readonly initOutput: string;
}

/**
 * Starts PostgreSQL with the synthesized postgresql.conf and pg_hba.conf and the StatefulSet's
 * POSTGRES_INITDB_ARGS and POSTGRES_PASSWORD, then does what the official image's entrypoint
 * does on an empty data dir: CREATE DATABASE $POSTGRES_DB, then each file of
 * /docker-entrypoint-initdb.d in name order (executable *.sh run, other *.sh sourced, *.sql and
 * *.sql.gz through psql), as OS user postgres over the unix socket, with the container's env.
 * Overridden on the command line by the helper, because they cannot work locally:
 * listen_addresses (127.0.0.1), port (a free one), unix_socket_directories (a temp dir).
 */
async function bootPostgres(unit: PostgresUnit): Promise<BootedPostgres> {
  const env = containerEnv(unit.objects, unit.container);
  if (env.POSTGRES_USER !== 'postgres') {
    throw new Error(
      `StatefulSet ${unit.statefulSet.metadata.name}: POSTGRES_USER is ${JSON.stringify(env.POSTGRES_USER)}; pg_hba's peer line needs 'postgres' (the image's OS user)`,
    );
  }
  const server = await startPostgres({
    postgresqlConf: unit.postgresqlConf,
    pgHba: unit.pgHba,
    superuserPassword: env.POSTGRES_PASSWORD,
    initdbArgs: (env.POSTGRES_INITDB_ARGS ?? '').split(/\s+/).filter(Boolean),
  });
  cleanups.push(() => server.stop());
  const db = env.POSTGRES_DB || env.POSTGRES_USER;
  if (db !== 'postgres') server.createDatabase(db);
  const initDir = path.join(server.baseDir, 'docker-entrypoint-initdb.d');
  fs.mkdirSync(initDir);
  const owner = fs.statSync(server.dataDir);
  fs.chownSync(initDir, owner.uid, owner.gid);
  const runEnv = {
    ...env,
    PGHOST: server.socketDir,
    PGPORT: String(server.port),
    PGUSER: env.POSTGRES_USER,
    PGPASSWORD: env.POSTGRES_PASSWORD,
  };
  const psqlArgs = ['-X', '-v', 'ON_ERROR_STOP=1', '--no-psqlrc', '--username', env.POSTGRES_USER, '--no-password', '--dbname', db];
  let initOutput = '';
  for (const [name, f] of [...unit.initFiles].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const file = path.join(initDir, name);
    fs.writeFileSync(file, f.content);
    fs.chmodSync(file, f.mode);
    let r: SpawnSyncReturns<string>;
    if (name.endsWith('.sh')) {
      r =
        (f.mode & 0o111) !== 0
          ? runAsPostgres(file, [], { env: runEnv })
          : runAsPostgres('bash', ['-c', '. "$1"', 'sourced', file], { env: runEnv });
    } else if (name.endsWith('.sql')) {
      r = runAsPostgres(server.tools.psql, [...psqlArgs, '-f', file], { env: runEnv });
    } else if (name.endsWith('.sql.gz')) {
      r = runAsPostgres('bash', ['-c', 'gunzip -c "$1" | "$2" "${@:3}"', 'sql.gz', file, server.tools.psql, ...psqlArgs], { env: runEnv });
    } else {
      continue; // the entrypoint ignores other files
    }
    initOutput += `${r.stdout}${r.stderr}`;
    if (r.status !== 0) throw new Error(`init file ${name} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  }
  return { server, env, initOutput };
}

/** Password of a declared role (its Secret's local value). */
function rolePassword(decl: PostgresDatabaseDeclaration, role: string): string {
  const r = decl.roles.find((x) => x.name === role);
  if (!r) throw new Error(`role ${role} is not declared`);
  return SECRETS.value(r.password.secret, r.password.key, '');
}

function asRole(pg: PostgresServer, decl: PostgresDatabaseDeclaration, role: string, sql: string): PsqlResult {
  return pg.tcpSql(sql, { user: role, password: rolePassword(decl, role), database: decl.database });
}

function ok(r: PsqlResult, what = 'psql'): string {
  if (r.status !== 0) throw new Error(`${what} failed: ${r.stderr}`);
  return r.stdout;
}

function refused(r: PsqlResult, message: RegExp): void {
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(message);
}

/**
 * A function the superuser creates for the access checks: `synth_probe.try(sql)` EXECUTEs `sql`
 * with the CALLER's privileges (SECURITY INVOKER, the default) in a subtransaction and returns
 * `ok` or the error message, so one session checks many statements. Dropped after the checks.
 */
const PROBE_SCHEMA_SQL = `CREATE SCHEMA synth_probe;
GRANT USAGE ON SCHEMA synth_probe TO PUBLIC;
CREATE FUNCTION synth_probe.try(stmt text) RETURNS text LANGUAGE plpgsql AS $fn$
BEGIN
  EXECUTE stmt;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLERRM;
END
$fn$;
GRANT EXECUTE ON FUNCTION synth_probe.try(text) TO PUBLIC;`;

/**
 * Runs each statement as `role` in one session (optionally in a READ WRITE transaction, or with
 * a tenant setting) and returns, per statement, `ok` or the error it raised.
 */
function tryAs(
  pg: PostgresServer,
  decl: PostgresDatabaseDeclaration,
  role: string,
  statements: readonly string[],
  opts: { readWrite?: boolean; setting?: [string, string] } = {},
): string[] {
  const sql = [
    opts.readWrite ? 'BEGIN READ WRITE;' : 'BEGIN;',
    ...(opts.setting ? [`SELECT set_config(${quoteLiteral(opts.setting[0])}, ${quoteLiteral(opts.setting[1])}, true) \\gset`] : []),
    ...statements.map((s) => `SELECT synth_probe.try(${quoteLiteral(s)});`),
    'COMMIT;',
  ].join('\n');
  const out = ok(asRole(pg, decl, role, sql), `${role} trying ${statements.length} statement(s)`).split('\n');
  expect(out).toHaveLength(statements.length);
  return out;
}

/** `schema.table=rows` of every user table (counted as the superuser, so row-level security hides no row). */
function tableCounts(pg: PostgresServer, database: string, exclude: readonly string[] = []): string {
  return pg.superSql(
    `SELECT coalesce(string_agg(format('%I.%I=%s', schemaname, relname,
        (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM ONLY %I.%I', schemaname, relname), false, true, '')))[1]::text), ',' ORDER BY schemaname, relname), '')
     FROM pg_stat_user_tables WHERE relname <> ALL (ARRAY[${[...exclude, ''].map(quoteLiteral).join(',')}]::text[])`,
    database,
  );
}

/** Two tenant values of a tenant column type. */
function tenantValues(type: string): [string, string] {
  if (type === 'uuid') return ['11111111-1111-1111-1111-111111111111', '22222222-2222-2222-2222-222222222222'];
  if (type === 'text') return ['tenant-a', 'tenant-b'];
  return ['1', '2'];
}

const ROLE_ATTRIBUTES_SQL =
  "SELECT string_agg(format('%s|login=%s|super=%s|createrole=%s|createdb=%s|replication=%s|bypassrls=%s|connlimit=%s|scram=%s', r.rolname, r.rolcanlogin, r.rolsuper, " +
  "r.rolcreaterole, r.rolcreatedb, r.rolreplication, r.rolbypassrls, r.rolconnlimit, a.rolpassword LIKE 'SCRAM-SHA-256$%'), ' ' ORDER BY r.rolname) " +
  "FROM pg_roles r JOIN pg_authid a ON a.oid = r.oid WHERE r.rolname !~ '^pg_' AND r.rolname <> 'postgres'";

/** The settings the helper overrides on the command line (they cannot work locally). */
const PG_LOCAL_OVERRIDES = ['listen_addresses', 'port', 'unix_socket_directories'];

/** The store servers, as the sources of the backup drills. */
const PG_SOURCES = new Map<PostgresUnit, PostgresServer>();

for (const unit of PG_UNITS) {
  const decl = unit.db.declaration;

  describe(`PostgreSQL ${unit.db.node.path} database ${decl.database} ${occurrences(unit.where)} #${short(unit.key)}`, () => {
    let pg: PostgresServer;
    let booted: BootedPostgres;
    const owner = decl.roles.find((r) => r.access === 'owner')?.name;
    const schemas = [...decl.schemas];
    const TABLE = 'synth_access';
    const t = (s: string) => `${quoteIdent(s)}.${TABLE}`;

    beforeAll(async () => {
      booted = await bootPostgres(unit);
      pg = booted.server;
      PG_SOURCES.set(unit, pg);
    });

    test('every setting of the synthesized postgresql.conf is in force (only listen_addresses, port, unix_socket_directories overridden)', () => {
      const rows = pg
        .superSql(
          `SELECT name, applied, coalesce(error, '') FROM pg_file_settings WHERE sourcefile = ${quoteLiteral(pg.configFile)} ORDER BY sourceline`,
        )
        .split('\n')
        .filter(Boolean);
      expect(rows).toHaveLength(unit.postgresqlConf.split('\n').filter((l) => /^\s*[a-z]/.test(l)).length);
      for (const row of rows) {
        const [name, applied, error] = row.split('|');
        if (!PG_LOCAL_OVERRIDES.includes(name)) expect(`${name}: applied=${applied} ${error}`).toBe(`${name}: applied=t `);
      }
      expect(pg.superSql("SELECT string_agg(name, ',' ORDER BY name) FROM pg_settings WHERE source = 'command line'")).toBe(
        [...PG_LOCAL_OVERRIDES].sort().join(','),
      );
      if ((booted.env.POSTGRES_INITDB_ARGS ?? '').includes('--data-checksums')) expect(pg.superSql('SHOW data_checksums')).toBe('on');
      if (decl.extensions.includes('pg_stat_statements'))
        expect(
          pg
            .superSql('SHOW shared_preload_libraries')
            .split(',')
            .map((s) => s.trim()),
        ).toContain('pg_stat_statements');
    });

    test('the synthesized pg_hba.conf is in force: no rule errors; TCP needs the SCRAM password', () => {
      expect(pg.superSql('SHOW hba_file')).toBe(pg.hbaFile);
      expect(pg.superSql('SELECT count(*) FROM pg_hba_file_rules WHERE error IS NOT NULL')).toBe('0');
      expect(Number(pg.superSql('SELECT count(*) FROM pg_hba_file_rules'))).toBe(
        unit.pgHba.split('\n').filter((l) => /^\s*[^#\s]/.test(l)).length,
      );
      refused(
        pg.tcpSql('SELECT 1', { user: 'postgres', password: 'not-the-password', database: decl.database }),
        /password authentication failed/,
      );
      expect(ok(pg.tcpSql('SELECT 1', { user: 'postgres', password: booted.env.POSTGRES_PASSWORD, database: decl.database }))).toBe('1');
    });

    test(`the init scripts (${[...unit.initFiles].map(([name, f]) => `${name} #${short(sha(f.content))}`).join(', ')}) ran as the entrypoint runs them; no password in their output or the server log`, () => {
      expect(unit.initFiles.size).toBeGreaterThan(0);
      expectNoSecretIn(booted.initOutput, "the init scripts' output");
      expectNoSecretIn(pg.log(), 'the server log');
    });

    test(`schemas: exactly the declared ones [${schemas.join(' ')}], owned by ${owner ?? 'the superuser'}`, () => {
      const found = pg.superSql(
        "SELECT coalesce(string_agg(nspname || ':' || pg_get_userbyid(nspowner), ' ' ORDER BY nspname), '') FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname NOT IN ('information_schema', 'public')",
        decl.database,
      );
      expect(found.split(' ').filter(Boolean)).toEqual(
        schemas
          .filter((s) => s !== 'public')
          .sort()
          .map((s) => `${s}:${owner ?? 'postgres'}`),
      );
    });

    test(`extensions: exactly the declared ones [${decl.extensions.join(' ')}] (and plpgsql)`, () => {
      expect(pg.superSql("SELECT string_agg(extname, ' ' ORDER BY extname) FROM pg_extension", decl.database).split(' ')).toEqual(
        [...new Set([...decl.extensions, 'plpgsql'])].sort(),
      );
    });

    test(`roles: exactly the declared ones [${decl.roles.map((r) => `${r.name}:${r.access}`).join(' ')}], LOGIN, connection limits as declared, NOSUPERUSER NOBYPASSRLS, SCRAM passwords from their Secrets`, () => {
      // With a standby, its replication role too: REPLICATION, no database privilege (test/integration/postgres-replication.test.ts streams with it).
      const standby = unit.db.standby;
      expect(pg.superSql(ROLE_ATTRIBUTES_SQL).split(' ')).toEqual(
        [
          ...decl.roles.map(
            (r) => `${r.name}|login=t|super=f|createrole=f|createdb=f|replication=f|bypassrls=f|connlimit=${r.connectionLimit}|scram=t`,
          ),
          ...(standby
            ? [
                `${standby.role}|login=t|super=f|createrole=f|createdb=f|replication=t|bypassrls=f|connlimit=${REPLICATION_CONNECTION_LIMIT}|scram=t`,
              ]
            : []),
        ].sort((a, b) => (a.split('|')[0] < b.split('|')[0] ? -1 : 1)),
      );
      for (const r of decl.roles)
        expect(`${r.name}: ${ok(asRole(pg, decl, r.name, 'SELECT current_user'), r.name)}`).toBe(`${r.name}: ${r.name}`);
    });

    test('PUBLIC has nothing: an undeclared role cannot connect to the database', () => {
      pg.superSql("CREATE ROLE synth_stranger LOGIN PASSWORD 'stranger-pw'");
      refused(
        pg.tcpSql('SELECT 1', { user: 'synth_stranger', password: 'stranger-pw', database: decl.database }),
        /permission denied for database/,
      );
    });

    test("the probes (exec) and the exporter sidecar's credentials work against the server", () => {
      for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe'] as const) {
        const cmd: string[] | undefined = unit.container[probe]?.exec?.command;
        if (!cmd) continue;
        const r = spawnSync(
          cmd[0],
          cmd.slice(1).map((a) => replacePort(a, unit.db.port, pg.port)),
          { encoding: 'utf8', env: { ...booted.env, PATH: toolsPath } },
        );
        expect(`${probe}: exit ${r.status} ${r.stderr}`).toBe(`${probe}: exit 0 `);
      }
      for (const sidecar of podSpecOf(unit.statefulSet).containers.filter((c) => c !== unit.container)) {
        const env = containerEnv(unit.objects, sidecar);
        if (!env.DATA_SOURCE_USER) continue;
        const dbName = /\/([^/?]+)(\?|$)/.exec(env.DATA_SOURCE_URI ?? '')?.[1] ?? decl.database;
        const r = pg.tcpSql('SELECT count(*) > 0 FROM pg_stat_database', {
          user: env.DATA_SOURCE_USER,
          password: env.DATA_SOURCE_PASS,
          database: dbName,
        });
        expect(`${sidecar.name}: ${r.stdout}${r.stderr}`).toBe(`${sidecar.name}: t`);
      }
    });

    describe('each role has exactly its declared access', () => {
      beforeAll(() => {
        pg.superSql(PROBE_SCHEMA_SQL, decl.database);
        // Tables as migrations create them: by the owner role (the superuser without one).
        const sql = schemas
          .map((s) => `CREATE TABLE ${t(s)} (id serial PRIMARY KEY, v text); INSERT INTO ${t(s)} (v) VALUES ('seed');`)
          .join('\n');
        if (owner) ok(asRole(pg, decl, owner, sql), `${owner} creating the test tables`);
        else pg.superSql(sql, decl.database);
      });

      afterAll(() => {
        pg?.superSql('DROP SCHEMA IF EXISTS synth_probe CASCADE', decl.database);
      });

      for (const role of decl.roles) {
        if (role.access === 'owner') {
          test(`${role.name} (owner): owns the tables; creates, alters and drops tables in every schema`, () => {
            expect(
              pg.superSql(
                `SELECT string_agg(DISTINCT pg_get_userbyid(relowner), ',') FROM pg_class WHERE relname = '${TABLE}'`,
                decl.database,
              ),
            ).toBe(role.name);
            ok(
              asRole(
                pg,
                decl,
                role.name,
                schemas
                  .map(
                    (s) =>
                      `CREATE TABLE ${quoteIdent(s)}.synth_ddl (a int); ALTER TABLE ${quoteIdent(s)}.synth_ddl ADD COLUMN b text; DROP TABLE ${quoteIdent(s)}.synth_ddl;`,
                  )
                  .join('\n'),
              ),
              `${role.name} DDL`,
            );
          });
        } else if (role.access === 'readwrite') {
          test(`${role.name} (readwrite): SELECT/INSERT/UPDATE/DELETE and sequences in every schema; CREATE/ALTER/DROP refused`, () => {
            const dml = schemas.map(
              (s) =>
                `INSERT INTO ${t(s)} (v) VALUES ('rw'); UPDATE ${t(s)} SET v = 'rw2' WHERE v = 'rw'; DELETE FROM ${t(s)} WHERE v = 'rw2'; SELECT count(*) || '/' || (nextval(pg_get_serial_sequence('${t(s)}', 'id')) > 0) FROM ${t(s)};`,
            );
            expect(ok(asRole(pg, decl, role.name, dml.join('\n')), `${role.name} DML`).split('\n')).toEqual(schemas.map(() => '1/true'));
            const denied = schemas.flatMap((s) => [
              `CREATE TABLE ${quoteIdent(s)}.synth_rw (a int)`,
              `ALTER TABLE ${t(s)} ADD COLUMN x int`,
              `DROP TABLE ${t(s)}`,
            ]);
            const results = tryAs(pg, decl, role.name, [...denied, 'CREATE TABLE public.synth_rw (a int)']);
            results.forEach((r, i) =>
              expect(`${[...denied, 'CREATE TABLE public'][i]}: ${r}`).toMatch(
                /: (permission denied for schema|must be owner of (table|relation))/,
              ),
            );
          });
        } else if (role.access === 'readonly') {
          test(`${role.name} (readonly): SELECT in every schema; INSERT/UPDATE/DELETE/CREATE refused, even in a READ WRITE transaction`, () => {
            expect(
              ok(
                asRole(
                  pg,
                  decl,
                  role.name,
                  `SHOW default_transaction_read_only; ${schemas.map((s) => `SELECT count(*) FROM ${t(s)};`).join(' ')}`,
                ),
              ).split('\n'),
            ).toEqual(['on', ...schemas.map(() => '1')]);
            const writes = schemas.flatMap((s) => [
              `INSERT INTO ${t(s)} (v) VALUES ('ro')`,
              `UPDATE ${t(s)} SET v = 'ro'`,
              `DELETE FROM ${t(s)}`,
            ]);
            tryAs(pg, decl, role.name, writes).forEach((r, i) =>
              expect(`${writes[i]}: ${r}`).toMatch(/: cannot execute (INSERT|UPDATE|DELETE) in a read-only transaction$/),
            );
            const readWrite = [...writes, ...schemas.map((s) => `CREATE TABLE ${quoteIdent(s)}.synth_ro (a int)`)];
            tryAs(pg, decl, role.name, readWrite, { readWrite: true }).forEach((r, i) =>
              expect(`${readWrite[i]}: ${r}`).toMatch(/: permission denied for (table|schema) /),
            );
            expect(pg.superSql(schemas.map((s) => `SELECT count(*) FROM ${t(s)};`).join('\n'), decl.database).split('\n')).toEqual(
              schemas.map(() => '1'),
            );
          });
        } else if (role.access === 'monitor') {
          test(`${role.name} (monitor): member of pg_monitor, reads statistics, no application data`, () => {
            expect(
              ok(
                asRole(
                  pg,
                  decl,
                  role.name,
                  "SELECT pg_has_role(current_user, 'pg_monitor', 'MEMBER'), (SELECT count(*) > 0 FROM pg_stat_database)",
                ),
              ),
            ).toBe('t|t');
            if (decl.extensions.includes('pg_stat_statements'))
              expect(Number(ok(asRole(pg, decl, role.name, 'SELECT count(*) FROM pg_stat_statements')))).toBeGreaterThan(0);
            const reads = schemas.map((s) => `SELECT count(*) FROM ${t(s)}`);
            tryAs(pg, decl, role.name, reads).forEach((r, i) => expect(`${reads[i]}: ${r}`).toMatch(/: permission denied for schema /));
          });
        } else {
          test(`${role.name}: access '${String(role.access)}' has a check`, () => {
            throw new Error(`access level '${String(role.access)}' of role ${role.name} has no check in this suite; add one`);
          });
        }
      }

      const rls = decl.rowLevelSecurity;
      if (rls) {
        test(`row-level security by ${rls.tenantSetting}: new tables with ${rls.tenantColumn ?? 'tenant_id'} are FORCEd under tenant_isolation; a tenant sees and writes only its rows`, () => {
          const column = quoteIdent(rls.tenantColumn ?? 'tenant_id');
          const type = rls.tenantType ?? 'uuid';
          const [a, b] = tenantValues(type);
          const writer = decl.roles.find((r) => r.access === 'readwrite')?.name ?? owner;
          if (!owner || !writer)
            throw new Error('row-level security is declared without an owner role: nothing here can create tenant tables');
          const tables = (rls.schemas ?? schemas).map((s) => `${quoteIdent(s)}.synth_tenant`);
          ok(
            asRole(
              pg,
              decl,
              owner,
              tables.map((x) => `CREATE TABLE ${x} (id serial PRIMARY KEY, ${column} ${type} NOT NULL, v text);`).join('\n'),
            ),
            'creating tenant tables',
          );
          expect(
            pg
              .superSql(
                tables
                  .map(
                    (x) =>
                      `SELECT relrowsecurity AND relforcerowsecurity AND EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = c.oid AND polname = 'tenant_isolation') FROM pg_class c WHERE oid = '${x}'::regclass;`,
                  )
                  .join('\n'),
                decl.database,
              )
              .split('\n'),
          ).toEqual(tables.map(() => 't'));
          for (const tenant of [a, b])
            tryAs(
              pg,
              decl,
              writer,
              tables.map((x) => `INSERT INTO ${x} (${column}, v) VALUES (${quoteLiteral(tenant)}, ${quoteLiteral(tenant)})`),
              { setting: [rls.tenantSetting, tenant] },
            ).forEach((r) => expect(r).toBe('ok'));
          expect(ok(asRole(pg, decl, writer, tables.map((x) => `SELECT count(*) FROM ${x};`).join('\n'))).split('\n')).toEqual(
            tables.map(() => '0'),
          );
          expect(
            ok(
              asRole(
                pg,
                decl,
                writer,
                `BEGIN; SELECT set_config(${quoteLiteral(rls.tenantSetting)}, ${quoteLiteral(a)}, true) \\gset\n${tables.map((x) => `SELECT string_agg(v, ',') FROM ${x};`).join('\n')}\nCOMMIT;`,
              ),
            ).split('\n'),
          ).toEqual(tables.map(() => a));
          tryAs(
            pg,
            decl,
            writer,
            tables.map((x) => `INSERT INTO ${x} (${column}, v) VALUES (${quoteLiteral(b)}, 'cross-tenant')`),
            { setting: [rls.tenantSetting, a] },
          ).forEach((r) => expect(r).toMatch(/new row violates row-level security policy/));
          expect(pg.superSql(tables.map((x) => `SELECT count(*) FROM ${x};`).join('\n'), decl.database).split('\n')).toEqual(
            tables.map(() => '2'),
          );
        });
      } else {
        test('no row-level security is declared: no event trigger, no policy', () => {
          expect(
            pg.superSql("SELECT (SELECT count(*) FROM pg_event_trigger) || '|' || (SELECT count(*) FROM pg_policy)", decl.database),
          ).toBe('0|0');
        });
      }
    });
  });
}

/** Per declared schema a few tables owned by the owner role (or the superuser), with rows; tenant rows where row-level security is declared. */
function seedPostgres(pg: PostgresServer, decl: PostgresDatabaseDeclaration): void {
  const owner = decl.roles.find((r) => r.access === 'owner')?.name;
  const run = (sql: string) => (owner ? ok(asRole(pg, decl, owner, sql), `seeding as ${owner}`) : pg.superSql(sql, decl.database));
  run(
    (decl.schemas.length ? decl.schemas : ['public'])
      .map((s, i) => {
        const q = quoteIdent(s);
        return `CREATE TABLE ${q}.drill_items (id bigserial PRIMARY KEY, note text NOT NULL, at timestamptz NOT NULL DEFAULT now());
      INSERT INTO ${q}.drill_items (note) SELECT 'item ' || g || E' \\'quoted\\' \\\\ \\t#' FROM generate_series(1, ${20 + 7 * i}) g;
      CREATE TABLE ${q}.drill_refs (id int PRIMARY KEY, item_id bigint REFERENCES ${q}.drill_items);
      INSERT INTO ${q}.drill_refs SELECT g, g FROM generate_series(1, ${3 + i}) g;`;
      })
      .join('\n'),
  );
  const rls = decl.rowLevelSecurity;
  const writer = decl.roles.find((r) => r.access === 'readwrite')?.name ?? owner;
  if (rls && owner && writer) {
    const [a, b] = tenantValues(rls.tenantType ?? 'uuid');
    const column = quoteIdent(rls.tenantColumn ?? 'tenant_id');
    const table = `${quoteIdent((rls.schemas ?? decl.schemas)[0])}.drill_tenant_rows`;
    run(`CREATE TABLE ${table} (id serial PRIMARY KEY, ${column} ${rls.tenantType ?? 'uuid'} NOT NULL, v text)`);
    for (const [tenant, n] of [
      [a, 4],
      [b, 2],
    ] as const) {
      ok(
        asRole(
          pg,
          decl,
          writer,
          `BEGIN; SELECT set_config(${quoteLiteral(rls.tenantSetting)}, ${quoteLiteral(tenant)}, true) \\gset\nINSERT INTO ${table} (${column}, v) SELECT ${quoteLiteral(tenant)}, 'row ' || g FROM generate_series(1, ${n}) g; COMMIT;`,
        ),
      );
    }
  }
}

// =============================================================================================
// Redis
// =============================================================================================

/** A Redis started from the synthesized StatefulSet: its config files and start command, paths and port local. */
interface BootedRedis {
  readonly server: RedisServer;
  readonly env: Record<string, string>;
  readonly volumes: PodVolumes;
}

/** Redis sizes: k/m/g are powers of 1000, kb/mb/gb of 1024 (redis.conf's rules). */
function redisBytes(size: string): number {
  const m = /^(\d+)([kmg]b?)?$/i.exec(size);
  if (!m) throw new Error(`not a Redis size: ${size}`);
  const factor: Record<string, number> = { '': 1, k: 1e3, kb: 1024, m: 1e6, mb: 1024 ** 2, g: 1e9, gb: 1024 ** 3 };
  return Number(m[1]) * factor[(m[2] ?? '').toLowerCase()];
}

const claimsOf = (unit: RedisUnit): string[] => (unit.statefulSet.spec.volumeClaimTemplates ?? []).map((c: Doc) => c.metadata.name);

/** The local dir of the store's data claim under a pod root. */
function redisDataDir(unit: RedisUnit, root: string): string {
  const claims = claimsOf(unit);
  const mount = (unit.container.volumeMounts ?? []).find((m) => claims.includes(m.name));
  if (!mount) throw new Error(`StatefulSet ${unit.statefulSet.metadata.name}: the redis container mounts no volumeClaimTemplate`);
  return path.join(root, `vol-${mount.name}`);
}

/**
 * Starts the StatefulSet's Redis container locally: its ConfigMaps, emptyDirs and data claim are
 * dirs under `root` (mount paths inside the mounted files rewritten: `dir`, the auth `include`,
 * the start script's paths), its command is run as is with `--bind 127.0.0.1 --port <free>`
 * appended (passed on to redis-server; the rendered conf binds every interface on 6379).
 */
async function bootRedis(unit: RedisUnit, root: string): Promise<BootedRedis> {
  const pod = podSpecOf(unit.statefulSet);
  const volumes = materializePod(unit.objects, pod, root, {}, unit.container, claimsOf(unit));
  const env = containerEnv(unit.objects, unit.container);
  const port = await freePort();
  const command: string[] = [...(unit.container.command ?? []), ...(unit.container.args ?? [])].map((a) =>
    localizePaths(unit.container, volumes, a),
  );
  if (command[0] !== 'sh' || !command[1])
    throw new Error(`redis container command ${JSON.stringify(command)}: expected a start script run by sh (as launchRedis runs it)`);
  const server = await launchRedis({
    baseDir: root,
    dataDir: redisDataDir(unit, root),
    configFile: [...volumes.values()].flatMap((d) => fs.readdirSync(d).map((f) => path.join(d, f))).find((f) => f.endsWith('.conf')) ?? '',
    authInclude: '',
    startScript: command[1],
    port,
    password: env.REDIS_PASSWORD ?? '',
    args: [...command.slice(2), '--bind', '127.0.0.1', '--port', String(port)],
    env: { ...env, PATH: toolsPath },
  });
  cleanups.push(() => server.stop());
  return { server, env, volumes };
}

/** The store servers, as the sources of the backup drills (a getter: the restart test replaces it). */
const REDIS_SOURCES = new Map<RedisUnit, () => BootedRedis>();

for (const unit of REDIS_UNITS) {
  const decl = unit.cache.declaration;
  describe(`Redis ${unit.cache.node.path} ${occurrences(unit.where)} #${short(unit.key)}`, () => {
    let root: string;
    let booted: BootedRedis;
    const get = (name: string) => booted.server.cli(['config', 'get', name]).stdout.trim().split('\n')[1];

    beforeAll(async () => {
      root = scratch(`redis-${unit.cache.name}`);
      booted = await bootRedis(unit, root);
      REDIS_SOURCES.set(unit, () => booted);
    });

    test("NOAUTH without the password, WRONGPASS with a wrong one, PONG with the Secret's", () => {
      const anonymous = booted.server.cli(['ping'], false);
      expect(anonymous.stdout + anonymous.stderr).toMatch(/NOAUTH Authentication required/);
      const wrong = spawnSync(
        booted.server.tools.redisCli,
        ['-h', '127.0.0.1', '-p', String(booted.server.port), '--no-auth-warning', '-a', 'not-the-password', 'ping'],
        { encoding: 'utf8' },
      );
      expect(wrong.stdout + wrong.stderr).toMatch(/WRONGPASS|invalid username-password/);
      expect(booted.server.cli(['ping']).stdout.trim()).toBe('PONG');
    });

    test('the password is only in the include file the start script writes (mode 0600): in no other file of the pod and no output', () => {
      const holders: string[] = [];
      for (const dir of booted.volumes.values()) {
        for (const f of fs.readdirSync(dir, { recursive: true }) as string[]) {
          const file = path.join(dir, f);
          if (!fs.statSync(file).isFile()) continue;
          const text = fs.readFileSync(file, 'utf8');
          if (/^requirepass /m.test(text)) holders.push(file);
          else expectNoSecretIn(text, f);
        }
      }
      expect(holders).toHaveLength(1);
      expect(fs.statSync(holders[0]).mode & 0o777).toBe(0o600);
      expectNoSecretIn(booted.server.output(), "the start script's and redis-server's output");
    });

    test(`appendonly yes and an RDB save policy are active; maxmemory ${decl.maxmemory} and ${decl.maxmemoryPolicy} as declared`, () => {
      expect(get('appendonly')).toBe('yes');
      expect(get('save')).toMatch(/^\d+ \d+( \d+ \d+)*$/);
      expect(get('dir')).toBe(booted.server.dataDir);
      expect(Number(get('maxmemory'))).toBe(redisBytes(decl.maxmemory));
      expect(get('maxmemory-policy')).toBe(decl.maxmemoryPolicy);
    });

    test("the probes (exec) and the exporter sidecar's password work against the server", () => {
      for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe'] as const) {
        const cmd: string[] | undefined = unit.container[probe]?.exec?.command;
        if (!cmd) continue;
        const r = spawnSync(
          cmd[0],
          cmd.slice(1).map((a) => replacePort(a, unit.cache.port, booted.server.port)),
          { encoding: 'utf8', env: { ...booted.env, PATH: toolsPath } },
        );
        expect(`${probe}: exit ${r.status} ${r.stderr}`).toBe(`${probe}: exit 0 `);
      }
      for (const sidecar of podSpecOf(unit.statefulSet).containers.filter((c) => c !== unit.container)) {
        const env = containerEnv(unit.objects, sidecar);
        if (!env.REDIS_ADDR) continue;
        const r = spawnSync(
          booted.server.tools.redisCli,
          ['-h', '127.0.0.1', '-p', String(booted.server.port), '--no-auth-warning', 'ping'],
          { encoding: 'utf8', env: { REDISCLI_AUTH: env.REDIS_PASSWORD ?? '' } },
        );
        expect(`${sidecar.name}: ${r.stdout.trim()}`).toBe(`${sidecar.name}: PONG`);
      }
    });

    test('data survives a restart from the AOF (dump.rdb removed before the restart)', async () => {
      expect(booted.server.cli(['set', 'synth:persist', 'kept']).stdout.trim()).toBe('OK');
      expect(booted.server.cli(['hset', 'synth:hash', 'a', '1', 'b', '2']).stdout.trim()).toBe('2');
      await booted.server.stop();
      expect(fs.readdirSync(path.join(booted.server.dataDir, 'appendonlydir')).some((f) => f.endsWith('.manifest'))).toBe(true);
      fs.rmSync(path.join(booted.server.dataDir, 'dump.rdb'), { force: true });
      booted = await bootRedis(unit, root);
      expect(booted.server.cli(['get', 'synth:persist']).stdout.trim()).toBe('kept');
      expect(booted.server.cli(['hget', 'synth:hash', 'b']).stdout.trim()).toBe('2');
      expect(booted.server.cli(['info', 'persistence']).stdout).toMatch(/aof_enabled:1/);
    });
  });
}

/** Every key with its type, value (members sorted) and whether it has a TTL, sorted by key. */
const REDIS_FINGERPRINT_LUA = `
local keys = redis.call('KEYS', '*')
table.sort(keys)
local out = {}
for _, k in ipairs(keys) do
  local t = redis.call('TYPE', k)['ok']
  local v = ''
  if t == 'string' then v = redis.call('GET', k)
  elseif t == 'hash' then local h = redis.call('HGETALL', k); local p = {}; for i = 1, #h, 2 do p[#p + 1] = h[i] .. '=' .. h[i + 1] end; table.sort(p); v = table.concat(p, ',')
  elseif t == 'list' then v = table.concat(redis.call('LRANGE', k, 0, -1), ',')
  elseif t == 'set' then local s = redis.call('SMEMBERS', k); table.sort(s); v = table.concat(s, ',')
  elseif t == 'zset' then v = table.concat(redis.call('ZRANGE', k, 0, -1, 'WITHSCORES'), ',')
  end
  out[#out + 1] = k .. '|' .. t .. '|' .. v .. '|' .. (redis.call('TTL', k) > 0 and 'ttl' or 'no-ttl')
end
return out`;

function fingerprint(server: RedisServer): string[] {
  const r = server.cli(['eval', REDIS_FINGERPRINT_LUA, '0']);
  if (r.status !== 0) throw new Error(`fingerprint: ${r.stderr}`);
  return r.stdout.trim().split('\n');
}

const REDIS_SEED_LUA =
  "for i = 1, 250 do redis.call('SET', 'drill:k:' .. i, 'v' .. i) end; redis.call('HSET', 'drill:user:1', 'name', 'Ada', 'lang', 'en'); " +
  "redis.call('RPUSH', 'drill:queue', 'a', 'b', 'c'); redis.call('SADD', 'drill:set', 'x', 'y'); redis.call('ZADD', 'drill:rank', 1, 'one', 2, 'two'); " +
  "redis.call('SET', 'drill:session', 'token', 'EX', 86400); return redis.call('DBSIZE')";
const REDIS_SEEDED_KEYS = 255;

// =============================================================================================
// Backup drills: all of them run side by side in the background; each test awaits its step
// =============================================================================================

interface BackupStep {
  readonly run: PodRun;
  readonly dumpName: string;
  readonly keys: string[];
  readonly bucket: string;
  readonly prefix: string;
}

interface RefusalStep {
  readonly run: PodRun;
  /** What the target looked like right after the refused restore (and before it, where it matters). */
  readonly before: string;
  readonly after: string;
}

interface PostgresRestoreStep {
  readonly run: PodRun;
  readonly target: PostgresServer;
}

interface RedisRestoreStep {
  readonly run: PodRun;
  readonly restored?: BootedRedis;
}

interface DrillRun<R> {
  readonly backup: Promise<BackupStep>;
  readonly refusal?: Promise<RefusalStep>;
  readonly restore: Promise<R>;
}

async function backupStep(drill: Drill, net: LocalNetwork): Promise<BackupStep> {
  const run = await runPod(drill.objects, podSpecOf(drill.cronJob), net, { name: drill.cronJob.metadata.name });
  expectPodOk(run, `CronJob ${drill.cronJob.metadata.name}`);
  const dumpName = fs.readFileSync(path.join(dumpDirOf(run), 'latest-name'), 'utf8').trim();
  const bucket = podEnvValue(drill.cronJob, 'S3_BUCKET');
  const prefix = podEnvValue(drill.cronJob, 'S3_PREFIX');
  return { run, dumpName, bucket, prefix, keys: await s3Keys(net.s3!, bucket, prefix) };
}

const pgSeeded = new Map<PostgresUnit, string>();

/** The whole drill of a PostgreSQL backup: backup pod, (refusal of a corrupt dump), restore pod into a fresh instance. */
function startPostgresDrill(unit: PostgresUnit, drill: Drill): DrillRun<PostgresRestoreStep> & { sourceCounts: () => string } {
  const decl = unit.db.declaration;
  const source = PG_SOURCES.get(unit);
  const s3 = localS3.get(drill.env);
  const net = (pg: PostgresServer): LocalNetwork => ({ stores: new Map([[unit.db.host, { port: unit.db.port, localPort: pg.port }]]), s3 });
  const restore = restoreOf(drill, 'postgres');
  const sentinel = `${quoteIdent(decl.schemas[0] ?? 'public')}.drill_sentinel`;
  const databases = (pg: PostgresServer) => pg.superSql("SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database");

  const backup = background(
    (async () => {
      if (!source) throw new Error(`the store server of ${unit.db.node.path} did not start`);
      if (!s3) throw new Error(`no local S3 for ${drill.env}`);
      if (!pgSeeded.has(unit)) {
        seedPostgres(source, decl);
        pgSeeded.set(unit, tableCounts(source, decl.database));
      }
      return backupStep(drill, net(source));
    })(),
  );
  const target = background(backup.then(() => bootPostgres(unit)));
  const refusal = isFirstOfProgram(drill)
    ? background(
        target.then(async ({ server }) => {
          server.superSql(`CREATE TABLE ${sentinel} (v text); INSERT INTO ${sentinel} VALUES ('untouched');`, decl.database);
          const before = `${databases(server)} ${server.superSql(`SELECT v FROM ${sentinel}`, decl.database)}`;
          const bad = await uploadTruncatedCopy(s3!, drill, dumpDirOf((await backup).run));
          const run = await runPod(restore.objects, restore.pod, net(server), { name: 'restore-corrupt', envFor: backupObject(bad) });
          const safetyDumps = [...run.volumes.values()].flatMap((d) => fs.readdirSync(d).filter((f) => f.startsWith('pre-restore-')));
          return {
            run,
            before,
            after: `${databases(server)} ${server.superSql(`SELECT v FROM ${sentinel}`, decl.database)}${safetyDumps.length ? ` safety dumps: ${safetyDumps.join(',')}` : ''}`,
          };
        }),
      )
    : undefined;
  const restored = background(
    (refusal ?? target)
      .catch(() => undefined)
      .then(async () => {
        const { server } = await target;
        const run = await runPod(restore.objects, restore.pod, net(server), { name: 'restore' });
        return { run, target: server };
      }),
  );
  return { backup, refusal, restore: restored, sourceCounts: () => pgSeeded.get(unit)! };
}

const redisSeeded = new Map<RedisUnit, string[]>();

/** The whole drill of a Redis backup: backup pod, (refusal of a corrupt dump), restore into a fresh data dir and a Redis started on it. */
function startRedisDrill(
  unit: RedisUnit,
  drill: Drill,
): DrillRun<RedisRestoreStep> & { expected: () => string[]; whileRunning: Promise<{ run: PodRun; after: string }> } {
  const source = REDIS_SOURCES.get(unit);
  const s3 = localS3.get(drill.env);
  const net = (): LocalNetwork => ({
    stores: new Map([[unit.cache.host, { port: unit.cache.port, localPort: source!().server.port }]]),
    s3,
  });
  /** The documented procedure scales the store to 0 before a restore: its host then answers nothing. */
  const stoppedNet = async (): Promise<LocalNetwork> => ({
    stores: new Map([[unit.cache.host, { port: unit.cache.port, localPort: await freePort() }]]),
    s3,
  });
  const restore = restoreOf(drill, 'redis');
  /** The restore pod's data volume: the one mounted where REDIS_DATA_DIR points. */
  const dataVolume = (): string => {
    for (const c of [...(restore.pod.initContainers ?? []), ...restore.pod.containers]) {
      const dir = (c.env ?? []).find((e) => e.name === 'REDIS_DATA_DIR')?.value;
      const mount = dir && mountFor(c, dir);
      if (mount) return mount.mount.name;
    }
    throw new Error('the restore pod mounts no volume at REDIS_DATA_DIR');
  };

  const backup = background(
    (async () => {
      if (!source) throw new Error(`the store server of ${unit.cache.node.path} did not start`);
      if (!s3) throw new Error(`no local S3 for ${drill.env}`);
      if (!redisSeeded.has(unit)) {
        const r = source().server.cli(['eval', REDIS_SEED_LUA, '0']);
        if (r.status !== 0) throw new Error(`seeding failed: ${r.stderr}`);
        redisSeeded.set(unit, fingerprint(source().server));
      }
      return backupStep(drill, net());
    })(),
  );
  const refusal = isFirstOfProgram(drill)
    ? background(
        backup.then(async (b) => {
          const dataDir = scratch('redis-untouched');
          fs.writeFileSync(path.join(dataDir, 'dump.rdb'), 'existing');
          const before = `${fs.readdirSync(dataDir).join(',')} ${fs.readFileSync(path.join(dataDir, 'dump.rdb'), 'utf8')}`;
          const bad = await uploadTruncatedCopy(s3!, drill, dumpDirOf(b.run));
          const run = await runPod(restore.objects, restore.pod, await stoppedNet(), {
            name: 'restore-corrupt',
            overrides: { [dataVolume()]: dataDir },
            envFor: backupObject(bad),
          });
          return { run, before, after: `${fs.readdirSync(dataDir).join(',')} ${fs.readFileSync(path.join(dataDir, 'dump.rdb'), 'utf8')}` };
        }),
      )
    : undefined;
  const restored = background(
    (refusal ?? backup)
      .catch(() => undefined)
      .then(async () => {
        await backup;
        const root = scratch(`redis-restored-${unit.cache.name}`);
        const dataDir = redisDataDir(unit, root);
        fs.mkdirSync(dataDir, { recursive: true });
        const run = await runPod(restore.objects, restore.pod, await stoppedNet(), {
          name: 'restore',
          overrides: { [dataVolume()]: dataDir },
        });
        return { run, restored: run.ok ? await bootRedis(unit, root) : undefined };
      }),
  );
  // While the store still answers, the restore must refuse before touching its data volume.
  const whileRunning = background(
    restored
      .catch(() => undefined)
      .then(async () => {
        const dataDir = scratch('redis-live');
        fs.writeFileSync(path.join(dataDir, 'dump.rdb'), 'live');
        const run = await runPod(restore.objects, restore.pod, net(), { name: 'restore-live', overrides: { [dataVolume()]: dataDir } });
        return { run, after: `${fs.readdirSync(dataDir).join(',')} ${fs.readFileSync(path.join(dataDir, 'dump.rdb'), 'utf8')}` };
      }),
  );
  return { backup, refusal, restore: restored, whileRunning, expected: () => redisSeeded.get(unit)! };
}

describe('MongoDB backups of the stacks run the scripts mongodb-backup.test.ts drills', () => {
  test.each(MONGO_BACKUPS.map((m) => [`${m.where} ${m.backup.node.path}`, m] as const))('%s', (_name, m) => {
    const cronJob = findObject(m.objects, 'CronJob', m.backup.cronJob.name);
    const restore = m.backup.restoreCronJob ? findObject(m.objects, 'CronJob', m.backup.restoreCronJob.name) : undefined;
    const files = (o: K8sObject) =>
      Object.fromEntries(
        (podSpecOf(o).volumes ?? [])
          .filter((v) => v.configMap)
          .flatMap((v) => [...configMapVolumeFiles(m.objects, v)].map(([n, f]) => [n, f.content])),
      );
    expect(files(cronJob)['dump.sh']).toBe(m.engine.dumpScript);
    expect(restore).toBeDefined();
    expect(files(restore!)['safety-dump.sh']).toBe(m.engine.safetyDumpScript);
    expect(files(restore!)['restore.sh']).toBe(m.engine.restoreScript);
  });
});

describe('backup drills: every DatabaseBackup, from its synthesized CronJobs, against a seeded store and a local S3', () => {
  const pgRuns = new Map<Drill, ReturnType<typeof startPostgresDrill>>();
  const redisRuns = new Map<Drill, ReturnType<typeof startRedisDrill>>();

  beforeAll(() => {
    // Started together, awaited step by step by the tests below.
    for (const unit of PG_UNITS) for (const d of unit.drills) pgRuns.set(d, startPostgresDrill(unit, d));
    for (const unit of REDIS_UNITS) for (const d of unit.drills) redisRuns.set(d, startRedisDrill(unit, d));
  });

  afterAll(async () => {
    // Nothing may still be running when the servers are stopped (e.g. steps of tests filtered out).
    await Promise.allSettled(
      [...pgRuns.values(), ...redisRuns.values()].flatMap((r) => [
        r.backup,
        r.restore,
        ...(r.refusal ? [r.refusal] : []),
        ...('whileRunning' in r ? [r.whileRunning] : []),
      ]),
    );
  });

  const backupTest = (drill: Drill, step: () => Promise<BackupStep>, what: string) =>
    test(`backup pod (${containerNames(podSpecOf(drill.cronJob))}) dumps the seeded ${what} and uploads the dump and its .sha256`, async () => {
      const b = await step();
      expect(b.dumpName).toMatch(dumpNamePattern(drill.backup));
      expect(b.keys).toEqual(expect.arrayContaining([`${b.prefix}/${b.dumpName}`, `${b.prefix}/${b.dumpName}.sha256`]));
    });

  const refusalTest = (drill: Drill, step: () => Promise<RefusalStep> | undefined, target: string) => {
    if (!isFirstOfProgram(drill)) return;
    test(`a corrupt upload (truncated, with a matching .sha256) is refused by the integrity check before ${target} is touched (restore program #${short(drill.restoreProgram)})`, async () => {
      const r = (await step())!;
      expect(r.run.ok).toBe(false);
      // The download (checksum) passed; a later container's integrity check refused the dump.
      expect(r.run.runs[0].status).toBe(0);
      expect(r.run.failed).not.toBe(r.run.runs[0]);
      expect(`${r.run.failed!.name}: ${r.run.failed!.output}`).toMatch(INTEGRITY_REFUSAL);
      expect(r.after).toBe(r.before);
    });
  };

  for (const unit of PG_UNITS) {
    const decl = unit.db.declaration;
    for (const drill of unit.drills) {
      const restore = restoreOf(drill, 'postgres');
      describe(`PostgreSQL ${drill.backup.node.path}: CronJob ${drill.cronJob.metadata.name} -> local S3 -> ${restore.label} ${occurrences(drill.where)} #${short(drill.key)}`, () => {
        backupTest(drill, () => pgRuns.get(drill)!.backup, `database ${decl.database}`);
        refusalTest(drill, () => pgRuns.get(drill)!.refusal, 'the fresh instance');

        test(`restore pod (${containerNames(restore.pod)}) restores the latest backup into a fresh instance: the same tables and row counts, owners and grants back`, async () => {
          const { run, target } = await pgRuns.get(drill)!.restore;
          expectPodOk(run, `restore of ${drill.backup.node.path}`);
          const expected = pgRuns.get(drill)!.sourceCounts();
          expect(expected.split(',').filter((x) => /\.drill_items=/.test(x)).length).toBe(Math.max(decl.schemas.length, 1));
          expect(tableCounts(target, decl.database, ['drill_sentinel'])).toBe(expected);
          const owner = decl.roles.find((r) => r.access === 'owner')?.name;
          const reader = decl.roles.find((r) => r.access === 'readonly' || r.access === 'readwrite')?.name;
          const tables = decl.schemas.map((s) => `${quoteIdent(s)}.drill_items`);
          if (owner)
            expect(
              target
                .superSql(
                  tables.map((x) => `SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = '${x}'::regclass;`).join('\n'),
                  decl.database,
                )
                .split('\n'),
            ).toEqual(tables.map(() => owner));
          if (reader) {
            expect(ok(asRole(target, decl, reader, tables.map((x) => `SELECT count(*) FROM ${x};`).join('\n'))).split('\n')).toEqual(
              tables.map(
                (x) =>
                  expected
                    .split(',')
                    .find((e) => e.startsWith(`${x.replace(/"/g, '')}=`))!
                    .split('=')[1],
              ),
            );
          }
          if (decl.rowLevelSecurity) {
            const table = `${quoteIdent((decl.rowLevelSecurity.schemas ?? decl.schemas)[0])}.drill_tenant_rows`;
            expect(
              target.superSql(
                `SELECT relrowsecurity AND relforcerowsecurity FROM pg_class WHERE oid = '${table}'::regclass`,
                decl.database,
              ),
            ).toBe('t');
          }
        });
      });
    }
  }

  for (const unit of REDIS_UNITS) {
    for (const drill of unit.drills) {
      const restore = restoreOf(drill, 'redis');
      describe(`Redis ${drill.backup.node.path}: CronJob ${drill.cronJob.metadata.name} -> local S3 -> ${restore.label} ${occurrences(drill.where)} #${short(drill.key)}`, () => {
        backupTest(drill, () => redisRuns.get(drill)!.backup, `Redis ${unit.cache.name}`);
        refusalTest(drill, () => redisRuns.get(drill)!.refusal, 'the data dir');

        test(`restore pod (${containerNames(restore.pod)}) restores the latest backup into a fresh data dir; Redis started from the synthesized StatefulSet on it has every key`, async () => {
          const { run, restored } = await redisRuns.get(drill)!.restore;
          expectPodOk(run, `restore of ${drill.backup.node.path}`);
          const expected = redisRuns.get(drill)!.expected();
          expect(expected.filter((k) => k.startsWith('drill:'))).toHaveLength(REDIS_SEEDED_KEYS);
          expect(fingerprint(restored!.server)).toEqual(expected);
        });

        test('the restore refuses while the store still answers (scale it to 0 first), before touching the data volume', async () => {
          const { run, after } = await redisRuns.get(drill)!.whileRunning;
          expect(run.ok).toBe(false);
          expect(run.failed?.name).toBe('ensure-stopped');
          expect(run.failed?.output).toContain('is running');
          expect(after).toBe('dump.rdb live');
        });
      });
    }
  }
});

// =============================================================================================
// nginx
// =============================================================================================

interface NginxConfig {
  readonly key: string;
  readonly where: string[];
  readonly file: string;
  readonly content: string;
}

const NGINX_CONFIGS: NginxConfig[] = [];
for (const { env, id, objects } of CHARTS) {
  for (const cm of objects.filter((o) => o.kind === 'ConfigMap')) {
    for (const [file, content] of Object.entries((cm.data ?? {}) as Record<string, string>)) {
      if (!file.endsWith('.conf') || !/\b(server|http)\s*\{/.test(content)) continue;
      const key = sha(content);
      unitFor(NGINX_CONFIGS, key, `${env}/${id} ConfigMap ${cm.metadata.name}`, () => ({
        key,
        where: [`${env}/${id} ConfigMap ${cm.metadata.name}`],
        file,
        content,
      }));
    }
  }
}

/** Host names an nginx config connects to (proxy_pass and friends, upstream servers). */
function nginxHosts(conf: string): string[] {
  const hosts = new Set<string>();
  for (const m of conf.matchAll(/\b(?:proxy|grpc|uwsgi|fastcgi|scgi|memcached)_pass\s+(?:[a-z]+:\/\/)?([A-Za-z0-9.-]+)/g)) hosts.add(m[1]);
  for (const block of conf.matchAll(/\bupstream\s+\S+\s*\{([^}]*)\}/g)) {
    for (const m of block[1].matchAll(/\bserver\s+([A-Za-z0-9.-]+)/g)) hosts.add(m[1]);
  }
  return [...hosts].filter((h) => !/^\d+(\.\d+){3}$/.test(h) && h !== 'localhost' && h !== 'unix');
}

/**
 * `nginx -t` of a config as the image loads it: a full config (with `http {`) as the main file, a
 * server-level file wrapped in a minimal main config that includes it inside `http { }` (as the
 * image's nginx.conf includes conf.d/*.conf). Runs in a private mount namespace (`unshare -m`):
 * /etc/hosts maps the hosts the config connects to (cluster DNS names) to 127.0.0.1, and /tmp is
 * a private tmpfs, so the pid and temp paths the config names are created there, not on this machine.
 */
function nginxTest(config: { file: string; content: string }): { status: number | null; output: string } {
  const dir = scratch('nginx');
  fs.mkdirSync(path.join(dir, 'conf'));
  fs.mkdirSync(path.join(dir, 'logs'));
  fs.writeFileSync(path.join(dir, 'conf', config.file), config.content);
  let main = config.file;
  if (!/\bhttp\s*\{/.test(config.content)) {
    main = config.file === 'main.conf' ? 'wrapper-main.conf' : 'main.conf';
    fs.writeFileSync(
      path.join(dir, 'conf', main),
      `pid /tmp/nginx.pid;\nerror_log stderr warn;\nevents {}\nhttp {\n    include /etc/nginx/mime.types;\n    include ${config.file};\n}\n`,
    );
  }
  fs.writeFileSync(
    path.join(dir, 'hosts'),
    `127.0.0.1 localhost\n::1 localhost\n${nginxHosts(config.content)
      .map((h) => `127.0.0.1 ${h}`)
      .join('\n')}\n`,
  );
  // Output as files, as a container runtime gives them (nginx may open /dev/stdout).
  const out = [path.join(dir, 'out'), path.join(dir, 'err')];
  const fds = out.map((f) => fs.openSync(f, 'w'));
  const script = 'mount -t tmpfs -o size=16m,mode=1777 tmpfs /tmp && mount --bind ./hosts /etc/hosts && exec "$@"';
  const r = spawnSync(
    unshare,
    ['-m', 'sh', '-c', script, 'nginx-test', nginx, '-t', '-p', './', '-c', `conf/${main}`, '-e', 'logs/error.log'],
    { cwd: dir, stdio: ['ignore', fds[0], fds[1]], timeout: 30_000 },
  );
  fds.forEach((fd) => fs.closeSync(fd));
  return { status: r.status, output: out.map((f) => fs.readFileSync(f, 'utf8')).join('') + (r.error ? r.error.message : '') };
}

describe('nginx: every nginx config in any ConfigMap of any environment', () => {
  for (const config of NGINX_CONFIGS) {
    test(`passes nginx -t: ${config.file} of ${occurrences(config.where)} #${short(config.key)}`, () => {
      const r = nginxTest(config);
      expect(r.output).toMatch(/syntax is ok/);
      expect(r.output).toMatch(/test is successful/);
      expect(r.status).toBe(0);
    });
  }

  const base = NGINX_CONFIGS[0] ?? { key: sha('fallback'), file: 'default.conf', content: 'server {\n    listen 8080;\n}\n' };
  test(`a deliberately broken copy fails nginx -t (the check is real): ${base.file} #${short(base.key)} with an unknown directive`, () => {
    const broken = base.content.replace(/\bserver\s*\{/, 'server {\n    synth_not_a_directive on;');
    expect(broken).not.toBe(base.content);
    const r = nginxTest({ file: base.file, content: broken });
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/unknown directive "synth_not_a_directive"/);
  });
});

// =============================================================================================
// What the suite found
// =============================================================================================

test('the suite covers every data store and backup the project synthesizes', () => {
  const all = CHARTS.flatMap(({ env, id, chart }) =>
    chart.node
      .findAll()
      .filter((c) => c instanceof StatefulStore || c instanceof DatabaseBackup)
      .map((c) => `${env}/${id} ${c.node.path}`),
  );
  const covered = [
    ...PG_UNITS.flatMap((u) => u.where.map((w) => `${w} ${u.db.node.path}`)),
    ...REDIS_UNITS.flatMap((u) => u.where.map((w) => `${w} ${u.cache.node.path}`)),
    ...[...PG_UNITS, ...REDIS_UNITS].flatMap((u) => u.drills.flatMap((d) => d.where.map((w) => `${w} ${d.backup.node.path}`))),
    ...MONGO_BACKUPS.map((m) => `${m.where} ${m.backup.node.path}`),
    ...PITR_BASE_BACKUPS,
    // Servers that cannot be installed here, each tested elsewhere: MongoDB (its init script run by node against a
    // fake mongosh, test/lib/mongodb-database.test.ts), MinIO (its bucket Job and mirror against s3rver, test/integration/bucket-*.test.ts),
    // Elasticsearch; and PostgreSQL standbys, which need their primary.
    ...CHARTS.flatMap(({ env, id, chart }) =>
      chart.node
        .findAll()
        .filter(
          (c) =>
            c instanceof MongoDatabase ||
            c instanceof MinioServer ||
            // Elasticsearch: its scripts in elasticsearch-scripts.test.ts, its setup in search-setup.test.ts.
            c instanceof ElasticsearchCluster ||
            // A PostgreSQL standby: cloned, streaming and promoted on a real server in postgres-replication.test.ts.
            (c instanceof StatefulStore && c.node.scope instanceof PostgresStandby),
        )
        .map((c) => `${env}/${id} ${c.node.path}`),
    ),
    // Dev tools on a StatefulStore (LocalStack, pgAdmin), no server installable here either: their data PVC and
    // config are asserted in test/lib/library-extensions.test.ts and test/stacks/wondernest.test.ts, LocalStack's
    // init script by shellcheck (test/integration/shellcheck.test.ts).
    ...CHARTS.flatMap(({ env, id, chart }) =>
      chart.node
        .findAll()
        .filter((c) => c instanceof StatefulStore && c.statefulSet.metadata.getLabel('app.kubernetes.io/component') === 'dev-tool')
        .map((c) => `${env}/${id} ${c.node.path}`),
    ),
  ];
  // A StatefulStore that is neither PostgreSQL nor Redis (or a backup of one) needs its own section in this suite.
  expect([...covered].sort()).toEqual([...all].sort());
  expect(PG_UNITS.length + REDIS_UNITS.length).toBeGreaterThan(0);
});
