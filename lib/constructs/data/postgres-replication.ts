/**
 * The streaming standby of a {@link PostgresDatabase} (its `standby` prop): what the primary needs
 * (replication settings, role, slot, pg_hba rows: {@link standbyPrimarySettings},
 * {@link standbyReplicationSpec}) and the objects of the standby itself ({@link PostgresStandby}).
 *
 * Topology: the primary StatefulSet `<name>` (Service `<name>`, what every client uses) and one hot
 * standby `<name>-replica` in ANOTHER zone (required pod anti-affinity on
 * `topology.kubernetes.io/zone` against the primary's pods), cloned with `pg_basebackup` from the
 * primary on an empty volume and streaming through its physical slot; `<name>-ro` serves read-only
 * clients from it. A drain of the primary's node is BLOCKED (PodDisruptionBudget
 * `maxUnavailable: 0`) until an operator fails over (fence the primary, run the promotion Job,
 * repoint `<name>`), so a drain never takes writes down silently; the alert
 * `<Prefix>PostgresPrimaryNodeCordoned` ({@link postgresReplicationRules}) says so when it happens.
 */
import { createHash } from 'crypto';
import { JsonPatch } from 'cdk8s';
import { DRAIN_BLOCKING_ANNOTATION } from '../../checks/capacity-check';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { renderAsset } from '../../core/asset-template';
import { memory } from '../../core/formats';
import { componentLabels, selectorLabels } from '../../core/labels';
import { GraphComponent, ServiceGraph } from '../network/service-graph';
import { renderContainer, ResourceSpec, SecretKeyRef, validateResources } from '../workloads/container';
import { renderPodTemplate } from '../workloads/pod-template';
import { PostgresReplicationSpec, POSTGRES_IDENTIFIER_PATTERN } from './postgres-config';
import { PostgresExporterSource, postgresExporterSidecar, postgresServerHealth } from './postgres-server-pod';
import { StatefulStore, StorageSpec, StoreSecretFiles } from './stateful-store';
import type { PostgresWalArchiveHook } from '../backup/wal-archive';

/** The standby of a PostgresDatabase (its `standby` prop). */
export interface PostgresStandbyProps {
  /** Password of the replication role (a key of the stack's Secret; never rendered). */
  readonly replicationPassword: SecretKeyRef;
  /** The replication role (`LOGIN REPLICATION`, no database privilege). @default 'replicator' (seed 000's name) */
  readonly role?: string;
  /** @default - the primary's resources (a standby that is promoted takes the primary's load) */
  readonly resources?: ResourceSpec;
  /** @default - the primary's storage (it holds a full copy) */
  readonly storage?: StorageSpec;
  /**
   * Keeping the standby out of the primary's zone: `required` (never scheduled in the primary's
   * zone: a zone outage or a drain cannot take both) or `preferred` (clusters with one zone).
   * @default 'required'
   */
  readonly zoneAntiAffinity?: 'required' | 'preferred';
  /**
   * `max_slot_wal_keep_size` of the primary: the most WAL its slot may hold for a standby that is
   * down or behind. Beyond it the slot is invalidated (the standby must be re-cloned, see the
   * README) instead of the primary's volume filling up.
   * @default - a fifth of the primary's `storage.size`, in MB
   */
  readonly maxSlotWalKeepSize?: string;
}

/** The replication role's name unless given: seed 000's `POSTGRES_REPLICATION_USER`. */
export const DEFAULT_REPLICATION_ROLE = 'replicator';
/**
 * CONNECTION LIMIT of the replication role: the standby's WAL receiver (1), or a clone by
 * pg_basebackup `-X stream` (2: the base backup and the WAL stream), never both at once (the
 * server is not running while the init container clones); one more for a WAL sender of a
 * restarted standby that the primary has not noticed gone yet (wal_sender_timeout).
 */
export const REPLICATION_CONNECTION_LIMIT = 3;
/**
 * `max_wal_senders` and `max_replication_slots` of the primary: PostgreSQL's default (10), set
 * explicitly since the standby depends on them; the standby uses 1 sender (2 while it is cloned)
 * and 1 slot, which leaves room for WAL archiving tools and a second standby. Since PostgreSQL 12
 * WAL senders have slots of their own, outside `max_connections`, so they are not in the
 * connection budget.
 */
