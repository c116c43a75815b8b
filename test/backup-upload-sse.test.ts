/**
 * Server-side encryption of backup uploads, for real: the rendered upload script run by bash with a
 * fake `aws` first on PATH that records every call's arguments and keeps the uploaded objects (and
 * the `--sse` they were sent with) in a directory. Also the env a DatabaseBackup gives its uploader
 * from BackupTargets: SSE-KMS with the configured key and REQUIRE_SSE=true for Amazon S3, SSE-S3 for
 * LocalStack, nothing for MinIO without a KMS.
 */
import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { BUILT_IN_BACKUP_EXTENSIONS, s3Scripts } from '../lib/constructs/backup/backup-scripts';
import { DatabaseBackup } from '../lib/constructs/backup/database-backup';
import { PostgresBackupEngine } from '../lib/constructs/backup/postgres-backup-engine';
import { SecretsBackend } from '../lib/constructs/platform/secrets-backend';
import { BackupTargets } from '../lib/stack/stack-wiring';
import { BackupTarget } from '../lib/constructs/backup/database-backup';
import { Doc } from './support/doc';

const KMS_KEY = 'arn:aws:kms:eu-west-1:123456789012:alias/shop-prod-backups';
const upload = s3Scripts(BUILT_IN_BACKUP_EXTENSIONS).upload;

/**
 * A fake aws CLI: logs each call (arguments one per line, then `--`) to $AWS_LOG; `s3 cp` copies
 * into $FAKE_S3/<key> and writes the `--sse` value next to it; `s3api head-object` answers
 * ContentLength or ServerSideEncryption of a stored object; listing returns nothing.
 */
const FAKE_AWS = `#!/usr/bin/env bash
set -eu
printf '%s\\n' "$@" -- >> "$AWS_LOG"
while [ "$1" = --region ] || [ "$1" = --endpoint-url ]; do shift 2; done
if [ "$1 $2" = "s3 cp" ]; then
  src=$3; dst=\${4#s3://*/}; sse=None; shift 4
  while [ $# -gt 0 ]; do case $1 in --sse) sse=$2; shift 2 ;; *) shift ;; esac; done
  mkdir -p "$FAKE_S3/$(dirname "$dst")"; cp "$src" "$FAKE_S3/$dst"; printf '%s' "$sse" > "$FAKE_S3/$dst.sse-of-upload"
elif [ "$1 $2" = "s3api head-object" ]; then
  key=; query=
  while [ $# -gt 0 ]; do case $1 in --key) key=$2; shift 2 ;; --query) query=$2; shift 2 ;; *) shift ;; esac; done
  case $query in
    ContentLength) wc -c < "$FAKE_S3/$key" | tr -d ' ' ;;
    ServerSideEncryption) cat "$FAKE_S3/$key.sse-of-upload"; echo ;;
  esac
elif [ "$1 $2" = "s3api list-objects-v2" ]; then
  echo None
fi
`;

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sse-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs the upload script on a fresh dump with `env`; returns the result and the recorded aws calls. */
function runUpload(env: Record<string, string>) {
  const dir = fs.mkdtempSync(path.join(tmp, 'run-'));
  const bin = path.join(dir, 'bin');
  const backup = path.join(dir, 'backup');
  const s3 = path.join(dir, 's3');
  for (const d of [bin, backup, s3]) fs.mkdirSync(d);
  fs.writeFileSync(path.join(bin, 'aws'), FAKE_AWS, { mode: 0o755 });
  const name = 'app-20250101T000000Z.sql.gz';
  const content = 'not really gzip, the fake aws does not care\n';
  fs.writeFileSync(path.join(backup, name), content);
  fs.writeFileSync(path.join(backup, `${name}.sha256`), `${createHash('sha256').update(content).digest('hex')}  ${name}\n`);
  fs.writeFileSync(path.join(backup, 'latest-name'), `${name}\n`);
  const log = path.join(dir, 'aws.log');
  fs.writeFileSync(log, '');
  const r = spawnSync('bash', ['-c', upload], {
    encoding: 'utf8',
    env: {
      PATH: `${bin}:/usr/bin:/bin`,
      AWS_LOG: log,
      FAKE_S3: s3,
      BACKUP_DIR: backup,
      S3_BUCKET: 'shop-backups',
      S3_PREFIX: 'shop/postgres',
      RETENTION_DAYS: '7',
      ...env,
    },
    timeout: 30_000,
  });
  const calls = fs
    .readFileSync(log, 'utf8')
    .split('--\n')
    .filter(Boolean)
    .map((c) => c.trimEnd().split('\n'));
  return { ...r, calls, uploads: calls.filter((c) => c[0] === 's3' && c[1] === 'cp') };
}

