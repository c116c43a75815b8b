/**
 * MongoDbBackupEngine (lib/constructs/backup/mongodb-backup-engine.ts) through DatabaseBackup, with
 * the source MongoDatabase.backupSource() gives. The scripts run end to end (s3rver, stand-in
 * mongodump/mongorestore) in test/integration/mongodb-backup.test.ts.
 */
import { Testing } from 'cdk8s';
import { PodSecurityCheck } from '../../lib/checks/pod-security-check';
import { SecretsCheck } from '../../lib/checks/secrets-check';
import { DatabaseBackup } from '../../lib/constructs/backup/database-backup';
import { MONGODB_BACKUP_EXTENSION, MongoDbBackupEngine } from '../../lib/constructs/backup/mongodb-backup-engine';
import { MongoDatabase, MongoDatabaseProps } from '../../lib/constructs/data/mongodb-database';
import { S3CompatibleStorage } from '../../lib/constructs/storage';
import { manifests, namespace } from '../checks/helpers';
import { Doc } from '../support/doc';
import { expectNoSecretValues, expectRestrictedPods } from '../support/stack-assertions';
import { find } from '../support/synth';
import { MONGO_PROPS } from '../support/mongodb-fixture';

const MONGO: MongoDatabaseProps = MONGO_PROPS;

function synth(engine = new MongoDbBackupEngine(), mongoProps: Partial<MongoDatabaseProps> = {}) {
  const chart = Testing.chart();
  const mongo = new MongoDatabase(chart, 'mongodb', { ...MONGO, ...mongoProps });
  const storage = new S3CompatibleStorage({
    server: { name: 'minio', host: 'minio.shop.svc.cluster.local', ports: { api: 9000, console: 9001 } },
    port: 'api',
    credentials: {
      accessKeyId: { secret: 'minio-credentials', key: 'ACCESS_KEY' },
      secretAccessKey: { secret: 'minio-credentials', key: 'SECRET_KEY' },
    },
  });
  const backup = new DatabaseBackup(chart, 'backup', {
    namespace: 'shop',
    partOf: 'shop',
    name: 'mongodb-backup',
    engine,
    source: mongo.backupSource(),
    schedule: '30 1 * * *',
    retentionDays: 14,
    target: storage.target({ bucket: 'backups', prefix: 'shop/mongodb' }),
    uploaderImage: 'amazon/aws-cli:2.22.35',
    resources: { cpuRequest: '50m', memoryRequest: '256Mi', memoryLimit: '512Mi' },
  });
  const objects: Doc[] = Testing.synth(chart);
  const backupObjects = objects.filter((o) => o.metadata.labels?.['app.kubernetes.io/component'] === 'backup');
  return { mongo, backup, objects, backupObjects, scripts: find(objects, 'ConfigMap', 'mongodb-backup-scripts').data };
}

const envOf = (c: Doc): Record<string, Doc> => Object.fromEntries((c.env ?? []).map((e: Doc) => [e.name, e.value ?? e.valueFrom]));

