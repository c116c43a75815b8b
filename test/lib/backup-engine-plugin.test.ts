/**
 * DatabaseBackup with an engine the library does not ship (test/support/mongo-backup-engine.ts):
 * the backup CronJob and the restore CronJob come out complete, pass every project check
 * (schema, pod security, best practices, secrets, reachability), and a bad engine or restore
 * plan is refused with a message naming it.
 */
import { Chart, Testing } from 'cdk8s';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { runChecks } from '../../lib/checks';
import { BackupEngine, BackupRestorePlan } from '../../lib/constructs/backup/backup-engine';
import { backupScript } from '../../lib/constructs/backup/backup-scripts';
import { DatabaseBackup, DatabaseBackupProps } from '../../lib/constructs/backup/database-backup';
import { ServiceGraph } from '../../lib/constructs/network/service-graph';
import { AppNamespace } from '../../lib/constructs/platform/app-namespace';
import { StatefulStore } from '../../lib/constructs/data/stateful-store';
import { stackLabels } from '../../lib/core/labels';
import { S3CompatibleStorage } from '../../lib/constructs/storage';
import { manifests } from '../checks/helpers';
import { MongoBackupEngine, mongoDumpScript, mongoRestoreScript, mongoSafetyDumpScript } from '../support/mongo-backup-engine';
import { Doc } from '../support/doc';
import { ALL_CHECK_FAMILIES } from '../support/check-families';

const resources = { cpuRequest: '50m', memoryRequest: '128Mi', memoryLimit: '256Mi' };
const storageSpec = { size: '1Gi', storageClassName: 'standard' };
const minioCredentials = {
  accessKeyId: { secret: 'minio-credentials', key: 'ACCESS_KEY' },
  secretAccessKey: { secret: 'minio-credentials', key: 'SECRET_KEY' },
};
const minioServer = { name: 'minio', host: 'minio.shop.svc.cluster.local', ports: { api: 9000, console: 9001 } };
const storage = new S3CompatibleStorage({ server: minioServer, port: 'api', credentials: minioCredentials });
const base: DatabaseBackupProps = {
  namespace: 'shop',
  partOf: 'shop',
  name: 'mongodb-backup',
  engine: new MongoBackupEngine(),
  source: {
    image: 'mongo:7.0.14',
    runAsUser: 999,
    env: {},
    secretEnv: { MONGODB_URI: { secret: 'mongodb-credentials', key: 'BACKUP_URI' } },
  },
  schedule: '30 1 * * *',
  retentionDays: 14,
  target: storage.target({ bucket: 'backups', prefix: 'shop/mongodb' }),
  uploaderImage: 'amazon/aws-cli:2.22.35',
  resources,
};

/**
 * The stack the backup lives in, composed from the library only: an S3-compatible server (API and
 * console ports, metrics from its own port) and a three-member MongoDB-style replica set with an
 * exporter, both StatefulStores, in a default-deny graph.
 */
