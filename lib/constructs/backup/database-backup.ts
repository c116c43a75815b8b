import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { awsRegion, cron, Format, iamRoleArn, url } from '../../core/formats';
import { componentLabels, ComponentIdentity, selectorLabels } from '../../core/labels';
import { HelmValues } from '../../output/helm';
import { GraphComponent } from '../network/service-graph';
import {
  checkLocation,
  checkServerSideEncryption,
  KEY_PREFIX_RE,
  ObjectStorageTarget,
  serverSideEncryptionEnv,
} from '../storage/object-storage';
import { renderContainer, ResourceSpec, SecretKeyRef } from '../workloads/container';
import { renderPodTemplate } from '../workloads/pod-template';
import { bindImage, VALUE_SCHEMAS, valueKey } from '../workloads/workload-values';
import { BackupEngine, BackupRestorePlan } from './backup-engine';
import { BACKUP_EXTENSION_RE, BACKUP_NAME_PREFIX_RE, BUILT_IN_BACKUP_EXTENSIONS, s3Scripts } from './backup-scripts';

/** Where backups are stored: a bucket and prefix with endpoint, region and authentication (`ObjectStorage.target()` gives one). */
export type BackupTarget = ObjectStorageTarget;

/** How the dump container reaches its database. */
export interface BackupSource {
  /** Image with the database's client tools (the database image itself). */
  readonly image: string;
  readonly runAsUser: number;
  /** Plain env; with `secretEnv` it must provide the engine's `sourceEnv`. */
  readonly env: Readonly<Record<string, string>>;
  readonly secretEnv: Readonly<Record<string, SecretKeyRef>>;
  /**
   * Volumes the dump and restore containers mount (`volumeMounts`), e.g. the CA a TLS client
   * verifies the database with. Names must differ from the pod's own (`scripts`, `backup`, `tmp`).
   * @default - none
   */
  readonly volumes?: readonly k8s.Volume[];
  /** Mounts of `volumes` in the dump and restore containers. @default - none */
  readonly volumeMounts?: readonly k8s.VolumeMount[];
}

export interface DatabaseBackupProps {
  readonly namespace: string;
  readonly partOf: string;
  /** Names the CronJob(s), ServiceAccount and ConfigMap, e.g. `postgres-backup`. */
  readonly name: string;
  /** The kind of store: how dumps are made, verified, named and restored ({@link PostgresBackupEngine}, {@link RedisBackupEngine}, or another {@link BackupEngine}). */
  readonly engine: BackupEngine;
  readonly source: BackupSource;
  /** Cron schedule (UTC). */
  readonly schedule: string;
  /** Days backups are kept. */
  readonly retentionDays: number;
  readonly target: BackupTarget;
  /** Pinned AWS CLI image used for upload, download and pruning. */
  readonly uploaderImage: string;
  readonly resources: ResourceSpec;
  /** Scratch space for one dump. @default '2Gi' */
  readonly scratchSize?: string;
  /** Hard time limit of one run, seconds. @default 3600 */
  readonly activeDeadlineSeconds?: number;
  /**
   * Also render a restore CronJob (suspended; run on demand) from the engine's restore plan.
   * @default - the engine's `restoreByDefault` (postgres: true; redis: when it knows the data volume)
   */
  readonly restore?: boolean;
  /** @default - name */
  readonly helmPrefix?: string;
}

const SCRIPTS_DIR = '/scripts';
const BACKUP_DIR = '/backup';
const UPLOADER_UID = 1000;
/** Scripts every backup's ConfigMap holds, and the pod volumes every backup pod has. */
const SHARED_SCRIPTS = ['dump.sh', 'upload.sh', 'download.sh'];
const SHARED_VOLUMES = ['scripts', 'backup', 'tmp'];
/** A CronJob schedule that never fires (the restore runs on demand). */
const NEVER = '0 0 31 2 *';

