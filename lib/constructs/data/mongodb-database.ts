import { createHash } from 'crypto';
import { JsonPatch } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import {
  Certificate,
  CertificateSpecPrivateKeyAlgorithm,
  CertificateSpecPrivateKeyRotationPolicy,
  CertificateSpecUsages,
} from '../../../imports/cert-manager.io';
import { readAsset } from '../../core/assets';
import { dnsSubdomain, Format, memory, memoryBytes, mongoDatabaseName, mongoReplicaSetName, mongoUserName } from '../../core/formats';
import { componentLabels, selectorLabels } from '../../core/labels';
import { GraphComponent, ServiceGraph } from '../network/service-graph';
import { renderContainer, ResourceSpec, SecretKeyRef } from '../workloads/container';
import { renderPodTemplate } from '../workloads/pod-template';
import { StatefulStore, StoreAntiAffinity, StorageSpec } from './stateful-store';

/** A MongoDB user: its name, and the Secret key holding its password. */
export interface MongoUser {
  /** User name (created in the `admin` database, which is every user's authSource). */
  readonly username: string;
  /** Where its password is. */
  readonly password: SecretKeyRef;
}

/** The cert-manager issuer that signs a MongoDatabase's certificate. */
export interface MongoTlsIssuer {
  /** Issuer name. */
  readonly name: string;
  /** @default 'ClusterIssuer' */
  readonly kind?: 'ClusterIssuer' | 'Issuer';
}

/** TLS on every connection to a MongoDatabase (`--tlsMode requireTLS`). */
export interface MongoTlsProps {
  /**
   * The Secret of a cert-manager Certificate: `tls.crt`, `tls.key` and `ca.crt` (a CA issuer fills
   * `ca.crt`; members, the init Job, backups and clients verify against it).
   */
  readonly secretName: string;
  /**
   * Issuer of the certificate. Given, the construct renders the Certificate (named like the Secret)
   * for the Service name, every member (`*.<name>.<namespace>.svc.cluster.local`), localhost and
   * 127.0.0.1. It must be a CA issuer: an ACME issuer cannot certify cluster-internal names.
   * @default - no Certificate is rendered: the stack provides one that writes `secretName`, with at
   *   least `*.<name>.<namespace>.svc.cluster.local` among its DNS names
   */
  readonly issuer?: MongoTlsIssuer;
}

/** The mongodb_exporter sidecar. */
export interface MongoExporterProps {
  /** percona/mongodb_exporter image, pinned (the alert rules' metric names are those of 0.47.x). */
  readonly image: string;
  readonly resources: ResourceSpec;
  /** The exporter's own user, created by the init Job with clusterMonitor and read on `local` only. */
  readonly user: MongoUser;
}

