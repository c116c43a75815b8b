import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { LocalStack } from '../../lib/constructs/data/localstack';
import { ServiceGraph } from '../../lib/constructs/network/service-graph';
import { SecretsBackend } from '../../lib/constructs/platform/secrets-backend';
import {
  AwsPermissions,
  leastPrivilegePolicy,
  WorkloadAwsAccess,
  WorkloadAwsAccessProps,
} from '../../lib/constructs/workloads/workload-aws-access';
import { WebService } from '../../lib/constructs/workloads/web-service';
import { chartPolicies, writeIamPolicies } from '../../lib/output/iam';
import { workloadAwsAccess } from '../../lib/stack/stack-wiring';

const roleArn = 'arn:aws:iam::123456789012:role/shop-api';
const permissions: AwsPermissions = {
  objects: [{ bucket: 'shop-uploads', prefix: '/uploads/' }],
  emailIdentities: ['shop.example'],
  topics: ['shop-events'],
  queues: ['shop-jobs'],
};
const server = { name: 'localstack', host: 'localstack.shop.svc.cluster.local', ports: { http: 4566 } };
const keys = {
  accessKeyId: { secret: 'api-aws-credentials', key: 'AWS_ACCESS_KEY_ID' },
  secretAccessKey: { secret: 'api-aws-credentials', key: 'AWS_SECRET_ACCESS_KEY' },
};
const irsa: WorkloadAwsAccessProps = { workload: 'api', region: 'eu-west-1', permissions, roleArn };
const emulated: WorkloadAwsAccessProps = {
  workload: 'api',
  region: 'us-east-1',
  permissions,
  emulator: { server, port: 'http', credentials: keys },
};

/** A chart with a graph holding an `api` web service and the emulator. */
function graphChart(): { chart: Chart; graph: ServiceGraph; api: WebService } {
  const chart = Testing.chart();
  const graph = new ServiceGraph(chart, 'graph', { namespace: 'shop', externals: {} });
  const api = new WebService(chart, 'api', {
    namespace: 'shop',
    name: 'api',
    partOf: 'shop',
    image: 'repo/api:1.0.0',
    port: 8080,
    runAs: { user: 1000 },
    resources: { cpuRequest: '100m', memoryRequest: '128Mi', memoryLimit: '256Mi' },
    readinessPath: '/health',
    replicas: 1,
  });
  graph.addComponent(api);
  graph.addComponent({ ...server, podLabels: { 'app.kubernetes.io/name': 'localstack' }, metricsPorts: [] });
  return { chart, graph, api };
}

describe('WorkloadAwsAccess with IRSA (prod)', () => {
  test('the role on the ServiceAccount, only the region in the env, no keys', () => {
    const a = new WorkloadAwsAccess(Testing.chart(), 'aws', irsa);
    expect(a.serviceAccountAnnotations).toEqual({ 'eks.amazonaws.com/role-arn': roleArn });
    expect(a.env).toEqual({ AWS_REGION: 'eu-west-1' });
    expect(a.secretEnv).toEqual({});
    expect(a.topicArn('shop-events')).toBe('arn:aws:sns:eu-west-1:123456789012:shop-events');
  });

  test('a least-privilege policy: each action on the named resources only, listing only under the prefix', () => {
    const a = new WorkloadAwsAccess(Testing.chart(), 'aws', irsa);
    expect(a.policy).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'ObjectsUnderPrefix',
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
          Resource: ['arn:aws:s3:::shop-uploads/uploads/*'],
        },
        {
          Sid: 'ListPrefix',
          Effect: 'Allow',
          Action: ['s3:ListBucket'],
          Resource: ['arn:aws:s3:::shop-uploads'],
          Condition: { StringLike: { 's3:prefix': ['uploads/*'] } },
        },
        {
          Sid: 'SendEmailFromIdentities',
          Effect: 'Allow',
          Action: ['ses:SendEmail', 'ses:SendRawEmail'],
          Resource: ['arn:aws:ses:eu-west-1:123456789012:identity/shop.example'],
        },
        { Sid: 'PublishToTopics', Effect: 'Allow', Action: ['sns:Publish'], Resource: ['arn:aws:sns:eu-west-1:123456789012:shop-events'] },
        {
          Sid: 'UseQueues',
          Effect: 'Allow',
          Action: ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueUrl'],
          Resource: ['arn:aws:sqs:eu-west-1:123456789012:shop-jobs'],
        },
      ],
    });
    for (const s of a.policy!.Statement) {
      expect(s.Action.filter((x) => x.includes('*'))).toEqual([]);
      expect(s.Resource.filter((r) => r === '*' || r.endsWith(':*'))).toEqual([]);
    }
  });

  test('only what is granted: statements for the given kinds, numbered per location, partition from the role', () => {
    const policy = leastPrivilegePolicy(
      { partition: 'aws-us-gov', account: '123456789012', region: 'us-gov-west-1' },
      {
        objects: [
          { bucket: 'a-bucket', prefix: 'x' },
          { bucket: 'b-bucket', prefix: 'y/z' },
        ],
      },
    );
    expect(policy.Statement.map((s) => s.Sid)).toEqual(['ObjectsUnderPrefix1', 'ListPrefix1', 'ObjectsUnderPrefix2', 'ListPrefix2']);
    expect(policy.Statement[2].Resource).toEqual(['arn:aws-us-gov:s3:::b-bucket/y/z/*']);
  });

  test('pods reach AWS over HTTPS (internet 443), not private ranges', () => {
    const { chart, graph, api } = graphChart();
    new WorkloadAwsAccess(chart, 'aws', irsa).allowAccess(graph, api);
    expect(graph.flows.filter((f) => f.from === 'api')).toEqual([{ from: 'api', to: 'internet', port: 443, protocol: 'TCP' }]);
  });
});

