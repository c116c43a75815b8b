import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { renderAssetWithIncludes } from '../../core/asset-template';
import { cron, dns1035Label, memory, pinnedImage, s3Bucket } from '../../core/formats';
import { componentLabels, ComponentIdentity, selectorLabels } from '../../core/labels';
import { HelmValues } from '../../output/helm';
import { AlertRule, backupRules } from '../monitoring/alert-rules';
import { GraphComponent, ServiceGraph } from '../network/service-graph';
import { renderContainer, ResourceSpec } from '../workloads/container';
import { renderPodTemplate } from '../workloads/pod-template';
import { bindImage, VALUE_SCHEMAS, valueKey } from '../workloads/workload-values';
import {
  checkFormat,
  checkLocation,
  checkServerSideEncryption,
  ObjectStorage,
  ServerSideEncryption,
  serverSideEncryptionEnv,
} from './object-storage';

/** One end of a mirror: a bucket (and key prefix) in a store. */
export interface BucketMirrorLocation {
  readonly storage: ObjectStorage;
  readonly bucket: string;
  /** Key prefix (letters, digits, '.', '_', '-' and single '/'). @default - the whole bucket (source only: the target needs one) */
  readonly prefix?: string;
}

export interface BucketMirrorProps {
  readonly namespace: string;
  readonly partOf: string;
  /** Names the CronJob, its ConfigMap, ServiceAccount and graph component (a DNS-1035 label, at most 52 characters). */
  readonly name: string;
  /** What is mirrored. */
  readonly source: BucketMirrorLocation;
  /** Where the mirror is kept (a versioned bucket: see the class comment). */
  readonly target: BucketMirrorLocation & { readonly prefix: string };
  /** Cron schedule (UTC). */
  readonly schedule: string;
  /** Pinned AWS CLI image. */
  readonly image: string;
  readonly resources: ResourceSpec;
  /**
   * Size limit of the scratch volume the source is downloaded to when source and target are two
   * stores (the whole source prefix must fit).
   * @default '5Gi'
   */
  readonly scratchSize?: string;
  /** Hard time limit of one run, seconds. @default 3600 */
  readonly activeDeadlineSeconds?: number;
  /**
   * Refuse to run unless the target bucket is versioned. Turn it off only for a target whose
   * server has no versioning (a test double), knowing that deleted objects are then gone.
   * @default true
   */
  readonly requireTargetVersioning?: boolean;
  /**
   * How the objects the mirror writes to the target are encrypted at rest: `--sse` on the sync of
   * the container that writes the target (`copy` with one store, `upload` with two; never the
   * download). Only objects a run copies get it: an object unchanged since an earlier run keeps the
   * encryption it was written with.
   * @default - not asked for (the target bucket's default encryption applies)
   */
  readonly serverSideEncryption?: ServerSideEncryption;
  /**
   * Refuse to write unless `serverSideEncryption` is SSE-KMS with a key (`REQUIRE_SSE=true`, checked
   * by the script before any aws call, as the backup uploads do): a guard in the pod against a
   * config that lost its key. Needs `serverSideEncryption` `aws:kms`.
   * @default false
   */
  readonly requireSse?: boolean;
  /** Dotted prefix of its Helm values (`<prefix>.schedule`, `<prefix>.image`). @default - name in camelCase */
  readonly helmPrefix?: string;
}

const SCRIPTS_DIR = '/scripts';
const SCRIPT = 'bucket-mirror.sh';
const MIRROR_DIR = '/mirror';
const UID = 1000;
/** The longest CronJob name Kubernetes accepts (it appends 11 characters to name its Jobs). */
const MAX_CRONJOB_NAME = 52;

/** The script of every BucketMirror (also what the tests run). */
export function bucketMirrorScript(): string {
  return renderAssetWithIncludes(__dirname, `assets/${SCRIPT}`, {});
}

