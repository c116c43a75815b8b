import { Testing } from 'cdk8s';
import { IMAGES } from '../../config/images';
import { evaluate } from '../../lib/checks/pod-security-check';
import { podTemplates } from '../../lib/checks/pod-specs';
import { ServiceGraph } from '../../lib/constructs/network/service-graph';
import {
  AmazonS3Storage,
  bucketArn,
  bucketPolicy,
  BucketSetup,
  BucketSetupProps,
  bucketSetupScript,
  contentHashedName,
  denyInsecureTransport,
  denyVersionRemoval,
  MinioServer,
  objectsArn,
  S3CompatibleStorage,
} from '../../lib/constructs/storage';
import { Doc } from '../support/doc';
import { expectNoSecretValues, expectRestrictedPods } from '../support/stack-assertions';

const resources = { cpuRequest: '50m', memoryRequest: '128Mi', memoryLimit: '256Mi' };
const credentials = {
  accessKeyId: { secret: 'minio-root', key: 'MINIO_ROOT_USER' },
  secretAccessKey: { secret: 'minio-root', key: 'MINIO_ROOT_PASSWORD' },
};
const minioServer = { name: 'minio', host: 'minio.shop.svc.cluster.local', ports: { api: 9000 } };
const devStorage = new S3CompatibleStorage({ server: minioServer, port: 'api', credentials });
const ROLE = 'arn:aws:iam::123456789012:role/shop-buckets';
const KMS_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const prodStorage = new AmazonS3Storage({ region: 'eu-west-1', roleArn: ROLE });

const devProps: BucketSetupProps = {
  namespace: 'shop',
  partOf: 'shop',
  storage: devStorage,
  buckets: [{ name: 'ecommerce' }, { name: 'backups' }, { name: 'logs', lifecycle: { expirations: [{ prefix: 'app/', days: 30 }] } }],
  image: IMAGES.awsCli,
  resources,
};
const prodProps: BucketSetupProps = {
  ...devProps,
  storage: prodStorage,
  buckets: [
    { name: 'shop-ecommerce-prod', encryption: { algorithm: 'aws:kms', kmsKeyArn: KMS_KEY } },
    { name: 'shop-backups-prod', lifecycle: { noncurrentVersionExpirationDays: 90, abortIncompleteMultipartUploadDays: 3 } },
  ],
};

function synth(props: BucketSetupProps) {
  const chart = Testing.chart();
  const setup = new BucketSetup(chart, 'setup', props);
  const objects = Testing.synth(chart);
  const of = (kind: string) => objects.find((o) => o.kind === kind);
  const job = of('Job');
  return {
    chart,
    setup,
    objects,
    job,
    configMap: of('ConfigMap'),
    sa: of('ServiceAccount'),
    container: job.spec.template.spec.containers[0],
  };
}

function expectPssRestricted(objects: Doc[]): void {
  const templates = podTemplates(objects.map((object, index) => ({ env: 'test', file: 'test.yaml', index, object })));
  expect(templates.length).toBeGreaterThan(0);
  for (const t of templates) expect([t.owner.object.metadata?.name, evaluate(t)]).toEqual([t.owner.object.metadata?.name, []]);
}

const envOf = (c: Doc): Record<string, unknown> => Object.fromEntries(c.env.map((e: Doc) => [e.name, e.value ?? e.valueFrom]));
const parse = (configMap: Doc, key: string): unknown => JSON.parse(configMap.data[key]);

