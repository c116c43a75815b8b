import { Construct, IConstruct } from 'constructs';
import { awsMessagingName, dnsLabel, iamRoleArn, sesIdentity } from '../../core/formats';
import { GraphComponent, ServiceGraph } from '../network/service-graph';
import { AmazonS3Storage } from '../storage/amazon-s3-storage';
import { checkFormat, checkLocation, checkRegion, ObjectStorage, ObjectStorageLocation, S3Credentials } from '../storage/object-storage';
import { S3CompatibleServer, S3CompatibleStorage } from '../storage/s3-compatible-storage';
import { SecretKeyRef } from './container';

/** What a workload may do in AWS: each entry becomes one least-privilege statement of its IAM policy. */
export interface AwsPermissions {
  /**
   * Objects it reads, writes and deletes: a bucket and a key prefix (e.g. the uploads). It may list
   * only under the prefix.
   * @default - none
   */
  readonly objects?: readonly ObjectStorageLocation[];
  /** SES identities (domain or address) it sends e-mail from (`ses:SendEmail`, `ses:SendRawEmail`). @default - none */
  readonly emailIdentities?: readonly string[];
  /** SNS topics (names) it publishes to. @default - none */
  readonly topics?: readonly string[];
  /** SQS queues (names) it sends to, receives from and deletes from (and resolves by name). @default - none */
  readonly queues?: readonly string[];
}

/** One `Allow` statement of an IAM policy. */
export interface IamPolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow';
  readonly Action: readonly string[];
  readonly Resource: readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
}

/** An identity-based IAM policy document (what the IRSA role is given). */
export interface IamPolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly IamPolicyStatement[];
}

/** Where ARNs point: partition, account and region. */
export interface AwsArnScope {
  /** e.g. `aws`, `aws-us-gov`. */
  readonly partition: string;
  /** 12-digit account ID. */
  readonly account: string;
  readonly region: string;
}

/** LocalStack's account for clients whose access key is not an account number (its default). */
export const EMULATOR_ACCOUNT_ID = '000000000000';

/** Partition and account of an IAM role ARN (`arn:<partition>:iam::<account>:role/...`). */
export function roleArnScope(roleArn: string, region: string): AwsArnScope {
  const m = /^arn:(aws[a-z-]*):iam::([0-9]{12}):role\//.exec(roleArn);
  if (!m) throw new Error(`roleArn '${roleArn}'; expected ${iamRoleArn.expected}`);
  return { partition: m[1], account: m[2], region };
}

/** The ARN of an SNS topic. */
export function topicArn(scope: AwsArnScope, topic: string): string {
  return `arn:${scope.partition}:sns:${scope.region}:${scope.account}:${topic}`;
}

/** Checks every name of a permission set; throws `<where>: permissions.<field> '<value>'; expected ...`. */
export function checkPermissions(where: string, p: AwsPermissions): void {
  (p.objects ?? []).forEach((o, i) => checkLocation(where, `permissions.objects[${i}].`, o));
  for (const i of p.emailIdentities ?? []) checkFormat(where, 'permissions.emailIdentities', i, sesIdentity);
  for (const t of p.topics ?? []) checkFormat(where, 'permissions.topics', t, awsMessagingName);
  for (const q of p.queues ?? []) checkFormat(where, 'permissions.queues', q, awsMessagingName);
  const granted = (p.objects?.length ?? 0) + (p.emailIdentities?.length ?? 0) + (p.topics?.length ?? 0) + (p.queues?.length ?? 0);
  if (granted === 0) throw new Error(`${where}: permissions grant nothing; expected objects, emailIdentities, topics or queues`);
}

/**
 * The least-privilege identity policy of a permission set: object actions only under each
 * prefix (listing conditioned on it), SES sending only from the named identities, SNS publish
 * only to the named topics, SQS send/receive/delete only on the named queues. No wildcard
 * action, no `*` resource.
 */
export function leastPrivilegePolicy(scope: AwsArnScope, p: AwsPermissions): IamPolicyDocument {
  const { partition, account, region } = scope;
  const statements: IamPolicyStatement[] = [];
  (p.objects ?? []).forEach((o, i) => {
    const prefix = o.prefix.replace(/^\/+|\/+$/g, '');
    const n = (p.objects ?? []).length > 1 ? String(i + 1) : '';
    statements.push(
      {
        Sid: `ObjectsUnderPrefix${n}`,
        Effect: 'Allow',
        // AbortMultipartUpload: SDKs upload large files in parts and abort a failed upload's parts.
        Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
        Resource: [`arn:${partition}:s3:::${o.bucket}/${prefix}/*`],
      },
      {
        Sid: `ListPrefix${n}`,
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: [`arn:${partition}:s3:::${o.bucket}`],
        Condition: { StringLike: { 's3:prefix': [`${prefix}/*`] } },
      },
    );
  });
  if (p.emailIdentities?.length) {
    statements.push({
      Sid: 'SendEmailFromIdentities',
      Effect: 'Allow',
      Action: ['ses:SendEmail', 'ses:SendRawEmail'],
      Resource: p.emailIdentities.map((i) => `arn:${partition}:ses:${region}:${account}:identity/${i}`),
    });
  }
  if (p.topics?.length) {
    statements.push({
      Sid: 'PublishToTopics',
      Effect: 'Allow',
      Action: ['sns:Publish'],
      Resource: p.topics.map((t) => topicArn(scope, t)),
    });
  }
  if (p.queues?.length) {
    statements.push({
      Sid: 'UseQueues',
      Effect: 'Allow',
      // GetQueueUrl: the SDKs address a queue by URL, resolved from its name.
      Action: ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueUrl'],
      Resource: p.queues.map((q) => `arn:${partition}:sqs:${region}:${account}:${q}`),
    });
  }
  return { Version: '2012-10-17', Statement: statements };
}

