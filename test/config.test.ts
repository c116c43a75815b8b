import { isValidCron, isVpcCidr } from '../lib/core/formats';
import { parseConfig } from '../lib/config/config-error';
import * as f from '../lib/config/fields';
import { loadEnvironment, loadEnvironments } from '../config';
import { configProblems, envConfig } from './support/synth';

const problems = configProblems;

describe('environment config', () => {
  test('dev and prod are valid', () => {
    expect(loadEnvironments().map((e) => e.name)).toEqual(['dev', 'prod']);
  });

  test('unknown key names the key and the allowed keys', () => {
    const cfg = envConfig('dev');
    cfg.stacks.wondernest.api.replica = 2;
    expect(problems(cfg)).toMatch(
      /stacks\.wondernest\.api\.replica: got 2; expected no such key; allowed keys here: image, standIn, replicas/,
    );
  });

  test('wrong type', () => {
    const cfg = envConfig('dev');
    cfg.stacks.wondernest.api.replicas = '2';
    expect(problems(cfg)).toContain('stacks.wondernest.api.replicas: got "2"; expected an integer >= 0');
  });

  test('negative replicas', () => {
    const cfg = envConfig('prod');
    cfg.stacks.wondernest.api.replicas = -1;
    expect(problems(cfg)).toContain('stacks.wondernest.api.replicas: got -1; expected an integer >= 0');
  });

  test('HPA min > max', () => {
    const cfg = envConfig('prod');
    cfg.stacks.wondernest.api.autoscaling = { minReplicas: 5, maxReplicas: 3 };
    expect(problems(cfg)).toContain('stacks.wondernest.api.autoscaling.minReplicas: got 5; expected an integer <= maxReplicas (3)');
  });

  test.each([
    ['connectionMs', 100, 'got 100; expected an integer >= 250'],
    ['idleMs', 1_800_000, 'got 1800000; expected an integer below maxLifetimeMs (1800000)'],
    ['maxLifetimeMs', 20_000, 'got 20000; expected an integer >= 30000'],
    ['leakDetectionMs', 1000, 'got 1000; expected 0 (off) or an integer from 2000 to below maxLifetimeMs (1800000)'],
    ['leakDetectionMs', 1_800_000, 'got 1800000; expected 0 (off) or an integer from 2000 to below maxLifetimeMs (1800000)'],
  ])('Hikari timeouts follow Hikari’s own rules: %s %d', (field, value, message) => {
    const cfg = envConfig('prod');
    cfg.stacks.wondernest.api.poolTimeouts[field] = value;
    expect(problems(cfg)).toContain(`stacks.wondernest.api.poolTimeouts.${field}: ${message}`);
  });

  test('Hikari leak detection may be off (0)', () => {
    const cfg = envConfig('prod');
    cfg.stacks.wondernest.api.poolTimeouts.leakDetectionMs = 0;
    expect(() => loadEnvironment(cfg, 'test')).not.toThrow();
  });

  test('malformed host', () => {
    const cfg = envConfig('dev');
    cfg.stacks.wondernest.host = 'https://api.example.com/';
    expect(problems(cfg)).toMatch(
      /stacks\.wondernest\.host: got "https:\/\/api\.example\.com\/"; expected a fully qualified DNS host name/,
    );
  });

  test('invalid cron', () => {
    const cfg = envConfig('dev');
    cfg.stacks.wondernest.backups.postgresSchedule = '0 25 * * *';
    expect(problems(cfg)).toMatch(
      /stacks\.wondernest\.backups\.postgresSchedule: got "0 25 \* \* \*"; expected a five-field cron expression/,
    );
  });

  test("memory like 'lots'", () => {
    const cfg = envConfig('dev');
    cfg.stacks.wondernest.postgres.resources.memoryLimit = 'lots';
    expect(problems(cfg)).toMatch(
      /stacks\.wondernest\.postgres\.resources\.memoryLimit: got "lots"; expected a memory quantity such as '256Mi'/,
    );
  });

  test('memory limit below request', () => {
    const cfg = envConfig('dev');
    cfg.stacks.wondernest.redis.resources.memoryLimit = '64Mi';
    expect(problems(cfg)).toContain(
      'stacks.wondernest.redis.resources.memoryLimit: got "64Mi"; expected a memory quantity >= memoryRequest (128Mi)',
    );
  });

  test('a dev-only tool enabled in prod', () => {
    const cfg = envConfig('prod');
    cfg.stacks.wondernest.pgadmin.enabled = true;
    cfg.stacks.wondernest.pgadmin.storage = { size: '1Gi', storageClassName: 'gp3-encrypted' };
    expect(problems(cfg)).toContain(
      'stacks.wondernest.pgadmin.enabled: got true; expected false: pgadmin is a development tool and is not allowed in a prod profile',
    );
  });

  test('a stand-in image in prod', () => {
    const cfg = envConfig('prod');
    cfg.stacks.wondernest.api.standIn = true;
    expect(problems(cfg)).toContain(
      'stacks.wondernest.api.standIn: got true; expected false: a stand-in image is only allowed in a dev profile',
    );
  });

  test('unpinned images are refused', () => {
    const cfg = envConfig('dev');
    cfg.stacks.wondernest.api.image = 'ghcr.io/wondernest/api:latest';
    cfg.stacks.wondernest.redis.image = 'redis';
    const msg = problems(cfg);
    expect(msg).toContain(
      'stacks.wondernest.api.image: got "ghcr.io/wondernest/api:latest"; expected an image reference pinned to a version',
    );
    expect(msg).toContain('stacks.wondernest.redis.image: got "redis"; expected an image reference pinned to a version');
  });

  test('prod needs S3 backups and AWS secrets', () => {
    const cfg = envConfig('prod');
    cfg.secrets.provider = 'generated';
    cfg.stacks.wondernest.backups.target = 'localstack';
    const msg = problems(cfg);
    expect(msg).toContain('secrets.provider: got "generated"; expected \'aws-secrets-manager\' in a prod profile');
    expect(msg).toContain('stacks.wondernest.backups.target: got "localstack"; expected \'s3\' in a prod profile');
  });

  test('S3 backups need a KMS key, in a key ARN, alias ARN or alias form', () => {
    const cfg = envConfig('prod');
    delete cfg.stacks.wondernest.backups.kmsKeyId;
    cfg.stacks.pagodirecto.backups.kmsKeyId = '1234abcd-12ab-34cd-56ef-1234567890ab';
    const msg = problems(cfg);
    expect(msg).toContain('stacks.wondernest.backups.kmsKeyId: got nothing; expected a KMS key ARN or alias with backups.target s3');
    expect(msg).toContain(
      'stacks.pagodirecto.backups.kmsKeyId: got "1234abcd-12ab-34cd-56ef-1234567890ab"; expected a KMS key ARN \'arn:aws:kms:<region>:<account>:key/<key id>\'',
    );
    const ok = envConfig('prod');
    ok.stacks.wondernest.backups.kmsKeyId = 'alias/wondernest-backups';
    ok.stacks.pagodirecto.backups.kmsKeyId = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    expect(() => problems(ok)).toThrow(/config was accepted/);
  });

  test('point-in-time recovery archives to S3 only, with a sane archive_timeout', () => {
    const cfg = envConfig('dev');
    cfg.stacks.wondernest.backups.postgresPitr.enabled = true;
    cfg.stacks.pagodirecto.backups.postgresPitr.archiveTimeoutSeconds = 0;
    const msg = problems(cfg);
    expect(msg).toContain(
      "stacks.wondernest.backups.postgresPitr.enabled: got true; expected false with backups.target 'localstack': point-in-time recovery archives to Amazon S3 (target 's3') only",
    );
    expect(msg).toContain('stacks.pagodirecto.backups.postgresPitr.archiveTimeoutSeconds: got 0');
    const prod = envConfig('prod');
    delete prod.stacks.wondernest.backups.postgresPitr;
    expect(problems(prod)).toContain('stacks.wondernest.backups.postgresPitr: got nothing');
  });

  test('shared_buffers larger than half the memory limit', () => {
    const cfg = envConfig('dev');
    cfg.stacks.wondernest.postgres.settings.shared_buffers = '400MB';
    expect(problems(cfg)).toContain(
      'stacks.wondernest.postgres.settings.shared_buffers: got "400MB"; expected at most half of resources.memoryLimit (512Mi)',
    );
  });

  test('letsencrypt needs an e-mail', () => {
    const cfg = envConfig('prod');
    delete cfg.tls.acmeEmail;
    expect(problems(cfg)).toContain('tls.acmeEmail: got nothing; expected an e-mail address for the ACME account');
  });

  test('a Prometheus retention that is not a whole duration', () => {
    const cfg = envConfig('dev');
    cfg.monitoring.retention = '1.5d';
    expect(problems(cfg)).toContain(
      "monitoring.retention: got \"1.5d\"; expected a Prometheus retention such as '7d' or '30d' (a whole number of h, d, w or y)",
    );
  });

  test("EKS needs the VPC's CIDR (Traefik trusts proxy protocol and X-Forwarded-* from it); kind refuses one", () => {
    const eks = envConfig('prod');
    delete eks.cluster.vpcCidr;
    expect(problems(eks)).toContain(
      "cluster.vpcCidr: got nothing; expected the VPC's IPv4 CIDR on EKS, such as '10.0.0.0/16' (Traefik trusts the load balancer's proxy protocol and X-Forwarded-* headers from it)",
    );
    const kind = envConfig('dev');
    kind.cluster.vpcCidr = '10.0.0.0/16';
    expect(problems(kind)).toContain(
      'cluster.vpcCidr: got "10.0.0.0/16"; expected unset on kind (no load balancer in front of Traefik; clients connect through the host)',
    );
  });

  test('EKS needs its worker nodes and the Cluster Autoscaler role; kind refuses an autoscaler', () => {
    const eks = envConfig('prod');
    delete eks.cluster.nodes;
    delete eks.cluster.autoscaler;
    expect(problems(eks)).toContain(
      'cluster.nodes: got nothing; expected the worker nodes on EKS (zones, minPerZone, maxPerZone, instanceType, capacity, allocatable)',
    );
    expect(problems(eks)).toContain("cluster.autoscaler: got nothing; expected the Cluster Autoscaler's IRSA role on EKS ({ roleArn })");
    const kind = envConfig('dev');
    kind.cluster.autoscaler = { roleArn: 'arn:aws:iam::123456789012:role/ca' };
    expect(problems(kind)).toContain(
      'cluster.autoscaler: got {"roleArn":"arn:aws:iam::123456789012:role/ca"}; expected unset on kind (its nodes are containers; nothing adds nodes)',
    );
  });

  test('cluster.nodes: maxPerZone below minPerZone, allocatable above capacity, a range without an autoscaler', () => {
    const cfg = envConfig('prod');
    cfg.cluster.nodes.maxPerZone = 0;
    cfg.cluster.nodes.allocatable.cpu = '5';
    const found = problems(cfg);
    expect(found).toContain('cluster.nodes.maxPerZone: got 0; expected an integer >= 1');
    expect(found).not.toContain('expected an integer >= minPerZone'); // one problem per field
    expect(found).toContain('cluster.nodes.allocatable.cpu: got "5"; expected at most capacity.cpu (4)');
    const fixed = envConfig('prod');
    fixed.cluster.nodes.maxPerZone = 1;
    fixed.cluster.nodes.minPerZone = 2;
    expect(problems(fixed)).toContain('cluster.nodes.maxPerZone: got 1; expected an integer >= minPerZone (2)');
    const unscaled = envConfig('prod');
    delete unscaled.cluster.autoscaler;
    expect(problems(unscaled)).toContain(
      'cluster.nodes.maxPerZone: got 4; expected equal to minPerZone (1) without cluster.autoscaler (nothing adds nodes)',
    );
  });

  test.each(['10.0.0.1/16', '10.0.0.0/8', '0.0.0.0/0', 'fd00::/48', '10.0.0.0', '10.0.300.0/24', 'vpc-0abc'])(
    'a VPC CIDR like %s is refused, naming the field, the value and what is allowed',
    (vpcCidr) => {
      const cfg = envConfig('prod');
      cfg.cluster.vpcCidr = vpcCidr;
      expect(problems(cfg)).toContain(
        `cluster.vpcCidr: got "${vpcCidr}"; expected an IPv4 VPC CIDR block such as '10.0.0.0/16' (a network address with a prefix from /16 to /28)`,
      );
    },
  );

  test('missing required values are named', () => {
    const cfg = envConfig('prod');
    delete cfg.stacks.wondernest.backups.bucket;
    expect(problems(cfg)).toContain('stacks.wondernest.backups.bucket: got nothing; expected a required value: an S3 bucket name');
  });

  test('every problem is reported at once', () => {
    const cfg = envConfig('dev');
    cfg.stacks.wondernest.api.replicas = -1;
    cfg.stacks.wondernest.host = 'nope';
    expect(problems(cfg)).toMatch(/^Invalid configuration 'test' \(2 problems\)/);
  });
});

