import { Construct } from 'constructs';
import { readAsset } from '../../core/assets';
import { awsMessagingName, s3Bucket, sesIdentity } from '../../core/formats';
import { S3CompatibleServer } from '../storage/s3-compatible-storage';
import { ResourceSpec } from '../workloads/container';
import { StatefulStore, StorageSpec } from './stateful-store';

/** AWS services LocalStack may emulate here. */
export const LOCALSTACK_SERVICES = ['s3', 'ses', 'sns', 'sqs', 'secretsmanager'] as const;

/** Name of every LocalStack of this library (StatefulSet, Service, graph component). */
export const LOCALSTACK_NAME = 'localstack';
/** Its edge port, serving every emulated API (S3 included), named `http`. */
export const LOCALSTACK_PORT = 4566;
/** LocalStack's volume directory (state, caches), on the PVC. */
export const LOCALSTACK_DATA_PATH = '/var/lib/localstack';

export interface LocalStackProps {
  readonly namespace: string;
  readonly partOf: string;
  /** Pinned `localstack/localstack` image. */
  readonly image: string;
  readonly resources: ResourceSpec;
  /** The PVC of its volume directory (/var/lib/localstack), retained like every store's. */
  readonly storage: StorageSpec;
  /** Emulated services (loaded eagerly). @default ['s3'] */
  readonly services?: ReadonlyArray<(typeof LOCALSTACK_SERVICES)[number]>;
  /** S3 buckets created (with versioning) when LocalStack is ready, e.g. the backup bucket. @default [] */
  readonly buckets?: readonly string[];
  /** SNS topics created when LocalStack is ready (needs the `sns` service). @default [] */
  readonly topics?: readonly string[];
  /** SQS queues created when LocalStack is ready (needs the `sqs` service). @default [] */
  readonly queues?: readonly string[];
  /** SES identities (e-mail addresses or domains) verified when LocalStack is ready (needs the `ses` service). @default [] */
  readonly emailIdentities?: readonly string[];
  /**
   * Seconds between copies of the buckets' objects to the PVC (they are also copied at shutdown and
   * restored at start); 0 copies only at shutdown.
   * @default 300 - a crash loses at most five minutes of dev uploads and backups, and a copy of a
   * dev bucket (a few hundred MB) takes seconds
   */
  readonly mirrorIntervalSeconds?: number;
}

/** Where the buckets' objects are kept on the PVC, one folder per bucket. */
export const LOCALSTACK_S3_MIRROR_PATH = `${LOCALSTACK_DATA_PATH}/s3-mirror`;
/** Folder of the mirror script in the container. */
const MIRROR_SCRIPT_DIR = '/etc/localstack/s3-mirror';
const MIRROR_SCRIPT = 'localstack-s3-mirror.sh';

/**
 * LocalStack for development clusters: the AWS APIs a stack uses (S3 for backups and uploads,
 * SES, SNS, SQS) inside the stack's namespace, as a one-replica restricted {@link StatefulStore}
 * named `localstack` on port 4566 (component `dev-tool`). Its volume directory is on a PVC the
 * StatefulSet retains; an init hook creates its buckets, topics and queues and verifies its SES
 * identities at every start (each step idempotent). Never for production.
 * It is an {@link S3CompatibleServer}: `new S3CompatibleStorage({ server: localstack, port: localstack.s3Port, ... })`.
 *
 * **What survives a restart.** The community image keeps its services in memory (`PERSISTENCE=1`
 * is a Pro feature it ignores), so the buckets' objects (dev backups, uploads) are copied to the
 * PVC (`s3-mirror/<bucket>`) by assets/localstack-s3-mirror.sh: every `mirrorIntervalSeconds` and
 * in the shutdown hook, and back into the recreated buckets by a ready hook before anything else
 * uses them. A copy never runs before this container's restore finished, so an empty LocalStack
 * cannot wipe it. Current object versions survive; older versions, topics' and queues' messages do
 * not (the topics and queues themselves are recreated).
 */
export class LocalStack extends StatefulStore implements S3CompatibleServer {
  /** Name of the port serving the S3 API (and every other emulated API). */
  public readonly s3Port = 'http';
  /** LocalStack's S3 takes `--sse AES256` and reports it back on the object (nothing is encrypted on disk: it emulates). */
  public readonly acceptsSseS3 = true;