export interface MongoDatabaseProps {
  readonly namespace: string;
  /** Names the StatefulSet, Service, init Job and ConfigMaps (a DNS-1035 label of at most 47 characters). @default 'mongodb' */
  readonly name?: string;
  readonly partOf: string;
  /** Official `mongo` image, pinned: mongod, mongosh and the database tools. */
  readonly image: string;
  /**
   * Members of the replica set: 1, 3, 5 or 7. Even one member runs as a replica set (an oplog for
   * consistent backups, change streams and transactions). An odd size keeps a majority, so a primary,
   * through the loss of 1 (of 3), 2 (of 5) or 3 (of 7) members.
   * @default 1
   */
  readonly replicas?: number;
  /** @default 'rs0' */
  readonly replicaSetName?: string;
  /** The application's database: the one database the application user may read and write (e.g. `ecommerce`). */
  readonly database: string;
  /**
   * The root user (role `root`). The image creates it from its Secret when member 0 first starts on
   * an empty volume; the init Job authenticates as it.
   */
  readonly rootUser: MongoUser;
  /** The application's user: `readWrite` on `database`, nothing else. */
  readonly appUser: MongoUser;
  /** Shared key of the members (internal authentication, `--keyFile`): 6 to 1024 base64 characters. */
  readonly keyFile: SecretKeyRef;
  /** Resources of mongod; the WiredTiger cache is derived from the memory limit (at least 512Mi). */
  readonly resources: ResourceSpec;
  readonly storage: StorageSpec;
  /** TLS required on every connection. @default - no TLS */
  readonly tls?: MongoTlsProps;
  /** mongodb_exporter sidecar (port 9216) with its ServiceMonitor. @default - no exporter */
  readonly exporter?: MongoExporterProps;
  /** User of the backups (roles `backup` and `restore`), see {@link MongoDatabase.backupSource}. @default - none */
  readonly backupUser?: MongoUser;
  /** kube-prometheus-stack release label of the ServiceMonitor (required with `exporter`). @default - none */
  readonly release?: string;
  /** Spread members across zones (hard) and nodes (soft). @default false */
  readonly spreadAcrossZones?: boolean;
  /** @default - 'preferred' with more than one member */
  readonly podAntiAffinity?: StoreAntiAffinity;
  /** Seconds a member may take to start (first initialization, WiredTiger recovery) before liveness applies. @default 600 */
  readonly startupSeconds?: number;
  /** Resources of the init Job's containers (mongosh). @default - 50m and 128Mi requested, 256Mi limit */
  readonly initResources?: ResourceSpec;
  /** @default - name */
  readonly helmPrefix?: string;
}

/** Options of {@link MongoDatabase.clientEnv}. */
export interface MongoClientEnvOptions {
  /** Prefix of the variable names. @default 'MONGO' */
  readonly prefix?: string;
  /** Also `<prefix>_TLS_CA_PEM`, the CA certificate (PEM) from the TLS Secret, for clients without the CA on disk. @default false */
  readonly caPem?: boolean;
}

/** Environment of a client, plain and from Secrets (a Deployment's env / secretEnv, or a DatabaseBackup source's). */
export interface MongoClientEnv {
  readonly env: Readonly<Record<string, string>>;
  readonly secretEnv: Readonly<Record<string, SecretKeyRef>>;
}

/** What a DatabaseBackup needs as its `source` (lib/constructs/backup/database-backup.ts `BackupSource`). */
export interface MongoBackupSource extends MongoClientEnv {
  /** The database's own image: mongodump and mongorestore of the server's version. */
  readonly image: string;
  readonly runAsUser: number;
}

/** `mongodb` in the official image. */
export const MONGO_UID = 999;
/** mongod's port. */
export const MONGO_PORT = 27017;
/** Every user is created in, and authenticates against, `admin`. */
export const MONGO_AUTH_SOURCE = 'admin';
/** Replica set sizes allowed: odd, up to MongoDB's 7 voting members. */
export const MONGO_REPLICA_SET_SIZES: readonly number[] = [1, 3, 5, 7];

const DATA_PATH = '/data/db';
const RUN_DIR = '/run/mongodb';
const SCRIPTS_DIR = '/etc/mongodb-scripts';
const SECRETS_DIR = '/etc/mongodb-secrets';
const JOB_SCRIPTS_DIR = '/scripts';
const JOB_CA_DIR = '/etc/mongodb-ca';
const INIT_SCRIPT = 'mongodb-init.js';
const MAX_NAME_LENGTH = 47; // `<name>-init-<10 hex>` must stay a 63-character label (the Job's pods carry it)
const MIN_MEMORY_LIMIT = '512Mi';
const DEFAULT_INIT_RESOURCES: ResourceSpec = { cpuRequest: '50m', memoryRequest: '128Mi', memoryLimit: '256Mi' };

/**
 * WiredTiger cache size in GB for a memory limit: 50% of (limit - 1 GiB), at least 0.25, in steps of
 * 0.05. That is mongod's own default rule, applied to the container's limit rather than to the RAM
 * mongod detects (the node's, on some kernels and versions): the cache is most of mongod's memory, and
 * the other half stays for connections, in-memory sorts and aggregations, and the filesystem cache
 * WiredTiger's compressed files rely on.
 */