/** An in-cluster AWS emulator (LocalStack) a dev workload talks to instead of AWS. */
export interface AwsEmulator {
  /** The emulator (its Service and named ports). */
  readonly server: S3CompatibleServer;
  /** Name of its port serving the AWS APIs, e.g. `http`. */
  readonly port: string;
  /** The static key pair the workload sends (Secret refs; the emulator accepts any pair). */
  readonly credentials: S3Credentials;
}

export interface WorkloadAwsAccessProps {
  /** The workload (e.g. `api`): names the policy (`<stack>-<workload>-policy.json`) and appears in messages. A DNS-1123 label. */
  readonly workload: string;
  /** Region the workload calls. */
  readonly region: string;
  /** What it may do (validated; the policy is derived from it). */
  readonly permissions: AwsPermissions;
  /**
   * IAM role of the workload's ServiceAccount (IRSA on EKS): the pods get no keys, only the
   * `eks.amazonaws.com/role-arn` annotation and the region; the role carries {@link WorkloadAwsAccess.policy}.
   * Exactly one of `roleArn` and `emulator`.
   * @default - none
   */
  readonly roleArn?: string;
  /**
   * An in-cluster emulator (dev): the pods get its endpoint (`AWS_ENDPOINT_URL`, which every
   * current AWS SDK and the CLI honour for all services), the region and the key pair from a
   * Secret. Exactly one of `roleArn` and `emulator`.
   * @default - none
   */
  readonly emulator?: AwsEmulator;
}

/**
 * The AWS identity of one workload, written once for every stack: with IRSA (prod) its
 * ServiceAccount annotation and a least-privilege IAM policy document (rendered by synth to
 * `dist/<env>/iam/<stack>-<workload>-policy.json` for whoever manages the role); with an
 * emulator (dev) the endpoint and a key pair from a Secret. Either way the env the container
 * needs and the service-graph flow that lets its pods reach AWS (HTTPS egress) or the emulator.
 * Renders no Kubernetes object itself: give {@link env}, {@link secretEnv} and
 * {@link serviceAccountAnnotations} to the workload's construct.
 */
export class WorkloadAwsAccess extends Construct {
  /** Every WorkloadAwsAccess under `scope`, in tree order. */
  public static all(scope: IConstruct): WorkloadAwsAccess[] {
    return scope.node.findAll().filter((c): c is WorkloadAwsAccess => c instanceof WorkloadAwsAccess);
  }

  public readonly workload: string;
  public readonly region: string;
  public readonly permissions: AwsPermissions;
  /** Partition, account and region of the ARNs the workload uses. */
  public readonly arnScope: AwsArnScope;
  /** The IAM policy the IRSA role needs (with `roleArn`). */
  public readonly policy?: IamPolicyDocument;
  /** Plain env: `AWS_REGION`, and `AWS_ENDPOINT_URL` with an emulator. */
  public readonly env: Readonly<Record<string, string>>;
  /** Env from Secrets: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` with an emulator; none with IRSA. */
  public readonly secretEnv: Readonly<Record<string, SecretKeyRef>>;
  /** The IRSA role annotation (with `roleArn`); empty with an emulator. */
  public readonly serviceAccountAnnotations: Readonly<Record<string, string>>;
  private readonly access: ObjectStorage;

  constructor(scope: Construct, id: string, props: WorkloadAwsAccessProps) {
    super(scope, id);
    const where = `WorkloadAwsAccess '${props.workload}'`;
    checkFormat(where, 'workload', props.workload, dnsLabel);
    checkRegion(where, props.region);
    checkPermissions(where, props.permissions);
    if ((props.roleArn === undefined) === (props.emulator === undefined))
      throw new Error(
        `${where}: ${props.roleArn === undefined ? 'neither roleArn nor emulator is set' : 'both roleArn and emulator are set'}; expected exactly one (roleArn with IRSA in AWS, emulator in dev)`,
      );
    this.workload = props.workload;
    this.region = props.region;
    this.permissions = props.permissions;
    if (props.roleArn !== undefined) {
      checkFormat(where, 'roleArn', props.roleArn, iamRoleArn);
      this.arnScope = roleArnScope(props.roleArn, props.region);
      this.access = new AmazonS3Storage({ region: props.region, roleArn: props.roleArn });
      this.policy = leastPrivilegePolicy(this.arnScope, props.permissions);
    } else {
      const e = props.emulator!;
      this.arnScope = { partition: 'aws', account: EMULATOR_ACCOUNT_ID, region: props.region };
      this.access = new S3CompatibleStorage({ server: e.server, port: e.port, credentials: e.credentials, region: props.region });
    }
    const client = this.access.clientEnv();
    this.env = client.env;
    this.secretEnv = client.secretEnv;
    this.serviceAccountAnnotations = this.access.serviceAccountAnnotations();
  }

  /** The ARN of one of its topics (the workload publishes by ARN). */
  public topicArn(topic: string): string {
    if (!(this.permissions.topics ?? []).includes(topic))
      throw new Error(
        `WorkloadAwsAccess '${this.workload}': topic '${topic}' is not in permissions.topics; expected one of ${(this.permissions.topics ?? []).join(', ') || '(none)'}`,
      );
    return topicArn(this.arnScope, topic);
  }

  /** Lets `from` (a component of the graph) reach AWS over HTTPS, or the emulator's port. */
  public allowAccess(graph: ServiceGraph, from: string | GraphComponent): void {
    this.access.allowAccess(graph, from);
  }
}