function synth(props: Partial<DatabaseBackupProps> = {}) {
  const chart = new Chart(Testing.app(), 'shop', { labels: stackLabels('shop') });
  new AppNamespace(chart, 'ns', { name: 'shop' });
  const graph = new ServiceGraph(chart, 'graph', { namespace: 'shop', externals: { prometheus: { namespace: 'monitoring' } } });
  const minio = new StatefulStore(chart, 'minio', {
    namespace: 'shop',
    name: 'minio',
    partOf: 'shop',
    component: 'object-store',
    ports: minioServer.ports,
    clientPort: 'api',
    runAs: { user: 1000 },
    dataPath: '/data',
    storage: storageSpec,
    metrics: { port: 'api', path: '/minio/v2/metrics/cluster' },
    release: 'kps',
    container: {
      image: 'minio/minio:RELEASE.2025-04-22T22-12-26Z',
      runAs: { user: 1000 },
      resources,
      args: ['server', '/data', '--console-address', ':9001'],
      secretEnv: { MINIO_ROOT_USER: minioCredentials.accessKeyId, MINIO_ROOT_PASSWORD: minioCredentials.secretAccessKey },
      readiness: { httpGet: { path: '/minio/health/ready', port: 'api' } },
    },
  });
  const ping = ['mongosh', '--quiet', '--eval', 'db.adminCommand({ ping: 1 }).ok'];
  const mongodb = new StatefulStore(chart, 'mongodb', {
    namespace: 'shop',
    name: 'mongodb',
    partOf: 'shop',
    component: 'database',
    ports: { mongodb: 27017 },
    replicas: 3,
    runAs: { user: 999 },
    dataPath: '/data/db',
    storage: storageSpec,
    release: 'kps',
    container: {
      image: 'mongo:7.0.14',
      runAs: { user: 999 },
      resources,
      args: ['--replSet', 'rs0', '--keyFile', '/tmp/keyfile'],
      readiness: { exec: ping },
    },
    initContainers: [
      {
        name: 'keyfile',
        command: ['sh', '-c', 'printf %s "$KEY" > /tmp/keyfile && chmod 400 /tmp/keyfile'],
        secretEnv: { KEY: { secret: 'mongodb-credentials', key: 'KEYFILE' } },
      },
    ],
    exporter: {
      image: 'percona/mongodb_exporter:0.43.1',
      port: 9216,
      runAs: { user: 65534 },
      resources,
      secretEnv: { MONGODB_URI: { secret: 'mongodb-credentials', key: 'EXPORTER_URI' } },
    },
  });
  graph.addComponent(minio);
  graph.addComponent(mongodb);
  const backup = new DatabaseBackup(chart, 'backup', { ...base, ...props });
  for (const c of [backup.component, ...(backup.restoreComponent ? [backup.restoreComponent] : [])]) {
    graph.addComponent(c);
    graph.allow(c, mongodb, 'mongodb');
    storage.allowAccess(graph, c);
  }
  return { backup, graph, objects: Testing.synth(chart) };
}

const podOf = (cronJob: Doc): Doc => cronJob.spec.jobTemplate.spec.template.spec;
const envOf = (container: IContainer) => Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));

