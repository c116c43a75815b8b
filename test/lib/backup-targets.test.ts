import { Chart, Testing } from 'cdk8s';
import { SecretsBackend } from '../../lib/constructs/platform/secrets-backend';
import { AmazonS3Storage, S3CompatibleStorage } from '../../lib/constructs/storage';
import { BackupTargets, BackupTargetsProps } from '../../lib/stack/stack-wiring';

const minio = { name: 'minio', host: 'minio.shop.svc.cluster.local', ports: { api: 9000, console: 9001 } };
const aws = {
  backupRoleArn: 'arn:aws:iam::123456789012:role/shop-backup',
  secretsRoleArn: 'arn:aws:iam::123456789012:role/shop-secrets',
  secretsKeyPrefix: 'prod/shop',
};
const backups = { target: 'minio', bucket: 'shop-backups', region: 'eu-west-1' };

function targets(props: Partial<BackupTargetsProps>): { chart: Chart; targets: BackupTargets } {
  const chart = Testing.chart();
  const secrets = new SecretsBackend(chart, 'secrets', { namespace: 'shop', provider: { kind: 'generated' } });
  return { chart, targets: new BackupTargets(secrets, { partOf: 'shop', backups, ...props }) };
}

const secretNames = (chart: Chart): string[] =>
  Testing.synth(chart)
    .filter((o: { kind: string }) => o.kind === 'Secret' || o.kind === 'ExternalSecret' || o.kind === 'SecretGenerator')
    .map((o: { metadata: { name: string } }) => o.metadata.name);

describe('BackupTargets', () => {
  test('an in-cluster server with its own backup user: targets on its S3 port, no generated key pair', () => {
    const credentials = {
      accessKeyId: { secret: 'minio-backup-user', key: 'ACCESS_KEY' },
      secretAccessKey: { secret: 'minio-backup-user', key: 'SECRET_KEY' },
    };
    const { chart, targets: t } = targets({ inCluster: { server: minio, port: 'api', credentials } });
    expect(t.storage).toBeInstanceOf(S3CompatibleStorage);
    expect(t.for('mongodb')).toEqual({
      bucket: 'shop-backups',
      prefix: 'shop/mongodb',
      region: 'eu-west-1',
      endpointUrl: 'http://minio.shop.svc.cluster.local:9000',
      credentials,
    });
    expect(secretNames(chart)).not.toContain('backup-s3-credentials');
  });

  test('an in-cluster server that accepts any key pair (LocalStack): a generated backup-s3-credentials Secret', () => {
    const { chart, targets: t } = targets({ inCluster: { server: { ...minio, name: 'localstack' }, port: 'api' } });
    expect(t.for('postgres').credentials).toEqual({
      accessKeyId: { secret: 'backup-s3-credentials', key: 'AWS_ACCESS_KEY_ID' },
      secretAccessKey: { secret: 'backup-s3-credentials', key: 'AWS_SECRET_ACCESS_KEY' },
    });
    expect(secretNames(chart)).toContain('backup-s3-credentials');
  });

  test('s3: Amazon S3 with the backup role (IRSA), no static credentials, even when an in-cluster server exists', () => {
    const kmsKeyId = 'arn:aws:kms:eu-west-1:123456789012:alias/shop-backups';
    const { chart, targets: t } = targets({
      backups: { ...backups, target: 's3', kmsKeyId },
      aws,
      inCluster: { server: minio, port: 'api' },
    });
    expect(t.storage).toBeInstanceOf(AmazonS3Storage);
    expect(t.for('postgres')).toEqual({
      bucket: 'shop-backups',
      prefix: 'shop/postgres',
      region: 'eu-west-1',
      roleArn: aws.backupRoleArn,
      serverSideEncryption: { algorithm: 'aws:kms', kmsKeyId },
      requireKms: true,
    });
    expect(secretNames(chart)).not.toContain('backup-s3-credentials');
  });

  test('encryption(), what a BucketMirror into the backups takes: SSE-KMS required on s3, SSE-S3 where the server takes it, else none', () => {
    const kmsKeyId = 'arn:aws:kms:eu-west-1:123456789012:alias/shop-backups';
    expect(targets({ backups: { ...backups, target: 's3', kmsKeyId }, aws }).targets.encryption()).toEqual({
      serverSideEncryption: { algorithm: 'aws:kms', kmsKeyId },
      requireSse: true,
    });
    const localstack = { ...minio, name: 'localstack', acceptsSseS3: true };
    expect(targets({ inCluster: { server: localstack, port: 'api' } }).targets.encryption()).toEqual({
      serverSideEncryption: { algorithm: 'AES256' },
      requireSse: false,
    });
    expect(targets({ inCluster: { server: minio, port: 'api' } }).targets.encryption()).toEqual({ requireSse: false });
  });

  test('s3 without the aws settings fails naming what is missing', () => {
    expect(() => targets({ backups: { ...backups, target: 's3' } })).toThrow("backups.target s3 needs the stack's aws.backupRoleArn");
  });

  test('an in-cluster target without a server fails naming the target', () => {
    expect(() => targets({})).toThrow("backups.target 'minio': the stack did not enable an in-cluster S3 server for it");
  });

  test("a port the server does not have fails naming the port and the server's ports", () => {
    expect(() => targets({ inCluster: { server: minio, port: 's3' } })).toThrow(
      "S3-compatible server 'minio': port 's3' is not one of its ports; expected one of api, console",
    );
  });
});
