import { createHash } from 'crypto';
import { ApiObject, JsonPatch } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import {
  Certificate,
  CertificateSpecPrivateKeyAlgorithm,
  CertificateSpecPrivateKeyRotationPolicy,
  CertificateSpecUsages,
} from '../../../imports/cert-manager.io';
import { cron, dnsSubdomain } from '../../core/formats';
import { componentLabels, selectorLabels } from '../../core/labels';
import { HelmValues } from '../../output/helm';
import { GraphComponent, ServiceGraph } from '../network/service-graph';
import { renderContainer, ResourceSpec, SecretKeyRef, validateResources } from '../workloads/container';
import { renderPodTemplate } from '../workloads/pod-template';
import { VALUE_SCHEMAS } from '../workloads/workload-values';
import type { PostgresWalArchiveHook } from '../backup/wal-archive';
import { PostgresRoleAccess, PostgresRowLevelSecuritySpec, renderInitScript, renderPgHba, renderPostgresqlConf } from './postgres-config';
import { derivePostgresMemorySettings, POSTGRES_DEFAULT_MAX_CONNECTIONS } from './postgres-memory';
import { PostgresStandby, PostgresStandbyProps, standbyPrimarySettings, standbyReplicationSpec } from './postgres-replication';
import { PostgresExporterSource, postgresExporterSidecar, postgresServerHealth } from './postgres-server-pod';
import { StatefulStore, StorageSpec } from './stateful-store';

/** A database role created at initialization. */
export interface PostgresRole {
  /** Role name (SQL identifier). */
  readonly name: string;
  /** What the role may do: `owner` owns the schemas (migrations), `readwrite` CRUD, `readonly` SELECT, `monitor` pg_monitor. */
  readonly access: PostgresRoleAccess;
  /** Maximum concurrent connections (-1 = unlimited). */
  readonly connectionLimit: number;
  /** Where its password is. */
  readonly password: SecretKeyRef;
}

/** The cert-manager issuer that signs a PostgresDatabase's server certificate. */
export interface PostgresTlsIssuer {
  /** Issuer name. */
  readonly name: string;
  /** @default 'Issuer' (a namespace CA, see NamespaceCaIssuer) */
  readonly kind?: 'Issuer' | 'ClusterIssuer';
}

/** TLS on every TCP connection to a PostgresDatabase. */
export interface PostgresTlsProps {
  /**
   * Issuer of the server certificate, a CA issuer (NamespaceCaIssuer's `issuerRef`): an ACME issuer
   * cannot certify cluster-internal names, and clients verify against the `ca.crt` it writes.
   */
  readonly issuer: PostgresTlsIssuer;
  /** Secret the Certificate writes (`tls.crt`, `tls.key`, `ca.crt`); the Certificate has the same name. @default '<name>-tls' */
  readonly secretName?: string;
}

/**
 * What a client of a TLS PostgresDatabase needs to connect with `sslmode=verify-full`: the CA from
 * the certificate's Secret (`ca.crt` only, never the key) mounted at {@link caPath}, libpq's
 * variables, and the URL parameters for JDBC (pgjdbc reads `sslmode` and `sslrootcert` from the URL,
 * not from the environment). Connect to {@link PostgresDatabase.host}: it is among the certificate's names.
 */
export interface PostgresClientTls {
  readonly sslMode: 'verify-full';
  /** The Secret holding `ca.crt`. */
  readonly secretName: string;
  /** Directory the CA is mounted in. */
  readonly mountPath: string;
  /** The CA file in the client container (`<mountPath>/ca.crt`). */
  readonly caPath: string;
  /** `PGSSLMODE=verify-full` and `PGSSLROOTCERT=<caPath>` (libpq: psql, pg_dump, PHP pgsql, psycopg). */
  readonly libpqEnv: Readonly<Record<string, string>>;
  /** `sslmode=verify-full&sslrootcert=<caPath>`, for a JDBC or libpq URL. */
  readonly urlParameters: string;
  /** The pod volume with `ca.crt` (mode 0444: a certificate is public). */
  readonly volume: k8s.Volume;
  /** The container's mount of {@link volume}. */
  readonly volumeMount: k8s.VolumeMount;
  /** The same CA mount as a WebService `secretFiles` entry. */
  readonly secretFiles: { readonly path: string; readonly secretName: string; readonly keys: readonly string[] };
}