export function wiredTigerCacheSizeGB(memoryLimit: string): number {
  const gib = memoryBytes(memoryLimit) / 1024 ** 3;
  return Math.max(0.25, Math.floor((gib - 1) * 0.5 * 20) / 20);
}

/** The init script (mongosh), as shipped in the init Job's ConfigMap. */
export const mongoInitScript = readAsset(__dirname, `assets/${INIT_SCRIPT}`);
/** The `prepare` init container's script (key file and TLS files with the modes mongod wants). */
export const mongoPrepareScript = readAsset(__dirname, 'assets/mongodb-prepare.sh');

/**
 * MongoDB on the official image as a replica set of 1, 3, 5 or 7 members, non-root (uid 999) with a
 * read-only root filesystem (writable: /tmp, and the memory-backed /run/mongodb):
 *
 * - mongod with authentication (the members share a key file, `--keyFile`, which an init container
 *   copies from its Secret with mode 0400), `--bind_ip_all`, `--replSet`, data on the retained PVC,
 *   a WiredTiger cache derived from the memory limit ({@link wiredTigerCacheSizeGB}), optional
 *   `--tlsMode requireTLS` with the key and certificate combined by that init container;
 * - an init Job named after a hash of everything it runs with (`<name>-init-<hash>`): mongosh runs
 *   assets/mongodb-init.js, which initiates the replica set when it is not, adds missing members and
 *   creates or updates the application, exporter and backup users with the passwords of their
 *   Secrets. A Job rather than a sidecar or a postStart hook: the users are set once per change, not
 *   once per pod start; it needs no long-running container; a changed input renders a Job of another
 *   name, which runs once (the old one is pruned); it is restricted, has its own pods for a
 *   NetworkPolicy (`initComponent`), and is retry-safe (backoffLimit) because the script converges.
 *   It authenticates as root, which the image creates on member 0's first start;
 * - probes that run `mongosh` ping over the loopback (no credentials needed), a generous startup probe;
 * - a mongodb_exporter sidecar with its own least-privilege user and a ServiceMonitor.
 *
 * Clients take {@link clientEnv} (hosts, replica set, authSource, user, password from its Secret; the
 * URI holds no password) and reach the `mongodb` port; {@link addToGraph} declares the members'
 * and the init Job's flows. With TLS the certificate reaches mongod when a pod starts: after
 * cert-manager renews it (30 days before expiry), restart the StatefulSet within that window.
 */
export class MongoDatabase extends StatefulStore {
  /** The application's database. */
  public readonly database: string;
  public readonly replicaSetName: string;
  /** Database every user authenticates against (`authSource`). */
  public readonly authSource: string;
  /** TLS required on every connection. */
  public readonly tls: boolean;
  /** Secret of the certificate (with `ca.crt`), when TLS is on. */
  public readonly tlsSecretName?: string;
  /** mongod's image (the init Job's and the backups' too: mongosh and the database tools). */
  public readonly image: string;
  public readonly rootUser: MongoUser;
  public readonly appUser: MongoUser;
  public readonly exporterUser?: MongoUser;
  public readonly backupUser?: MongoUser;
  /** `host:port` of every member, comma-separated: the seed list of a connection string. */
  public readonly hostList: string;
  /** `--wiredTigerCacheSizeGB`. */
  public readonly wiredTigerCacheSizeGB: number;
  /** The init Job (`<name>-init-<hash of its inputs>`). */
  public readonly initJob: k8s.KubeJob;
  /** The init Job's pods in the service graph (they connect to the members). */
  public readonly initComponent: GraphComponent;
  /** The cert-manager Certificate, when `tls.issuer` is given. */
  public readonly certificate?: Certificate;