/**
 * A CronJob that mirrors one bucket (or a prefix of it) to a backup location with `aws s3 sync`
 * (assets/bucket-mirror.sh): restricted pod, concurrency Forbid, starting deadline, history
 * limits, deadline per run.
 *
 * **Semantics: a mirror, with history in the target's versions.** The sync runs with `--delete`,
 * so the target prefix equals the source after each run; the target bucket must be versioned
 * (the script checks it before syncing) so an object deleted or overwritten at the source stays
 * in the target as a noncurrent version until the target's lifecycle expires it (BucketSetup's
 * `noncurrentVersionExpirationDays`): a bounded recovery window, and deletions (of personal data,
 * say) do reach the backup. The other choice, no `--delete`, keeps deleted objects for ever, and an
 * expiration rule on such a target would also expire the copies of objects that never changed
 * (sync does not copy them again). A source with no object while the target has some is refused,
 * so a wrong prefix cannot empty the mirror. Like every `aws s3 sync`, changes are found by size and
 * modification time.
 *
 * **Two stores.** `aws s3 sync` copies server-side within one store only. When source and target are
 * the same store (same endpoint and credentials, or Amazon S3 with the same role; regions may
 * differ) one container syncs bucket to bucket. Otherwise an init container with the source's
 * credentials downloads the source into an emptyDir (`scratchSize`) and the main container, with
 * the target's credentials only, uploads it; each run downloads the whole source prefix again (for
 * large buckets between Amazon S3 buckets, S3 Replication is the better tool). One pod has one
 * service account: two Amazon S3 stores with different roles are refused.
 *
 * **Encryption.** `serverSideEncryption` and `requireSse` work as for the backup uploads (the
 * scripts share assets/include/s3-sse.sh): the writing container's sync gets `--sse AES256` or
 * `--sse aws:kms --sse-kms-key-id <key>`, and with `requireSse` it refuses to run without SSE-KMS
 * and a key. A stack passes its backups' settings: `...backupTargets.encryption()`.
 *
 * **Failures are alerted** like backups: pass {@link cronJobName} to the stack's backup alerts
 * (`stackMonitoring({ backups: { cronJobs: [{ cronJob: mirror.cronJobName, label: 'ObjectMirror' }] } })`),
 * or take {@link alertRules}: a failed run, and no successful run within the age given
 * (kube-state-metrics `kube_cronjob_status_last_successful_time`).
 *
 * It is a {@link GraphComponent} (no ports): `mirror.addTo(graph)` adds it and lets it reach both stores.
 */
export class BucketMirror extends Construct implements GraphComponent {
  public readonly name: string;
  public readonly podLabels: Readonly<Record<string, string>>;
  public readonly ports: Readonly<Record<string, number>> = {};
  public readonly cronJob: k8s.KubeCronJob;
  /** The CronJob's name, for the backup alerts and panels. */
  public readonly cronJobName: string;
  /** Whether source and target are one store (server-side copy) or two (download, then upload). */
  public readonly mode: 'same-store' | 'two-stores';
  public readonly source: BucketMirrorLocation;
  public readonly target: BucketMirrorLocation & { readonly prefix: string };
  private readonly namespace: string;