describe('WorkloadAwsAccess with an emulator (dev)', () => {
  test('endpoint, region and keys from the Secret; no role, no policy; LocalStack account ARNs', () => {
    const a = new WorkloadAwsAccess(Testing.chart(), 'aws', emulated);
    expect(a.env).toEqual({ AWS_ENDPOINT_URL: 'http://localstack.shop.svc.cluster.local:4566', AWS_REGION: 'us-east-1' });
    expect(a.secretEnv).toEqual({ AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey });
    expect(a.serviceAccountAnnotations).toEqual({});
    expect(a.policy).toBeUndefined();
    expect(a.topicArn('shop-events')).toBe('arn:aws:sns:us-east-1:000000000000:shop-events');
  });

  test("pods reach only the emulator's port", () => {
    const { chart, graph, api } = graphChart();
    new WorkloadAwsAccess(chart, 'aws', emulated).allowAccess(graph, api);
    expect(graph.flows.filter((f) => f.from === 'api')).toEqual([{ from: 'api', to: 'localstack', port: 4566, protocol: 'TCP' }]);
  });
});

describe('WorkloadAwsAccess rejects', () => {
  const where = "WorkloadAwsAccess 'api'";
  test.each<[string, Partial<WorkloadAwsAccessProps>, string]>([
    [
      'a role ARN with a short account',
      { roleArn: 'arn:aws:iam::1234:role/x' },
      `${where}: roleArn 'arn:aws:iam::1234:role/x'; expected an IAM role ARN such as 'arn:aws:iam::123456789012:role/name'`,
    ],
    [
      'a user ARN as role',
      { roleArn: 'arn:aws:iam::123456789012:user/x' },
      `${where}: roleArn 'arn:aws:iam::123456789012:user/x'; expected an IAM role ARN`,
    ],
    ['both role and emulator', { emulator: emulated.emulator }, `${where}: both roleArn and emulator are set; expected exactly one`],
    ['neither role nor emulator', { roleArn: undefined }, `${where}: neither roleArn nor emulator is set; expected exactly one`],
    ['a bad region', { region: 'europe' }, `${where}: region 'europe'; expected an AWS region such as 'eu-west-1'`],
    ['a bad workload name', { workload: 'Api' }, "WorkloadAwsAccess 'Api': workload 'Api'; expected a DNS-1123 label"],
    [
      'a bad bucket',
      { permissions: { objects: [{ bucket: 'Up_Loads', prefix: 'u' }] } },
      `${where}: permissions.objects[0].bucket 'Up_Loads'; expected an S3 bucket name`,
    ],
    [
      'an empty prefix (the whole bucket)',
      { permissions: { objects: [{ bucket: 'uploads', prefix: '/' }] } },
      `${where}: permissions.objects[0].prefix '/'; expected a key prefix`,
    ],
    ['a bad topic', { permissions: { topics: ['a:b'] } }, `${where}: permissions.topics 'a:b'; expected an SNS topic or SQS queue name`],
    ['a bad queue', { permissions: { queues: ['*'] } }, `${where}: permissions.queues '*'; expected an SNS topic or SQS queue name`],
    [
      'a wildcard SES identity',
      { permissions: { emailIdentities: ['*.example.com'] } },
      `${where}: permissions.emailIdentities '*.example.com'; expected an SES identity`,
    ],
    [
      'no permission at all',
      { permissions: {} },
      `${where}: permissions grant nothing; expected objects, emailIdentities, topics or queues`,
    ],
  ])('%s', (_, over, message) => {
    expect(() => new WorkloadAwsAccess(Testing.chart(), 'aws', { ...irsa, ...over })).toThrow(message);
  });

  test('the ARN of a topic it may not publish to', () => {
    const a = new WorkloadAwsAccess(Testing.chart(), 'aws', irsa);
    expect(() => a.topicArn('other')).toThrow(
      "WorkloadAwsAccess 'api': topic 'other' is not in permissions.topics; expected one of shop-events",
    );
  });
});