  constructor(scope: Construct, id: string, props: MongoDatabaseProps) {
    const name = props.name ?? 'mongodb';
    validateProps(name, props);
    const replicaSetName = props.replicaSetName ?? 'rs0';
    const cache = wiredTigerCacheSizeGB(props.resources.memoryLimit);
    const tls = props.tls !== undefined;
    // In-pod clients (probes) reach mongod over the loopback: the chain is checked, the name (127.0.0.1) is not.
    const loopbackUri = `mongodb://127.0.0.1:${MONGO_PORT}/admin?directConnection=true&serverSelectionTimeoutMS=5000${
      tls ? `&tls=true&tlsCAFile=${RUN_DIR}/ca.crt&tlsAllowInvalidHostnames=true` : ''
    }`;
    const ping = ['mongosh', '--quiet', '--norc', '--eval', 'db.adminCommand({ ping: 1 }).ok', loopbackUri];

    super(scope, id, {
      namespace: props.namespace,
      name,
      partOf: props.partOf,
      component: 'database',
      ports: { mongodb: MONGO_PORT },
      replicas: props.replicas ?? 1,
      runAs: { user: MONGO_UID },
      dataPath: DATA_PATH,
      storage: props.storage,
      release: props.release,
      helmPrefix: props.helmPrefix,
      spreadAcrossZones: props.spreadAcrossZones,
      podAntiAffinity: props.podAntiAffinity,
      configs: [{ suffix: 'scripts', mountPath: SCRIPTS_DIR, defaultMode: 0o555, files: { 'prepare.sh': mongoPrepareScript } }],
      initContainers: [
        {
          name: 'prepare',
          command: ['sh', `${SCRIPTS_DIR}/prepare.sh`],
          env: {
            MONGODB_INTERNAL_AUTH_FILE: `${SECRETS_DIR}/keyfile/keyfile`,
            MONGODB_RUN_DIR: RUN_DIR,
            ...(tls ? { MONGODB_TLS_SOURCE_DIR: `${SECRETS_DIR}/tls` } : {}),
          },
        },
      ],
      container: {
        image: props.image,
        runAs: { user: MONGO_UID },
        resources: props.resources,
        // The image's entrypoint runs mongod (and, on an empty volume, first creates the root user over localhost).
        args: [
          'mongod',
          '--bind_ip_all',
          '--port',
          String(MONGO_PORT),
          '--dbpath',
          DATA_PATH,
          '--replSet',
          replicaSetName,
          '--keyFile',
          `${RUN_DIR}/keyfile`,
          '--wiredTigerCacheSizeGB',
          String(cache),
          ...(tls
            ? [
                '--tlsMode',
                'requireTLS',
                '--tlsCertificateKeyFile',
                `${RUN_DIR}/server.pem`,
                '--tlsCAFile',
                `${RUN_DIR}/ca.crt`,
                // Clients authenticate with passwords (SCRAM), not certificates; members still present theirs.
                '--tlsAllowConnectionsWithoutCertificates',
              ]
            : []),
        ],
        // mongosh (probes, the entrypoint's first-start setup) writes its logs under $HOME: /tmp, not the data volume.
        env: { MONGO_INITDB_ROOT_USERNAME: props.rootUser.username, HOME: '/tmp' },
        secretEnv: { MONGO_INITDB_ROOT_PASSWORD: props.rootUser.password },
        // mongosh starts a Node.js runtime: allow it time on a small CPU request.
        // Liveness keeps the default period (20s) and threshold (6): the startup probe derives from
        // it, and takes startupSeconds only when they are not set here (workloads/container.ts).
        readiness: { exec: ping, periodSeconds: 10, timeoutSeconds: 10, failureThreshold: 3 },
        liveness: { exec: ping, timeoutSeconds: 10 },
        startupSeconds: props.startupSeconds ?? 600,
        writablePaths: [
          { path: '/tmp', sizeLimit: '64Mi' },
          { path: RUN_DIR, sizeLimit: '1Mi', memory: true },
        ],
      },
      exporter: props.exporter && {
        image: props.exporter.image,
        port: 9216,
        runAs: { user: 65534 },
        resources: props.exporter.resources,
        args: [
          '--collector.diagnosticdata',
          '--collector.replicasetstatus',
          '--compatible-mode',
          '--web.listen-address=:9216',
          '--log.level=warn',
        ],
        // Its own pod's mongod over the loopback: TLS is required, but there is no one to verify on 127.0.0.1.
        env: {
          MONGODB_URI: `mongodb://127.0.0.1:${MONGO_PORT}/admin?directConnection=true${tls ? '&tls=true&tlsInsecure=true' : ''}`,
          MONGODB_USER: props.exporter.user.username,
        },
        secretEnv: { MONGODB_PASSWORD: props.exporter.user.password },
      },
    });

    this.database = props.database;
    this.replicaSetName = replicaSetName;
    this.authSource = MONGO_AUTH_SOURCE;
    this.tls = tls;
    this.tlsSecretName = props.tls?.secretName;
    this.image = props.image;
    this.rootUser = props.rootUser;
    this.appUser = props.appUser;
    this.exporterUser = props.exporter?.user;
    this.backupUser = props.backupUser;
    this.hostList = this.peerHosts.map((h) => `${h}:${MONGO_PORT}`).join(',');
    this.wiredTigerCacheSizeGB = cache;

    this.mountSecretsForPrepare(props);
    if (this.replicas === 1) {
      // A member finds itself in the replica set configuration by its DNS name, also while it starts
      // (not ready yet): with one member StatefulStore publishes only ready addresses.
      this.service.addJsonPatch(JsonPatch.add('/spec/publishNotReadyAddresses', true));
    }
    if (props.tls?.issuer) this.certificate = this.renderCertificate(props.namespace, props.partOf, props.tls.secretName, props.tls.issuer);

    const initName = `${name}-init`;
    this.initComponent = { name: initName, podLabels: selectorLabels({ name: initName, partOf: props.partOf }), ports: {} };
    this.initJob = this.renderInitJob(props, initName);
  }

