/**
 * The synthesized BucketSetup Job's script (lib/constructs/storage/assets/bucket-setup.sh), taken
 * from the synthesized ConfigMap with the env of the synthesized Job, run with the real aws CLI:
 *
 * - against s3rver (test/support/s3-server.ts), which implements bucket creation but none of
 *   versioning, policy, encryption, lifecycle or public access block: buckets are created, an
 *   existing one is kept, a second run creates nothing;
 * - against a fake S3 written here with node:http, which records every request: the exact
 *   requests for an Amazon S3 configuration (public access block, SSE-KMS and SSE-S3, versioning
 *   and its check, lifecycle, policy), a second run that recreates nothing, a concurrent
 *   creation (BucketAlreadyOwnedByYou) tolerated, a missing bucket with `create: false` and a
 *   bucket of another account refused.
 *
 * Only the endpoint (the in-cluster Service, or none for Amazon S3), CONFIG_DIR and HOME differ
 * from the Job's env: they point at the local server and a temp folder.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { IMAGES } from '../../config/images';
import { AmazonS3Storage, BucketSetup, BucketSetupProps, S3CompatibleStorage } from '../../lib/constructs/storage';
import { Doc } from '../support/doc';
import { awsClientEnv, LocalS3, requireAwsCli, S3RVER_CREDENTIALS, startS3rver } from '../support/s3-server';

const resources = { cpuRequest: '50m', memoryRequest: '128Mi', memoryLimit: '256Mi' };
const credentials = {
  accessKeyId: { secret: 'minio-root', key: 'MINIO_ROOT_USER' },
  secretAccessKey: { secret: 'minio-root', key: 'MINIO_ROOT_PASSWORD' },
};
const minio = { name: 'minio', host: 'minio.shop.svc.cluster.local', ports: { api: 9000 } };
const KMS_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

let workDir: string;
let pathWithTools: string;

beforeAll(() => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bucket-setup-'));
  const binDir = path.join(workDir, 'bin');
  fs.mkdirSync(binDir);
  fs.symlinkSync(requireAwsCli(), path.join(binDir, 'aws'));
  pathWithTools = [binDir, '/usr/bin', '/bin'].join(':');
});

afterAll(() => {
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

/** The synthesized Job and ConfigMap of a BucketSetup. */
function synthSetup(props: Partial<BucketSetupProps> & Pick<BucketSetupProps, 'storage' | 'buckets'>): { job: Doc; configMap: Doc } {
  const chart = Testing.chart();
  new BucketSetup(chart, 'setup', { namespace: 'shop', partOf: 'shop', image: IMAGES.awsCli, resources, ...props });
  const objects = Testing.synth(chart);
  return { job: objects.find((o) => o.kind === 'Job'), configMap: objects.find((o) => o.kind === 'ConfigMap') };
}

interface Run {
  readonly status: number | null;
  readonly output: string;
}

/**
 * Runs the script of the synthesized ConfigMap as the Job's container would: its command, its env
 * (Secret refs resolved to the test credentials), the ConfigMap's files in CONFIG_DIR; the
 * endpoint is `endpoint`.
 */
async function runSetup(setup: { job: Doc; configMap: Doc }, endpoint: string): Promise<Run> {
  const configDir = fs.mkdtempSync(path.join(workDir, 'config-'));
  for (const [key, text] of Object.entries<string>(setup.configMap.data)) fs.writeFileSync(path.join(configDir, key), text);
  const container = setup.job.spec.template.spec.containers[0];
  const secrets: Record<string, string> = {
    'minio-root/MINIO_ROOT_USER': S3RVER_CREDENTIALS.accessKeyId,
    'minio-root/MINIO_ROOT_PASSWORD': S3RVER_CREDENTIALS.secretAccessKey,
  };
  const jobEnv = Object.fromEntries(
    container.env.map((e: Doc) => [e.name, e.value ?? secrets[`${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`]]),
  );
  const awsEnv = awsClientEnv(workDir);
  const env = {
    PATH: pathWithTools,
    // no config files, no instance metadata; static test keys where the Job would use IRSA
    AWS_CONFIG_FILE: awsEnv.AWS_CONFIG_FILE,
    AWS_SHARED_CREDENTIALS_FILE: awsEnv.AWS_SHARED_CREDENTIALS_FILE,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    ...jobEnv,
    S3_ENDPOINT_URL: endpoint,
    CONFIG_DIR: configDir,
    HOME: workDir,
  };
  const [command, script] = container.command as string[];
  expect([command, script]).toEqual(['bash', '/config/bucket-setup.sh']);
  return new Promise<Run>((resolve, reject) => {
    const child = spawn(command, [path.join(configDir, 'bucket-setup.sh')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    // Each aws call starts a Python interpreter: ~1 s on a quiet machine, 10 s+ on a loaded CI runner.
    const timer = setTimeout(() => child.kill('SIGKILL'), 280_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, output });
    });
  });
}