export interface PostgresDatabaseProps {
  readonly namespace: string;
  /** @default 'postgres' */
  readonly name?: string;
  readonly partOf: string;
  /** Official `postgres` image (Debian variant), pinned. */
  readonly image: string;
  /** Database created at initialization. */
  readonly database: string;
  /** Password of the `postgres` superuser. */
  readonly superuserPassword: SecretKeyRef;
  readonly schemas: readonly string[];
  /** Extensions created in the database (pg_stat_statements is preloaded automatically). @default [] */
  readonly extensions?: readonly string[];
  readonly roles: readonly PostgresRole[];
  /**
   * Row-level security scaffolding: a tenant setting, `public.current_tenant_id()` and an event
   * trigger that puts every table with the tenant column under a FORCEd `tenant_isolation` policy
   * (see {@link PostgresRowLevelSecuritySpec}).
   * @default - no row-level security scaffolding
   */
  readonly rowLevelSecurity?: PostgresRowLevelSecuritySpec;
  /**
   * postgresql.conf settings (tuning). `shared_buffers`, `effective_cache_size`,
   * `maintenance_work_mem` and `work_mem` default to {@link derivePostgresMemorySettings} of
   * `resources.memoryLimit` and `max_connections`; a setting given here overrides its derived value.
   */
  readonly settings: Readonly<Record<string, string | number | boolean>>;
  /**
   * TLS: a cert-manager Certificate for the Service names, `ssl = on` (TLS 1.2 or newer), and a
   * pg_hba that rejects TCP without TLS (`hostnossl ... reject`, then `hostssl` rows). The exporter
   * and the reconcile pods connect with `sslmode=verify-full`; clients use {@link PostgresDatabase.clientTls}.
   * @default - no TLS (plain TCP with SCRAM)
   */
  readonly tls?: PostgresTlsProps;
  /** Client networks allowed by pg_hba (SCRAM-SHA-256). @default RFC 1918 ranges */
  readonly allowedCidrs?: readonly string[];
  readonly resources: ResourceSpec;
  readonly storage: StorageSpec;
  /** postgres-exporter sidecar. @default - no exporter */
  readonly exporter?: {
    readonly image: string;
    /** Role (with access `monitor`) the exporter connects as. */
    readonly role: string;
    readonly resources: ResourceSpec;
  };
  readonly release?: string;
  /** Seconds allowed for first initialization or crash recovery. @default 300 */
  readonly startupSeconds?: number;
  /** @default - name */
  readonly helmPrefix?: string;
  /**
   * The reconcile step, which re-applies the init SQL (roles, passwords, connection limits,
   * schemas, extensions, grants) to the running database with the current Secrets.
   * @default - schedule every 15 minutes, 50m CPU / 64Mi requested, 128Mi limit
   */
  readonly reconcile?: PostgresReconcileProps;
  /**
   * A hot standby in another zone, streaming from this primary (see {@link PostgresStandby}): a
   * replication role and slot, `<name>-replica`, the read-only Service `<name>-ro`, the suspended
   * promotion CronJob `<name>-promote`, and a PodDisruptionBudget that blocks a drain of the
   * primary's node until the operator fails over. Requires `tls` (the replication stream and its
   * password cross zones).
   * @default - no standby (a single server)
   */
  readonly standby?: PostgresStandbyProps;
  /**
   * Continuous WAL archiving ({@link WalArchive}'s `hook`): its archive settings join
   * postgresql.conf (given in `settings` as well, they are an error), the pod gets its spool, scripts,
   * `wal-ship` sidecar and service account, and pg_hba lets the superuser open replication
   * connections (the physical base backups of point-in-time recovery run `pg_basebackup` as it).
   * @default - no WAL archiving
   */
  readonly walArchive?: PostgresWalArchiveHook;
}

/** The reconcile Job and CronJob of a {@link PostgresDatabase}. */
export interface PostgresReconcileProps {
  /**
   * When the CronJob re-applies the SQL, so a password rotated in the secrets backend (an
   * ExternalSecret refresh changes the Secret, not the manifests) reaches the database.
   * @default - every 15 minutes
   */
  readonly schedule?: string;
  /** @default - 50m CPU and 64Mi requested, 128Mi limit */
  readonly resources?: ResourceSpec;
}

/**
 * What a {@link PostgresDatabase} declares, as given (read-only; for tests and tooling that check
 * a running database against its construct). The rendered manifests are derived from the same props.
 */
export interface PostgresDatabaseDeclaration {
  /** Database created at initialization. */
  readonly database: string;
  readonly schemas: readonly string[];
  /** Extensions created by the init script (as declared; pg_stat_statements is also preloaded). */
  readonly extensions: readonly string[];
  /** Login roles with their access level, connection limit and password Secret. */
  readonly roles: readonly PostgresRole[];
  /** Row-level security scaffolding, when declared. */
  readonly rowLevelSecurity?: PostgresRowLevelSecuritySpec;
}

/** Environment variables that carry a client's pool bounds (its app reads them into its pool). */
export interface PoolEnvNames {
  /** Maximum connections of the pool per pod. */
  readonly maxSize: string;
  /** Connections the pool keeps open while idle. */
  readonly minIdle: string;
}

/**
 * Pool variables of an app that builds its pool in code (e.g. a HikariConfig in a Ktor service,
 * which reads no framework property): named after what they set, with the `DB_` prefix of the
 * app's other database variables (`DB_HOST`, `DB_USERNAME`...).
 */
