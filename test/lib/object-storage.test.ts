import { Testing } from 'cdk8s';
import type { IEnvVar } from 'kubernetes-models/v1/EnvVar';
import { DatabaseBackup, DatabaseBackupProps } from '../../lib/constructs/backup/database-backup';
import { PostgresBackupEngine } from '../../lib/constructs/backup/postgres-backup-engine';
import { LocalStack } from '../../lib/constructs/data/localstack';
import { ServiceGraph } from '../../lib/constructs/network/service-graph';
import {
  AMAZON_S3_ENDPOINT,
  AmazonS3Storage,
  ObjectStorage,
  S3CompatibleStorage,
  S3CompatibleStorageProps,
} from '../../lib/constructs/storage';

const resources = { cpuRequest: '100m', memoryRequest: '256Mi', memoryLimit: '512Mi' };
const credentials = {
  accessKeyId: { secret: 's3-keys', key: 'AWS_ACCESS_KEY_ID' },
  secretAccessKey: { secret: 's3-keys', key: 'AWS_SECRET_ACCESS_KEY' },
};
const minio = { name: 'minio', host: 'minio.shop.svc.cluster.local', ports: { api: 9000, console: 9001 } };
const ROLE = 'arn:aws:iam::123456789012:role/shop-backup';

/** A graph with a client component, the server (when given), and the Prometheus scraper. */
function graphWith(server?: { name: string; ports: Record<string, number> }): ServiceGraph {
  const graph = new ServiceGraph(Testing.chart(), 'graph', { namespace: 'shop' });
  graph.addComponent({ name: 'app', podLabels: { app: 'app' }, ports: {} });
  if (server) graph.addComponent({ ...server, podLabels: { app: server.name } });
  return graph;
}

describe('S3CompatibleStorage', () => {
  const storage = new S3CompatibleStorage({ server: minio, port: 'api', credentials });

  test("a target: the location with the server's endpoint, the region and the credentials", () => {
    expect(storage.target({ bucket: 'backups', prefix: 'shop/mongodb' })).toEqual({
      bucket: 'backups',
      prefix: 'shop/mongodb',
      region: 'us-east-1',
      endpointUrl: 'http://minio.shop.svc.cluster.local:9000',
      credentials,
    });
  });

  test('an app gets the endpoint, the region and the keys from the Secret; no service account annotation', () => {
    expect(storage.clientEnv()).toEqual({
      env: { AWS_ENDPOINT_URL: 'http://minio.shop.svc.cluster.local:9000', AWS_REGION: 'us-east-1' },
      secretEnv: { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey },
    });
    expect(storage.serviceAccountAnnotations()).toEqual({});
  });

  test('access is the S3 port of the server only (not its console)', () => {
    const graph = graphWith(minio);
    storage.allowAccess(graph, 'app');
    expect(graph.flows).toEqual([{ from: 'app', to: 'minio', port: 9000, protocol: 'TCP' }]);
  });

  test('LocalStack is an S3-compatible server', () => {
    const chart = Testing.chart();
    const localstack = new LocalStack(chart, 'ls', {
      namespace: 'shop',
      partOf: 'shop',
      image: 'localstack/localstack:4.0.3',
      resources,
      storage: { size: '1Gi', storageClassName: 'standard' },
    });
    const direct = new S3CompatibleStorage({ server: localstack, port: localstack.s3Port, region: 'eu-west-1', credentials });
    expect(direct.endpointUrl).toBe('http://localstack.shop.svc.cluster.local:4566');
    expect(direct.endpointUrl).toBe(localstack.endpointUrl);
  });

  test.each([
    [
      'a port the server lacks',
      { port: 's3' },
      "S3-compatible server 'minio': port 's3' is not one of its ports; expected one of api, console",
    ],
    ['a port name that is not one', { port: 'S3 API' }, "S3-compatible server 'minio': port 'S3 API'; expected a port name"],
    ['an unknown scheme', { scheme: 'ftp' }, "S3-compatible server 'minio': scheme 'ftp'; expected 'http' or 'https'"],
    [
      'a region in no AWS format',
      { region: 'local' },
      "S3CompatibleStorage 'minio': region 'local'; expected an AWS region such as 'eu-west-1'",
    ],
    [
      'credentials without a Secret name',
      { credentials: { ...credentials, secretAccessKey: { secret: 'S3 Keys', key: 'K' } } },
      "S3CompatibleStorage 'minio': credentials.secretAccessKey.secret 'S3 Keys'; expected the name of a Secret",
    ],
    [
      'a credential key with a slash',
      { credentials: { ...credentials, accessKeyId: { secret: 's3-keys', key: 'a/b' } } },
      "credentials.accessKeyId.key 'a/b'; expected a Secret key",
    ],
  ])('rejects %s', (_what, over, message) => {
    expect(() => new S3CompatibleStorage({ server: minio, port: 'api', credentials, ...over } as S3CompatibleStorageProps)).toThrow(
      message,
    );
  });
});

