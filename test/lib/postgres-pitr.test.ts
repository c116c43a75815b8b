import { Testing } from 'cdk8s';
import { PostgresBaseBackupEngine } from '../../lib/constructs/backup/postgres-base-backup-engine';
import { PostgresPointInTimeRecovery, PostgresPointInTimeRecoveryProps } from '../../lib/constructs/backup/postgres-point-in-time-recovery';
import { BackupTarget } from '../../lib/constructs/backup/database-backup';
import { WAL_SCRIPTS_DIR, WAL_SPOOL_DIR, WalArchive, walArchiveSettings, WalArchiveProps } from '../../lib/constructs/backup/wal-archive';
import { walSpoolScript } from '../../lib/constructs/backup/wal-archive-scripts';
import { renderPgHba } from '../../lib/constructs/data/postgres-config';
import { PostgresDatabase, PostgresDatabaseProps } from '../../lib/constructs/data/postgres-database';
import { StatefulStore } from '../../lib/constructs/data/stateful-store';
import { postgresWalArchiveRules } from '../../lib/constructs/monitoring';
import { Doc } from '../support/doc';

const secret = (key: string) => ({ secret: 'pg', key });
const ARCHIVE: BackupTarget = {
  bucket: 'shop-prod-backups',
  prefix: 'shop/postgres-pitr',
  region: 'eu-west-1',
  roleArn: 'arn:aws:iam::123456789012:role/shop-prod-backup',
  serverSideEncryption: { algorithm: 'aws:kms', kmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:alias/shop-backups' },
  requireKms: true,
};
const DUMPS: BackupTarget = { ...ARCHIVE, prefix: 'shop/postgres' };
const RESOURCES = { cpuRequest: '25m', memoryRequest: '128Mi', memoryLimit: '256Mi' };
const archiveProps: WalArchiveProps = {
  namespace: 'shop',
  partOf: 'shop',
  target: ARCHIVE,
  uploaderImage: 'amazon/aws-cli:2.22.35',
  resources: RESOURCES,
};
const dbProps: Omit<PostgresDatabaseProps, 'walArchive'> = {
  namespace: 'shop',
  partOf: 'shop',
  image: 'postgres:15.13-bookworm',
  database: 'shop',
  superuserPassword: secret('POSTGRES_PASSWORD'),
  schemas: ['app'],
  roles: [{ name: 'app_rw', access: 'readwrite', connectionLimit: 10, password: secret('APP_RW_PASSWORD') }],
  settings: { max_connections: 50 },
  resources: { cpuRequest: '100m', memoryRequest: '256Mi', memoryLimit: '512Mi' },
  storage: { size: '10Gi', storageClassName: 'gp3' },
  tls: { issuer: { name: 'internal-ca' } },
};

function synth(
  archive: Partial<WalArchiveProps> = {},
  pitr: Partial<PostgresPointInTimeRecoveryProps> = {},
): { docs: Doc[]; pitr: PostgresPointInTimeRecovery } {
  const chart = Testing.chart();
  const wal = new WalArchive(chart, 'wal', { ...archiveProps, ...archive });
  const postgres = new PostgresDatabase(chart, 'postgres', { ...dbProps, walArchive: wal.hook });
  const recovery = new PostgresPointInTimeRecovery(chart, 'pitr', {
    namespace: 'shop',
    partOf: 'shop',
    postgres,
    image: dbProps.image,
    archive: wal,
    schedule: '0 3 * * *',
    retentionDays: 30,
    dumpTarget: DUMPS,
    uploaderImage: 'amazon/aws-cli:2.22.35',
    resources: RESOURCES,
    recoveryResources: dbProps.resources,
    size: '10Gi',
    storageClassName: 'gp3',
    ...pitr,
  });
  return { docs: Testing.synth(chart), pitr: recovery };
}

const envOf = (c: Doc): Record<string, unknown> =>
  Object.fromEntries((c.env as Doc[]).map((e) => [e.name, e.value ?? e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef]));

describe('WalArchive on a PostgresDatabase', () => {
  const { docs } = synth();
  const sts = docs.find((d) => d.kind === 'StatefulSet')!;
  const pod = sts.spec.template.spec;
  const config = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'postgres-config')!;

  test('postgresql.conf archives through wal-spool.sh every 60 s at most', () => {
    const conf = config.data['postgresql.conf'] as string;
    expect(conf).toContain("archive_mode = 'on'");
    expect(conf).toContain(`archive_command = 'bash ${WAL_SCRIPTS_DIR}/wal-spool.sh "%p" "%f"'`);
    expect(conf).toMatch(/^archive_timeout = 60$/m);
  });

  test('pg_hba lets the superuser open replication connections (base backups), over TLS only', () => {
    expect(config.data['pg_hba.conf']).toMatch(/^hostssl replication postgres\s+10\.0\.0\.0\/8\s+scram-sha-256$/m);
    expect(config.data['pg_hba.conf']).not.toMatch(/^host\s+replication/m);
  });

  test('the pod has the spool, the scripts and the wal-ship sidecar, with the IRSA service account', () => {
    expect(pod.containers.map((c: Doc) => c.name)).toEqual(['postgres', 'wal-ship']);
    const main = pod.containers[0];
    expect(main.volumeMounts).toEqual(
      expect.arrayContaining([
        { name: 'wal-spool', mountPath: WAL_SPOOL_DIR },
        { name: 'wal-scripts', mountPath: WAL_SCRIPTS_DIR, readOnly: true },
      ]),
    );
    const spool = pod.volumes.find((v: Doc) => v.name === 'wal-spool');
    // 32 files + 2 in flight, 16 MiB each.
    expect(spool.emptyDir.sizeLimit).toBe('544Mi');
    expect(pod.serviceAccountName).toBe('postgres-wal');
    const sa = docs.find((d) => d.kind === 'ServiceAccount' && d.metadata.name === 'postgres-wal')!;
    expect(sa.metadata.annotations['eks.amazonaws.com/role-arn']).toBe(ARCHIVE.roleArn);
    expect(sa.automountServiceAccountToken).toBe(false);
  });

  test('the sidecar uploads with SSE-KMS required, runs restricted as uid 999, and has heartbeat probes', () => {
    const ship = pod.containers[1];
    expect(ship.command).toEqual(['bash', `${WAL_SCRIPTS_DIR}/wal-ship.sh`]);
    expect(envOf(ship)).toMatchObject({
      WAL_SPOOL_DIR,
      S3_BUCKET: 'shop-prod-backups',
      S3_PREFIX: 'shop/postgres-pitr',
      S3_SSE: 'aws:kms',
      S3_SSE_KMS_ID: 'arn:aws:kms:eu-west-1:123456789012:alias/shop-backups',
      REQUIRE_SSE: 'true',
    });
    expect(envOf(ship)).not.toHaveProperty('AWS_ACCESS_KEY_ID');
    expect(ship.securityContext).toMatchObject({
      runAsUser: 999,
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(ship.livenessProbe.exec.command.join(' ')).toContain('/tmp/wal-ship.alive');
    expect(ship.readinessProbe.exec.command.join(' ')).toContain('-lt 600');
  });

  test('the scripts ConfigMap holds the rendered spool and ship scripts', () => {
    const cm = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'postgres-wal-scripts')!;
    expect(Object.keys(cm.data).sort()).toEqual(['wal-ship.sh', 'wal-spool.sh']);
    expect(cm.data['wal-spool.sh']).toContain(`SPOOL_DIR='${WAL_SPOOL_DIR}'`);
    expect(cm.data['wal-spool.sh']).toContain('MAX_FILES=32');
    expect(cm.data['wal-spool.sh']).toContain('MAX_AGE_SECONDS=900');
    expect(cm.data['wal-spool.sh']).not.toMatch(/@[a-z_]+@/);
  });
});

describe('PostgresPointInTimeRecovery', () => {
  const { docs } = synth();
  const cronJobs = docs.filter((d) => d.kind === 'CronJob');

  test('a daily base backup CronJob uploads pg_basebackup tars under <archive>/base', () => {
    const base = cronJobs.find((c) => c.metadata.name === 'postgres-basebackup')!;
    expect(base.spec.schedule).toBe('0 3 * * *');
    expect(base.spec.suspend).toBe(false);
    const spec = base.spec.jobTemplate.spec.template.spec;
    expect(spec.initContainers[0].image).toBe('postgres:15.13-bookworm');
    expect(envOf(spec.initContainers[0])).toMatchObject({
      PGHOST: 'postgres.shop.svc.cluster.local',
      PGUSER: 'postgres',
      PGSSLMODE: 'verify-full',
      BACKUP_NAME_PREFIX: 'postgres-base',
    });
    expect(envOf(spec.containers[0])).toMatchObject({ S3_PREFIX: 'shop/postgres-pitr/base', RETENTION_DAYS: '30', REQUIRE_SSE: 'true' });
    expect(spec.volumes.find((v: Doc) => v.name === 'backup').emptyDir.sizeLimit).toBe('10Gi');
    // No restore of its own: the PITR restore is the way back.
    expect(cronJobs.map((c) => c.metadata.name)).not.toContain('postgres-restore');
  });

  test('the restore CronJob is suspended, reads its target from a ConfigMap and recovers into a new ephemeral volume', () => {
    const restore = cronJobs.find((c) => c.metadata.name === 'postgres-pitr-restore')!;
    expect(restore.spec).toMatchObject({ suspend: true, concurrencyPolicy: 'Forbid' });
    expect(restore.spec.jobTemplate.spec.backoffLimit).toBe(0);
    const spec = restore.spec.jobTemplate.spec.template.spec;
    expect(spec.initContainers.map((c: Doc) => c.name)).toEqual(['fetch', 'recover']);
    expect(spec.containers.map((c: Doc) => c.name)).toEqual(['upload']);
    const target = { name: 'postgres-pitr-target', key: 'RECOVERY_TARGET_TIME', optional: false };
    expect(envOf(spec.initContainers[0]).RECOVERY_TARGET_TIME).toEqual(target);
    expect(envOf(spec.initContainers[1]).RECOVERY_TARGET_TIME).toEqual(target);
    expect(envOf(spec.initContainers[0])).toMatchObject({ S3_PREFIX: 'shop/postgres-pitr' });
    expect(envOf(spec.initContainers[1])).toMatchObject({
      PITR_DATA_DIR: '/restore/pgdata',
      PGDATABASE: 'shop',
      BACKUP_NAME_PREFIX: 'pitr',
    });
    expect(envOf(spec.containers[0])).toMatchObject({ S3_PREFIX: 'shop/postgres', REQUIRE_SSE: 'true' });
    const volume = spec.volumes.find((v: Doc) => v.name === 'restore');
    expect(volume.ephemeral.volumeClaimTemplate.spec).toMatchObject({
      accessModes: ['ReadWriteOnce'],
      storageClassName: 'gp3',
      resources: { requests: { storage: '10Gi' } },
    });
    // Never the live data volume.
    expect(JSON.stringify(spec.volumes)).not.toContain('data-postgres-0');
    expect(spec.serviceAccountName).toBe('postgres-basebackup');
    for (const c of [...spec.initContainers, ...spec.containers]) expect(c.securityContext.runAsUser).toBe(999);
  });

  test('the restore scripts ConfigMap holds fetch, recover and the shared upload', () => {
    const cm = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'postgres-pitr-restore-scripts')!;
    expect(Object.keys(cm.data).sort()).toEqual(['fetch.sh', 'recover.sh', 'upload.sh']);
    expect(cm.data['recover.sh']).toContain("recovery_target_action = 'promote'");
    expect(cm.data['recover.sh']).toContain("archive_mode = 'off'");
  });

  test('the base backup engine has no restore plan of its own', () => {
    expect(() => new PostgresBaseBackupEngine().restorePlan()).toThrow(/has no restore of its own/);
  });
});