export const REPLICATION_MAX_WAL_SENDERS = 10;

/** postgresql.conf settings the standby sets on the primary (and the standby, which shares the file). */
export const STANDBY_SETTING_KEYS = [
  'wal_level',
  'max_wal_senders',
  'max_replication_slots',
  'hot_standby',
  'max_slot_wal_keep_size',
] as const;

const ZONE_KEY = 'topology.kubernetes.io/zone';
const MB = 1024 * 1024;
const UNIT_BYTES: Readonly<Record<string, number>> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  Pi: 1024 ** 5,
  Ei: 1024 ** 6,
};

/** The standby's physical replication slot on the primary: `<name>_replica_0` (slot names have no '-'). */
export function standbySlotName(database: string): string {
  return `${database.replace(/-/g, '_')}_replica_0`;
}

/**
 * The settings the standby needs on the primary: `wal_level = replica`, `hot_standby = on`,
 * {@link REPLICATION_MAX_WAL_SENDERS} senders and slots, and `max_slot_wal_keep_size` (given, or a
 * fifth of `storageSize`: a dead standby can make the slot hold at most that much WAL, and the
 * data keeps the other four fifths).
 * @throws Error naming the field: a setting also given in `settings` (set by the standby), or a
 *   `maxSlotWalKeepSize` that is not a size in MB or GB.
 */
export function standbyPrimarySettings(
  where: string,
  standby: PostgresStandbyProps,
  storageSize: string,
  settings: Readonly<Record<string, unknown>>,
): Record<string, string | number | boolean> {
  for (const key of STANDBY_SETTING_KEYS) {
    if (key in settings)
      throw new Error(
        `${where}: settings.${key} ${JSON.stringify(settings[key])}; expected it unset with standby (the standby sets ${STANDBY_SETTING_KEYS.join(', ')})`,
      );
  }
  let keep = standby.maxSlotWalKeepSize;
  if (keep === undefined) {
    keep = `${Math.floor(quantityBytes(storageSize) / 5 / MB)}MB`;
  } else if (!/^[1-9][0-9]*(MB|GB)$/.test(keep)) {
    throw new Error(`${where}: standby.maxSlotWalKeepSize '${keep}'; expected a postgresql.conf size in MB or GB such as '10GB'`);
  }
  return {
    wal_level: 'replica',
    max_wal_senders: REPLICATION_MAX_WAL_SENDERS,
    max_replication_slots: REPLICATION_MAX_WAL_SENDERS,
    hot_standby: true,
    max_slot_wal_keep_size: keep,
  };
}

/** Bytes of a Kubernetes quantity such as `50Gi` (validated by the StatefulStore). */
function quantityBytes(quantity: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)([A-Za-z]*)$/.exec(quantity);
  const unit = m ? UNIT_BYTES[m[2]] : undefined;
  if (!m || unit === undefined) throw new Error(`storage.size '${quantity}'; expected ${memory.expected}`);
  return Number(m[1]) * unit;
}

/** The replication part of the init SQL (role and slot), with the role's password variable. */
export function standbyReplicationSpec(database: string, standby: PostgresStandbyProps, passwordEnv: string): PostgresReplicationSpec {
  return {
    role: standby.role ?? DEFAULT_REPLICATION_ROLE,
    connectionLimit: REPLICATION_CONNECTION_LIMIT,
    passwordEnv,
    slot: standbySlotName(database),
  };
}

/** What {@link PostgresStandby} takes from its primary. */
export interface PostgresStandbyPrimary {
  readonly namespace: string;
  /** The primary's name (StatefulSet and Service). */
  readonly name: string;
  readonly partOf: string;
  readonly image: string;
  readonly database: string;
  readonly port: number;
  /** The primary's Service DNS name (one of its certificate's names). */
  readonly host: string;
  readonly podLabels: Readonly<Record<string, string>>;
  /** postgresql.conf and pg_hba.conf, the primary's (the standby must have settings at least the primary's). */
  readonly postgresqlConf: string;
  readonly pgHba: string;
  readonly superuserPassword: SecretKeyRef;
  /** The certificate's Secret (`tls.crt`, `tls.key`, `ca.crt`): the standby serves the same names and more. */
  readonly tlsSecretName: string;
  readonly serverTlsDir: string;
  readonly clientCaDir: string;
  readonly uid: number;
  readonly resources: ResourceSpec;
  readonly storage: StorageSpec;
  /** The primary's exporter sidecar, repeated in the standby's pod. */
  readonly exporter?: PostgresExporterSource;
  readonly release?: string;
  readonly helmPrefix: string;
  readonly startupSeconds: number;
  /**
   * The primary's WAL archiver (spool, scripts, wal-ship sidecar, service account), given to the
   * standby as well: idle while it replays (`archive_mode = on` archives on a primary only), it
   * archives the new timeline as soon as a promotion makes the standby the primary, so point-in-time
   * recovery continues across a failover.
   * @default - none
   */
  readonly walArchive?: PostgresWalArchiveHook;
}