/**
 * A scheduled, verified backup of one store to S3: an init container dumps with the
 * database's own tools and checks the dump's integrity, then an AWS CLI container
 * uploads it with its checksum and prunes backups older than the retention.
 * Concurrency Forbid, deadlines and history limits keep runs bounded. A suspended restore
 * CronJob runs the engine's restore plan after downloading the latest dump (run it with
 * `kubectl create job --from=cronjob/<store>-restore ...`). What is dumped and how it is
 * restored comes from the {@link BackupEngine}; this construct knows no engine by name.
 */
export class DatabaseBackup extends Construct {
  public readonly cronJob: k8s.KubeCronJob;
  public readonly restoreCronJob?: k8s.KubeCronJob;
  /** Graph component for the backup pods (they need the store and S3). */
  public readonly component: GraphComponent;
  /** Graph component for the restore pods. */
  public readonly restoreComponent?: GraphComponent;
  /** The engine the backup runs. */
  public readonly engine: BackupEngine;
  /** Where the backups go. */
  public readonly target: BackupTarget;

  private readonly props: DatabaseBackupProps;
  private readonly identity: ComponentIdentity;
  private readonly labels: Record<string, string>;

  constructor(scope: Construct, id: string, props: DatabaseBackupProps) {
    super(scope, id);
    this.props = props;
    this.engine = props.engine;
    this.target = props.target;
    const where = `DatabaseBackup '${props.name}'`;
    validateProps(where, props);
    const plan = restorePlanOf(where, props);

    this.identity = { name: props.name, partOf: props.partOf, component: 'backup' };
    this.labels = componentLabels(this.identity);
    this.renderScripts(plan);
    const serviceAccount = this.renderServiceAccount();

    const upload = this.uploader('upload', 'upload.sh', { RETENTION_DAYS: String(props.retentionDays) });
    this.cronJob = this.renderCronJob(
      'cronjob',
      props.name,
      props.schedule,
      false,
      this.jobPod(props.name, serviceAccount, [this.storeContainer('dump', 'dump.sh')], upload),
    );
    this.component = { name: props.name, podLabels: selectorLabels(this.identity), ports: {} };
    this.bindHelmValues(upload);

    if (plan) {
      const restoreName = props.name.replace(/-backup$/, '') + '-restore';
      this.restoreCronJob = this.renderCronJob('restore', restoreName, NEVER, true, this.restorePod(restoreName, serviceAccount, plan));
      this.restoreComponent = { name: restoreName, podLabels: selectorLabels({ ...this.identity, name: restoreName }), ports: {} };
    }
  }

  /** The scripts ConfigMap: the engine's dump, the shared S3 upload (and download), the restore plan's scripts. */
  private renderScripts(plan: BackupRestorePlan | undefined): void {
    const extensions = BUILT_IN_BACKUP_EXTENSIONS.includes(this.engine.fileExtension)
      ? BUILT_IN_BACKUP_EXTENSIONS
      : [...BUILT_IN_BACKUP_EXTENSIONS, this.engine.fileExtension];
    const s3 = s3Scripts(extensions);
    new k8s.KubeConfigMap(this, 'scripts', {
      metadata: { name: `${this.props.name}-scripts`, namespace: this.props.namespace, labels: this.labels },
      data: {
        'dump.sh': this.engine.dumpScript,
        'upload.sh': s3.upload,
        ...(plan ? { 'download.sh': s3.download, ...plan.scripts } : {}),
      },
    });
  }

  /** The pods' service account: no token mounted; the IRSA role annotated when the target has one. */
  private renderServiceAccount(): string {
    const roleArn = this.target.roleArn;
    return new k8s.KubeServiceAccount(this, 'sa', {
      metadata: {
        name: this.props.name,
        namespace: this.props.namespace,
        labels: this.labels,
        ...(roleArn ? { annotations: { 'eks.amazonaws.com/role-arn': roleArn } } : {}),
      },
      automountServiceAccountToken: false,
    }).name;
  }