describe('bad input', () => {
  test('archive settings given in settings as well are refused', () => {
    const chart = Testing.chart();
    const wal = new WalArchive(chart, 'wal', archiveProps);
    expect(
      () =>
        new PostgresDatabase(chart, 'postgres', {
          ...dbProps,
          settings: { ...dbProps.settings, archive_mode: 'off' },
          walArchive: wal.hook,
        }),
    ).toThrow(/settings\.archive_mode "off"; expected it unset with walArchive \(walArchive sets archive_mode = "on"\)/);
  });

  test.each([
    [{ archiveTimeoutSeconds: 0 }, /archiveTimeoutSeconds 0; expected an integer from 1 to 3600/],
    [{ spool: { maxFiles: 0 } }, /spool\.maxFiles 0; expected an integer from 1 to 256/],
    [{ spool: { maxAgeSeconds: 5 } }, /spool\.maxAgeSeconds 5 is not above shipIntervalSeconds 5/],
    [{ shipIntervalSeconds: 1.5 }, /shipIntervalSeconds 1\.5; expected an integer from 1 to 300/],
    [{ resources: { cpuRequest: 'lots', memoryRequest: '1Gi', memoryLimit: '1Gi' } }, /resources/],
  ])('WalArchive %j', (bad, message) => {
    expect(() => new WalArchive(Testing.chart(), 'wal', { ...archiveProps, ...(bad as Partial<WalArchiveProps>) })).toThrow(message);
  });

  test.each([
    [{ schedule: 'daily' }, /schedule 'daily'/],
    [{ size: 'big' }, /size 'big'/],
    [{ storageClassName: 'GP3!' }, /storageClassName 'GP3!'/],
    [{ activeDeadlineSeconds: 10 }, /activeDeadlineSeconds 10; expected an integer >= 60/],
    [{ retentionDays: 0 }, /retentionDays 0; expected an integer >= 1/],
  ])('PostgresPointInTimeRecovery %j', (bad, message) => {
    expect(() => synth({}, bad as Partial<PostgresPointInTimeRecoveryProps>)).toThrow(message);
  });

  test('walArchiveSettings and walSpoolScript name the bad option', () => {
    expect(() => walArchiveSettings('/x', 7200)).toThrow(/archiveTimeoutSeconds 7200/);
    expect(() => walSpoolScript({ dir: 'relative', maxFiles: 1, maxAgeSeconds: 60 })).toThrow(/dir 'relative'; expected an absolute path/);
    expect(() => walSpoolScript({ dir: '/x', maxFiles: -1, maxAgeSeconds: 60 })).toThrow(/maxFiles -1/);
  });

  test('renderPgHba refuses a replication role that is not a role name', () => {
    expect(() => renderPgHba({ allowedCidrs: [], replicationRoles: ['Bad Role'] })).toThrow(
      /replicationRoles\[0\]: got "Bad Role"; expected a lower-case role name/,
    );
  });

  test('StatefulStore refuses a sidecar named like another container and a mount of an unknown volume', () => {
    const base = {
      namespace: 'ns',
      name: 'store',
      partOf: 'x',
      component: 'database',
      ports: { tcp: 1234 },
      runAs: { user: 1000 },
      container: { image: 'img:1', runAs: { user: 1000 }, resources: RESOURCES },
      dataPath: '/data',
      storage: { size: '1Gi', storageClassName: 'standard' },
    };
    expect(() => new StatefulStore(Testing.chart(), 's', { ...base, sidecars: [{ name: 'store', image: 'x:1' }] })).toThrow(
      /sidecars\[0\]\.name 'store' is another container's/,
    );
    expect(() => new StatefulStore(Testing.chart(), 's', { ...base, extraMounts: [{ name: 'nope', mountPath: '/x' }] })).toThrow(
      /extraMounts\[0\]\.name 'nope'; expected one of extraVolumes \(none\)/,
    );
    expect(() => new StatefulStore(Testing.chart(), 's', { ...base, extraVolumes: [{ name: 'data', emptyDir: {} }] })).toThrow(
      /extraVolumes\[0\]\.name 'data'/,
    );
  });

  test('postgresWalArchiveRules refuses a non-positive age', () => {
    expect(() => postgresWalArchiveRules({ namespace: 'shop', job: 'postgres', alertPrefix: '', maxArchiveAgeHours: 0 })).toThrow(
      /maxArchiveAgeHours/,
    );
  });
});

test('snapshot of the PITR objects', () => {
  const { docs } = synth();
  const names = ['postgres-wal', 'postgres-wal-scripts', 'postgres-basebackup', 'postgres-pitr-restore', 'postgres-pitr-restore-scripts'];
  const picked = docs
    .filter((d) => names.includes(d.metadata.name))
    .map((d) => (d.kind === 'ConfigMap' ? { ...d, data: Object.keys(d.data).sort() } : d));
  expect(picked).toMatchSnapshot();
});