/**
 * The standby of a PostgresDatabase:
 * - StatefulSet `<name>-replica` (one pod, its own retained PVC, restricted like the primary) in
 *   another zone than the primary; its init container `clone` runs `postgres-standby.sh bootstrap`
 *   (pg_basebackup `-X stream -S <slot>` over verified TLS as the replication role, only on an empty
 *   volume), its server `postgres-standby.sh start` (hot standby streaming through the slot);
 *   readiness `pg_isready` (a promoted standby stays ready, so `<name>` can be pointed at it);
 * - Service `<name>-ro` (ClusterIP) for read-only clients, and the headless `<name>-replica`;
 * - the suspended CronJob `<name>-promote`: `kubectl create job --from=cronjob/<name>-promote ...`
 *   runs `postgres-promote.sh` (refuses while the old primary accepts writes, then `pg_promote()`);
 * - PodDisruptionBudget `<name>` with `maxUnavailable: 0` on the primary: a drain of its node
 *   waits for the operator's failover (see the module comment).
 */
export class PostgresStandby extends Construct {
  /** The standby's store (StatefulSet, headless Service, exporter). */
  public readonly store: StatefulStore;
  /** `<name>-ro`: read-only clients connect here. */
  public readonly readOnlyService: k8s.KubeService;
  /** DNS name of {@link readOnlyService}. */
  public readonly readOnlyHost: string;
  /** DNS name of the standby pod (what the promotion Job promotes). */
  public readonly standbyHost: string;
  /** The physical replication slot on the primary. */
  public readonly slot: string;
  /** The replication role. */
  public readonly role: string;
  /** The suspended promotion CronJob (`<name>-promote`). */
  public readonly promoteCronJob: k8s.KubeCronJob;
  /** The promotion pods in the service graph (they reach the standby and, to fence, the primary). */
  public readonly promoteComponent: GraphComponent;
  /** The primary's PodDisruptionBudget (`maxUnavailable: 0`). */
  public readonly primaryDisruptionBudget: k8s.KubePodDisruptionBudget;
  /** DNS names the certificate must also hold: `<name>-ro` in every form, and the standby pods'. */
  public readonly certificateNames: readonly string[];