function expectOk(run: Run): string {
  if (run.status !== 0) throw new Error(`bucket-setup.sh exited ${run.status}\n${run.output}`);
  return run.output;
}

// ------------------------------------------------------------------------------------------
// s3rver: creation and idempotency
// ------------------------------------------------------------------------------------------

describe('against s3rver (creation only: it implements none of the bucket settings)', () => {
  let s3: LocalS3;
  beforeAll(async () => {
    s3 = await startS3rver(path.join(workDir, 's3rver'), ['backups']);
  });
  afterAll(async () => {
    await s3?.stop();
  });

  function listBuckets(): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const env = { ...awsClientEnv(workDir), PATH: pathWithTools };
      const child = spawn(
        'aws',
        ['--endpoint-url', s3.endpoint, 's3api', 'list-buckets', '--query', 'Buckets[].Name', '--output', 'text'],
        {
          env,
        },
      );
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.on('close', (status) =>
        status === 0 ? resolve(out.trim().split(/\s+/).sort()) : reject(new Error(`list-buckets: ${status}`)),
      );
    });
  }

  const storage = new S3CompatibleStorage({ server: minio, port: 'api', credentials });
  const buckets = ['ecommerce', 'backups', 'logs'].map((name) => ({ name, versioning: false }));

  test('the seed buckets are created (backups already exists and is kept); a second run creates nothing', async () => {
    const setup = synthSetup({ storage, buckets });
    expect(Object.keys(setup.configMap.data)).toEqual(['bucket-setup.sh']);
    const first = expectOk(await runSetup(setup, s3.endpoint));
    expect(first).toContain('ecommerce: created');
    expect(first).toContain('backups: exists');
    expect(first).toContain('logs: created');
    expect(first).toContain('done: 3 bucket(s) ready (2 created, 1 already there)');
    expect(await listBuckets()).toEqual(['backups', 'ecommerce', 'logs']);

    const second = expectOk(await runSetup(setup, s3.endpoint));
    expect(second).not.toContain('created\n');
    expect(second).toContain('done: 3 bucket(s) ready (0 created, 3 already there)');
    expect(await listBuckets()).toEqual(['backups', 'ecommerce', 'logs']);
  }, 900_000);

  test('with create: false a missing bucket fails the Job, naming it and the fix', async () => {
    const run = await runSetup(synthSetup({ storage, buckets: [{ name: 'media', versioning: false }], create: false }), s3.endpoint);
    expect(run.status).not.toBe(0);
    expect(run.output).toMatch(
      /ERROR: bucket media does not exist and CREATE_BUCKETS is false: create it where the buckets are managed \(e\.g\. Terraform\), or let this Job create it/,
    );
    expect(await listBuckets()).not.toContain('media');
  });
});

// ------------------------------------------------------------------------------------------
// fake S3 (node:http): the exact requests of every setting
// ------------------------------------------------------------------------------------------

interface Recorded {
  readonly method: string;
  readonly path: string;
  /** The subresource (`versioning`, `policy`...) or '' for the bucket itself. */
  readonly query: string;
  readonly body: string;
}

/** An S3 that records requests and keeps just enough state: buckets, their versioning and policy. */
class FakeS3 {
  public readonly requests: Recorded[] = [];
  public readonly buckets = new Map<string, { versioning?: string; policy?: string }>();
  /** Buckets whose HEAD says 404 but whose creation says BucketAlreadyOwnedByYou (created concurrently). */
  public readonly createdMeanwhile = new Set<string>();
  /** Buckets of another account (HEAD 403). */
  public readonly foreign = new Set<string>();
  private server?: http.Server;

