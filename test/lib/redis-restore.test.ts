import { Testing } from 'cdk8s';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { DatabaseBackup, DatabaseBackupProps } from '../../lib/constructs/backup/database-backup';
import { PostgresBackupEngine } from '../../lib/constructs/backup/postgres-backup-engine';
import { RedisBackupEngine } from '../../lib/constructs/backup/redis-backup-engine';
import { Doc } from '../support/doc';

const base: DatabaseBackupProps = {
  namespace: 'shop',
  partOf: 'shop',
  name: 'redis-backup',
  engine: new RedisBackupEngine(),
  source: {
    image: 'redis:7.2.8-bookworm',
    runAsUser: 999,
    env: { REDIS_HOST: 'redis', REDIS_PORT: '6379' },
    secretEnv: { REDISCLI_AUTH: { secret: 'redis-credentials', key: 'REDIS_PASSWORD' } },
  },
  schedule: '0 3 * * *',
  retentionDays: 7,
  target: { bucket: 'shop-backups', prefix: 'shop/redis', region: 'eu-west-1', roleArn: 'arn:aws:iam::123456789012:role/backup' },
  uploaderImage: 'amazon/aws-cli:2.22.35',
  resources: { cpuRequest: '50m', memoryRequest: '128Mi', memoryLimit: '256Mi' },
};

function synth(props: Partial<DatabaseBackupProps>) {
  const chart = Testing.chart();
  const backup = new DatabaseBackup(chart, 'b', { ...base, ...props });
  return { backup, objects: Testing.synth(chart) };
}

describe('DatabaseBackup: redis restore', () => {
  test('without restoreData, redis gets a backup only', () => {
    const { backup, objects } = synth({});
    expect(backup.restoreCronJob).toBeUndefined();
    expect(objects.filter((o) => o.kind === 'CronJob').map((o) => o.metadata.name)).toEqual(['redis-backup']);
  });

  test('with restoreData: a suspended restore that downloads, refuses while Redis answers, and installs the dump on the PVC', () => {
    const { backup, objects } = synth({ engine: new RedisBackupEngine({ data: { claimName: 'data-redis-0', statefulSet: 'redis' } }) });
    const restore = objects.find((o) => o.kind === 'CronJob' && o.metadata.name === 'redis-restore');
    expect(restore.spec.suspend).toBe(true);
    const pod = restore.spec.jobTemplate.spec.template.spec;
    expect(pod.initContainers.map((c: IContainer) => c.name)).toEqual(['download', 'ensure-stopped']);
    expect(pod.containers.map((c: IContainer) => c.name)).toEqual(['restore']);
    expect(pod.volumes).toEqual(expect.arrayContaining([{ name: 'data', persistentVolumeClaim: { claimName: 'data-redis-0' } }]));
    expect(pod.containers[0].volumeMounts).toEqual(expect.arrayContaining([{ name: 'data', mountPath: '/data' }]));
    expect(pod.containers[0].env).toEqual(expect.arrayContaining([{ name: 'REDIS_DATA_DIR', value: '/data' }]));
    expect(pod.initContainers[1].env).toEqual(expect.arrayContaining([{ name: 'STORE_NAME', value: 'redis' }]));
    const scripts = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'redis-backup-scripts');
    expect(Object.keys(scripts.data).sort()).toEqual(['download.sh', 'dump.sh', 'ensure-stopped.sh', 'restore.sh', 'upload.sh']);
    expect(backup.restoreComponent?.name).toBe('redis-restore');
  });

  test('the data volume can sit elsewhere in the restore container', () => {
    const { objects } = synth({
      engine: new RedisBackupEngine({ data: { claimName: 'data-cache-0', statefulSet: 'cache', mountPath: '/var/lib/redis' } }),
    });
    const pod = objects.find((o) => o.kind === 'CronJob' && o.metadata.name === 'redis-restore').spec.jobTemplate.spec.template.spec;
    expect(pod.containers[0].volumeMounts).toEqual(expect.arrayContaining([{ name: 'data', mountPath: '/var/lib/redis' }]));
    expect(pod.containers[0].env).toEqual(expect.arrayContaining([{ name: 'REDIS_DATA_DIR', value: '/var/lib/redis' }]));
  });

  test.each([
    [
      'a redis restore without its volume',
      { restore: true },
      "DatabaseBackup 'redis-backup': a redis restore needs the store's data volume (its PVC); got none",
    ],
    [
      'a data volume with restore off',
      { restore: false, engine: new RedisBackupEngine({ data: { claimName: 'data-redis-0', statefulSet: 'redis' } }) },
      "DatabaseBackup 'redis-backup': restore is false but engine 'redis' was given restore options (data (claim 'data-redis-0'))",
    ],
    [
      'a source without REDIS_HOST',
      { source: { ...base.source, env: {} } },
      "DatabaseBackup 'redis-backup': source lacks REDIS_HOST; engine 'redis' needs REDIS_HOST, REDISCLI_AUTH",
    ],
    [
      'the postgres engine on a redis source',
      { engine: new PostgresBackupEngine() },
      "source lacks PGHOST, PGUSER, PGPASSWORD, PGDATABASE; engine 'postgres'",
    ],
  ])('rejects %s', (_what, props, message) => {
    expect(() => synth(props as Partial<DatabaseBackupProps>)).toThrow(message);
  });

  test.each([
    [
      'a bad claim name',
      { claimName: 'Data_Redis', statefulSet: 'redis' },
      "RedisBackupEngine: data.claimName 'Data_Redis'; expected a PVC name, a DNS-1123 subdomain",
    ],
    [
      'a bad StatefulSet name',
      { claimName: 'data-redis-0', statefulSet: 'Redis' },
      "RedisBackupEngine: data.statefulSet 'Redis'; expected a StatefulSet name, a DNS-1123 label",
    ],
    [
      'a relative mount path',
      { claimName: 'data-redis-0', statefulSet: 'redis', mountPath: 'data' },
      "RedisBackupEngine: data.mountPath 'data'; expected an absolute path",
    ],
  ])('RedisBackupEngine rejects %s', (_what, data, message) => {
    expect(() => new RedisBackupEngine({ data: data })).toThrow(message);
  });
});

describe('resource specs name the bad field', () => {
  test.each([
    [
      'a missing memory request',
      { cpuRequest: '50m', memoryLimit: '256Mi' },
      'upload.resources.memoryRequest: got undefined; expected a Kubernetes memory quantity',
    ],
    [
      'a memory like lots',
      { cpuRequest: '50m', memoryRequest: 'lots', memoryLimit: '256Mi' },
      'upload.resources.memoryRequest: got "lots"',
    ],
    [
      'a bad CPU',
      { cpuRequest: 'fast', memoryRequest: '64Mi', memoryLimit: '256Mi' },
      'upload.resources.cpuRequest: got "fast"; expected a Kubernetes CPU quantity',
    ],
  ])('%s', (_what, resources, message) => {
    expect(() => synth({ resources: resources as Doc })).toThrow(message);
  });
});