  /**
   * Environment for a client: `<P>_HOSTS` (the seed list), `<P>_REPLICA_SET`, `<P>_AUTH_SOURCE`,
   * `<P>_DATABASE`, `<P>_TLS` (`true`/`false`), `<P>_URI` (those in a connection string, WITHOUT
   * credentials), `<P>_USERNAME` and `<P>_PASSWORD` (from the user's Secret); with `caPem` and TLS,
   * `<P>_TLS_CA_PEM` from the TLS Secret's `ca.crt`. `<P>` is `MONGO` unless `prefix` says otherwise.
   */
  public clientEnv(user: MongoUser, options: MongoClientEnvOptions = {}): MongoClientEnv {
    const p = options.prefix ?? 'MONGO';
    if (!/^[A-Z][A-Z0-9_]*$/.test(p))
      throw new Error(`MongoDatabase '${this.name}': clientEnv prefix '${p}'; expected upper-case letters, digits and '_', e.g. 'MONGO'`);
    return {
      env: {
        [`${p}_HOSTS`]: this.hostList,
        [`${p}_REPLICA_SET`]: this.replicaSetName,
        [`${p}_AUTH_SOURCE`]: this.authSource,
        [`${p}_DATABASE`]: this.database,
        [`${p}_TLS`]: String(this.tls),
        [`${p}_URI`]: this.uri(),
        [`${p}_USERNAME`]: user.username,
      },
      secretEnv: {
        [`${p}_PASSWORD`]: user.password,
        ...(options.caPem && this.tlsSecretName ? { [`${p}_TLS_CA_PEM`]: { secret: this.tlsSecretName, key: 'ca.crt' } } : {}),
      },
    };
  }