export const DB_POOL_ENV: PoolEnvNames = Object.freeze({ maxSize: 'DB_POOL_MAX_SIZE', minIdle: 'DB_POOL_MIN_IDLE' });

/** How a workload connects to a {@link PostgresDatabase} (see {@link PostgresDatabase.client}). */
export interface PostgresClientOptions {
  /** Role it logs in as: one of the database's roles. */
  readonly role: string;
  /** Maximum connections of its pool, per pod. */
  readonly poolSize: number;
  /** Connections its pool keeps open while idle, per pod (0..poolSize). */
  readonly minIdle: number;
  /** Variables that carry the two numbers. @default DB_POOL_ENV */
  readonly env?: PoolEnvNames;
  /** Container that connects. @default - the first container of the pod template */
  readonly container?: string;
}

/** A connection budget entry outside the login roles' limits (superuser sessions, reserved slots). */
export interface ReservedConnections {
  /** What holds them, e.g. `superuser_reserved_connections` or `postgres-backup`. */
  readonly what: string;
  readonly connections: number;
}

/**
 * What the connection-budget check needs of a database: its `max_connections`, the roles'
 * limits, the connections outside them, and which workloads connect with which role (the numbers
 * of the clients, replicas and pool sizes, are read from the rendered objects).
 */
export interface PostgresConnectionBudget {
  readonly namespace: string;
  /** The database's StatefulSet (and Service) name. */
  readonly name: string;
  readonly maxConnections: number;
  /** Role name -> connection limit (-1 = unlimited). */
  readonly roles: Readonly<Record<string, number>>;
  readonly reserved: readonly ReservedConnections[];
  readonly clients: ReadonlyArray<{
    /** Kind and name of the workload, in the database's namespace. */
    readonly kind: string;
    readonly name: string;
    readonly container: string;
    readonly role: string;
    readonly env: PoolEnvNames;
  }>;
}

/**
 * Connections the reconcile step may hold at once: its Job (after a change) and its CronJob
 * (rotated passwords) can run at the same time, one psql session each.
 */
const RECONCILE_CONNECTIONS = 2;
/** PostgreSQL's `superuser_reserved_connections` when postgresql.conf does not set it. */
const DEFAULT_SUPERUSER_RESERVED = 3;

const PG_UID = 999; // `postgres` in the official Debian image
/** Where the server's certificate, key and CA are mounted (postgres container only). */
const SERVER_TLS_DIR = '/etc/postgresql/tls';
/** Where clients (exporter, reconcile, backups, apps) get the CA. */
const CLIENT_CA_DIR = '/etc/postgresql-ca';
/** postgresql.conf settings the `tls` prop sets; given in `settings` as well, they are an error. */
const TLS_SETTINGS: Readonly<Record<string, string | boolean>> = {
  ssl: true,
  ssl_cert_file: `${SERVER_TLS_DIR}/tls.crt`,
  ssl_key_file: `${SERVER_TLS_DIR}/tls.key`,
  ssl_ca_file: `${SERVER_TLS_DIR}/ca.crt`,
  ssl_min_protocol_version: 'TLSv1.2',
};
const INIT_SCRIPT = '10-init-database.sh';
/** Environment variable that carries the replication role's password to the init script (with `standby`). */
export const REPLICATION_PASSWORD_ENV = 'PG_REPLICATION_PASSWORD';
const RECONCILE_SCRIPTS_DIR = '/scripts';
const DEFAULT_RECONCILE: Required<PostgresReconcileProps> = {
  schedule: '*/15 * * * *',
  resources: { cpuRequest: '50m', memoryRequest: '64Mi', memoryLimit: '128Mi' },
};

/** Environment variable that carries a role's password to the init script. */
export function rolePasswordEnv(role: string): string {
  return `PG_ROLE_${role.toUpperCase()}_PASSWORD`;
}

/**
 * PostgreSQL on the official image, non-root (uid 999) with a read-only root fs:
 * tuned postgresql.conf, SCRAM-only pg_hba, an init script that creates schemas,
 * extensions and least-privilege roles (passwords from Secrets, never rendered),
 * data checksums, `pg_isready` probes and a postgres-exporter sidecar.
 *
 * The image runs the init script only on an empty data directory, so the database also gets a
 * reconcile step that runs the same idempotent script against the running server (over TCP, as
 * the superuser, with the role passwords of the Secrets as they are now):
 * - a Job named after a hash of everything it runs with (`<name>-reconcile-<hash>`): a changed
 *   role, connection limit, schema or extension renders a Job of another name, which runs once;
 *   it is also an Argo CD Sync hook and a Helm post-install/post-upgrade hook;
 * - a CronJob (`<name>-reconcile`, every 15 minutes by default): a password rotated in the
 *   secrets backend changes the Secret but not the manifests, and reaches the database there.
 * Both are restricted pods with their own graph component ({@link reconcileComponent}), allowed
 * to reach only this database ({@link addToGraph}). Data is never touched: the script creates
 * what is missing and alters roles and grants, it drops nothing.
 */