describe('the upload script with server-side encryption (bash, fake aws on PATH)', () => {
  test('SSE-KMS: both objects go up with --sse aws:kms --sse-kms-key-id <key>, and the result is checked', () => {
    const r = runUpload({ S3_SSE: 'aws:kms', S3_SSE_KMS_ID: KMS_KEY, REQUIRE_SSE: 'true' });
    expect(r.status).toBe(0);
    expect(r.uploads).toHaveLength(2);
    for (const args of r.uploads) expect(args.join(' ')).toContain(`--sse aws:kms --sse-kms-key-id ${KMS_KEY}`);
    expect(r.calls.some((c) => c.includes('head-object') && c.includes('ServerSideEncryption'))).toBe(true);
    expect(r.stdout).toContain('(server-side encryption aws:kms)');
  });

  test('SSE-S3: --sse AES256 without a key id', () => {
    const r = runUpload({ S3_SSE: 'AES256' });
    expect(r.status).toBe(0);
    for (const args of r.uploads) {
      expect(args.join(' ')).toContain('--sse AES256');
      expect(args).not.toContain('--sse-kms-key-id');
    }
  });

  test('no S3_SSE and no REQUIRE_SSE: uploads without --sse (an S3-compatible server without SSE)', () => {
    const r = runUpload({});
    expect(r.status).toBe(0);
    expect(r.uploads).toHaveLength(2);
    for (const args of r.uploads) expect(args).not.toContain('--sse');
  });

  test.each([
    ['no encryption at all', {}, /refusing to upload: REQUIRE_SSE=true needs S3_SSE=aws:kms and S3_SSE_KMS_ID .*S3_SSE is ''/],
    ['SSE-S3 only', { S3_SSE: 'AES256' }, /refusing to upload: REQUIRE_SSE=true needs S3_SSE=aws:kms .*S3_SSE is 'AES256'/],
    ['SSE-KMS without a key', { S3_SSE: 'aws:kms' }, /refusing to upload: S3_SSE=aws:kms needs S3_SSE_KMS_ID/],
    ['SSE-KMS with an empty key', { S3_SSE: 'aws:kms', S3_SSE_KMS_ID: '' }, /refusing to upload: S3_SSE=aws:kms needs S3_SSE_KMS_ID/],
  ])('REQUIRE_SSE=true (prod) with %s: exits non-zero before calling aws', (_what, env, message) => {
    const r = runUpload({ REQUIRE_SSE: 'true', ...env });
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(message);
    expect(r.calls).toEqual([]);
  });

  test.each([
    [{ S3_SSE: 'aes256' }, /S3_SSE 'aes256' is invalid: use AES256 \(SSE-S3\) or aws:kms \(SSE-KMS\)/],
    [{ REQUIRE_SSE: 'yes' }, /REQUIRE_SSE 'yes' is invalid: use true or false/],
  ])('bad values fail early: %j', (env, message) => {
    const r = runUpload(env);
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(message);
    expect(r.calls).toEqual([]);
  });

  test('a store that drops the encryption is caught after the upload', () => {
    // The fake records what --sse said; a store ignoring it would report another value.
    const dir = fs.mkdtempSync(path.join(tmp, 'lying-'));
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    // Same fake, but head-object reports no encryption.
    fs.writeFileSync(path.join(bin, 'aws'), FAKE_AWS.replace('cat "$FAKE_S3/$key.sse-of-upload"; echo', 'echo None'), { mode: 0o755 });
    const backup = path.join(dir, 'backup');
    fs.mkdirSync(backup);
    const name = 'app-20250101T000000Z.sql.gz';
    fs.writeFileSync(path.join(backup, name), 'x\n');
    fs.writeFileSync(path.join(backup, `${name}.sha256`), `${createHash('sha256').update('x\n').digest('hex')}  ${name}\n`);
    fs.writeFileSync(path.join(backup, 'latest-name'), `${name}\n`);
    const lying = spawnSync('bash', ['-c', upload], {
      encoding: 'utf8',
      env: {
        PATH: `${bin}:/usr/bin:/bin`,
        AWS_LOG: path.join(dir, 'aws.log'),
        FAKE_S3: path.join(dir, 's3'),
        BACKUP_DIR: backup,
        S3_BUCKET: 'shop-backups',
        S3_PREFIX: 'shop/postgres',
        RETENTION_DAYS: '7',
        S3_SSE: 'AES256',
      },
    });
    expect(lying.status).not.toBe(0);
    expect(lying.stdout + lying.stderr).toMatch(/reports server-side encryption 'None'; expected 'AES256'/);
  });
});