  /**
   * Connection string of the replica set WITHOUT credentials (a driver takes the user and password as
   * options): `mongodb://<members>/<database>?replicaSet=<set>&authSource=admin[&tls=true]`.
   */
  public uri(database: string = this.database): string {
    return `mongodb://${this.hostList}/${database}?replicaSet=${this.replicaSetName}&authSource=${this.authSource}${this.tls ? '&tls=true' : ''}`;
  }

  /**
   * The `source` of a DatabaseBackup with the MongoDB backup engine: this image (its mongodump and
   * mongorestore match the server), uid 999 and {@link clientEnv} of the backup user with the
   * `MONGODB` prefix (and the CA as `MONGODB_TLS_CA_PEM` with TLS).
   */
  public backupSource(): MongoBackupSource {
    if (!this.backupUser)
      throw new Error(
        `MongoDatabase '${this.name}': backupSource() needs backupUser; expected backupUser { username, password } in the props (it gets the roles backup and restore)`,
      );
    return { image: this.image, runAsUser: MONGO_UID, ...this.clientEnv(this.backupUser, { prefix: 'MONGODB', caPem: true }) };
  }

  /**
   * Adds the members and the init Job to a service graph: members talk to each other (replication,
   * heartbeats, and a member resolving itself) and the init Job reaches them, all on the `mongodb`
   * port. Clients are allowed by the stack: `graph.allow(app, mongo, 'mongodb')`.
   */
  public addToGraph(graph: ServiceGraph): void {
    graph.addComponent(this);
    graph.allow(this, this, 'mongodb');
    graph.addComponent(this.initComponent);
    graph.allow(this.initComponent, this, 'mongodb');
  }

  /** The key file's and the TLS Secret's volumes, mounted only in the `prepare` init container (mongod reads its copies). */
  private mountSecretsForPrepare(props: MongoDatabaseProps): void {
    const volumes: k8s.Volume[] = [
      {
        name: 'keyfile-secret',
        secret: { secretName: props.keyFile.secret, defaultMode: 0o400, items: [{ key: props.keyFile.key, path: 'keyfile' }] },
      },
    ];
    const mounts: k8s.VolumeMount[] = [{ name: 'keyfile-secret', mountPath: `${SECRETS_DIR}/keyfile`, readOnly: true }];
    if (props.tls) {
      volumes.push({
        name: 'tls-secret',
        secret: {
          secretName: props.tls.secretName,
          defaultMode: 0o400,
          items: ['tls.crt', 'tls.key', 'ca.crt'].map((key) => ({ key, path: key })),
        },
      });
      mounts.push({ name: 'tls-secret', mountPath: `${SECRETS_DIR}/tls`, readOnly: true });
    }
    // StatefulStore gives init containers the main container's mounts; these two are added to the
    // `prepare` container only (the first init container), so mongod and the exporter never see the Secrets.
    for (const v of volumes) this.statefulSet.addJsonPatch(JsonPatch.add('/spec/template/spec/volumes/-', v));
    for (const m of mounts) this.statefulSet.addJsonPatch(JsonPatch.add('/spec/template/spec/initContainers/0/volumeMounts/-', m));
  }

  private renderCertificate(namespace: string, partOf: string, secretName: string, issuer: MongoTlsIssuer): Certificate {
    return new Certificate(this, 'certificate', {
      metadata: { name: secretName, namespace, labels: componentLabels({ name: this.name, partOf, component: 'database' }) },
      spec: {
        secretName,
        issuerRef: { name: issuer.name, kind: issuer.kind ?? 'ClusterIssuer', group: 'cert-manager.io' },
        // No commonName: it is limited to 64 characters, and clients check the DNS names.
        dnsNames: [this.name, `${this.name}.${namespace}`, `${this.name}.${namespace}.svc`, this.host, `*.${this.host}`, 'localhost'],
        ipAddresses: ['127.0.0.1'],
        // Members present it to each other: client auth as well as server auth.
        usages: [
          CertificateSpecUsages.SERVER_AUTH,
          CertificateSpecUsages.CLIENT_AUTH,
          CertificateSpecUsages.DIGITAL_SIGNATURE,
          CertificateSpecUsages.KEY_ENCIPHERMENT,
        ],
        duration: '2160h',
        renewBefore: '720h',
        privateKey: {
          algorithm: CertificateSpecPrivateKeyAlgorithm.ECDSA,
          size: 256,
          rotationPolicy: CertificateSpecPrivateKeyRotationPolicy.ALWAYS,
        },
      },
    });
  }