export class PostgresDatabase extends StatefulStore {
  public readonly database: string;
  public readonly superuserPassword: SecretKeyRef;
  /** What this database declares (schemas, extensions, roles, row-level security); does not affect the output. */
  public readonly declaration: PostgresDatabaseDeclaration;
  /** The reconcile Job (`<name>-reconcile-<hash of its inputs>`). */
  public readonly reconcileJob: k8s.KubeJob;
  /** The reconcile CronJob (`<name>-reconcile`), for rotated passwords. */
  public readonly reconcileCronJob: k8s.KubeCronJob;
  /** The reconcile pods in the service graph (they connect to the database). */
  public readonly reconcileComponent: GraphComponent;
  /** `max_connections` of the server (the settings' value, else PostgreSQL's default 100). */
  public readonly maxConnections: number;
  private readonly roleLimits: Readonly<Record<string, number>>;
  private readonly reserved: ReservedConnections[] = [];
  private readonly clients: Array<PostgresConnectionBudget['clients'][number]> = [];
  /** What clients need to connect with `sslmode=verify-full`, when `tls` is set. */
  public readonly clientTls?: PostgresClientTls;
  /** The server's cert-manager Certificate, when `tls` is set. */
  public readonly certificate?: Certificate;
  /** The streaming standby, when `standby` is set. */
  public readonly standby?: PostgresStandby;