  constructor(scope: Construct, id: string, props: BucketMirrorProps) {
    super(scope, id);
    const where = `BucketMirror '${props.name}'`;
    validateProps(where, props);
    const same = sameStore(props.source.storage, props.target.storage);
    checkNoOverlap(where, props, same);
    const annotations = serviceAccountAnnotations(where, props.source.storage, props.target.storage);
    this.name = props.name;
    this.cronJobName = props.name;
    this.namespace = props.namespace;
    this.source = props.source;
    this.target = props.target;
    this.mode = same ? 'same-store' : 'two-stores';

    const identity: ComponentIdentity = { name: props.name, partOf: props.partOf, component: 'object-mirror' };
    const labels = componentLabels(identity);
    this.podLabels = selectorLabels(identity);

    new k8s.KubeConfigMap(this, 'script', {
      metadata: { name: `${props.name}-script`, namespace: props.namespace, labels },
      data: { [SCRIPT]: bucketMirrorScript() },
    });
    const serviceAccount = new k8s.KubeServiceAccount(this, 'sa', {
      metadata: { name: props.name, namespace: props.namespace, labels, ...(Object.keys(annotations).length ? { annotations } : {}) },
      automountServiceAccountToken: false,
    });

    const locations = {
      SOURCE_BUCKET: props.source.bucket,
      SOURCE_PREFIX: props.source.prefix ?? '',
      TARGET_BUCKET: props.target.bucket,
      TARGET_PREFIX: props.target.prefix,
      REQUIRE_TARGET_VERSIONING: String(props.requireTargetVersioning ?? true),
    };
    const container = (name: string, step: string, storage: ObjectStorage, extra: Record<string, string>, mirrorDir: boolean) =>
      renderContainer({
        name,
        image: props.image,
        runAs: { user: UID },
        resources: props.resources,
        command: ['bash', `${SCRIPTS_DIR}/${SCRIPT}`],
        env: {
          MIRROR_STEP: step,
          ...locations,
          AWS_REGION: storage.region,
          AWS_DEFAULT_REGION: storage.region,
          AWS_PAGER: '',
          HOME: '/tmp',
          ...(storage.endpoint.url ? { S3_ENDPOINT_URL: storage.endpoint.url } : {}),
          ...(mirrorDir ? { MIRROR_DIR } : {}),
          ...extra,
        },
        secretEnv: storage.clientEnv().secretEnv,
        volumeMounts: [
          { name: 'scripts', mountPath: SCRIPTS_DIR, readOnly: true },
          { name: 'tmp', mountPath: '/tmp' },
          ...(mirrorDir ? [{ name: 'mirror', mountPath: MIRROR_DIR }] : []),
        ],
      });
    const sourceRegion: Record<string, string> =
      props.source.storage.region !== props.target.storage.region ? { SOURCE_REGION: props.source.storage.region } : {};
    // Only the container that writes the target gets the encryption (the download reads the source).
    const encryption = serverSideEncryptionEnv(props.serverSideEncryption, props.requireSse);
    const initContainers = same ? [] : [container('download', 'download', props.source.storage, {}, true)];
    const main = same
      ? container('mirror', 'copy', props.target.storage, { ...sourceRegion, ...encryption }, false)
      : container('upload', 'upload', props.target.storage, encryption, true);

    const template = renderPodTemplate({
      labels,
      selector: this.podLabels,
      runAs: { user: UID },
      serviceAccountName: serviceAccount.name,
      initContainers,
      containers: [main],
      volumes: [
        { name: 'scripts', configMap: { name: `${props.name}-script`, defaultMode: 0o444 } },
        { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } },
        ...(same ? [] : [{ name: 'mirror', emptyDir: { sizeLimit: k8s.Quantity.fromString(props.scratchSize ?? '5Gi') } }]),
      ],
      restartPolicy: 'Never',
    });
    this.cronJob = new k8s.KubeCronJob(this, 'cronjob', {
      metadata: { name: props.name, namespace: props.namespace, labels },
      spec: {
        schedule: props.schedule,
        timeZone: 'Etc/UTC',
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 600,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          metadata: { labels },
          spec: { backoffLimit: 2, activeDeadlineSeconds: props.activeDeadlineSeconds ?? 3600, template },
        },
      },
    });
    const prefix = props.helmPrefix ?? valueKey(props.name);
    HelmValues.of(this).bind(this.cronJob, '/spec/schedule', `${prefix}.schedule`, VALUE_SCHEMAS.cron);
    bindImage(this.cronJob, '/spec/jobTemplate/spec/template/spec/containers/0/image', prefix);
  }

  /** Adds the mirror's pods to the graph and lets them reach the source and the target store. */
  public addTo(graph: ServiceGraph): void {
    graph.addComponent(this);
    this.source.storage.allowAccess(graph, this);
    if (this.mode === 'two-stores') this.target.storage.allowAccess(graph, this);
  }

  /**
   * The backup alerts of this mirror's CronJob (`<alertPrefix>BackupFailed`, `<alertPrefix>BackupMissing`),
   * the rules the stacks' backups get. Use either these or {@link cronJobName} in `stackMonitoring`, not both.
   */
  public alertRules(props: { readonly alertPrefix: string; readonly maxAgeHours: number }): AlertRule[] {
    return backupRules({
      namespace: this.namespace,
      cronJob: this.cronJobName,
      alertPrefix: props.alertPrefix,
      maxAgeHours: props.maxAgeHours,
    });
  }
}