describe('AmazonS3Storage (IRSA)', () => {
  const storage = new AmazonS3Storage({ region: 'eu-west-1', roleArn: ROLE });

  test('a target: the location with the region and the role, no endpoint and no keys', () => {
    expect(storage.target({ bucket: 'shop-prod-backups', prefix: 'shop/postgres' })).toEqual({
      bucket: 'shop-prod-backups',
      prefix: 'shop/postgres',
      region: 'eu-west-1',
      roleArn: ROLE,
    });
  });

  test('an app gets only the region; its service account gets the role', () => {
    expect(storage.clientEnv()).toEqual({ env: { AWS_REGION: 'eu-west-1' }, secretEnv: {} });
    expect(storage.serviceAccountAnnotations()).toEqual({ 'eks.amazonaws.com/role-arn': ROLE });
  });

  test('access is HTTPS to the internet (not to private ranges)', () => {
    const graph = graphWith();
    storage.allowAccess(graph, 'app');
    expect(graph.flows).toEqual([{ from: 'app', to: 'internet', port: 443, protocol: 'TCP' }]);
    expect(storage.endpoint).toBe(AMAZON_S3_ENDPOINT);
    expect(storage.endpoint.url).toBeUndefined();
  });

  test.each([
    [
      'a bad region',
      () => new AmazonS3Storage({ region: 'europe', roleArn: ROLE }),
      "AmazonS3Storage: region 'europe'; expected an AWS region",
    ],
    [
      'a user ARN',
      () => new AmazonS3Storage({ region: 'eu-west-1', roleArn: 'arn:aws:iam::123456789012:user/me' }),
      "AmazonS3Storage: roleArn 'arn:aws:iam::123456789012:user/me'; expected an IAM role ARN",
    ],
  ])('rejects %s', (_what, make, message) => {
    expect(make).toThrow(message);
  });
});

describe('locations, for every storage', () => {
  const storages: Array<[string, ObjectStorage]> = [
    ["S3CompatibleStorage 'minio'", new S3CompatibleStorage({ server: minio, port: 'api', credentials })],
    ['AmazonS3Storage', new AmazonS3Storage({ region: 'eu-west-1', roleArn: ROLE })],
  ];
  test.each(
    storages.flatMap(
      ([where, s]) =>
        [
          [where, s, { bucket: 'My_Bucket', prefix: 'p' }, `${where}: bucket 'My_Bucket'; expected an S3 bucket name`],
          [where, s, { bucket: '192.168.1.1', prefix: 'p' }, `${where}: bucket '192.168.1.1'; expected an S3 bucket name`],
          [where, s, { bucket: 'a..b', prefix: 'p' }, `${where}: bucket 'a..b'`],
          [where, s, { bucket: 'backups', prefix: '/' }, `${where}: prefix '/'; expected a key prefix such as 'shop/postgres'`],
          [where, s, { bucket: 'backups', prefix: 'shop//db' }, `${where}: prefix 'shop//db'`],
          [where, s, { bucket: 'backups', prefix: 'shop db' }, `${where}: prefix 'shop db'`],
        ] as const,
    ),
  )('%s refuses %j', (_where, storage, location, message) => {
    expect(() => storage.target(location)).toThrow(message);
  });
  test('leading and trailing slashes of a prefix are fine (the scripts strip them)', () => {
    expect(storages[1][1].target({ bucket: 'backups', prefix: '/shop/db/' }).prefix).toBe('/shop/db/');
  });
});