describe('BucketSetup on an S3-compatible server (dev)', () => {
  test('snapshot', () => {
    expect(synth(devProps).objects).toMatchSnapshot();
  });

  test('a Job named <name>-<hash>, an Argo CD Sync hook, with backoff, deadline and TTL', () => {
    const { job, setup } = synth(devProps);
    expect(job.metadata.name).toMatch(/^bucket-setup-[0-9a-f]{8}$/);
    expect(setup.jobName).toBe(job.metadata.name);
    expect(job.metadata.annotations).toEqual({
      'argocd.argoproj.io/hook': 'Sync',
      'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
    });
    expect(job.spec).toMatchObject({ backoffLimit: 4, activeDeadlineSeconds: 600, ttlSecondsAfterFinished: 86400 });
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
  });

  test('restricted pod (lib/checks and the stack assertions); credentials only from the Secret', () => {
    const { objects, container } = synth(devProps);
    expectRestrictedPods(objects, 1);
    expectPssRestricted(objects);
    expectNoSecretValues(objects);
    expect(envOf(container)).toEqual({
      AWS_ACCESS_KEY_ID: { secretKeyRef: { name: 'minio-root', key: 'MINIO_ROOT_USER' } },
      AWS_SECRET_ACCESS_KEY: { secretKeyRef: { name: 'minio-root', key: 'MINIO_ROOT_PASSWORD' } },
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_PAGER: '',
      AWS_REGION: 'us-east-1',
      BUCKETS: 'ecommerce backups logs',
      CONFIG_DIR: '/config',
      CREATE_BUCKETS: 'true',
      HOME: '/tmp',
      S3_ENDPOINT_URL: 'http://minio.shop.svc.cluster.local:9000',
      WAIT_SECONDS: '120',
    });
    expect(container.command).toEqual(['bash', '/config/bucket-setup.sh']);
    expect(container.resources).toEqual({ requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '256Mi' } });
  });

  test('creates buckets by default; versioning on; no policy, encryption or public access block; lifecycle only when given', () => {
    const { configMap, setup } = synth(devProps);
    expect(setup.create).toBe(true);
    expect(Object.keys(configMap.data).sort()).toEqual([
      'backups.versioning.json',
      'bucket-setup.sh',
      'ecommerce.versioning.json',
      'logs.lifecycle.json',
      'logs.versioning.json',
    ]);
    expect(configMap.data['bucket-setup.sh']).toBe(bucketSetupScript());
    expect(parse(configMap, 'ecommerce.versioning.json')).toEqual({ Status: 'Enabled' });
    expect(parse(configMap, 'logs.lifecycle.json')).toEqual({
      Rules: [{ ID: 'expire-app', Status: 'Enabled', Filter: { Prefix: 'app/' }, Expiration: { Days: 30 } }],
    });
  });

  test('the Job name follows its inputs: same inputs, same name; another bucket list or setting, another name', () => {
    const name = (props: BucketSetupProps) => synth(props).job.metadata.name;
    expect(name(devProps)).toBe(name({ ...devProps }));
    expect(name({ ...devProps, buckets: [...devProps.buckets, { name: 'media' }] })).not.toBe(name(devProps));
    expect(name({ ...devProps, buckets: [{ name: 'ecommerce', versioning: false }, ...devProps.buckets.slice(1)] })).not.toBe(
      name(devProps),
    );
    expect(name({ ...devProps, image: 'amazon/aws-cli:2.22.36' })).not.toBe(name(devProps));
    expect(contentHashedName('x', { a: 1 })).toBe(contentHashedName('x', { a: 1 }));
    expect(contentHashedName('x', { a: 1 })).toMatch(/^x-[0-9a-f]{8}$/);
  });

  test("in the graph with MinioServer: the Job's pods reach the API port only", () => {
    const chart = Testing.chart();
    const minio = new MinioServer(chart, 'minio', {
      namespace: 'shop',
      partOf: 'shop',
      image: IMAGES.minio,
      rootCredentials: { user: credentials.accessKeyId, password: credentials.secretAccessKey },
      resources,
      storage: { size: '1Gi', storageClassName: 'standard' },
      release: 'kps',
      console: true,
      environment: 'development',
    });
    const graph = new ServiceGraph(chart, 'graph', { namespace: 'shop', externals: { prometheus: { namespace: 'monitoring' } } });
    graph.addComponent(minio);
    const setup = new BucketSetup(chart, 'setup', { ...devProps, storage: minio.storage() });
    setup.addTo(graph);
    expect(graph.flows.filter((f) => f.from === 'bucket-setup')).toEqual([
      { from: 'bucket-setup', to: 'minio', port: 9000, protocol: 'TCP' },
    ]);
    const policy = Testing.synth(chart).find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'bucket-setup');
    expect(policy.spec.podSelector.matchLabels).toEqual(setup.podLabels);
    expect(policy.spec.egress).toHaveLength(1);
  });
});

