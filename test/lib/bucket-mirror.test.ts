import { Testing } from 'cdk8s';
import { IMAGES } from '../../config/images';
import { evaluate } from '../../lib/checks/pod-security-check';
import { podTemplates } from '../../lib/checks/pod-specs';
import { backupRules } from '../../lib/constructs/monitoring';
import { ServiceGraph } from '../../lib/constructs/network/service-graph';
import { AmazonS3Storage, BucketMirror, BucketMirrorProps, bucketMirrorScript, S3CompatibleStorage } from '../../lib/constructs/storage';
import { Doc } from '../support/doc';
import { readAsset } from '../../lib/core/assets';
import { expectNoSecretValues, expectRestrictedPods } from '../support/stack-assertions';

const resources = { cpuRequest: '50m', memoryRequest: '128Mi', memoryLimit: '256Mi' };
const minio = { name: 'minio', host: 'minio.shop.svc.cluster.local', ports: { api: 9000 } };
const minioStorage = new S3CompatibleStorage({
  server: minio,
  port: 'api',
  credentials: {
    accessKeyId: { secret: 'minio-root', key: 'MINIO_ROOT_USER' },
    secretAccessKey: { secret: 'minio-root', key: 'MINIO_ROOT_PASSWORD' },
  },
});
const ROLE = 'arn:aws:iam::123456789012:role/shop-backup';
const KMS_KEY = 'arn:aws:kms:eu-west-1:123456789012:alias/shop-prod-backups';
const kms = { serverSideEncryption: { algorithm: 'aws:kms', kmsKeyId: KMS_KEY }, requireSse: true } as const;
const SSE_VARS = ['S3_SSE', 'S3_SSE_KMS_ID', 'REQUIRE_SSE'];
const s3 = new AmazonS3Storage({ region: 'eu-west-1', roleArn: ROLE });

const sameStore: BucketMirrorProps = {
  namespace: 'shop',
  partOf: 'shop',
  name: 'ecommerce-mirror',
  source: { storage: minioStorage, bucket: 'ecommerce' },
  target: { storage: minioStorage, bucket: 'backups', prefix: 'mirror/ecommerce' },
  schedule: '30 2 * * *',
  image: IMAGES.awsCli,
  resources,
};
const twoStores: BucketMirrorProps = { ...sameStore, target: { storage: s3, bucket: 'shop-backups-prod', prefix: 'mirror/ecommerce' } };

function synth(props: BucketMirrorProps) {
  const chart = Testing.chart();
  const mirror = new BucketMirror(chart, 'mirror', props);
  const objects = Testing.synth(chart);
  const cronJob = objects.find((o) => o.kind === 'CronJob');
  const pod = cronJob.spec.jobTemplate.spec.template.spec;
  return { chart, mirror, objects, cronJob, pod, sa: objects.find((o) => o.kind === 'ServiceAccount') };
}

function expectPssRestricted(objects: Doc[]): void {
  const templates = podTemplates(objects.map((object, index) => ({ env: 'test', file: 'test.yaml', index, object })));
  expect(templates.length).toBeGreaterThan(0);
  for (const t of templates) expect([t.owner.object.metadata?.name, evaluate(t)]).toEqual([t.owner.object.metadata?.name, []]);
}

const envOf = (c: Doc): Record<string, unknown> => Object.fromEntries(c.env.map((e: Doc) => [e.name, e.value ?? e.valueFrom]));