  constructor(scope: Construct, id: string, props: LocalStackProps) {
    const services = props.services ?? ['s3'];
    const buckets = props.buckets ?? [];
    const topics = props.topics ?? [];
    const queues = props.queues ?? [];
    const identities = props.emailIdentities ?? [];
    const where = `LocalStack in '${props.namespace}'`;
    if (services.length === 0) throw new Error(`${where}: services is empty; expected at least one of ${LOCALSTACK_SERVICES.join(', ')}`);
    for (const svc of services) {
      if (!LOCALSTACK_SERVICES.includes(svc))
        throw new Error(`${where}: service '${svc}'; expected one of ${LOCALSTACK_SERVICES.join(', ')}`);
    }
    for (const b of buckets) {
      if (!s3Bucket.test(b)) throw new Error(`${where}: bucket '${b}'; expected ${s3Bucket.expected}`);
    }
    for (const [field, names] of [
      ['topic', topics],
      ['queue', queues],
    ] as const) {
      for (const n of names)
        if (!awsMessagingName.test(n)) throw new Error(`${where}: ${field} '${n}'; expected ${awsMessagingName.expected}`);
    }
    for (const i of identities) {
      if (!sesIdentity.test(i)) throw new Error(`${where}: emailIdentities '${i}'; expected ${sesIdentity.expected}`);
    }
    for (const [field, list, service] of [
      ['buckets', buckets, 's3'],
      ['topics', topics, 'sns'],
      ['queues', queues, 'sqs'],
      ['emailIdentities', identities, 'ses'],
    ] as const) {
      if (list.length > 0 && !services.includes(service))
        throw new Error(
          `${where}: ${field} ${JSON.stringify(list)} need the '${service}' service; expected services to include '${service}'`,
        );
    }
    const interval = props.mirrorIntervalSeconds ?? 300;
    if (!Number.isInteger(interval) || interval < 0 || interval > 86400)
      throw new Error(`${where}: mirrorIntervalSeconds ${interval}; expected an integer from 0 (only at shutdown) to 86400`);
    const mirror = buckets.length > 0;
    const runAs = { user: 1000 };
    super(scope, id, {
      namespace: props.namespace,
      name: LOCALSTACK_NAME,
      partOf: props.partOf,
      component: 'dev-tool',
      ports: { http: LOCALSTACK_PORT },
      runAs,
      container: {
        image: props.image,
        runAs,
        resources: props.resources,
        env: {
          SERVICES: services.join(','),
          EAGER_SERVICE_LOADING: '1',
          DISABLE_EVENTS: '1',
          LOCALSTACK_HOST: LOCALSTACK_NAME,
          ...(mirror
            ? {
                S3_MIRROR_BUCKETS: buckets.join(' '),
                S3_MIRROR_DIR: LOCALSTACK_S3_MIRROR_PATH,
                S3_MIRROR_INTERVAL_SECONDS: String(interval),
              }
            : {}),
        },
        readiness: { httpGet: { path: '/_localstack/health', port: 'http' } },
        liveness: { httpGet: { path: '/_localstack/health', port: 'http' } },
        startupSeconds: 120,
        writablePaths: [{ path: '/tmp', sizeLimit: '512Mi' }],
      },
      dataPath: LOCALSTACK_DATA_PATH,
      storage: props.storage,
      // Time for the shutdown hook's last copy of the buckets.
      terminationGracePeriodSeconds: mirror ? 120 : undefined,
      configs: [
        {
          suffix: 'init',
          mountPath: '/etc/localstack/init/ready.d',
          files: {
            '10-resources.sh': initScript({ buckets, topics, queues, identities }),
            // After 10-resources.sh (hooks run in name order): the buckets exist.
            ...(mirror ? { '20-restore-objects.sh': hook('restore') } : {}),
          },
          defaultMode: 0o555,
        },
        ...(mirror
          ? [
              {
                suffix: 'shutdown',
                mountPath: '/etc/localstack/init/shutdown.d',
                files: { '10-save-objects.sh': hook('save') },
                defaultMode: 0o555,
              },
              {
                suffix: 's3-mirror',
                mountPath: MIRROR_SCRIPT_DIR,
                files: { [MIRROR_SCRIPT]: readAsset(__dirname, `assets/${MIRROR_SCRIPT}`) },
                defaultMode: 0o555,
              },
            ]
          : []),
      ],
    });
  }

  /** The endpoint URL of this LocalStack (every emulated API). */
  public get endpointUrl(): string {
    return `http://${this.host}:${LOCALSTACK_PORT}`;
  }
}

/** A LocalStack hook running the mirror script in one of its modes. */
function hook(mode: 'restore' | 'save'): string {
  return `#!/bin/sh\nexec ${MIRROR_SCRIPT_DIR}/${MIRROR_SCRIPT} ${mode}\n`;
}

/** The ready hook: each resource created (or verified) idempotently, so it runs at every start. */
function initScript(r: {
  buckets: readonly string[];
  topics: readonly string[];
  queues: readonly string[];
  identities: readonly string[];
}): string {
  const lines = ['#!/bin/sh', 'set -eu'];
  for (const b of r.buckets) {
    lines.push(`awslocal s3api head-bucket --bucket ${b} 2>/dev/null || awslocal s3 mb s3://${b}`);
    lines.push(`awslocal s3api put-bucket-versioning --bucket ${b} --versioning-configuration Status=Enabled`);
  }
  for (const t of r.topics) lines.push(`awslocal sns create-topic --name ${t}${t.endsWith('.fifo') ? ' --attributes FifoTopic=true' : ''}`);
  for (const q of r.queues)
    lines.push(`awslocal sqs create-queue --queue-name ${q}${q.endsWith('.fifo') ? ' --attributes FifoQueue=true' : ''}`);
  for (const i of r.identities) {
    lines.push(
      i.includes('@') ? `awslocal ses verify-email-identity --email-address ${i}` : `awslocal ses verify-domain-identity --domain ${i}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