  constructor(scope: Construct, id: string, props: PostgresDatabaseProps) {
    const name = props.name ?? 'postgres';
    const extensions = props.extensions ?? [];
    const roleNames = props.roles.map((r) => r.name);
    if (new Set(roleNames).size !== roleNames.length)
      throw new Error(`PostgresDatabase '${name}': roles ${JSON.stringify(roleNames)} contain duplicates; expected unique role names`);
    const exporterRole = props.exporter ? props.roles.find((r) => r.name === props.exporter!.role) : undefined;
    if (props.exporter && exporterRole?.access !== 'monitor') {
      throw new Error(
        `PostgresDatabase '${name}': exporter.role '${props.exporter.role}'; expected the name of a role with access 'monitor' (roles: ${roleNames.join(', ')})`,
      );
    }
    const maxConnections = settingInteger(name, props.settings, 'max_connections', POSTGRES_DEFAULT_MAX_CONNECTIONS, 1);
    let derived: Record<string, string>;
    try {
      derived = { ...derivePostgresMemorySettings(props.resources.memoryLimit, maxConnections) };
    } catch (e) {
      throw new Error(`PostgresDatabase '${name}': resources.${(e as Error).message.replace(/^postgres memory settings: /, '')}`, {
        cause: e,
      });
    }
    const settings: Record<string, string | number | boolean> = { ...derived, ...props.settings };
    if (extensions.includes('pg_stat_statements')) {
      const preload = String(settings.shared_preload_libraries ?? '')
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
      if (!preload.includes('pg_stat_statements')) preload.push('pg_stat_statements');
      settings.shared_preload_libraries = preload.join(',');
    }
    if (props.standby) {
      if (!props.tls)
        throw new Error(
          `PostgresDatabase '${name}': standby is set without tls; expected tls as well (the replication stream and the replication password cross zones)`,
        );
      Object.assign(settings, standbyPrimarySettings(`PostgresDatabase '${name}'`, props.standby, props.storage.size, props.settings));
    }
    if (props.tls) {
      for (const key of Object.keys(TLS_SETTINGS)) {
        if (key in props.settings)
          throw new Error(
            `PostgresDatabase '${name}': settings.${key} ${JSON.stringify(props.settings[key])}; expected it unset with tls (tls sets ${key} = ${JSON.stringify(TLS_SETTINGS[key])})`,
          );
      }
      Object.assign(settings, TLS_SETTINGS);
    }
    if (props.walArchive) {
      for (const key of Object.keys(props.walArchive.settings)) {
        if (key in props.settings)
          throw new Error(
            `PostgresDatabase '${name}': settings.${key} ${JSON.stringify(props.settings[key])}; expected it unset with walArchive (walArchive sets ${key} = ${JSON.stringify(props.walArchive.settings[key])})`,
          );
      }
      Object.assign(settings, props.walArchive.settings);
    }
    const tlsSecretName = props.tls ? (props.tls.secretName ?? `${name}-tls`) : undefined;
    if (tlsSecretName !== undefined && !dnsSubdomain.test(tlsSecretName))
      throw new Error(`PostgresDatabase '${name}': tls.secretName '${tlsSecretName}'; expected ${dnsSubdomain.expected}`);
    if (props.tls && !['Issuer', 'ClusterIssuer', undefined].includes(props.tls.issuer.kind))
      throw new Error(`PostgresDatabase '${name}': tls.issuer.kind '${props.tls.issuer.kind}'; expected 'Issuer' or 'ClusterIssuer'`);
    const clientTls = tlsSecretName ? postgresClientTls(tlsSecretName) : undefined;
    const port = Number(settings.port ?? 5432);
    let initScript: string;
    try {
      initScript = renderInitScript({
        schemas: [...props.schemas],
        extensions: [...extensions],
        roles: props.roles.map((r) => ({
          name: r.name,
          access: r.access,
          connectionLimit: r.connectionLimit,
          passwordEnv: rolePasswordEnv(r.name),
        })),
        ...(props.rowLevelSecurity
          ? {
              rowLevelSecurity: {
                ...props.rowLevelSecurity,
                ...(props.rowLevelSecurity.schemas ? { schemas: [...props.rowLevelSecurity.schemas] } : {}),
              },
            }
          : {}),
        ...(props.standby ? { replication: standbyReplicationSpec(name, props.standby, REPLICATION_PASSWORD_ENV) } : {}),
      });
    } catch (e) {
      throw new Error(`PostgresDatabase '${name}': ${(e as Error).message}`, { cause: e });
    }
    const postgresqlConf = renderPostgresqlConf(settings);
    const pgHba = renderPgHba({
      allowedCidrs: [...(props.allowedCidrs ?? ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'])],
      requireTls: props.tls !== undefined,
      // The standby's role streams and clones; the superuser takes point-in-time recovery's base backups.
      replicationRoles: [
        ...(props.standby ? [standbyReplicationSpec(name, props.standby, REPLICATION_PASSWORD_ENV).role] : []),
        ...(props.walArchive ? ['postgres'] : []),
      ],
    });
    const exporterUri = `127.0.0.1:${port}/${props.database}?${clientTls ? clientTls.urlParameters : 'sslmode=disable'}`;
    // Its own pod's server over the loopback; with TLS verified against 127.0.0.1, a name of the certificate.
    const exporterSource: PostgresExporterSource | undefined = props.exporter && {
      image: props.exporter.image,
      role: props.exporter.role,
      password: exporterRole!.password,
      resources: props.exporter.resources,
      dataSourceUri: exporterUri,
    };

    super(scope, id, {
      namespace: props.namespace,
      name,
      partOf: props.partOf,
      component: 'database',
      ports: { postgres: port },
      runAs: { user: PG_UID },
      dataPath: '/var/lib/postgresql/data',
      storage: props.storage,
      shmSize: '256Mi',
      release: props.release,
      ...(props.walArchive
        ? {
            sidecars: props.walArchive.sidecars,
            extraVolumes: props.walArchive.volumes,
            extraMounts: props.walArchive.mounts,
            serviceAccountName: props.walArchive.serviceAccountName,
          }
        : {}),
      helmPrefix: props.helmPrefix,
      configs: [
        {
          suffix: 'config',
          mountPath: '/etc/postgresql',
          files: { 'postgresql.conf': postgresqlConf, 'pg_hba.conf': pgHba },
        },
        {
          suffix: 'init',
          mountPath: '/docker-entrypoint-initdb.d',
          defaultMode: 0o555,
          files: {
            [INIT_SCRIPT]: initScript,
          },
        },
      ],
      // The key as root:999 mode 0440 (fsGroup 999): PostgreSQL accepts a key owned by root that is
      // readable by its group and no one else. The exporter sees only the CA.
      ...(tlsSecretName
        ? {
            secretFiles: [
              {
                volume: 'tls',
                secretName: tlsSecretName,
                keys: ['tls.crt', 'tls.key', 'ca.crt'],
                mountPath: SERVER_TLS_DIR,
                containers: ['main'],
              },
              ...(props.exporter
                ? [
                    {
                      volume: 'tls-ca',
                      secretName: tlsSecretName,
                      keys: ['ca.crt'],
                      mountPath: CLIENT_CA_DIR,
                      defaultMode: 0o444,
                      containers: ['exporter'],
                    } as const,
                  ]
                : []),
            ],
          }
        : {}),
      container: {
        image: props.image,
        runAs: { user: PG_UID },
        resources: props.resources,
        args: ['postgres', '-c', 'config_file=/etc/postgresql/postgresql.conf', '-c', 'hba_file=/etc/postgresql/pg_hba.conf'],
        env: {
          POSTGRES_USER: 'postgres',
          POSTGRES_DB: props.database,
          PGDATA: '/var/lib/postgresql/data/pgdata',
          POSTGRES_INITDB_ARGS: '--data-checksums --auth-local=peer --auth-host=scram-sha-256',
        },
        secretEnv: {
          POSTGRES_PASSWORD: props.superuserPassword,
          ...Object.fromEntries(props.roles.map((r) => [rolePasswordEnv(r.name), r.password])),
          ...(props.standby ? { [REPLICATION_PASSWORD_ENV]: props.standby.replicationPassword } : {}),
        },
        ...postgresServerHealth(port, props.database),
        startupSeconds: props.startupSeconds ?? 300,
      },
      exporter: exporterSource && postgresExporterSidecar(exporterSource),
    });
    this.database = props.database;
    this.superuserPassword = props.superuserPassword;
    this.maxConnections = maxConnections;
    this.roleLimits = Object.fromEntries(props.roles.map((r) => [r.name, r.connectionLimit]));
    const superuserReserved = settingInteger(name, props.settings, 'superuser_reserved_connections', DEFAULT_SUPERUSER_RESERVED, 0);
    const reservedConnections = settingInteger(name, props.settings, 'reserved_connections', 0, 0);
    this.reserved.push({ what: 'superuser_reserved_connections', connections: superuserReserved });
    if (reservedConnections > 0) this.reserved.push({ what: 'reserved_connections', connections: reservedConnections });
    this.reserved.push({ what: `${name}-reconcile (Job and CronJob, superuser)`, connections: RECONCILE_CONNECTIONS });
    this.clientTls = clientTls;
    if (props.standby && tlsSecretName) {
      this.standby = new PostgresStandby(
        this,
        'standby',
        {
          namespace: props.namespace,
          name,
          partOf: props.partOf,
          image: props.image,
          database: props.database,
          port,
          host: this.host,
          podLabels: this.podLabels,
          postgresqlConf,
          pgHba,
          superuserPassword: props.superuserPassword,
          tlsSecretName,
          serverTlsDir: SERVER_TLS_DIR,
          clientCaDir: CLIENT_CA_DIR,
          uid: PG_UID,
          resources: props.resources,
          storage: props.storage,
          ...(props.walArchive ? { walArchive: props.walArchive } : {}),
          ...(exporterSource ? { exporter: exporterSource } : {}),
          release: props.release,
          helmPrefix: props.helmPrefix ?? name,
          startupSeconds: props.startupSeconds ?? 300,
        },
        props.standby,
      );
      // The promotion Job's fencing check opens one superuser session on the primary.
      this.reserved.push({ what: `${name}-promote (fencing check, superuser)`, connections: 1 });
    }
    if (props.tls && tlsSecretName) this.certificate = this.renderCertificate(props, name, tlsSecretName);
    this.declaration = Object.freeze({
      database: props.database,
      schemas: Object.freeze([...props.schemas]),
      extensions: Object.freeze([...extensions]),
      roles: Object.freeze(props.roles.map((r) => Object.freeze({ ...r }))),
      ...(props.rowLevelSecurity ? { rowLevelSecurity: Object.freeze({ ...props.rowLevelSecurity }) } : {}),
    });

    const reconcile = { ...DEFAULT_RECONCILE, ...props.reconcile };
    const where = `PostgresDatabase '${name}'`;
    if (!cron.test(reconcile.schedule)) {
      throw new Error(`${where}: reconcile.schedule '${reconcile.schedule}'; expected ${cron.expected}`);
    }
    validateResources(`${where}: reconcile.resources`, reconcile.resources);
    const reconcileName = `${name}-reconcile`;
    this.reconcileComponent = {
      name: reconcileName,
      podLabels: selectorLabels({ name: reconcileName, partOf: props.partOf }),
      ports: {},
    };
    const labels = componentLabels({ name: reconcileName, partOf: props.partOf, component: 'database-reconcile' });
    const template = renderPodTemplate({
      labels,
      selector: this.reconcileComponent.podLabels,
      runAs: { user: PG_UID },
      containers: [
        renderContainer({
          name: 'reconcile',
          image: props.image,
          runAs: { user: PG_UID },
          resources: reconcile.resources,
          command: ['bash', `${RECONCILE_SCRIPTS_DIR}/${INIT_SCRIPT}`],
          env: {
            POSTGRES_USER: 'postgres',
            POSTGRES_DB: props.database,
            PGHOST: this.host,
            PGPORT: String(port),
            PGCONNECT_TIMEOUT: '10',
            PGAPPNAME: reconcileName,
            HOME: '/tmp',
            ...clientTls?.libpqEnv,
          },
          secretEnv: {
            PGPASSWORD: props.superuserPassword,
            ...Object.fromEntries(props.roles.map((r) => [rolePasswordEnv(r.name), r.password])),
            ...(props.standby ? { [REPLICATION_PASSWORD_ENV]: props.standby.replicationPassword } : {}),
          },
          volumeMounts: [
            { name: 'scripts', mountPath: RECONCILE_SCRIPTS_DIR, readOnly: true },
            { name: 'tmp', mountPath: '/tmp' },
            ...(clientTls ? [clientTls.volumeMount] : []),
          ],
        }),
      ],
      volumes: [
        { name: 'scripts', configMap: { name: `${name}-init`, defaultMode: 0o555 } },
        { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('16Mi') } },
        ...(clientTls ? [clientTls.volume] : []),
      ],
      restartPolicy: 'Never',
    });
    // Retry-safe (the script converges); the first attempts fail while the server starts.
    const jobSpec = { backoffLimit: 10, activeDeadlineSeconds: 1800, ttlSecondsAfterFinished: 86400, template };
    const hash = createHash('sha256')
      .update(JSON.stringify({ script: initScript, template }))
      .digest('hex')
      .slice(0, 10);
    this.reconcileJob = new k8s.KubeJob(this, 'reconcile-job', {
      metadata: {
        name: `${reconcileName}-${hash}`,
        namespace: props.namespace,
        labels,
        annotations: {
          'argocd.argoproj.io/hook': 'Sync',
          'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
          'helm.sh/hook': 'post-install,post-upgrade',
          'helm.sh/hook-delete-policy': 'before-hook-creation',
        },
      },
      spec: jobSpec,
    });
    this.reconcileCronJob = new k8s.KubeCronJob(this, 'reconcile-cronjob', {
      metadata: { name: reconcileName, namespace: props.namespace, labels },
      spec: {
        schedule: reconcile.schedule,
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 600,
        successfulJobsHistoryLimit: 1,
        failedJobsHistoryLimit: 3,
        jobTemplate: { metadata: { labels }, spec: { ...jobSpec, backoffLimit: 2, activeDeadlineSeconds: 600 } },
      },
    });
    HelmValues.of(this).bind(this.reconcileCronJob, '/spec/schedule', `${props.helmPrefix ?? name}.reconcile.schedule`, VALUE_SCHEMAS.cron);
  }

  /**
   * Declares that `workload` connects with a pool as `role`: sets the pool bounds on its container
   * (`env.maxSize` = poolSize, `env.minIdle` = minIdle) and records the client for the
   * connection-budget check, which reads the pool size back from the rendered workload and
   * multiplies it by the most pods it can run (HPA maxReplicas or replicas, plus the rollout surge).
   * @throws Error naming the field and the bad value: an unknown role, a pool size that is not an
   *   integer >= 1, a minIdle outside 0..poolSize, a workload without that container, or a
   *   container that already sets one of the variables.
   */
  public client(workload: ApiObject, options: PostgresClientOptions): void {
    const where = `PostgresDatabase '${this.name}': client ${workload.kind} ${workload.name}`;
    const env = options.env ?? DB_POOL_ENV;
    if (!(options.role in this.roleLimits)) {
      throw new Error(
        `${where}: role '${options.role}'; expected one of the database's roles (${Object.keys(this.roleLimits).join(', ')})`,
      );
    }
    if (!Number.isInteger(options.poolSize) || options.poolSize < 1) {
      throw new Error(`${where}: poolSize ${JSON.stringify(options.poolSize)}; expected an integer >= 1`);
    }
    if (!Number.isInteger(options.minIdle) || options.minIdle < 0 || options.minIdle > options.poolSize) {
      throw new Error(`${where}: minIdle ${JSON.stringify(options.minIdle)}; expected an integer from 0 to poolSize (${options.poolSize})`);
    }
    const json = workload.toJson() as {
      spec?: { template?: { spec?: { containers?: Array<{ name: string; env?: Array<{ name: string }> }> } } };
    };
    const containers = json.spec?.template?.spec?.containers ?? [];
    const index = options.container === undefined ? 0 : containers.findIndex((c) => c.name === options.container);
    const container = containers[index];
    if (!container) {
      throw new Error(
        `${where}: container ${JSON.stringify(options.container ?? '(first)')}; expected a container of its pod template (${containers.map((c) => c.name).join(', ') || 'none'})`,
      );
    }
    for (const name of [env.maxSize, env.minIdle]) {
      if ((container.env ?? []).some((e) => e.name === name)) {
        throw new Error(`${where}: container '${container.name}' already sets ${name}; expected the pool bounds to be declared only here`);
      }
    }
    const vars = [
      { name: env.maxSize, value: String(options.poolSize) },
      { name: env.minIdle, value: String(options.minIdle) },
    ];
    const path = `/spec/template/spec/containers/${index}/env`;
    if (container.env) workload.addJsonPatch(...vars.map((v) => JsonPatch.add(`${path}/-`, v)));
    else workload.addJsonPatch(JsonPatch.add(path, vars));
    this.clients.push({ kind: workload.kind, name: workload.name, container: container.name, role: options.role, env: { ...env } });
  }

  /**
   * Counts `connections` superuser sessions of `what` (a backup, a restore) in the budget: they
   * do not count against any role's limit but take slots of `max_connections`.
   * @throws Error for a count that is not an integer >= 1.
   */
  public reserveConnections(what: string, connections: number): void {
    if (!Number.isInteger(connections) || connections < 1) {
      throw new Error(
        `PostgresDatabase '${this.name}': reserveConnections('${what}') got ${JSON.stringify(connections)}; expected an integer >= 1`,
      );
    }
    this.reserved.push({ what, connections });
  }

  /** The connection budget as declared (max_connections, role limits, reserved connections, clients), for the checks. */
  public connectionBudget(): PostgresConnectionBudget {
    return {
      namespace: this.statefulSet.metadata.namespace!,
      name: this.name,
      maxConnections: this.maxConnections,
      roles: { ...this.roleLimits },
      reserved: this.reserved.map((r) => ({ ...r })),
      clients: this.clients.map((c) => ({ ...c, env: { ...c.env } })),
    };
  }

  /**
   * The JDBC URL of `database` on this server (`jdbc:postgresql://<host>:<port>/<database>`), with
   * `?sslmode=verify-full&sslrootcert=<CA path>` when TLS is on (mount {@link clientTls}'s CA).
   */
  public jdbcUrl(database: string = this.database): string {
    return `jdbc:postgresql://${this.host}:${this.port}/${database}${this.clientTls ? `?${this.clientTls.urlParameters}` : ''}`;
  }

  /**
   * The server certificate: the Service's names (`<name>`, `<name>.<ns>`, `<name>.<ns>.svc`,
   * `<name>.<ns>.svc.cluster.local`), the pods' (`*.<name>.<ns>.svc.cluster.local`), and
   * `localhost`/127.0.0.1 for the exporter in the pod. ECDSA P-256, 90 days, renewed 30 days
   * before expiry with a new key; the reconcile CronJob's `pg_reload_conf()` makes the server
   * read the renewed files.
   */
  private renderCertificate(props: PostgresDatabaseProps, name: string, secretName: string): Certificate {
    const ns = props.namespace;
    return new Certificate(this, 'certificate', {
      metadata: { name: secretName, namespace: ns, labels: componentLabels({ name, partOf: props.partOf, component: 'database' }) },
      spec: {
        secretName,
        issuerRef: { name: props.tls!.issuer.name, kind: props.tls!.issuer.kind ?? 'Issuer', group: 'cert-manager.io' },
        // No commonName: it is limited to 64 characters, and clients check the DNS names.
        dnsNames: [
          name,
          `${name}.${ns}`,
          `${name}.${ns}.svc`,
          this.host,
          `*.${this.host}`,
          ...(this.standby?.certificateNames ?? []),
          'localhost',
        ],
        ipAddresses: ['127.0.0.1'],
        usages: [CertificateSpecUsages.SERVER_AUTH, CertificateSpecUsages.DIGITAL_SIGNATURE, CertificateSpecUsages.KEY_ENCIPHERMENT],
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

  /** Adds the database and its reconcile pods (which reach it on the `postgres` port) to a service graph. */
  public addToGraph(graph: ServiceGraph): void {
    graph.addComponent(this);
    graph.addComponent(this.reconcileComponent);
    graph.allow(this.reconcileComponent, this, 'postgres');
    this.standby?.addToGraph(graph, this);
  }

  /** DNS name of the read-only Service `<name>-ro` (the standby), when `standby` is set. */
  public get readOnlyHost(): string | undefined {
    return this.standby?.readOnlyHost;
  }
}

/**
 * An integer postgresql.conf setting (a number or a string of digits), or its default.
 * @throws Error naming the setting, the value and what is allowed.
 */
function settingInteger(
  database: string,
  settings: Readonly<Record<string, string | number | boolean>>,
  key: string,
  fallback: number,
  min: number,
): number {
  const raw = settings[key];
  if (raw === undefined) return fallback;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^[0-9]+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < min) {
    throw new Error(`PostgresDatabase '${database}': settings.${key} got ${JSON.stringify(raw)}; expected an integer >= ${min}`);
  }
  return n;
}

/** The client side of a TLS PostgresDatabase whose certificate is in `secretName` (see {@link PostgresClientTls}). */
function postgresClientTls(secretName: string): PostgresClientTls {
  const caPath = `${CLIENT_CA_DIR}/ca.crt`;
  return {
    sslMode: 'verify-full',
    secretName,
    mountPath: CLIENT_CA_DIR,
    caPath,
    libpqEnv: { PGSSLMODE: 'verify-full', PGSSLROOTCERT: caPath },
    urlParameters: `sslmode=verify-full&sslrootcert=${caPath}`,
    volume: { name: 'postgres-ca', secret: { secretName, defaultMode: 0o444, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
    volumeMount: { name: 'postgres-ca', mountPath: CLIENT_CA_DIR, readOnly: true },
    secretFiles: { path: CLIENT_CA_DIR, secretName, keys: ['ca.crt'] },
  };
}