  /** The restore pod: download, then the plan's steps (the last one is the main container). */
  private restorePod(name: string, serviceAccount: string, plan: BackupRestorePlan): k8s.PodTemplateSpec {
    const containers = plan.steps.map((step) =>
      step.kind === 'upload'
        ? this.uploader(step.name, 'upload.sh', {
            S3_PREFIX: `${this.target.prefix.replace(/\/+$/, '')}/${step.subPrefix}`,
            RETENTION_DAYS: String(this.props.retentionDays),
          })
        : this.storeContainer(step.name, step.script, { ...step.env }, [...(step.volumeMounts ?? [])]),
    );
    const main = containers.pop()!;
    const download = this.uploader('download', 'download.sh', { BACKUP_OBJECT: 'latest' });
    return this.jobPod(name, serviceAccount, [download, ...containers], main, [...(plan.volumes ?? [])]);
  }

  /** A container with the AWS CLI image running one of the shared S3 scripts. */
  private uploader(name: string, script: string, extraEnv: Record<string, string>): k8s.Container {
    const t = this.target;
    return renderContainer({
      name,
      image: this.props.uploaderImage,
      runAs: { user: UPLOADER_UID },
      resources: this.props.resources,
      command: ['bash', `${SCRIPTS_DIR}/${script}`],
      env: {
        S3_BUCKET: t.bucket,
        S3_PREFIX: t.prefix,
        AWS_REGION: t.region,
        AWS_DEFAULT_REGION: t.region,
        BACKUP_DIR,
        HOME: '/tmp',
        ...(t.endpointUrl ? { S3_ENDPOINT_URL: t.endpointUrl } : {}),
        ...serverSideEncryptionEnv(t.serverSideEncryption, t.requireKms),
        ...extraEnv,
      },
      secretEnv: t.credentials
        ? { AWS_ACCESS_KEY_ID: t.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: t.credentials.secretAccessKey }
        : {},
      volumeMounts: SHARED_MOUNTS,
    });
  }

  /** A container with the source image (the store's client tools) running one of the engine's scripts. */
  private storeContainer(
    name: string,
    script: string,
    extraEnv: Record<string, string> = {},
    extraMounts: k8s.VolumeMount[] = [],
  ): k8s.Container {
    const source = this.props.source;
    return renderContainer({
      name,
      image: source.image,
      runAs: { user: source.runAsUser },
      resources: this.props.resources,
      command: ['bash', `${SCRIPTS_DIR}/${script}`],
      env: { ...source.env, BACKUP_DIR, BACKUP_NAME_PREFIX: this.engine.name, ...extraEnv },
      secretEnv: source.secretEnv,
      volumeMounts: [...SHARED_MOUNTS, ...(source.volumeMounts ?? []), ...extraMounts],
    });
  }

  private jobPod(
    name: string,
    serviceAccount: string,
    init: k8s.Container[],
    main: k8s.Container,
    extraVolumes: k8s.Volume[] = [],
  ): k8s.PodTemplateSpec {
    return renderPodTemplate({
      labels: componentLabels({ ...this.identity, name }),
      selector: selectorLabels({ ...this.identity, name }),
      runAs: { user: this.props.source.runAsUser },
      serviceAccountName: serviceAccount,
      initContainers: init,
      containers: [main],
      volumes: [
        { name: 'scripts', configMap: { name: `${this.props.name}-scripts`, defaultMode: 0o555 } },
        { name: 'backup', emptyDir: { sizeLimit: k8s.Quantity.fromString(this.props.scratchSize ?? '2Gi') } },
        { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } },
        ...(this.props.source.volumes ?? []),
        ...extraVolumes,
      ],
      restartPolicy: 'Never',
    });
  }

  /** A CronJob: Forbid concurrency, deadlines, history limits; a suspended one is not retried. */
  private renderCronJob(id: string, name: string, schedule: string, suspend: boolean, template: k8s.PodTemplateSpec): k8s.KubeCronJob {
    return new k8s.KubeCronJob(this, id, {
      metadata: { name, namespace: this.props.namespace, labels: this.labels },
      spec: {
        schedule,
        timeZone: 'Etc/UTC',
        suspend,
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 600,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          metadata: { labels: this.labels },
          spec: { backoffLimit: suspend ? 0 : 2, activeDeadlineSeconds: this.props.activeDeadlineSeconds ?? 3600, template },
        },
      },
    });
  }

  /** Helm values `<prefix>.schedule`, `.retentionDays` and `.uploader.image`. */
  private bindHelmValues(upload: k8s.Container): void {
    const helm = HelmValues.of(this);
    const prefix = this.props.helmPrefix ?? valueKey(this.props.name);
    helm.bind(this.cronJob, '/spec/schedule', `${prefix}.schedule`, VALUE_SCHEMAS.cron);
    const retentionIndex = (upload.env ?? []).findIndex((e) => e.name === 'RETENTION_DAYS');
    helm.bind(
      this.cronJob,
      `/spec/jobTemplate/spec/template/spec/containers/0/env/${retentionIndex}/value`,
      `${prefix}.retentionDays`,
      { type: 'integer', minimum: 1, maximum: 3650, description: 'Days backups are kept' },
      { renderAsString: true },
    );
    bindImage(this.cronJob, '/spec/jobTemplate/spec/template/spec/containers/0/image', `${prefix}.uploader`);
  }
}

