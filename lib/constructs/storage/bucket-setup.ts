import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { readAsset } from '../../core/assets';
import { dns1035Label, pinnedImage } from '../../core/formats';
import { componentLabels, ComponentIdentity, selectorLabels } from '../../core/labels';
import { GraphComponent, ServiceGraph } from '../network/service-graph';
import { renderContainer, ResourceSpec } from '../workloads/container';
import { renderPodTemplate } from '../workloads/pod-template';
import { contentHashedName, JOB_HASH_LENGTH, MAX_HASHED_JOB_BASE_NAME, syncHookJob } from '../workloads/sync-hook-job';
import { BucketSettingFiles, BucketSpec, BucketStoreKind, checkBucketNames, renderBucketSettings } from './bucket-settings';
import { checkFormat, ObjectStorage } from './object-storage';

export interface BucketSetupProps {
  readonly namespace: string;
  readonly partOf: string;
  /**
   * Base name of the Job (which gets `-<hash of its inputs>`), and the name of its ConfigMap,
   * ServiceAccount and graph component. A DNS-1035 label of at most 54 characters.
   * @default 'bucket-setup'
   */
  readonly name?: string;
  /** The store the buckets are in: an S3-compatible server (endpoint + static keys) or Amazon S3 (IRSA). */
  readonly storage: ObjectStorage;
  /** The buckets and their settings ({@link BucketSpec}: versioning, policy, encryption, lifecycle, public access block). */
  readonly buckets: readonly BucketSpec[];
  /**
   * Create a missing bucket. With `false` a missing bucket fails the Job: the buckets are created
   * where they are managed, and the Job only ensures their settings.
   * @default - true on an S3-compatible server (nothing else creates its buckets); false on Amazon S3,
   *   where buckets (their deletion protection, replication, KMS keys and the roles that reach them)
   *   belong to Terraform: the Job's role then needs no s3:CreateBucket, and a misspelt bucket in
   *   config fails loudly instead of creating a stray bucket in the account
   */
  readonly create?: boolean;
  /** Pinned AWS CLI image. */
  readonly image: string;
  readonly resources: ResourceSpec;
  /** Retries before the Job fails (each retry waits longer, from 10 s doubling). @default 4 */
  readonly backoffLimit?: number;
  /** Hard time limit of the Job, seconds. @default 600 */
  readonly activeDeadlineSeconds?: number;
  /** Seconds a finished Job (and its pod's logs) is kept. @default 86400 */
  readonly ttlSecondsAfterFinished?: number;
  /** How long the script waits for the S3 endpoint to answer (a server starting with the stack), seconds. @default 120 */
  readonly waitSeconds?: number;
}

const CONFIG_DIR = '/config';
const SCRIPT = 'bucket-setup.sh';
const UID = 1000;
const HASH_LENGTH = JOB_HASH_LENGTH;
const MAX_BASE_NAME = MAX_HASHED_JOB_BASE_NAME;
export { contentHashedName };

/** The script of every BucketSetup (also what the tests run). */
export function bucketSetupScript(): string {
  return readAsset(__dirname, `assets/${SCRIPT}`);
}

/**
 * An idempotent Job that makes each bucket exist with its settings, with the AWS CLI
 * (assets/bucket-setup.sh): head-bucket, create it when missing (if `create`; a concurrent
 * creation, BucketAlreadyOwnedByYou, is fine), then public access block, default encryption,
 * versioning (checked afterwards), lifecycle rules and the bucket policy, each from a JSON file of
 * its ConfigMap (`<bucket>.<setting>.json`), never generated shell. A setting that is not
 * configured is left as it is: the Job never removes anything.
 *
 * The Job's name carries a hash of everything it does (script, settings, env, image): a changed
 * bucket list or setting is a new Job, which runs, under `kubectl apply` as under Argo CD. It is
 * also an Argo CD Sync hook (deleted before the next one is created): Argo CD runs it on each sync
 * and does not count it in the Application's sync status, so the TTL deleting the finished Job is
 * not drift that self-heal would re-create (and re-run) every day.
 *
 * Restricted pod (uid 1000, read-only root filesystem, `/tmp` as HOME), its own ServiceAccount
 * (IRSA annotation on Amazon S3, no token mounted), backoff limit, deadline and TTL. It is a
 * {@link GraphComponent} (no ports): `setup.addTo(graph)` adds it and lets it reach the storage.
 */
export class BucketSetup extends Construct implements GraphComponent {
  /** Graph component name (the base name). */
  public readonly name: string;
  public readonly podLabels: Readonly<Record<string, string>>;
  public readonly ports: Readonly<Record<string, number>> = {};
  /** The Job's name: `<name>-<hash of its inputs>`. */
  public readonly jobName: string;
  public readonly job: k8s.KubeJob;
  public readonly configMap: k8s.KubeConfigMap;
  /** Where the buckets are. */
  public readonly storage: ObjectStorage;
  /** Whether missing buckets are created. */
  public readonly create: boolean;
  /** The JSON settings files by bucket and setting (what the ConfigMap holds besides the script). */
  public readonly settings: Readonly<Record<string, BucketSettingFiles>>;