  constructor(scope: Construct, id: string, primary: PostgresStandbyPrimary, props: PostgresStandbyProps) {
    super(scope, id);
    const where = `PostgresDatabase '${primary.name}': standby`;
    const role = props.role ?? DEFAULT_REPLICATION_ROLE;
    if (!POSTGRES_IDENTIFIER_PATTERN.test(role))
      throw new Error(`${where}.role '${role}'; expected a PostgreSQL identifier such as 'replicator'`);
    const zoneAntiAffinity = props.zoneAntiAffinity ?? 'required';
    if (zoneAntiAffinity !== 'required' && zoneAntiAffinity !== 'preferred')
      throw new Error(`${where}.zoneAntiAffinity '${zoneAntiAffinity as string}'; expected 'required' or 'preferred'`);
    if (props.resources) validateResources(`${where}.resources`, props.resources);
    const ns = primary.namespace;
    const name = `${primary.name}-replica`;
    const roName = `${primary.name}-ro`;
    this.role = role;
    this.slot = standbySlotName(primary.name);
    this.readOnlyHost = `${roName}.${ns}.svc.cluster.local`;
    this.standbyHost = `${name}-0.${name}.${ns}.svc.cluster.local`;
    this.certificateNames = [roName, `${roName}.${ns}`, `${roName}.${ns}.svc`, this.readOnlyHost, `*.${name}.${ns}.svc.cluster.local`];
    const caFile = `${primary.clientCaDir}/ca.crt`;
    const standbyEnv = {
      PGDATA: '/var/lib/postgresql/data/pgdata',
      PRIMARY_HOST: primary.host,
      PRIMARY_PORT: String(primary.port),
      REPLICATION_USER: role,
      REPLICATION_SLOT: this.slot,
      PRIMARY_SSLROOTCERT: caFile,
    };
    const standbySecretEnv = { REPLICATION_PASSWORD: props.replicationPassword };
    const script = renderAsset(__dirname, 'assets/postgres-standby.sh', {});
    const caFiles: StoreSecretFiles = {
      volume: 'tls-ca',
      secretName: primary.tlsSecretName,
      keys: ['ca.crt'],
      mountPath: primary.clientCaDir,
      defaultMode: 0o444,
      containers: ['main', 'init', ...(primary.exporter ? (['exporter'] as const) : [])],
    };

    this.store = new StatefulStore(this, 'store', {
      namespace: ns,
      name,
      partOf: primary.partOf,
      component: 'database',
      ports: { postgres: primary.port },
      runAs: { user: primary.uid },
      dataPath: '/var/lib/postgresql/data',
      storage: props.storage ?? primary.storage,
      shmSize: '256Mi',
      release: primary.release,
      helmPrefix: `${primary.helmPrefix}.standby`,
      ...(primary.walArchive
        ? {
            sidecars: primary.walArchive.sidecars,
            extraVolumes: primary.walArchive.volumes,
            extraMounts: primary.walArchive.mounts,
            serviceAccountName: primary.walArchive.serviceAccountName,
          }
        : {}),
      configs: [
        {
          suffix: 'config',
          mountPath: '/etc/postgresql',
          files: { 'postgresql.conf': primary.postgresqlConf, 'pg_hba.conf': primary.pgHba },
        },
        { suffix: 'scripts', mountPath: '/scripts', defaultMode: 0o555, files: { 'postgres-standby.sh': script } },
      ],
      secretFiles: [
        {
          volume: 'tls',
          secretName: primary.tlsSecretName,
          keys: ['tls.crt', 'tls.key', 'ca.crt'],
          mountPath: primary.serverTlsDir,
          containers: ['main'],
        },
        caFiles,
      ],
      initContainers: [
        {
          name: 'clone',
          command: ['bash', '/scripts/postgres-standby.sh', 'bootstrap'],
          env: standbyEnv,
          secretEnv: standbySecretEnv,
        },
      ],
      container: {
        image: primary.image,
        runAs: { user: primary.uid },
        resources: props.resources ?? primary.resources,
        command: ['bash', '/scripts/postgres-standby.sh', 'start'],
        // postgres's `--name=value` form of `-c name=value`.
        args: ['--config_file=/etc/postgresql/postgresql.conf', '--hba_file=/etc/postgresql/pg_hba.conf'],
        env: standbyEnv,
        secretEnv: standbySecretEnv,
        ...postgresServerHealth(primary.port, primary.database),
        startupSeconds: primary.startupSeconds,
      },
      exporter: primary.exporter && postgresExporterSidecar(primary.exporter),
    });
    // Never in the primary's zone (required) and, being a required term, symmetric: the primary is
    // not scheduled into the standby's zone either.
    const zoneTerm = { topologyKey: ZONE_KEY, labelSelector: { matchLabels: { ...primary.podLabels } } };
    this.store.statefulSet.addJsonPatch(
      JsonPatch.add(
        '/spec/template/spec/affinity',
        zoneAntiAffinity === 'required'
          ? { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [zoneTerm] } }
          : { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: zoneTerm }] } },
      ),
    );

    const labels = componentLabels({ name: primary.name, partOf: primary.partOf, component: 'database' });
    this.readOnlyService = new k8s.KubeService(this, 'ro', {
      metadata: { name: roName, namespace: ns, labels },
      spec: {
        selector: { ...this.store.podLabels },
        ports: [{ name: 'postgres', port: primary.port, targetPort: k8s.IntOrString.fromString('postgres'), protocol: 'TCP' }],
      },
    });
    this.primaryDisruptionBudget = new k8s.KubePodDisruptionBudget(this, 'primary-pdb', {
      metadata: {
        name: primary.name,
        namespace: ns,
        labels,
        annotations: {
          // The disruption check accepts a PDB that blocks drains only with this annotation saying why and how to release it.
          [DRAIN_BLOCKING_ANNOTATION]:
            `A drain of the primary's node waits until the operator fails over to ${name}: ` +
            `scale statefulset/${primary.name} to 0, kubectl create job --from=cronjob/${primary.name}-promote, repoint service/${primary.name} (README: PostgreSQL high availability).`,
        },
      },
      spec: { maxUnavailable: k8s.IntOrString.fromNumber(0), selector: { matchLabels: { ...primary.podLabels } } },
    });

    const promoteName = `${primary.name}-promote`;
    this.promoteComponent = { name: promoteName, podLabels: selectorLabels({ name: promoteName, partOf: primary.partOf }), ports: {} };
    const promoteLabels = componentLabels({ name: promoteName, partOf: primary.partOf, component: 'database-promotion' });
    const promoteScript = renderAsset(__dirname, 'assets/postgres-promote.sh', {});
    new k8s.KubeConfigMap(this, 'promote-script', {
      metadata: { name: promoteName, namespace: ns, labels: promoteLabels },
      data: { 'postgres-promote.sh': promoteScript },
    });
    const template = renderPodTemplate({
      labels: promoteLabels,
      selector: this.promoteComponent.podLabels,
      runAs: { user: primary.uid },
      containers: [
        renderContainer({
          name: 'promote',
          image: primary.image,
          runAs: { user: primary.uid },
          resources: { cpuRequest: '50m', memoryRequest: '64Mi', memoryLimit: '128Mi' },
          command: ['bash', '/scripts/postgres-promote.sh'],
          env: {
            PGHOST: this.standbyHost,
            PGPORT: String(primary.port),
            PGUSER: 'postgres',
            PGDATABASE: primary.database,
            PGCONNECT_TIMEOUT: '10',
            PGAPPNAME: promoteName,
            PGSSLMODE: 'verify-full',
            PGSSLROOTCERT: caFile,
            PRIMARY_HOST: primary.host,
            PRIMARY_PORT: String(primary.port),
            HOME: '/tmp',
          },
          secretEnv: { PGPASSWORD: primary.superuserPassword },
          volumeMounts: [
            { name: 'scripts', mountPath: '/scripts', readOnly: true },
            { name: 'tmp', mountPath: '/tmp' },
            { name: 'postgres-ca', mountPath: primary.clientCaDir, readOnly: true },
          ],
        }),
      ],
      volumes: [
        { name: 'scripts', configMap: { name: promoteName, defaultMode: 0o555 } },
        { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('16Mi') } },
        {
          name: 'postgres-ca',
          secret: { secretName: primary.tlsSecretName, defaultMode: 0o444, items: [{ key: 'ca.crt', path: 'ca.crt' }] },
        },
      ],
      restartPolicy: 'Never',
      annotations: { 'checksum/script': createHash('sha256').update(promoteScript).digest('hex') },
    });
    this.promoteCronJob = new k8s.KubeCronJob(this, 'promote', {
      metadata: {
        name: promoteName,
        namespace: ns,
        labels: promoteLabels,
        annotations: {
          'postgres.cdk8s.io/usage': `kubectl -n ${ns} create job --from=cronjob/${promoteName} ${promoteName}-$(date +%s) (after scaling statefulset/${primary.name} to 0)`,
        },
      },
      spec: {
        // Never scheduled: a template for `kubectl create job --from`, the only way it runs.
        suspend: true,
        schedule: '0 0 1 1 *',
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 600,
        successfulJobsHistoryLimit: 1,
        failedJobsHistoryLimit: 1,
        // One attempt: a refused promotion (the primary still writable) must not be retried blindly.
        jobTemplate: {
          metadata: { labels: promoteLabels },
          spec: { backoffLimit: 0, activeDeadlineSeconds: 300, ttlSecondsAfterFinished: 86400, template },
        },
      },
    });
  }

  /** Adds the standby and the promotion pods to the graph: standby -> primary, promotion -> standby and primary. */
  public addToGraph(graph: ServiceGraph, primary: GraphComponent): void {
    graph.addComponent(this.store);
    graph.addComponent(this.promoteComponent);
    graph.allow(this.store, primary, 'postgres');
    graph.allow(this.promoteComponent, this.store, 'postgres');
    graph.allow(this.promoteComponent, primary, 'postgres');
  }
}