describe('schema primitives', () => {
  test.each(['0 2 * * *', '*/15 * * * *', '0 0 1,15 * mon-fri', '30 2 * jan,jul sun'])('cron %s is valid', (c) =>
    expect(isValidCron(c)).toBe(true),
  );
  test.each(['0 2 * *', '60 * * * *', '* * * * * *', '0 2 * * 8', '*/0 * * * *', '5-1 * * * *', 'x * * * *'])('cron %s is invalid', (c) =>
    expect(isValidCron(c)).toBe(false),
  );

  test.each([
    ['10.0.0.0/16', true],
    ['172.31.0.0/16', true],
    ['192.168.4.0/22', true],
    ['10.1.2.16/28', true],
    ['10.0.0.0/15', false],
    ['10.0.0.0/29', false],
    ['10.0.0.1/16', false],
    ['10.1.2.8/28', false],
    ['10.0.0.0/016', false],
    ['fd00::/56', false],
  ])('VPC CIDR %s valid=%s', (v, ok) => expect(isVpcCidr(v)).toBe(ok));

  test.each([
    ['postgres:15.13', true],
    ['quay.io/org/app:v1.2.3', true],
    ['localhost:5000/app:1', true],
    ['app@sha256:' + 'a'.repeat(64), true],
    ['app:latest', false],
    ['app', false],
    ['App:1', false],
  ])('image %s pinned=%s', (image, ok) => {
    const run = (): unknown => parseConfig(f.object({ image: f.image() }), { image }, 'x');
    if (ok) expect(run).not.toThrow();
    else expect(run).toThrow(/image: got/);
  });
});