  public async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => this.handle(req, body, res));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  public stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private handle(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const bucket = decodeURIComponent(url.pathname.slice(1));
    const query = [...url.searchParams.keys()].join('&');
    this.requests.push({ method: req.method ?? '', path: url.pathname, query, body });
    const state = this.buckets.get(bucket);
    const xml = (status: number, text: string) => {
      res.writeHead(status, { 'content-type': 'application/xml' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${text}`);
    };
    const error = (status: number, code: string) => xml(status, `<Error><Code>${code}</Code><Message>${code}</Message></Error>`);
    if (req.method === 'HEAD' && query === '') {
      res.writeHead(this.foreign.has(bucket) ? 403 : state ? 200 : 404);
      return void res.end();
    }
    if (req.method === 'PUT' && query === '') {
      if (this.createdMeanwhile.has(bucket) && !state) this.buckets.set(bucket, {}); // someone else created it just now
      if (state || this.createdMeanwhile.has(bucket)) return error(409, 'BucketAlreadyOwnedByYou');
      this.buckets.set(bucket, {});
      res.writeHead(200, { location: `/${bucket}` });
      return void res.end();
    }
    if (!state) return error(404, 'NoSuchBucket');
    if (req.method === 'PUT' && query === 'versioning') {
      state.versioning = /<Status>(\w+)<\/Status>/.exec(body)?.[1];
      return void res.writeHead(200).end();
    }
    if (req.method === 'GET' && query === 'versioning')
      return xml(
        200,
        `<VersioningConfiguration xmlns="${S3_NS}">${state.versioning ? `<Status>${state.versioning}</Status>` : ''}</VersioningConfiguration>`,
      );
    if (req.method === 'PUT' && query === 'policy') {
      state.policy = body;
      return void res.writeHead(204).end();
    }
    if (req.method === 'GET' && query === 'policy') {
      if (!state.policy) return error(404, 'NoSuchBucketPolicy');
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(state.policy);
    }
    if (req.method === 'PUT' && ['encryption', 'lifecycle', 'publicAccessBlock'].includes(query)) return void res.writeHead(200).end();
    return error(501, 'NotImplemented');
  }
}

/** An XML body without its declaration and the blanks between tags (the CLI's layout is not the point). */
const xmlOf = (body: string) =>
  body
    .replace(/<\?xml[^>]*\?>/, '')
    .replace(/>\s+</g, '><')
    .trim();

describe('against a fake S3 (node:http) that records the requests', () => {
  let fake: FakeS3;
  let endpoint: string;
  beforeEach(async () => {
    fake = new FakeS3();
    endpoint = await fake.start();
  });
  afterEach(async () => {
    await fake.stop();
  });

  const amazon = new AmazonS3Storage({ region: 'eu-west-1', roleArn: 'arn:aws:iam::123456789012:role/shop-buckets' });
  const prodBuckets = [
    { name: 'shop-media', encryption: { algorithm: 'aws:kms' as const, kmsKeyArn: KMS_KEY } },
    {
      name: 'shop-backups',
      lifecycle: { noncurrentVersionExpirationDays: 90, abortIncompleteMultipartUploadDays: 3, expirations: [{ prefix: 'tmp', days: 2 }] },
    },
  ];

  /** The requests one run makes for one bucket of the Amazon S3 configuration, in order. */
  function expectedRequests(setup: { configMap: Doc }, bucket: string, created: boolean, kms: boolean): Recorded[] {
    const policy = setup.configMap.data[`${bucket}.policy.json`];
    const pathOf = `/${bucket}`;
    const lifecycle =
      bucket === 'shop-backups'
        ? `<LifecycleConfiguration xmlns="${S3_NS}">` +
          '<Rule><ID>expire-noncurrent-versions</ID><Status>Enabled</Status><Filter><Prefix /></Filter><NoncurrentVersionExpiration><NoncurrentDays>90</NoncurrentDays></NoncurrentVersionExpiration></Rule>' +
          '<Rule><ID>abort-incomplete-multipart-uploads</ID><Status>Enabled</Status><Filter><Prefix /></Filter><AbortIncompleteMultipartUpload><DaysAfterInitiation>3</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>' +
          '<Rule><ID>expire-tmp</ID><Status>Enabled</Status><Filter><Prefix>tmp/</Prefix></Filter><Expiration><Days>2</Days></Expiration></Rule>' +
          '</LifecycleConfiguration>'
        : `<LifecycleConfiguration xmlns="${S3_NS}">` +
          '<Rule><ID>expire-noncurrent-versions</ID><Status>Enabled</Status><Filter><Prefix /></Filter><NoncurrentVersionExpiration><NoncurrentDays>30</NoncurrentDays></NoncurrentVersionExpiration></Rule>' +
          '<Rule><ID>abort-incomplete-multipart-uploads</ID><Status>Enabled</Status><Filter><Prefix /></Filter><AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>' +
          '</LifecycleConfiguration>';
    const encryption = kms
      ? `<ServerSideEncryptionConfiguration xmlns="${S3_NS}"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>${KMS_KEY}</KMSMasterKeyID></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`
      : `<ServerSideEncryptionConfiguration xmlns="${S3_NS}"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>`;
    return [
      { method: 'HEAD', path: pathOf, query: '', body: '' },
      ...(created
        ? [
            {
              method: 'PUT',
              path: pathOf,
              query: '',
              body: `<CreateBucketConfiguration xmlns="${S3_NS}"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>`,
            },
          ]
        : []),
      {
        method: 'PUT',
        path: pathOf,
        query: 'publicAccessBlock',
        body: `<PublicAccessBlockConfiguration xmlns="${S3_NS}"><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>`,
      },
      { method: 'PUT', path: pathOf, query: 'encryption', body: encryption },
      {
        method: 'PUT',
        path: pathOf,
        query: 'versioning',
        body: `<VersioningConfiguration xmlns="${S3_NS}"><Status>Enabled</Status></VersioningConfiguration>`,
      },
      { method: 'GET', path: pathOf, query: 'versioning', body: '' },
      { method: 'PUT', path: pathOf, query: 'lifecycle', body: lifecycle },
      { method: 'PUT', path: pathOf, query: 'policy', body: policy.trim() },
    ];
  }

  const recorded = () => fake.requests.map((r) => ({ ...r, body: r.query === 'policy' ? r.body.trim() : xmlOf(r.body) }));

  test('Amazon S3 settings: the exact requests of a first run, read back with the CLI, and a second run that recreates nothing', async () => {
    const setup = synthSetup({ storage: amazon, buckets: prodBuckets, create: true });
    expect(Object.keys(setup.configMap.data).sort()).toEqual([
      'bucket-setup.sh',
      'shop-backups.encryption.json',
      'shop-backups.lifecycle.json',
      'shop-backups.policy.json',
      'shop-backups.public-access-block.json',
      'shop-backups.versioning.json',
      'shop-media.encryption.json',
      'shop-media.lifecycle.json',
      'shop-media.policy.json',
      'shop-media.public-access-block.json',
      'shop-media.versioning.json',
    ]);
    const first = expectOk(await runSetup(setup, endpoint));
    expect(recorded()).toEqual([
      ...expectedRequests(setup, 'shop-media', true, true),
      ...expectedRequests(setup, 'shop-backups', true, false),
    ]);
    expect(first).toContain('done: 2 bucket(s) ready (2 created, 0 already there)');
    expect(first).toContain('shop-media: versioning is Enabled');
    for (const bucket of ['shop-media', 'shop-backups']) {
      expect(fake.buckets.get(bucket)?.versioning).toBe('Enabled');
      expect(JSON.parse(fake.buckets.get(bucket)!.policy!)).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'DenyInsecureTransport',
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:*',
            Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      });
    }

    // read back with the CLI, as an operator would
    const read = (args: string[]) =>
      new Promise<string>((resolve, reject) => {
        const child = spawn('aws', ['--endpoint-url', endpoint, '--region', 'eu-west-1', 's3api', ...args, '--bucket', 'shop-media'], {
          env: { ...awsClientEnv(workDir, 'eu-west-1'), PATH: pathWithTools },
        });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.on('close', (status) => (status === 0 ? resolve(out) : reject(new Error(`${args[0]}: ${status}`))));
      });
    expect(JSON.parse(await read(['get-bucket-versioning']))).toEqual({ Status: 'Enabled' });
    const policy = JSON.parse(JSON.parse(await read(['get-bucket-policy'])).Policy);
    expect(policy).toEqual(JSON.parse(setup.configMap.data['shop-media.policy.json']));

    fake.requests.length = 0;
    const second = expectOk(await runSetup(setup, endpoint));
    expect(recorded()).toEqual([
      ...expectedRequests(setup, 'shop-media', false, true),
      ...expectedRequests(setup, 'shop-backups', false, false),
    ]);
    expect(fake.requests.filter((r) => r.method === 'PUT' && r.query === '')).toEqual([]);
    expect(second).toContain('done: 2 bucket(s) ready (0 created, 2 already there)');
  }, 900_000);

  test('a bucket created meanwhile (HEAD 404, then BucketAlreadyOwnedByYou) is fine: its settings are applied', async () => {
    fake.createdMeanwhile.add('shop-race');
    const setup = synthSetup({ storage: amazon, buckets: [{ name: 'shop-race' }], create: true });
    const run = expectOk(await runSetup(setup, endpoint));
    expect(run).toContain('shop-race: already exists and is ours (created meanwhile)');
    expect(fake.requests.map((r) => `${r.method} ${r.query}`)).toEqual([
      'HEAD ',
      'PUT ',
      'PUT publicAccessBlock',
      'PUT encryption',
      'PUT versioning',
      'GET versioning',
      'PUT lifecycle',
      'PUT policy',
    ]);
  });

  test('a bucket of another account (403) and a missing bucket with create: false fail with clear messages', async () => {
    fake.foreign.add('shop-taken');
    const taken = await runSetup(synthSetup({ storage: amazon, buckets: [{ name: 'shop-taken' }], create: true }), endpoint);
    expect(taken.status).not.toBe(0);
    expect(taken.output).toMatch(
      /ERROR: bucket shop-taken: access denied \(it belongs to another account, or these credentials lack s3:ListBucket on it\)/,
    );
    const missing = await runSetup(synthSetup({ storage: amazon, buckets: [{ name: 'shop-missing' }] }), endpoint);
    expect(missing.status).not.toBe(0);
    expect(missing.output).toContain('ERROR: bucket shop-missing does not exist and CREATE_BUCKETS is false');
    expect(fake.requests.filter((r) => r.method === 'PUT')).toEqual([]);
  });
});