describe('the uploader env from BackupTargets', () => {
  const aws = {
    backupRoleArn: 'arn:aws:iam::123456789012:role/shop-backup',
    secretsRoleArn: 'arn:aws:iam::123456789012:role/shop-secrets',
    secretsKeyPrefix: 'prod/shop',
  };

  function uploaderEnv(target: BackupTarget): Record<string, string> {
    const chart = Testing.chart();
    new DatabaseBackup(chart, 'backup', {
      namespace: 'shop',
      partOf: 'shop',
      name: 'postgres-backup',
      engine: new PostgresBackupEngine(),
      source: {
        image: 'postgres:15.8-bookworm',
        runAsUser: 999,
        env: { PGHOST: 'h', PGPORT: '5432', PGUSER: 'postgres', PGDATABASE: 'shop' },
        secretEnv: { PGPASSWORD: { secret: 'pg', key: 'POSTGRES_PASSWORD' } },
      },
      schedule: '0 2 * * *',
      retentionDays: 7,
      target,
      uploaderImage: 'amazon/aws-cli:2.22.35',
      resources: { cpuRequest: '100m', memoryRequest: '128Mi', memoryLimit: '256Mi' },
    });
    const cron = Testing.synth(chart).find((d) => d.kind === 'CronJob' && d.metadata.name === 'postgres-backup')!;
    const c = cron.spec.jobTemplate.spec.template.spec.containers.find((x: Doc) => x.name === 'upload');
    return Object.fromEntries((c.env as Doc[]).filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
  }

  test('Amazon S3 (prod): SSE-KMS with backups.kmsKeyId and REQUIRE_SSE=true', () => {
    const chart = Testing.chart();
    const secrets = new SecretsBackend(chart, 'secrets', { namespace: 'shop', provider: { kind: 'generated' } });
    const targets = new BackupTargets(secrets, {
      partOf: 'shop',
      backups: { target: 's3', bucket: 'shop-backups', region: 'eu-west-1', kmsKeyId: KMS_KEY },
      aws,
    });
    expect(uploaderEnv(targets.for('postgres'))).toMatchObject({ S3_SSE: 'aws:kms', S3_SSE_KMS_ID: KMS_KEY, REQUIRE_SSE: 'true' });
  });

  test('Amazon S3 without a key: BackupTargets throws naming backups.kmsKeyId', () => {
    const chart = Testing.chart();
    const secrets = new SecretsBackend(chart, 'secrets', { namespace: 'shop', provider: { kind: 'generated' } });
    expect(
      () => new BackupTargets(secrets, { partOf: 'shop', backups: { target: 's3', bucket: 'shop-backups', region: 'eu-west-1' }, aws }),
    ).toThrow(/backups.kmsKeyId: undefined; expected a KMS key ARN or alias with backups.target s3/);
  });

  test('an in-cluster server: SSE-S3 when it accepts it (LocalStack), nothing otherwise (MinIO without KMS); never REQUIRE_SSE', () => {
    const secrets = () => new SecretsBackend(Testing.chart(), 'secrets', { namespace: 'shop', provider: { kind: 'generated' } });
    const server = (acceptsSseS3: boolean) => ({ name: 's3', host: 's3.shop.svc.cluster.local', ports: { http: 4566 }, acceptsSseS3 });
    const env = (acceptsSseS3: boolean) =>
      uploaderEnv(
        new BackupTargets(secrets(), {
          partOf: 'shop',
          backups: { target: 'localstack', bucket: 'shop-backups', region: 'us-east-1' },
          inCluster: { server: server(acceptsSseS3), port: 'http' },
        }).for('postgres'),
      );
    expect(env(true)).toMatchObject({ S3_SSE: 'AES256' });
    expect(env(true)).not.toHaveProperty('REQUIRE_SSE');
    expect(env(false)).not.toHaveProperty('S3_SSE');
  });

  test.each([
    [
      { serverSideEncryption: { algorithm: 'aws:kms' as const, kmsKeyId: 'my-key' } },
      /target.serverSideEncryption.kmsKeyId 'my-key'; expected a KMS key ARN/,
    ],
    [
      { serverSideEncryption: { algorithm: 'DES' as 'AES256' } },
      /target.serverSideEncryption.algorithm 'DES'; expected 'AES256' \(SSE-S3\) or 'aws:kms' \(SSE-KMS\)/,
    ],
    [
      { serverSideEncryption: { algorithm: 'AES256' as const }, requireKms: true },
      /target.requireKms is true but target.serverSideEncryption is 'AES256'/,
    ],
    [{ requireKms: true }, /target.requireKms is true but target.serverSideEncryption is not set/],
  ])('DatabaseBackup rejects a bad encryption target: %j', (extra, message) => {
    const target: BackupTarget = {
      bucket: 'shop-backups',
      prefix: 'shop/postgres',
      region: 'eu-west-1',
      roleArn: aws.backupRoleArn,
      ...extra,
    };
    expect(() => uploaderEnv(target)).toThrow(message);
  });
});