describe('BucketMirror', () => {
  test('snapshots: one store, two stores', () => {
    expect(synth(sameStore).objects).toMatchSnapshot();
    expect(synth(twoStores).objects).toMatchSnapshot();
  });

  test('a CronJob: Forbid, starting deadline, history limits, UTC schedule, bounded runs; the script from its ConfigMap', () => {
    const { cronJob, objects, mirror } = synth(sameStore);
    expect(cronJob.metadata.name).toBe('ecommerce-mirror');
    expect(mirror.cronJobName).toBe('ecommerce-mirror');
    expect(cronJob.spec).toMatchObject({
      schedule: '30 2 * * *',
      timeZone: 'Etc/UTC',
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: { spec: { backoffLimit: 2, activeDeadlineSeconds: 3600 } },
    });
    expect(objects.find((o) => o.kind === 'ConfigMap').data).toEqual({ 'bucket-mirror.sh': bucketMirrorScript() });
  });

  test('the script is the asset with the shared SSE fragment (include/s3-sse.sh) in place of its include line', () => {
    const script = bucketMirrorScript();
    expect(script).not.toMatch(/^# @include /m);
    expect(script).toContain(
      readAsset(__dirname, '../../lib/constructs/storage/assets/include/s3-sse.sh').replace(/^(# shellcheck .*\n)+/, ''),
    );
    expect(script).toMatch(/^sse_setup$/m);
  });

  test('encryption: SSE-KMS and REQUIRE_SSE on the copy container (one store)', () => {
    const { pod } = synth({ ...sameStore, target: twoStores.target, source: { storage: s3, bucket: 'shop-media' }, ...kms });
    expect(pod.containers.map((c: Doc) => c.name)).toEqual(['mirror']);
    expect(envOf(pod.containers[0])).toMatchObject({ MIRROR_STEP: 'copy', S3_SSE: 'aws:kms', S3_SSE_KMS_ID: KMS_KEY, REQUIRE_SSE: 'true' });
  });

  test('encryption: on the upload container only with two stores, never on the download (it writes nothing to the target)', () => {
    const { pod } = synth({ ...twoStores, ...kms });
    const [download] = pod.initContainers;
    const [upload] = pod.containers;
    expect(envOf(upload)).toMatchObject({ MIRROR_STEP: 'upload', S3_SSE: 'aws:kms', S3_SSE_KMS_ID: KMS_KEY, REQUIRE_SSE: 'true' });
    expect(Object.keys(envOf(download)).filter((k) => SSE_VARS.includes(k))).toEqual([]);
  });

  test('encryption: SSE-S3 sets S3_SSE alone; none by default', () => {
    const aes = envOf(synth({ ...sameStore, serverSideEncryption: { algorithm: 'AES256' } }).pod.containers[0]);
    expect(Object.fromEntries(SSE_VARS.filter((k) => k in aes).map((k) => [k, aes[k]]))).toEqual({ S3_SSE: 'AES256' });
    const none = envOf(synth({ ...sameStore, requireSse: false }).pod.containers[0]);
    expect(Object.keys(none).filter((k) => SSE_VARS.includes(k))).toEqual([]);
    const twoNone = synth(twoStores).pod;
    for (const c of [...twoNone.initContainers, ...twoNone.containers])
      expect(Object.keys(envOf(c)).filter((k) => SSE_VARS.includes(k))).toEqual([]);
  });

  test('restricted pods (lib/checks and the stack assertions), no secret values, in both modes', () => {
    for (const props of [sameStore, twoStores]) {
      const { objects } = synth(props);
      expectRestrictedPods(objects, 1);
      expectPssRestricted(objects);
      expectNoSecretValues(objects);
    }
  });

  test('one store: a single container syncs server-side (--delete) with the store credentials', () => {
    const { pod, mirror } = synth(sameStore);
    expect(mirror.mode).toBe('same-store');
    expect(pod.initContainers).toBeUndefined();
    expect(pod.containers.map((c: Doc) => c.name)).toEqual(['mirror']);
    expect(envOf(pod.containers[0])).toEqual({
      MIRROR_STEP: 'copy',
      SOURCE_BUCKET: 'ecommerce',
      SOURCE_PREFIX: '',
      TARGET_BUCKET: 'backups',
      TARGET_PREFIX: 'mirror/ecommerce',
      REQUIRE_TARGET_VERSIONING: 'true',
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_PAGER: '',
      HOME: '/tmp',
      S3_ENDPOINT_URL: 'http://minio.shop.svc.cluster.local:9000',
      AWS_ACCESS_KEY_ID: { secretKeyRef: { name: 'minio-root', key: 'MINIO_ROOT_USER' } },
      AWS_SECRET_ACCESS_KEY: { secretKeyRef: { name: 'minio-root', key: 'MINIO_ROOT_PASSWORD' } },
    });
    expect(pod.volumes.map((v: Doc) => v.name)).toEqual(['scripts', 'tmp']);
  });

  test('two stores: download with the source keys into a size-limited emptyDir, upload with the target role only', () => {
    const { pod, sa, mirror } = synth({ ...twoStores, scratchSize: '20Gi' });
    expect(mirror.mode).toBe('two-stores');
    const [download] = pod.initContainers;
    const [upload] = pod.containers;
    expect([download.name, upload.name]).toEqual(['download', 'upload']);
    expect(envOf(download)).toMatchObject({
      MIRROR_STEP: 'download',
      MIRROR_DIR: '/mirror',
      S3_ENDPOINT_URL: 'http://minio.shop.svc.cluster.local:9000',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: { secretKeyRef: { name: 'minio-root', key: 'MINIO_ROOT_USER' } },
    });
    expect(envOf(upload)).toMatchObject({ MIRROR_STEP: 'upload', MIRROR_DIR: '/mirror', AWS_REGION: 'eu-west-1' });
    expect(Object.keys(envOf(upload))).not.toEqual(expect.arrayContaining(['AWS_ACCESS_KEY_ID']));
    expect(Object.keys(envOf(upload))).not.toContain('S3_ENDPOINT_URL');
    expect(pod.volumes.find((v: Doc) => v.name === 'mirror')).toEqual({ name: 'mirror', emptyDir: { sizeLimit: '20Gi' } });
    expect(sa.metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': ROLE });
    expect(pod.serviceAccountName).toBe('ecommerce-mirror');
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  test('Amazon S3 to Amazon S3 with one role is one store, across regions (--source-region)', () => {
    const us = new AmazonS3Storage({ region: 'us-east-2', roleArn: ROLE });
    const { pod, mirror } = synth({ ...sameStore, source: { storage: us, bucket: 'shop-media' }, target: twoStores.target });
    expect(mirror.mode).toBe('same-store');
    expect(envOf(pod.containers[0])).toMatchObject({ MIRROR_STEP: 'copy', AWS_REGION: 'eu-west-1', SOURCE_REGION: 'us-east-2' });
  });

  test('in the graph: the pods reach both stores (MinIO API port, HTTPS to Amazon S3); one store once', () => {
    const chart = Testing.chart();
    const graph = new ServiceGraph(chart, 'graph', { namespace: 'shop' });
    graph.addComponent({ ...minio, podLabels: { app: 'minio' } });
    new BucketMirror(chart, 'two', twoStores).addTo(graph);
    new BucketMirror(chart, 'one', { ...sameStore, name: 'local-mirror' }).addTo(graph);
    expect(graph.flows).toEqual([
      { from: 'ecommerce-mirror', to: 'internet', port: 443, protocol: 'TCP' },
      { from: 'ecommerce-mirror', to: 'minio', port: 9000, protocol: 'TCP' },
      { from: 'local-mirror', to: 'minio', port: 9000, protocol: 'TCP' },
    ]);
  });

  test('failures are alerted like backups: the CronJob name for stackMonitoring, or the same rules directly', () => {
    const { mirror } = synth(sameStore);
    const rules = mirror.alertRules({ alertPrefix: 'ObjectMirror', maxAgeHours: 26 });
    expect(rules).toEqual(backupRules({ namespace: 'shop', cronJob: mirror.cronJobName, alertPrefix: 'ObjectMirror', maxAgeHours: 26 }));
    expect(rules.map((r) => r.alert)).toEqual(['ObjectMirrorBackupFailed', 'ObjectMirrorBackupMissing']);
    expect(rules[1].expr).toContain('kube_cronjob_status_last_successful_time{namespace="shop",cronjob="ecommerce-mirror"}');
  });

  const where = "BucketMirror 'ecommerce-mirror'";
  test.each<[string, BucketMirrorProps, string]>([
    [
      'a bad cron schedule',
      { ...sameStore, schedule: '0 25 * * *' },
      `${where}: schedule '0 25 * * *'; expected a five-field cron expression such as '0 2 * * *' (minute hour day-of-month month day-of-week)`,
    ],
    [
      'a bad source bucket',
      { ...sameStore, source: { storage: minioStorage, bucket: 'EC' } },
      `${where}: source.bucket 'EC'; expected an S3 bucket name`,
    ],
    [
      'a target without prefix',
      { ...sameStore, target: { storage: minioStorage, bucket: 'backups', prefix: '/' } },
      `${where}: target.prefix '/'; expected a key prefix such as 'shop/postgres'`,
    ],
    [
      'a target inside the source',
      { ...sameStore, target: { storage: minioStorage, bucket: 'ecommerce', prefix: 'backup' } },
      `${where}: target s3://ecommerce/backup/ overlaps source s3://ecommerce/ in the same store; expected a target outside the source`,
    ],
    [
      'a source inside the target',
      {
        ...sameStore,
        source: { storage: minioStorage, bucket: 'backups', prefix: 'mirror/ecommerce/images' },
        target: { storage: minioStorage, bucket: 'backups', prefix: 'mirror' },
      },
      `${where}: target s3://backups/mirror/ overlaps source s3://backups/mirror/ecommerce/images/ in the same store`,
    ],
    [
      'two Amazon S3 roles',
      {
        ...sameStore,
        source: { storage: new AmazonS3Storage({ region: 'eu-west-1', roleArn: 'arn:aws:iam::123456789012:role/other' }), bucket: 'a-b-c' },
        target: twoStores.target,
      },
      `${where}: source and target need different service account annotations`,
    ],
    [
      'a name too long for a CronJob',
      { ...sameStore, name: 'm'.repeat(53) },
      `BucketMirror '${'m'.repeat(53)}': name has 53 characters; expected at most 52 (a CronJob name)`,
    ],
    [
      'a bad scratch size',
      { ...twoStores, scratchSize: 'lots' },
      `${where}: scratchSize 'lots'; expected a memory quantity such as '256Mi'`,
    ],
    [
      'an unpinned image',
      { ...sameStore, image: 'amazon/aws-cli:latest' },
      `${where}: image 'amazon/aws-cli:latest'; expected an image reference pinned`,
    ],
    [
      'an unknown encryption algorithm',
      { ...sameStore, serverSideEncryption: { algorithm: 'DES' } as unknown as BucketMirrorProps['serverSideEncryption'] },
      `${where}: serverSideEncryption.algorithm 'DES'; expected 'AES256' (SSE-S3) or 'aws:kms' (SSE-KMS)`,
    ],
    [
      'a malformed KMS key',
      { ...sameStore, serverSideEncryption: { algorithm: 'aws:kms', kmsKeyId: 'my-key' } },
      `${where}: serverSideEncryption.kmsKeyId 'my-key'; expected a KMS key ARN`,
    ],
    [
      'requireSse with SSE-S3',
      { ...sameStore, serverSideEncryption: { algorithm: 'AES256' }, requireSse: true },
      `${where}: requireSse is true but serverSideEncryption is 'AES256'; expected { algorithm: 'aws:kms', kmsKeyId }`,
    ],
    [
      'requireSse without encryption',
      { ...sameStore, requireSse: true },
      `${where}: requireSse is true but serverSideEncryption is not set; expected { algorithm: 'aws:kms', kmsKeyId }`,
    ],
    [
      'a requireSse that is not a boolean',
      { ...sameStore, ...kms, requireSse: 'yes' as unknown as boolean },
      `${where}: requireSse "yes"; expected true or false`,
    ],
  ])('refuses %s', (_what, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });
});