const SHARED_MOUNTS: readonly k8s.VolumeMount[] = [
  { name: 'scripts', mountPath: SCRIPTS_DIR, readOnly: true },
  { name: 'backup', mountPath: BACKUP_DIR },
  { name: 'tmp', mountPath: '/tmp' },
];

/** `format.test` as a plain boolean: its `value is string` guard would narrow a string to never when it fails. */
const conforms = (format: Format, value: string): boolean => format.test(value);

function validateProps(where: string, p: DatabaseBackupProps): void {
  if (!conforms(cron, p.schedule)) throw new Error(`${where}: schedule '${p.schedule}'; expected ${cron.expected}`);
  if (!Number.isInteger(p.retentionDays) || p.retentionDays < 1)
    throw new Error(`${where}: retentionDays ${p.retentionDays}; expected an integer >= 1`);
  validateTarget(where, p.target);
  validateEngine(where, p);
}

function validateTarget(where: string, t: BackupTarget): void {
  checkLocation(where, 'target.', t);
  if (!conforms(awsRegion, t.region)) throw new Error(`${where}: target.region '${t.region}'; expected ${awsRegion.expected}`);
  if (t.endpointUrl !== undefined && !conforms(url, t.endpointUrl))
    throw new Error(`${where}: target.endpointUrl '${t.endpointUrl}'; expected ${url.expected}`);
  if (t.roleArn !== undefined && !conforms(iamRoleArn, t.roleArn))
    throw new Error(`${where}: target.roleArn '${t.roleArn}'; expected ${iamRoleArn.expected}`);
  if (t.credentials && !t.endpointUrl)
    throw new Error(`${where}: target.credentials are only for an S3-compatible endpoint; on AWS use target.roleArn (IRSA)`);
  checkServerSideEncryption(
    where,
    { encryption: 'target.serverSideEncryption', require: 'target.requireKms' },
    t.serverSideEncryption,
    t.requireKms,
  );
}