describe('DatabaseBackup on either storage', () => {
  const props = (target: DatabaseBackupProps['target']): DatabaseBackupProps => ({
    namespace: 'shop',
    partOf: 'shop',
    name: 'postgres-backup',
    engine: new PostgresBackupEngine(),
    source: {
      image: 'postgres:16.9',
      runAsUser: 999,
      env: { PGHOST: 'postgres', PGUSER: 'postgres', PGDATABASE: 'shop' },
      secretEnv: { PGPASSWORD: { secret: 'pg', key: 'P' } },
    },
    schedule: '0 2 * * *',
    retentionDays: 7,
    target,
    uploaderImage: 'amazon/aws-cli:2.22.35',
    resources,
  });
  const uploadEnv = (target: DatabaseBackupProps['target']) => {
    const chart = Testing.chart();
    new DatabaseBackup(chart, 'b', props(target));
    const objects = Testing.synth(chart);
    const upload = objects.find((o) => o.kind === 'CronJob').spec.jobTemplate.spec.template.spec.containers[0];
    return {
      env: Object.fromEntries(upload.env.map((e: IEnvVar) => [e.name, e.value ?? e.valueFrom?.secretKeyRef])),
      sa: objects.find((o) => o.kind === 'ServiceAccount'),
    };
  };

  test('in-cluster: endpoint and keys in the uploader, no role', () => {
    const { env, sa } = uploadEnv(
      new S3CompatibleStorage({ server: minio, port: 'api', credentials }).target({ bucket: 'backups', prefix: 'shop/postgres' }),
    );
    expect(env).toMatchObject({
      S3_ENDPOINT_URL: 'http://minio.shop.svc.cluster.local:9000',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: { name: 's3-keys', key: 'AWS_ACCESS_KEY_ID' },
    });
    expect(sa.metadata.annotations).toBeUndefined();
  });

  test('Amazon S3: the role on the service account, no endpoint, no keys', () => {
    const { env, sa } = uploadEnv(
      new AmazonS3Storage({ region: 'eu-west-1', roleArn: ROLE }).target({ bucket: 'backups', prefix: 'shop/postgres' }),
    );
    expect(env.S3_ENDPOINT_URL).toBeUndefined();
    expect(env.AWS_ACCESS_KEY_ID).toBeUndefined();
    expect(sa.metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': ROLE });
  });

  const target = { bucket: 'backups', prefix: 'shop/postgres', region: 'eu-west-1', roleArn: ROLE };
  test.each([
    [
      'a bad region',
      { ...target, region: 'eu_west_1' },
      "DatabaseBackup 'postgres-backup': target.region 'eu_west_1'; expected an AWS region",
    ],
    ['a bad prefix', { ...target, prefix: 'a b' }, "DatabaseBackup 'postgres-backup': target.prefix 'a b'; expected a key prefix"],
    [
      'an endpoint that is no URL',
      { ...target, roleArn: undefined, endpointUrl: 'minio:9000' },
      "target.endpointUrl 'minio:9000'; expected an http(s) URL",
    ],
    ['a role that is no ARN', { ...target, roleArn: 'backup-role' }, "target.roleArn 'backup-role'; expected an IAM role ARN"],
  ])('rejects %s', (_what, t, message) => {
    expect(() => new DatabaseBackup(Testing.chart(), 'b', props(t))).toThrow(message);
  });
});