describe('a backup engine defined outside the library', () => {
  const { backup, graph, objects } = synth();
  const cron = objects.find((o) => o.kind === 'CronJob' && o.metadata.name === 'mongodb-backup');
  const restore = objects.find((o) => o.kind === 'CronJob' && o.metadata.name === 'mongodb-restore');

  test("the backup CronJob dumps with the engine's script in the source image, then uploads", () => {
    const pod = podOf(cron);
    expect(pod.initContainers.map((c: IContainer) => [c.name, c.image, c.command])).toEqual([
      ['dump', 'mongo:7.0.14', ['bash', '/scripts/dump.sh']],
    ]);
    expect(pod.containers.map((c: IContainer) => [c.name, c.command])).toEqual([['upload', ['bash', '/scripts/upload.sh']]]);
    expect(envOf(pod.initContainers[0])).toEqual({
      BACKUP_DIR: '/backup',
      BACKUP_NAME_PREFIX: 'mongodb',
      MONGODB_URI: { secretKeyRef: { name: 'mongodb-credentials', key: 'BACKUP_URI' } },
    });
    expect(envOf(pod.containers[0])).toMatchObject({
      S3_BUCKET: 'backups',
      S3_PREFIX: 'shop/mongodb',
      S3_ENDPOINT_URL: 'http://minio.shop.svc.cluster.local:9000',
      RETENTION_DAYS: '14',
      AWS_ACCESS_KEY_ID: { secretKeyRef: { name: 'minio-credentials', key: 'ACCESS_KEY' } },
    });
    expect(cron.spec).toMatchObject({ schedule: '30 1 * * *', suspend: false, concurrencyPolicy: 'Forbid' });
  });

  test("the scripts ConfigMap holds the engine's scripts and S3 scripts that accept its .archive.gz", () => {
    const data = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'mongodb-backup-scripts').data;
    expect(Object.keys(data).sort()).toEqual(['download.sh', 'dump.sh', 'restore.sh', 'safety-dump.sh', 'upload.sh']);
    expect(data['dump.sh']).toBe(mongoDumpScript);
    expect(data['safety-dump.sh']).toBe(mongoSafetyDumpScript);
    expect(data['restore.sh']).toBe(mongoRestoreScript);
    expect(data['upload.sh']).toContain('check_backup_name "$name" sql.gz rdb archive.gz\n');
    expect(data['download.sh']).toContain('check_backup_name "$name" sql.gz rdb archive.gz\n');
  });

  test('the restore downloads, takes a safety dump, uploads it under pre-restore/, then restores', () => {
    expect(restore.spec.suspend).toBe(true);
    const pod = podOf(restore);
    expect(pod.initContainers.map((c: IContainer) => c.name)).toEqual(['download', 'safety-dump', 'safety-upload']);
    expect(pod.containers.map((c: IContainer) => c.name)).toEqual(['restore']);
    expect(envOf(pod.initContainers[0]).BACKUP_OBJECT).toBe('latest');
    expect(envOf(pod.initContainers[2])).toMatchObject({ S3_PREFIX: 'shop/mongodb/pre-restore', RETENTION_DAYS: '14' });
    expect(pod.containers[0].command).toEqual(['bash', '/scripts/restore.sh']);
    expect(backup.restoreComponent?.name).toBe('mongodb-restore');
  });

  test('passes every project check, the reachability of the declared graph included', () => {
    const result = runChecks({
      objects: manifests(objects),
      environments: { dev: { monitoringRelease: 'kps', graphs: { shop: graph.toDeclaration() } } },
    });
    expect(result.violations).toEqual([]);
    expect(result.families).toEqual(ALL_CHECK_FAMILIES);
  });
});

/** The test engine with one thing changed. */
function engine(over: Partial<BackupEngine>, plan?: Partial<BackupRestorePlan>): BackupEngine {
  const e = new MongoBackupEngine();
  return {
    name: e.name,
    fileExtension: e.fileExtension,
    sourceEnv: e.sourceEnv,
    dumpScript: e.dumpScript,
    restoreByDefault: e.restoreByDefault,
    restorePlan: () => ({ ...e.restorePlan(), ...plan }),
    ...over,
  };
}

