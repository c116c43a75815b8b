import { Construct } from 'constructs';
import { s3Bucket } from '../../core/formats';
import { S3CompatibleServer } from '../storage/s3-compatible-storage';
import { ResourceSpec } from '../workloads/container';
import { WebService } from '../workloads/web-service';

/** AWS services LocalStack may emulate here. */
export const LOCALSTACK_SERVICES = ['s3', 'ses', 'sns', 'sqs', 'secretsmanager'] as const;

/** Name of every LocalStack of this library (Deployment, Service, graph component). */
export const LOCALSTACK_NAME = 'localstack';
/** Its edge port, serving every emulated API (S3 included), named `http`. */
export const LOCALSTACK_PORT = 4566;

export interface LocalStackProps {
  readonly namespace: string;
  readonly partOf: string;
  /** Pinned `localstack/localstack` image. */
  readonly image: string;
  readonly resources: ResourceSpec;
  /** Emulated services (loaded eagerly). @default ['s3'] */
  readonly services?: ReadonlyArray<(typeof LOCALSTACK_SERVICES)[number]>;
  /** S3 buckets created (with versioning) when LocalStack is ready, e.g. the backup bucket. @default [] */
  readonly buckets?: readonly string[];
  /** Size of its state directory. @default '2Gi' */
  readonly dataSize?: string;
}

/**
 * LocalStack for development clusters: the AWS APIs a stack uses (S3 for backups, ...) inside
 * the stack's namespace, as a restricted {@link WebService} named `localstack` on port 4566
 * (component `dev-tool`), with its buckets created at start. Never for production. It is an
 * {@link S3CompatibleServer}: `new S3CompatibleStorage({ server: localstack, port: localstack.s3Port, ... })`.
 */
export class LocalStack extends WebService implements S3CompatibleServer {
  /** Name of the port serving the S3 API. */
  public readonly s3Port = 'http';
  /** LocalStack's S3 takes `--sse AES256` and reports it back on the object (nothing is encrypted on disk: it emulates). */
  public readonly acceptsSseS3 = true;

  constructor(scope: Construct, id: string, props: LocalStackProps) {
    const services = props.services ?? ['s3'];
    const buckets = props.buckets ?? [];
    const where = `LocalStack in '${props.namespace}'`;
    if (services.length === 0) throw new Error(`${where}: services is empty; expected at least one of ${LOCALSTACK_SERVICES.join(', ')}`);
    for (const svc of services) {
      if (!LOCALSTACK_SERVICES.includes(svc))
        throw new Error(`${where}: service '${svc}'; expected one of ${LOCALSTACK_SERVICES.join(', ')}`);
    }
    for (const b of buckets) {
      if (!s3Bucket.test(b)) throw new Error(`${where}: bucket '${b}'; expected ${s3Bucket.expected}`);
    }
    if (buckets.length > 0 && !services.includes('s3'))
      throw new Error(`${where}: buckets ${JSON.stringify(buckets)} need the 's3' service; expected services to include 's3'`);
    const init =
      '#!/bin/sh\nset -eu\n' +
      buckets
        .map(
          (b) =>
            `awslocal s3 mb s3://${b} || true\nawslocal s3api put-bucket-versioning --bucket ${b} --versioning-configuration Status=Enabled\n`,
        )
        .join('');
    super(scope, id, {
      namespace: props.namespace,
      name: LOCALSTACK_NAME,
      partOf: props.partOf,
      component: 'dev-tool',
      image: props.image,
      port: LOCALSTACK_PORT,
      runAs: { user: 1000 },
      resources: props.resources,
      readinessPath: '/_localstack/health',
      startupSeconds: 120,
      replicas: 1,
      env: { SERVICES: services.join(','), EAGER_SERVICE_LOADING: '1', DISABLE_EVENTS: '1', LOCALSTACK_HOST: 'localstack' },
      configs: [{ path: '/etc/localstack/init/ready.d', files: { '10-buckets.sh': init } }],
      writablePaths: [
        { path: '/var/lib/localstack', sizeLimit: props.dataSize ?? '2Gi' },
        { path: '/tmp', sizeLimit: '512Mi' },
      ],
    });
  }

  /** The S3 endpoint URL of this LocalStack. */
  public get endpointUrl(): string {
    return `http://${this.host}:${LOCALSTACK_PORT}`;
  }
}