/**
 * One store: the same object, or the same endpoint with the same credentials (both S3-compatible),
 * or Amazon S3 with the same service account annotations (role); regions may differ.
 */
function sameStore(a: ObjectStorage, b: ObjectStorage): boolean {
  if (a === b) return true;
  if (a.endpoint.url !== b.endpoint.url) return false;
  if (a.endpoint.url === undefined) return JSON.stringify(a.serviceAccountAnnotations()) === JSON.stringify(b.serviceAccountAnnotations());
  return a.region === b.region && JSON.stringify(a.clientEnv().secretEnv) === JSON.stringify(b.clientEnv().secretEnv);
}

/** The pod's service account annotations: those of the store(s) that have any; two different ones cannot share a pod. */
function serviceAccountAnnotations(where: string, source: ObjectStorage, target: ObjectStorage): Record<string, string> {
  const s = source.serviceAccountAnnotations();
  const t = target.serviceAccountAnnotations();
  const sKeys = Object.keys(s);
  const tKeys = Object.keys(t);
  if (sKeys.length && tKeys.length && JSON.stringify(s) !== JSON.stringify(t))
    throw new Error(
      `${where}: source and target need different service account annotations (${JSON.stringify(s)} and ${JSON.stringify(t)}); ` +
        'expected one IAM role for both (a pod has one service account): give the mirror one storage whose role reads the source and writes the target',
    );
  return { ...s, ...t };
}

/** In one store and bucket, neither location may contain the other (the mirror would copy or delete itself). */
function checkNoOverlap(where: string, p: BucketMirrorProps, same: boolean): void {
  if (!same || p.source.bucket !== p.target.bucket) return;
  const trim = (x: string | undefined) => (x ?? '').replace(/^\/+|\/+$/g, '');
  const src = trim(p.source.prefix);
  const dst = trim(p.target.prefix);
  const inside = (a: string, b: string) => a === '' || b === a || b.startsWith(`${a}/`);
  if (inside(src, dst) || inside(dst, src))
    throw new Error(
      `${where}: target s3://${p.target.bucket}/${dst}/ overlaps source s3://${p.source.bucket}/${src ? `${src}/` : ''} in the same store; ` +
        'expected a target outside the source (another bucket, or a prefix beside it)',
    );
}

function validateProps(where: string, p: BucketMirrorProps): void {
  checkFormat(where, 'name', p.name, dns1035Label);
  if (p.name.length > MAX_CRONJOB_NAME)
    throw new Error(`${where}: name has ${p.name.length} characters; expected at most ${MAX_CRONJOB_NAME} (a CronJob name)`);
  checkFormat(where, 'schedule', p.schedule, cron);
  checkFormat(where, 'image', p.image, pinnedImage);
  if (p.source.prefix === undefined) checkFormat(where, 'source.bucket', p.source.bucket, s3Bucket);
  else checkLocation(where, 'source.', { bucket: p.source.bucket, prefix: p.source.prefix });
  checkLocation(where, 'target.', p.target);
  if (p.scratchSize !== undefined) checkFormat(where, 'scratchSize', p.scratchSize, memory);
  const deadline = p.activeDeadlineSeconds;
  if (deadline !== undefined && (!Number.isInteger(deadline) || deadline < 60))
    throw new Error(`${where}: activeDeadlineSeconds ${deadline}; expected an integer >= 60`);
  checkServerSideEncryption(where, { encryption: 'serverSideEncryption', require: 'requireSse' }, p.serverSideEncryption, p.requireSse);
  const versioning: unknown = p.requireTargetVersioning ?? true;
  if (typeof versioning !== 'boolean') throw new Error(`${where}: requireTargetVersioning '${String(versioning)}'; expected true or false`);
}