describe('DatabaseBackup refuses a bad engine or restore plan', () => {
  const where = "DatabaseBackup 'mongodb-backup'";
  test.each([
    ['a name that cannot prefix a file', engine({ name: '-mongo' }), `${where}: engine.name '-mongo'; expected letters, digits`],
    [
      'an extension with a dot in front',
      engine({ fileExtension: '.archive' }),
      `${where}: engine 'mongodb' fileExtension '.archive'; expected lowercase letters and digits`,
    ],
    [
      'env the source does not give',
      engine({ sourceEnv: ['MONGODB_URI', 'MONGODB_TLS_CA'] }),
      `${where}: source lacks MONGODB_TLS_CA; engine 'mongodb' needs MONGODB_URI, MONGODB_TLS_CA`,
    ],
    [
      'a failing plan',
      engine({
        restorePlan: () => {
          throw new Error('no restore without a replica set');
        },
      }),
      `${where}: no restore without a replica set`,
    ],
    [
      'a script named like a shared one',
      engine({}, { scripts: { 'upload.sh': 'x', 'restore.sh': 'y' } }),
      `${where}: engine 'mongodb' restore plan: script 'upload.sh' is one of the backup's own`,
    ],
    [
      'a script name with a slash',
      engine({}, { scripts: { '../restore.sh': 'x' } }),
      `${where}: engine 'mongodb' restore plan: script '../restore.sh'; expected a file name`,
    ],
    ['no steps', engine({}, { steps: [] }), `${where}: engine 'mongodb' restore plan: steps is empty`],
    [
      'an upload as the last step',
      engine({}, { steps: [{ kind: 'upload', name: 'up', subPrefix: 'x' }] }),
      "restore plan: the last step 'up' is an upload; expected a 'store' step",
    ],
    [
      'a step called download',
      engine({}, { steps: [{ kind: 'store', name: 'download', script: 'restore.sh' }] }),
      "restore plan: step name 'download' is used twice",
    ],
    [
      'a step running a script it lacks',
      engine({}, { steps: [{ kind: 'store', name: 'restore', script: 'nope.sh' }] }),
      "restore plan: step 'restore' runs 'nope.sh', which is not among its scripts (safety-dump.sh, restore.sh)",
    ],
    [
      'a bad sub-prefix',
      engine(
        {},
        {
          steps: [
            { kind: 'upload', name: 'up', subPrefix: 'pre restore' },
            { kind: 'store', name: 'restore', script: 'restore.sh' },
          ],
        },
      ),
      "restore plan: step 'up' subPrefix 'pre restore'; expected a relative key prefix",
    ],
    [
      'a volume named like a shared one',
      engine({}, { volumes: [{ name: 'backup', emptyDir: {} }] }),
      "restore plan: volume 'backup' is taken (scripts, backup, tmp)",
    ],
    [
      'a mount of an undeclared volume',
      engine(
        {},
        { steps: [{ kind: 'store', name: 'restore', script: 'restore.sh', volumeMounts: [{ name: 'data', mountPath: '/data' }] }] },
      ),
      "restore plan: step 'restore' mounts volume 'data', which the plan does not declare (none)",
    ],
  ])('%s', (_what, e, message) => {
    expect(() => synth({ engine: e })).toThrow(message);
  });

  test('restore options with restore off', () => {
    expect(() => synth({ engine: engine({ restoreOptions: ['replicaSet rs0'] }), restore: false })).toThrow(
      `${where}: restore is false but engine 'mongodb' was given restore options (replicaSet rs0)`,
    );
  });

  test('restore off: backup only, no restore scripts', () => {
    const { backup, objects } = synth({ restore: false });
    expect(backup.restoreCronJob).toBeUndefined();
    expect(Object.keys(objects.find((o) => o.kind === 'ConfigMap').data).sort()).toEqual(['dump.sh', 'upload.sh']);
  });
});

describe('backupScript', () => {
  test('header, shared helpers, then the body', () => {
    const s = backupScript({ name: 'x-dump', description: 'dumps x', body: 'log done' });
    expect(s.startsWith('#!/usr/bin/env bash\n# x-dump: dumps x\n')).toBe(true);
    expect(s).toContain('\nset -euo pipefail\nSCRIPT_NAME=x-dump\n');
    expect(s).toContain('\nverify_checksum() {');
    expect(s.endsWith('\nlog done\n')).toBe(true);
    expect(backupScript({ name: 'x', description: 'd', body: 'true\n', shell: 'sh' })).toMatch(
      /^#!\/bin\/sh\n[^]*\nset -eu\nSCRIPT_NAME=x\n/,
    );
  });
  test.each([
    ['a bad name', { name: 'X_dump', description: 'd', body: '' }, "backupScript: name 'X_dump'"],
    [
      'a two-line description',
      { name: 'x', description: 'a\nb', body: '' },
      'backupScript \'x\': description "a\\nb"; expected one non-empty line',
    ],
    ['an unknown shell', { name: 'x', description: 'd', body: '', shell: 'zsh' }, "backupScript 'x': shell 'zsh'; expected 'bash' or 'sh'"],
  ])('refuses %s', (_what, options, message) => {
    expect(() => backupScript(options as Parameters<typeof backupScript>[0])).toThrow(message);
  });
});