  constructor(scope: Construct, id: string, props: BucketSetupProps) {
    super(scope, id);
    const name = props.name ?? 'bucket-setup';
    const where = `BucketSetup '${name}'`;
    const store: BucketStoreKind = props.storage.endpoint.url === undefined ? 'amazon-s3' : 's3-compatible';
    const create = validateProps(where, name, props, store);
    this.name = name;
    this.storage = props.storage;
    this.create = create;

    const settings: Record<string, BucketSettingFiles> = {};
    const files: Record<string, string> = { [SCRIPT]: bucketSetupScript() };
    props.buckets.forEach((b, i) => {
      settings[b.name] = renderBucketSettings(where, `buckets[${i}]`, b, store);
      for (const [suffix, text] of Object.entries(settings[b.name])) files[`${b.name}.${suffix}.json`] = text;
    });
    this.settings = settings;

    const identity: ComponentIdentity = { name, partOf: props.partOf, component: 'object-storage-setup' };
    const labels = componentLabels(identity);
    this.podLabels = selectorLabels(identity);

    this.configMap = new k8s.KubeConfigMap(this, 'config', {
      metadata: { name, namespace: props.namespace, labels },
      data: files,
    });
    const annotations = props.storage.serviceAccountAnnotations();
    const serviceAccount = new k8s.KubeServiceAccount(this, 'sa', {
      metadata: {
        name,
        namespace: props.namespace,
        labels,
        ...(Object.keys(annotations).length ? { annotations: { ...annotations } } : {}),
      },
      automountServiceAccountToken: false,
    });

    const client = props.storage.clientEnv();
    const env: Record<string, string> = {
      BUCKETS: props.buckets.map((b) => b.name).join(' '),
      CREATE_BUCKETS: String(create),
      CONFIG_DIR,
      AWS_REGION: props.storage.region,
      AWS_DEFAULT_REGION: props.storage.region,
      AWS_PAGER: '',
      HOME: '/tmp',
      WAIT_SECONDS: String(props.waitSeconds ?? 120),
      ...(props.storage.endpoint.url ? { S3_ENDPOINT_URL: props.storage.endpoint.url } : {}),
    };
    const container = renderContainer({
      name: 'setup',
      image: props.image,
      runAs: { user: UID },
      resources: props.resources,
      command: ['bash', `${CONFIG_DIR}/${SCRIPT}`],
      env,
      secretEnv: client.secretEnv,
      volumeMounts: [
        { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
        { name: 'tmp', mountPath: '/tmp' },
      ],
    });
    const template = renderPodTemplate({
      labels,
      selector: this.podLabels,
      runAs: { user: UID },
      serviceAccountName: serviceAccount.name,
      containers: [container],
      volumes: [
        { name: 'config', configMap: { name: this.configMap.name, defaultMode: 0o444 } },
        { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } },
      ],
      restartPolicy: 'Never',
    });

    this.jobName = contentHashedName(name, { files, env, secretEnv: client.secretEnv, image: props.image, resources: props.resources });
    this.job = syncHookJob(this, 'job', {
      name: this.jobName,
      namespace: props.namespace,
      labels,
      backoffLimit: props.backoffLimit ?? 4,
      activeDeadlineSeconds: props.activeDeadlineSeconds ?? 600,
      ttlSecondsAfterFinished: props.ttlSecondsAfterFinished ?? 86400,
      template,
    });
  }

  /** Adds the Job's pods to the graph and lets them reach the storage (its S3 port, or HTTPS to Amazon S3). */
  public addTo(graph: ServiceGraph): void {
    graph.addComponent(this);
    this.storage.allowAccess(graph, this);
  }
}

/** Checks the props; returns `create` with its default. */
function validateProps(where: string, name: string, p: BucketSetupProps, store: BucketStoreKind): boolean {
  checkFormat(where, 'name', name, dns1035Label);
  if (name.length > MAX_BASE_NAME)
    throw new Error(
      `${where}: name '${name}' has ${name.length} characters; expected at most ${MAX_BASE_NAME} (the Job's name adds '-' and an ${HASH_LENGTH}-digit hash, and must fit a 63-character label)`,
    );
  checkFormat(where, 'image', p.image, pinnedImage);
  checkBucketNames(
    where,
    'buckets',
    (p.buckets ?? []).map((b) => b.name),
  );
  const create = p.create ?? store === 's3-compatible';
  if (typeof create !== 'boolean') throw new Error(`${where}: create '${String(create)}'; expected true or false`);
  for (const [field, value, min] of [
    ['backoffLimit', p.backoffLimit, 0],
    ['activeDeadlineSeconds', p.activeDeadlineSeconds, 1],
    ['ttlSecondsAfterFinished', p.ttlSecondsAfterFinished, 0],
    ['waitSeconds', p.waitSeconds, 0],
  ] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < min))
      throw new Error(`${where}: ${field} ${String(value)}; expected an integer >= ${min}`);
  }
  return create;
}