  /** The init Job: mongosh `replica-set` against member 0 (init container), then `users` against the replica set. */
  private renderInitJob(props: MongoDatabaseProps, initName: string): k8s.KubeJob {
    const identity = { name: initName, partOf: props.partOf, component: 'database-init' };
    const labels = componentLabels(identity);
    const tlsOptions = this.tls ? `&tls=true&tlsCAFile=${JOB_CA_DIR}/ca.crt` : '';
    const env: Record<string, string> = {
      HOME: '/tmp',
      MONGO_REPLICA_SET: this.replicaSetName,
      MONGO_MEMBERS: this.hostList,
      MONGO_ROOT_USERNAME: props.rootUser.username,
      MONGO_APP_DATABASE: props.database,
      MONGO_APP_USERNAME: props.appUser.username,
      ...(props.exporter ? { MONGO_EXPORTER_USERNAME: props.exporter.user.username } : {}),
      ...(props.backupUser ? { MONGO_BACKUP_USERNAME: props.backupUser.username } : {}),
      ...(this.tls ? { MONGO_PEER_URI_OPTIONS: tlsOptions.slice(1) } : {}),
    };
    const secretEnv: Record<string, SecretKeyRef> = {
      MONGO_ROOT_PASSWORD: props.rootUser.password,
      MONGO_APP_PASSWORD: props.appUser.password,
      ...(props.exporter ? { MONGO_EXPORTER_PASSWORD: props.exporter.user.password } : {}),
      ...(props.backupUser ? { MONGO_BACKUP_PASSWORD: props.backupUser.password } : {}),
    };
    const mounts: k8s.VolumeMount[] = [
      { name: 'scripts', mountPath: JOB_SCRIPTS_DIR, readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
      ...(this.tls ? [{ name: 'ca', mountPath: JOB_CA_DIR, readOnly: true }] : []),
    ];
    const step = (stepName: 'replica-set' | 'users', uri: string): k8s.Container =>
      renderContainer({
        name: stepName,
        image: props.image,
        runAs: { user: MONGO_UID },
        resources: props.initResources ?? DEFAULT_INIT_RESOURCES,
        // The URI holds no credentials: the script authenticates with the root password from the environment.
        command: ['mongosh', '--quiet', '--norc', uri, '--file', `${JOB_SCRIPTS_DIR}/${INIT_SCRIPT}`],
        env: { ...env, MONGO_INIT_STEP: stepName },
        secretEnv,
        volumeMounts: mounts,
      });
    const member0 = `mongodb://${this.hostList.split(',')[0]}/admin?directConnection=true&serverSelectionTimeoutMS=30000${tlsOptions}`;
    const replicaSet = `mongodb://${this.hostList}/admin?replicaSet=${this.replicaSetName}&serverSelectionTimeoutMS=120000${tlsOptions}`;

    const template = renderPodTemplate({
      labels,
      selector: this.initComponent.podLabels,
      runAs: { user: MONGO_UID },
      initContainers: [step('replica-set', member0)],
      containers: [step('users', replicaSet)],
      volumes: [
        { name: 'scripts', configMap: { name: initName, defaultMode: 0o444 } },
        { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } },
        ...(this.tls
          ? [{ name: 'ca', secret: { secretName: this.tlsSecretName!, defaultMode: 0o444, items: [{ key: 'ca.crt', path: 'ca.crt' }] } }]
          : []),
      ],
      restartPolicy: 'Never',
    });
    new k8s.KubeConfigMap(this, 'init-script', {
      metadata: { name: initName, namespace: props.namespace, labels },
      data: { [INIT_SCRIPT]: mongoInitScript },
    });
    // A new name whenever the script or anything the pod runs with changes: the Job runs again once.
    const hash = createHash('sha256')
      .update(JSON.stringify({ script: mongoInitScript, template }))
      .digest('hex')
      .slice(0, 10);
    return new k8s.KubeJob(this, 'init-job', {
      metadata: { name: `${initName}-${hash}`, namespace: props.namespace, labels },
      spec: {
        // Retry-safe: the script converges. Early attempts fail while the members start.
        backoffLimit: 10,
        activeDeadlineSeconds: 3600,
        template,
      },
    });
  }
}