describe('BucketSetup on Amazon S3 (prod)', () => {
  test('snapshot', () => {
    expect(synth(prodProps).objects).toMatchSnapshot();
  });

  test('does not create buckets by default (Terraform does); IRSA on the service account, no static keys, no endpoint', () => {
    const { setup, sa, container, objects } = synth(prodProps);
    expect(setup.create).toBe(false);
    expect(envOf(container).CREATE_BUCKETS).toBe('false');
    expect(sa.metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': ROLE });
    expect(sa.automountServiceAccountToken).toBe(false);
    expect(Object.keys(envOf(container))).not.toEqual(expect.arrayContaining(['AWS_ACCESS_KEY_ID']));
    expect(envOf(container).S3_ENDPOINT_URL).toBeUndefined();
    expect(envOf(container).AWS_REGION).toBe('eu-west-1');
    expectRestrictedPods(objects, 1);
    expectPssRestricted(objects);
    expect(synth({ ...prodProps, create: true }).setup.create).toBe(true);
  });

  test('defaults: public access block, SSE-S3, versioning, 30-day noncurrent expiry + 7-day multipart abort, deny non-TLS', () => {
    const { configMap } = synth({ ...prodProps, buckets: [{ name: 'shop-logs-prod' }] });
    expect(parse(configMap, 'shop-logs-prod.public-access-block.json')).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    expect(parse(configMap, 'shop-logs-prod.encryption.json')).toEqual({
      Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    expect(parse(configMap, 'shop-logs-prod.versioning.json')).toEqual({ Status: 'Enabled' });
    expect(parse(configMap, 'shop-logs-prod.lifecycle.json')).toEqual({
      Rules: [
        {
          ID: 'expire-noncurrent-versions',
          Status: 'Enabled',
          Filter: { Prefix: '' },
          NoncurrentVersionExpiration: { NoncurrentDays: 30 },
        },
        {
          ID: 'abort-incomplete-multipart-uploads',
          Status: 'Enabled',
          Filter: { Prefix: '' },
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
        },
      ],
    });
    expect(parse(configMap, 'shop-logs-prod.policy.json')).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'DenyInsecureTransport',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Resource: ['arn:aws:s3:::shop-logs-prod', 'arn:aws:s3:::shop-logs-prod/*'],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ],
    });
  });

  test('SSE-KMS with a bucket key; a lifecycle of its own; a policy of its own', () => {
    const policy = {
      Version: '2012-10-17' as const,
      Statement: [
        denyInsecureTransport('shop-backups-prod'),
        {
          Sid: 'AppReadsBackups',
          Effect: 'Allow' as const,
          Principal: { AWS: 'arn:aws:iam::123456789012:role/shop-restore' },
          Action: ['s3:GetObject', 's3:ListBucket'],
          Resource: [bucketArn('shop-backups-prod'), objectsArn('shop-backups-prod')],
        },
      ],
    };
    const { configMap } = synth({ ...prodProps, buckets: [prodProps.buckets[0], { ...prodProps.buckets[1], policy }] });
    expect(parse(configMap, 'shop-ecommerce-prod.encryption.json')).toEqual({
      Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: KMS_KEY }, BucketKeyEnabled: true }],
    });
    expect(parse(configMap, 'shop-backups-prod.lifecycle.json')).toMatchObject({
      Rules: [{ NoncurrentVersionExpiration: { NoncurrentDays: 90 } }, { AbortIncompleteMultipartUpload: { DaysAfterInitiation: 3 } }],
    });
    expect(parse(configMap, 'shop-backups-prod.policy.json')).toEqual(policy);
  });

  test('in the graph: HTTPS to the internet (Amazon S3), nothing inside the cluster', () => {
    const chart = Testing.chart();
    const graph = new ServiceGraph(chart, 'graph', { namespace: 'shop' });
    const setup = new BucketSetup(chart, 'setup', prodProps);
    setup.addTo(graph);
    expect(graph.flows).toEqual([{ from: 'bucket-setup', to: 'internet', port: 443, protocol: 'TCP' }]);
  });
});