function validateEngine(where: string, p: DatabaseBackupProps): void {
  const e = p.engine;
  if (!BACKUP_NAME_PREFIX_RE.test(e.name))
    throw new Error(
      `${where}: engine.name '${e.name}'; expected letters, digits, '.', '_' and '-', starting with a letter or digit (it prefixes the dump file names)`,
    );
  if (!BACKUP_EXTENSION_RE.test(e.fileExtension))
    throw new Error(
      `${where}: engine '${e.name}' fileExtension '${e.fileExtension}'; expected lowercase letters and digits in dot-separated parts, without the leading dot (e.g. 'sql.gz')`,
    );
  const given = new Set([...Object.keys(p.source.env), ...Object.keys(p.source.secretEnv)]);
  const missing = e.sourceEnv.filter((v) => !given.has(v));
  if (missing.length)
    throw new Error(
      `${where}: source lacks ${missing.join(', ')}; engine '${e.name}' needs ${e.sourceEnv.join(', ')} in source.env or source.secretEnv`,
    );
  const sourceVolumes = new Set<string>();
  (p.source.volumes ?? []).forEach((v, i) => {
    if (SHARED_VOLUMES.includes(v.name) || sourceVolumes.has(v.name))
      throw new Error(
        `${where}: source.volumes[${i}].name '${v.name}' is taken (${[...SHARED_VOLUMES, ...sourceVolumes].join(', ')}); expected another name`,
      );
    sourceVolumes.add(v.name);
  });
  (p.source.volumeMounts ?? []).forEach((m, i) => {
    if (!sourceVolumes.has(m.name))
      throw new Error(
        `${where}: source.volumeMounts[${i}].name '${m.name}'; expected one of source.volumes (${[...sourceVolumes].join(', ') || 'none'})`,
      );
  });
}

/** The engine's restore plan when a restore is rendered, checked against what the backup pod provides. */
function restorePlanOf(where: string, p: DatabaseBackupProps): BackupRestorePlan | undefined {
  const e = p.engine;
  const restore = p.restore ?? e.restoreByDefault;
  if (!restore) {
    if (e.restoreOptions?.length) {
      throw new Error(
        `${where}: restore is false but engine '${e.name}' was given restore options (${e.restoreOptions.join(', ')}); expected restore true, or no restore options`,
      );
    }
    return undefined;
  }
  let plan: BackupRestorePlan;
  try {
    plan = e.restorePlan();
  } catch (err) {
    throw new Error(`${where}: ${(err as Error).message}`, { cause: err });
  }
  const bad = (what: string) => new Error(`${where}: engine '${e.name}' restore plan: ${what}`);
  for (const file of Object.keys(plan.scripts)) {
    if (SHARED_SCRIPTS.includes(file))
      throw bad(`script '${file}' is one of the backup's own (${SHARED_SCRIPTS.join(', ')}); expected another file name`);
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(file)) throw bad(`script '${file}'; expected a file name (letters, digits, '.', '_', '-')`);
  }
  if (plan.steps.length === 0) throw bad('steps is empty; expected at least the step that restores');
  const last = plan.steps[plan.steps.length - 1];
  if (last.kind !== 'store') throw bad(`the last step '${last.name}' is an upload; expected a 'store' step (the restore itself)`);
  const names = new Set(['download']);
  for (const step of plan.steps) {
    if (names.has(step.name))
      throw bad(`step name '${step.name}' is used twice (download is the first step); expected unique container names`);
    names.add(step.name);
    if (step.kind === 'store' && !(step.script in plan.scripts))
      throw bad(
        `step '${step.name}' runs '${step.script}', which is not among its scripts (${Object.keys(plan.scripts).join(', ') || 'none'})`,
      );
    if (step.kind === 'upload' && !KEY_PREFIX_RE.test(step.subPrefix))
      throw bad(`step '${step.name}' subPrefix '${step.subPrefix}'; expected a relative key prefix such as 'pre-restore'`);
  }
  const volumes = new Set<string>();
  const taken = [...SHARED_VOLUMES, ...(p.source.volumes ?? []).map((v) => v.name)];
  for (const v of plan.volumes ?? []) {
    if (taken.includes(v.name) || volumes.has(v.name))
      throw bad(`volume '${v.name}' is taken (${[...taken, ...volumes].join(', ')}); expected another name`);
    volumes.add(v.name);
  }
  for (const step of plan.steps) {
    for (const m of step.kind === 'store' ? (step.volumeMounts ?? []) : []) {
      if (!volumes.has(m.name))
        throw bad(`step '${step.name}' mounts volume '${m.name}', which the plan does not declare (${[...volumes].join(', ') || 'none'})`);
    }
  }
  return plan;
}