describe('workloadAwsAccess (stack wiring)', () => {
  const resources = { cpuRequest: '100m', memoryRequest: '128Mi', memoryLimit: '256Mi' };
  const secretsOf = (chart: Chart): SecretsBackend =>
    new SecretsBackend(chart, 'secrets', { namespace: 'shop', provider: { kind: 'generated' } });

  test('with LocalStack: a generated <workload>-aws-credentials Secret, endpoint of the LocalStack', () => {
    const chart = Testing.chart();
    const localstack = new LocalStack(chart, 'ls', {
      namespace: 'shop',
      partOf: 'shop',
      image: 'localstack/localstack:4.0.3',
      resources,
      storage: { size: '1Gi', storageClassName: 'standard' },
    });
    const a = workloadAwsAccess(chart, secretsOf(chart), { workload: 'api', region: 'us-east-1', permissions, localstack });
    expect(a.env.AWS_ENDPOINT_URL).toBe('http://localstack.shop.svc.cluster.local:4566');
    expect(a.secretEnv.AWS_ACCESS_KEY_ID).toEqual({ secret: 'api-aws-credentials', key: 'AWS_ACCESS_KEY_ID' });
    const names = Testing.synth(chart)
      .filter((o) => o.kind === 'ExternalSecret')
      .map((o) => o.metadata.name);
    expect(names).toContain('api-aws-credentials');
  });

  test('without LocalStack: IRSA, and no role is an error naming the workload', () => {
    const chart = Testing.chart();
    expect(workloadAwsAccess(chart, secretsOf(chart), { workload: 'api', region: 'eu-west-1', permissions, roleArn }).policy).toBeDefined();
    expect(() =>
      workloadAwsAccess(Testing.chart(), secretsOf(Testing.chart()), { workload: 'api', region: 'eu-west-1', permissions }),
    ).toThrow("workload 'api': no LocalStack and no roleArn; expected the IAM role ARN of its IRSA role");
  });
});

describe('IAM policy files', () => {
  test('dist/<env>/iam/<stack>-<workload>-policy.json for IRSA workloads only', () => {
    const prod = Testing.chart();
    const access = new WorkloadAwsAccess(prod, 'aws', irsa);
    const dev = Testing.chart();
    new WorkloadAwsAccess(dev, 'aws', emulated);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'iam-'));
    try {
      writeIamPolicies(
        out,
        new Map([
          [
            'shop',
            [
              { name: 'dev', chart: dev },
              { name: 'prod', chart: prod },
            ],
          ],
        ]),
      );
      expect(fs.existsSync(path.join(out, 'dev'))).toBe(false);
      const file = path.join(out, 'prod', 'iam', 'shop-api-policy.json');
      expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(access.policy);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  test('two accesses of one workload in a chart are an error', () => {
    const chart = Testing.chart();
    new WorkloadAwsAccess(chart, 'a1', irsa);
    new WorkloadAwsAccess(chart, 'a2', irsa);
    expect(() => chartPolicies('shop', chart)).toThrow("stack 'shop': two workloads write iam/shop-api-policy.json");
  });
});