describe('MongoDbBackupEngine', () => {
  const engine = new MongoDbBackupEngine();

  test('a BackupEngine: name, extension, the env it needs, a restore by default', () => {
    expect([engine.name, engine.fileExtension, MONGODB_BACKUP_EXTENSION, engine.restoreByDefault, engine.oplog]).toEqual([
      'mongodb',
      'archive.gz',
      'archive.gz',
      true,
      true,
    ]);
    expect(engine.sourceEnv).toEqual(['MONGODB_HOSTS', 'MONGODB_USERNAME', 'MONGODB_PASSWORD']);
    expect(engine.restorePlan()).toEqual({
      scripts: { 'safety-dump.sh': engine.safetyDumpScript, 'restore.sh': engine.restoreScript },
      steps: [
        { kind: 'store', name: 'safety-dump', script: 'safety-dump.sh' },
        { kind: 'upload', name: 'safety-upload', subPrefix: 'pre-restore' },
        { kind: 'store', name: 'restore', script: 'restore.sh' },
      ],
    });
  });

  test('the scripts: backupScript header and helpers, the shared MongoDB part, the settings as plain assignments', () => {
    for (const [script, name] of [
      [engine.dumpScript, 'mongodb-dump'],
      [engine.safetyDumpScript, 'mongodb-safety-dump'],
      [engine.restoreScript, 'mongodb-restore'],
    ] as const) {
      expect(script.split('\n').slice(0, 5)).toEqual([
        '#!/usr/bin/env bash',
        expect.stringMatching(new RegExp(`^# ${name}: `)),
        expect.stringContaining('backupScript'),
        'set -euo pipefail',
        `SCRIPT_NAME=${name}`,
      ]);
      expect(script).toContain("MONGODB_OPLOG='yes'");
      expect(script).toContain('mongodb_connect()');
      expect(script).not.toMatch(/\{\{[A-Z_]+\}\}|@[a-z][a-z0-9_]*@/); // nothing left to fill
      expect(script).not.toMatch(/^# shellcheck shell=/m); // the assets' own lint directives stay in the assets
      expect(script).not.toMatch(/--password\b|-p "\$/); // the password goes through --config only
    }
    expect(engine.dumpScript).toContain("LATEST_NAME_FILE='latest-name'");
    expect(engine.dumpScript).toContain('mongodb_dump_to "$BACKUP_DIR" "$name"');
    expect(engine.restoreScript).not.toContain('LATEST_NAME_FILE=');
    expect(engine.restoreScript).toContain("RESTORE_NAME_FILE='restore-name'");
    expect(engine.restoreScript).toContain('--gzip --drop "${MONGODB_REPLAY_OPTIONS[@]}"');
  });

  test('oplog: --oplog on the dump and --oplogReplay on the restore by default; off for a standalone', () => {
    expect(engine.dumpScript).toContain('MONGODB_DUMP_OPTIONS=(--oplog)');
    expect(engine.dumpScript).toContain('MONGODB_REPLAY_OPTIONS=(--oplogReplay)');
    const standalone = new MongoDbBackupEngine({ oplog: false });
    expect(standalone.oplog).toBe(false);
    expect(standalone.dumpScript).toContain("MONGODB_OPLOG='no'");
    expect(standalone.restoreScript).toContain("MONGODB_OPLOG='no'");
    expect(() => new MongoDbBackupEngine({ oplog: 'yes' as unknown as boolean })).toThrow(
      'MongoDbBackupEngine: oplog "yes"; expected true or false',
    );
  });
});

describe('DatabaseBackup with the MongoDB engine and MongoDatabase.backupSource()', () => {
  const s = synth();

  test('the dump runs in the database image as uid 999 with the backup user; the password from its Secret', () => {
    const pod = find(s.objects, 'CronJob', 'mongodb-backup').spec.jobTemplate.spec.template.spec;
    const [dump] = pod.initContainers;
    expect([dump.name, dump.image, dump.securityContext.runAsUser, dump.command]).toEqual([
      'dump',
      'mongo:7.0.28-jammy',
      999,
      ['bash', '/scripts/dump.sh'],
    ]);
    expect(envOf(dump)).toMatchObject({
      MONGODB_HOSTS: s.mongo.hostList,
      MONGODB_REPLICA_SET: 'rs0',
      MONGODB_AUTH_SOURCE: 'admin',
      MONGODB_USERNAME: 'mongodb_backup',
      MONGODB_PASSWORD: { secretKeyRef: { name: 'mongodb-credentials', key: 'MONGO_BACKUP_PASSWORD' } },
      BACKUP_NAME_PREFIX: 'mongodb',
    });
    expect(JSON.stringify(envOf(dump))).not.toMatch(/mongodb:\/\/[^"]*@/);
  });

  test('the scripts ConfigMap: the engine scripts and the shared S3 scripts, which know .archive.gz', () => {
    expect(Object.keys(s.scripts).sort()).toEqual(['download.sh', 'dump.sh', 'restore.sh', 'safety-dump.sh', 'upload.sh']);
    expect(s.scripts['dump.sh']).toBe(s.backup.engine.dumpScript);
    expect(s.scripts['upload.sh']).toContain('archive.gz');
    expect(s.scripts['download.sh']).toContain('archive.gz');
  });

  test('the restore CronJob (suspended): download, verify + safety dump, upload it under pre-restore/, restore', () => {
    const restore = find(s.objects, 'CronJob', 'mongodb-restore');
    expect(restore.spec.suspend).toBe(true);
    const pod = restore.spec.jobTemplate.spec.template.spec;
    expect([...pod.initContainers, ...pod.containers].map((c: Doc) => [c.name, c.command[1]])).toEqual([
      ['download', '/scripts/download.sh'],
      ['safety-dump', '/scripts/safety-dump.sh'],
      ['safety-upload', '/scripts/upload.sh'],
      ['restore', '/scripts/restore.sh'],
    ]);
    expect(envOf(pod.initContainers[2]).S3_PREFIX).toBe('shop/mongodb/pre-restore');
  });

  test('with TLS the dump verifies the servers with the CA of the TLS Secret', () => {
    const t = synth(new MongoDbBackupEngine(), { tls: { secretName: 'mongodb-tls' } });
    const [dump] = find(t.objects, 'CronJob', 'mongodb-backup').spec.jobTemplate.spec.template.spec.initContainers;
    expect(envOf(dump)).toMatchObject({
      MONGODB_TLS: 'true',
      MONGODB_TLS_CA_PEM: { secretKeyRef: { name: 'mongodb-tls', key: 'ca.crt' } },
    });
  });

  test('backup pods are restricted and carry no secret value; the graph lets them reach the members', () => {
    expectRestrictedPods(s.backupObjects, 2);
    expectNoSecretValues(s.backupObjects);
    const objects = manifests([namespace('shop'), ...s.objects]);
    expect(new PodSecurityCheck().run({ objects, environments: {} })).toEqual([]);
    expect(new SecretsCheck().run({ objects, environments: {} })).toEqual([]);
    expect(s.backup.component.podLabels).toEqual({ 'app.kubernetes.io/name': 'mongodb-backup', 'app.kubernetes.io/instance': 'shop' });
  });
});