describe('BucketSetup refuses bad input, naming field, value and what is allowed', () => {
  const where = "BucketSetup 'bucket-setup'";
  test.each<[string, BucketSetupProps, string]>([
    [
      'a bad bucket name',
      { ...devProps, buckets: [{ name: 'Shop_Data' }] },
      `${where}: buckets[0].name 'Shop_Data'; expected an S3 bucket name (3-63 lowercase letters, digits, '.' and '-'`,
    ],
    ['a bucket twice', { ...devProps, buckets: [{ name: 'logs' }, { name: 'logs' }] }, `${where}: buckets[1].name 'logs' is given twice`],
    ['no bucket', { ...devProps, buckets: [] }, `${where}: buckets is empty; expected at least one bucket`],
    [
      'encryption on an S3-compatible server',
      { ...devProps, buckets: [{ name: 'logs', encryption: { algorithm: 'AES256' } }] },
      `${where}: buckets[0].encryption is set for bucket 'logs' on an S3-compatible server; expected it unset (encryption is applied on Amazon S3 only`,
    ],
    [
      'a public access block on an S3-compatible server',
      { ...devProps, buckets: [{ name: 'logs', publicAccessBlock: true }] },
      `${where}: buckets[0].publicAccessBlock is set for bucket 'logs' on an S3-compatible server`,
    ],
    [
      'a bad KMS key ARN',
      { ...prodProps, buckets: [{ name: 'shop-data', encryption: { algorithm: 'aws:kms', kmsKeyArn: 'alias/shop' } }] },
      `${where}: buckets[0].encryption.kmsKeyArn 'alias/shop'; expected a KMS key ARN such as 'arn:aws:kms:eu-west-1:123456789012:key/<key id>'`,
    ],
    [
      'an unknown encryption algorithm',
      { ...prodProps, buckets: [{ name: 'shop-data', encryption: { algorithm: 'DES' } as never }] },
      `${where}: buckets[0].encryption.algorithm 'DES'; expected 'AES256' (SSE-S3) or 'aws:kms' (SSE-KMS)`,
    ],
    [
      'a policy on another bucket',
      {
        ...prodProps,
        buckets: [
          {
            name: 'shop-data',
            policy: { Version: '2012-10-17', Statement: [{ ...denyInsecureTransport('shop-data'), Resource: 'arn:aws:s3:::other/*' }] },
          },
        ],
      },
      `${where}: buckets[0].policy.Statement[0].Resource 'arn:aws:s3:::other/*'; expected this bucket, 'arn:aws:s3:::shop-data', or keys in it, 'arn:aws:s3:::shop-data/<pattern>'`,
    ],
    [
      'a policy with a non-S3 action',
      {
        ...prodProps,
        buckets: [
          {
            name: 'shop-data',
            policy: { Version: '2012-10-17', Statement: [{ ...denyInsecureTransport('shop-data'), Action: 'iam:PassRole' }] },
          },
        ],
      },
      `${where}: buckets[0].policy.Statement[0].Action 'iam:PassRole'; expected an S3 action such as 's3:GetObject' or 's3:*'`,
    ],
    [
      'a policy of another version',
      {
        ...prodProps,
        buckets: [{ name: 'shop-data', policy: { Version: '2008-10-17' as never, Statement: [denyInsecureTransport('shop-data')] } }],
      },
      `${where}: buckets[0].policy.Version '2008-10-17'; expected '2012-10-17'`,
    ],
    [
      'a policy with a bad principal',
      {
        ...prodProps,
        buckets: [
          {
            name: 'shop-data',
            policy: { Version: '2012-10-17', Statement: [{ ...denyInsecureTransport('shop-data'), Principal: { AWS: 'bob' } }] },
          },
        ],
      },
      `${where}: buckets[0].policy.Statement[0].Principal {"AWS":"bob"}; expected '*' or { AWS: <account id, IAM role/user ARN, or a list of them> }`,
    ],
    [
      'lifecycle days of zero',
      { ...devProps, buckets: [{ name: 'logs', lifecycle: { noncurrentVersionExpirationDays: 0 } }] },
      `${where}: buckets[0].lifecycle.noncurrentVersionExpirationDays 0; expected a whole number of days from 1 to 36500`,
    ],
    [
      'an expiration prefix twice',
      {
        ...devProps,
        buckets: [
          {
            name: 'logs',
            lifecycle: {
              expirations: [
                { prefix: 'tmp/', days: 1 },
                { prefix: 'tmp', days: 2 },
              ],
            },
          },
        ],
      },
      `${where}: buckets[0].lifecycle.expirations[1].prefix 'tmp' is given twice; expected each prefix once`,
    ],
    [
      'a bad expiration prefix',
      { ...devProps, buckets: [{ name: 'logs', lifecycle: { expirations: [{ prefix: 'a//b', days: 1 }] } }] },
      `${where}: buckets[0].lifecycle.expirations[0].prefix 'a//b'; expected a key prefix such as 'tmp/'`,
    ],
    ['create that is no boolean', { ...devProps, create: 'yes' as never }, `${where}: create 'yes'; expected true or false`],
    ['a negative backoff limit', { ...devProps, backoffLimit: -1 }, `${where}: backoffLimit -1; expected an integer >= 0`],
    ['an unpinned image', { ...devProps, image: 'amazon/aws-cli' }, `${where}: image 'amazon/aws-cli'; expected an image reference pinned`],
    [
      'a name too long for the hash',
      { ...devProps, name: 'b'.repeat(55) },
      `BucketSetup '${'b'.repeat(55)}': name '${'b'.repeat(55)}' has 55 characters; expected at most 54`,
    ],
  ])('%s', (_what, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });
});

describe('bucket policy helpers', () => {
  test('denyVersionRemoval: nobody deletes a version or changes versioning or the lifecycle of the bucket', () => {
    expect(denyVersionRemoval('backups')).toEqual({
      Sid: 'KeepVersions',
      Effect: 'Deny',
      Principal: '*',
      Action: ['s3:DeleteObjectVersion', 's3:PutBucketVersioning', 's3:PutLifecycleConfiguration'],
      Resource: ['arn:aws:s3:::backups', 'arn:aws:s3:::backups/*'],
    });
    expect(denyVersionRemoval('backups', 'KeepBackupVersions').Sid).toBe('KeepBackupVersions');
  });

  test('bucketPolicy: a document of the statements, or none for no statements', () => {
    expect(bucketPolicy([])).toBeUndefined();
    expect(bucketPolicy([denyInsecureTransport('b-1')])).toEqual({ Version: '2012-10-17', Statement: [denyInsecureTransport('b-1')] });
  });
});