function validateProps(name: string, p: MongoDatabaseProps): void {
  const where = `MongoDatabase '${name}'`;
  if (name.length > MAX_NAME_LENGTH)
    throw new Error(
      `${where}: name has ${name.length} characters; expected at most ${MAX_NAME_LENGTH} (the init Job '<name>-init-<hash>' must fit a 63-character label)`,
    );
  const replicas = p.replicas ?? 1;
  if (!MONGO_REPLICA_SET_SIZES.includes(replicas))
    throw new Error(
      `${where}: replicas ${replicas}; expected ${MONGO_REPLICA_SET_SIZES.slice(0, -1).join(', ')} or ${MONGO_REPLICA_SET_SIZES.at(-1)} ` +
        '(an odd number of members: with an even number, losing half of them leaves no majority, so no primary)',
    );
  expectFormat(where, 'database', p.database, mongoDatabaseName);
  expectFormat(where, 'replicaSetName', p.replicaSetName ?? 'rs0', mongoReplicaSetName);

  const users: Array<[string, MongoUser | undefined]> = [
    ['rootUser', p.rootUser],
    ['appUser', p.appUser],
    ['exporter.user', p.exporter?.user],
    ['backupUser', p.backupUser],
  ];
  const seen = new Map<string, string>();
  for (const [field, user] of users) {
    if (!user) continue;
    expectFormat(where, `${field}.username`, user.username, mongoUserName);
    const other = seen.get(user.username);
    if (other !== undefined)
      throw new Error(`${where}: ${field}.username '${user.username}' is also ${other}.username; expected a user of its own for each role`);
    seen.set(user.username, field);
  }

  if (!memory.test(p.resources.memoryLimit) || memoryBytes(p.resources.memoryLimit) < memoryBytes(MIN_MEMORY_LIMIT))
    throw new Error(
      `${where}: resources.memoryLimit '${p.resources.memoryLimit}'; expected a memory quantity of at least ${MIN_MEMORY_LIMIT} ` +
        '(the WiredTiger cache alone takes 0.25 GiB at least)',
    );
  if (p.startupSeconds !== undefined && (!Number.isInteger(p.startupSeconds) || p.startupSeconds < 1))
    throw new Error(`${where}: startupSeconds ${p.startupSeconds}; expected an integer >= 1`);
  if (p.tls) {
    expectFormat(where, 'tls.secretName', p.tls.secretName, dnsSubdomain);
    const issuer = p.tls.issuer;
    if (issuer) expectFormat(where, 'tls.issuer.name', issuer.name, dnsSubdomain);
    if (issuer?.kind !== undefined && issuer.kind !== 'ClusterIssuer' && issuer.kind !== 'Issuer')
      throw new Error(`${where}: tls.issuer.kind '${issuer.kind as string}'; expected 'ClusterIssuer' or 'Issuer'`);
  }
}

/** Throws `<where>: <field> '<value>'; expected <what the format allows>` unless the value has the format. */
function expectFormat(where: string, field: string, value: string, format: Format): void {
  if (format.test(value)) return;
  throw new Error(`${where}: ${field} '${String(value)}'; expected ${format.expected}`);
}
