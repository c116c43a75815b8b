/**
 * Pure renderers for the PostgreSQL component: `postgresql.conf`, `pg_hba.conf` and the
 * `/docker-entrypoint-initdb.d` init script of the official `postgres` image.
 *
 * Nothing secret is ever rendered: role passwords are read from environment variables when
 * the init script runs and handed to psql as variables (`-v name="$ENV"`, used as `:'name'`),
 * so they never appear in the script text, a ConfigMap or the rendered manifests.
 *
 * The shell, SQL and `pg_hba.conf` text lives in `assets/` next to this file (`postgres-init.sh`,
 * `postgres-init.sql` and the `postgres-*.sql` parts it is assembled from, `pg_hba.conf`); this
 * module validates the spec and fills in what depends on it (see `lib/core/asset-template.ts`).
 * `postgresql.conf` is generated whole from the settings.
 *
 * Errors name the offending field, the bad value and what is allowed, in the project's
 * `<field>: got <value>; expected <what is allowed>` form.
 */
import { isIPv6 } from 'net';
import { renderAsset, renderAssetLines, TemplateValue } from '../../core/asset-template';
import { describeUnserializable } from '../../core/describe';
import { hasControlCharacter, pgIdentifier } from '../../core/formats';

// ---------------------------------------------------------------------------------------------
// postgresql.conf
// ---------------------------------------------------------------------------------------------

/** A `postgresql.conf` value: strings are single-quoted, numbers bare, booleans `on`/`off`. */
export type PostgresSettingValue = string | number | boolean;

/** Allowed `postgresql.conf` parameter names (lower case; dots for extension namespaces). */
export const POSTGRES_SETTING_NAME_PATTERN = /^[a-z][a-z0-9_.]*$/;

/** Settings always present in the rendered file unless the caller gives them. */
export const POSTGRES_DEFAULT_SETTINGS: Readonly<Record<string, PostgresSettingValue>> = Object.freeze({
  listen_addresses: '*',
  password_encryption: 'scram-sha-256',
});

/** Directives that look like settings but splice in other files: not accepted as settings. */
const CONF_DIRECTIVES = new Set(['include', 'include_dir', 'include_if_exists']);

/**
 * Renders `postgresql.conf`.
 *
 * Every key must match {@link POSTGRES_SETTING_NAME_PATTERN}. String values are single-quoted
 * with `'` doubled and `\` escaped (the file's own quoting rules); control characters are
 * rejected. Booleans render as `on`/`off`, finite numbers bare. `listen_addresses = '*'` and
 * `password_encryption = 'scram-sha-256'` are added unless given. Keys are sorted, so the output
 * does not depend on the order of `settings`.
 *
 * @throws Error naming the key, the value and what is allowed, for a bad key or value.
 */
export function renderPostgresqlConf(settings: Record<string, PostgresSettingValue>): string {
  if (settings === null || typeof settings !== 'object' || Array.isArray(settings)) {
    throw new Error(
      `renderPostgresqlConf settings: got ${describe(settings)}; expected an object of parameter name -> string | number | boolean`,
    );
  }
  const merged: Record<string, PostgresSettingValue> = { ...POSTGRES_DEFAULT_SETTINGS, ...settings };
  const lines = ['# postgresql.conf rendered by renderPostgresqlConf (lib/constructs/data/postgres-config.ts); do not edit by hand.'];
  for (const key of Object.keys(merged).sort()) {
    const value = merged[key];
    if (!POSTGRES_SETTING_NAME_PATTERN.test(key)) {
      throw new Error(
        `postgresql.conf setting ${JSON.stringify(key)} (value ${describe(value)}): got key ${JSON.stringify(key)}; ` +
          `expected a parameter name matching ${POSTGRES_SETTING_NAME_PATTERN} (lower case letters, digits, '_' and '.', starting with a letter)`,
      );
    }
    if (CONF_DIRECTIVES.has(key)) {
      throw new Error(
        `postgresql.conf setting ${JSON.stringify(key)}: got ${describe(value)}; expected a configuration parameter, not an include directive ` +
          `(${[...CONF_DIRECTIVES].join(', ')} are not allowed: the file must be self-contained)`,
      );
    }
    lines.push(`${key} = ${renderConfValue(key, value)}`);
  }
  return lines.join('\n') + '\n';
}

function renderConfValue(key: string, value: unknown): string {
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new Error(`postgresql.conf setting ${JSON.stringify(key)}: got ${describe(value)}; expected a finite number`);
    }
    const text = String(value);
    // Plain decimal numbers go bare; anything else (1e+21) is quoted and parsed by the server.
    return /^-?\d+(\.\d+)?$/.test(text) ? text : `'${text}'`;
  }
  if (typeof value === 'string') {
    if (hasControlCharacter(value)) {
      throw new Error(
        `postgresql.conf setting ${JSON.stringify(key)}: got ${describe(value)}; expected a string without control characters (newline, tab, NUL...)`,
      );
    }
    return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
  }
  throw new Error(
    `postgresql.conf setting ${JSON.stringify(key)}: got ${describe(value)}; expected a string, a finite number or a boolean`,
  );
}

// ---------------------------------------------------------------------------------------------
// pg_hba.conf
// ---------------------------------------------------------------------------------------------

/** Input of {@link renderPgHba}. */
export interface PgHbaProps {
  /**
   * Networks allowed to connect over TCP (with a SCRAM password), in CIDR notation, IPv4
   * (`10.244.0.0/16`) or IPv6 (`fd00::/8`). Host bits must be zero. Duplicates are dropped.
   */
  readonly allowedCidrs: string[];
  /**
   * Only TLS connections over TCP: every TCP row is `hostssl`, and `hostnossl ... reject` rows for
   * all IPv4 and IPv6 addresses come first, so a plain connection is refused with a clear
   * message (`pg_hba.conf rejects connection ... no encryption`) before any password is asked.
   * The server needs `ssl = on` and a certificate. @default false
   */
  readonly requireTls?: boolean;
  /**
   * Roles allowed physical replication connections (a standby's WAL receiver and pg_basebackup,
   * e.g. `replicator`; `postgres` for the base backups of point-in-time recovery):
   * `host[ssl] replication <role> <cidr> scram-sha-256` for the loopback and each allowed network.
   * The `all` database of the other rows does not match replication connections, so without a role
   * here no one can replicate.
   * @default - none
   */
  readonly replicationRoles?: readonly string[];
}

/**
 * Renders `pg_hba.conf`: `local all all peer` (the init scripts and `docker-entrypoint.sh`
 * connect over the unix socket as OS user `postgres` without a password, so the image's
 * `POSTGRES_USER` must be `postgres`), SCRAM over loopback (IPv4 and IPv6), then
 * `host all all <cidr> scram-sha-256` per allowed CIDR. Anything not matched is rejected.
 * With `requireTls`, plain TCP is rejected first and every TCP row is `hostssl`.
 *
 * @throws Error naming the index and value of an invalid CIDR.
 */
export function renderPgHba(props: PgHbaProps): string {
  if (!props || !Array.isArray(props.allowedCidrs)) {
    throw new Error(
      `pg_hba allowedCidrs: got ${describe(props?.allowedCidrs)}; expected an array of CIDR strings such as "10.244.0.0/16" or "fd00::/8"`,
    );
  }
  if (props.requireTls !== undefined && typeof props.requireTls !== 'boolean')
    throw new Error(`pg_hba requireTls: got ${describe(props.requireTls)}; expected true or false`);
  const cidrs: string[] = [];
  props.allowedCidrs.forEach((cidr, i) => {
    const normalised = validateCidr(cidr, `pg_hba allowedCidrs[${i}]`);
    if (!cidrs.includes(normalised)) cidrs.push(normalised);
  });
  const tls = props.requireTls === true;
  const line = (type: string, address: string, method: string, database = 'all', user = 'all') =>
    `${type.padEnd(7)} ${database.padEnd(9)} ${user.padEnd(9)} ${address.padEnd(24)} ${method}`;
  const row = (address: string) => line(tls ? 'hostssl' : 'host', address, 'scram-sha-256');
  const replicationRoles: unknown = props.replicationRoles ?? [];
  if (!Array.isArray(replicationRoles))
    throw new Error(`pg_hba replicationRoles: got ${describe(replicationRoles)}; expected an array of role names`);
  const roles: string[] = [];
  (replicationRoles as unknown[]).forEach((role, i) => {
    if (typeof role !== 'string' || !/^[a-z_][a-z0-9_]{0,62}$/.test(role))
      throw new Error(
        `pg_hba replicationRoles[${i}]: got ${describe(role)}; expected a lower-case role name (letters, digits, '_', at most 63 characters)`,
      );
    roles.push(role);
  });
  const replicationRow = (role: string, address: string) => line(tls ? 'hostssl' : 'host', address, 'scram-sha-256', 'replication', role);
  const replicationRows = roles.flatMap((role) => ['127.0.0.1/32', '::1/128', ...cidrs].map((address) => replicationRow(role, address)));
  return renderAsset(__dirname, 'assets/pg_hba.conf', {
    tls_required: tls
      ? [
          '# TCP without TLS: refused, whoever asks (TLS is required).',
          line('hostnossl', '0.0.0.0/0', 'reject'),
          line('hostnossl', '::/0', 'reject'),
        ]
      : [],
    loopback: [row('127.0.0.1/32'), row('::1/128')],
    allowed_networks: cidrs.length > 0 ? ['# Allowed networks.', ...cidrs.map(row)] : [],
    replication:
      replicationRows.length > 0
        ? [`# Physical replication (standby, pg_basebackup), for ${roles.join(', ')} only.`, ...replicationRows]
        : [],
  });
}

/**
 * Validates an IPv4 or IPv6 CIDR and returns it trimmed. Host bits must be zero.
 * @throws Error naming `field`, the value and what is allowed.
 */
export function validateCidr(cidr: unknown, field: string): string {
  const expected = 'an IPv4 or IPv6 network in CIDR notation with the host bits zero, e.g. "10.244.0.0/16", "192.168.1.7/32" or "fd00::/8"';
  if (typeof cidr !== 'string') throw new Error(`${field}: got ${describe(cidr)}; expected ${expected}`);
  const match = /^([^/\s]+)\/(\d{1,3})$/.exec(cidr.trim());
  if (!match) throw new Error(`${field}: got ${JSON.stringify(cidr)}; expected ${expected}`);
  const [, address, prefixText] = match;
  const v4 = parseIpv4(address);
  const bytes = v4 ?? parseIpv6(address);
  if (!bytes)
    throw new Error(`${field}: got ${JSON.stringify(cidr)} (${JSON.stringify(address)} is not an IP address); expected ${expected}`);
  const maxPrefix = bytes.length * 8;
  const prefix = Number(prefixText);
  if (prefix > maxPrefix || (prefixText.length > 1 && prefixText.startsWith('0'))) {
    throw new Error(
      `${field}: got ${JSON.stringify(cidr)} (prefix length ${prefixText}); expected a prefix length from 0 to ${maxPrefix} for an IPv${v4 ? 4 : 6} address`,
    );
  }
  for (let bit = prefix; bit < maxPrefix; bit++) {
    if (bytes[bit >> 3] & (0x80 >> (bit & 7))) {
      throw new Error(`${field}: got ${JSON.stringify(cidr)} (host bits set below /${prefix}); expected ${expected}`);
    }
  }
  return `${address}/${prefix}`;
}

function parseIpv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes: number[] = [];
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    bytes.push(n);
  }
  return bytes;
}

function parseIpv6(text: string): number[] | undefined {
  if (text.includes('%') || !isIPv6(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (half: string): number[] | undefined => {
    if (half === '') return [];
    const out: number[] = [];
    const parts = half.split(':');
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      if (i === parts.length - 1 && part.includes('.')) {
        const v4 = parseIpv4(part);
        if (!v4) return undefined;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
        out.push(parseInt(part, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  let words: number[];
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return undefined;
    words = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    words = head;
  }
  if (words.length !== 8) return undefined;
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}

// ---------------------------------------------------------------------------------------------
// Init script
// ---------------------------------------------------------------------------------------------

/**
 * What a role may do.
 * - `owner`: owns every schema (runs migrations, full DDL); at most one per spec.
 * - `readwrite`: DML on tables, sequences, EXECUTE on functions, incl. objects the owner creates later.
 * - `readonly`: SELECT on tables and sequences (incl. future ones); sessions are read-only by default.
 * - `monitor`: member of `pg_monitor` (statistics, pg_stat_statements); no data access.
 */
export type PostgresRoleAccess = 'owner' | 'readwrite' | 'readonly' | 'monitor';

/** The access levels in {@link PostgresRoleAccess}. */
export const POSTGRES_ROLE_ACCESS_LEVELS: readonly PostgresRoleAccess[] = ['owner', 'readwrite', 'readonly', 'monitor'];

/** A login role created by the init script. */
export interface PostgresRoleSpec {
  /** Role name; matches {@link POSTGRES_IDENTIFIER_PATTERN}. */
  readonly name: string;
  /** What the role may do. */
  readonly access: PostgresRoleAccess;
  /** `CONNECTION LIMIT`; -1 for no limit. */
  readonly connectionLimit: number;
  /** env var holding the password */
  readonly passwordEnv: string;
}

/** What the init script creates in `$POSTGRES_DB`. */
export interface PostgresInitSpec {
  /** Schemas to create (owned by the `owner` role, if any). */
  readonly schemas: string[];
  /** Extensions to create (`CREATE EXTENSION IF NOT EXISTS`), e.g. `uuid-ossp`, `pgcrypto`. */
  readonly extensions: string[];
  /** Login roles to create or update. */
  readonly roles: PostgresRoleSpec[];
  /** Row-level security scaffolding for multi-tenant tables. @default - none */
  readonly rowLevelSecurity?: PostgresRowLevelSecuritySpec;
  /** A replication role and the standby's physical slot (see {@link PostgresReplicationSpec}). @default - none */
  readonly replication?: PostgresReplicationSpec;
}

/**
 * Streaming replication in the init SQL: a `LOGIN REPLICATION` role with no database privilege
 * (password from `passwordEnv`, as for the login roles) and a physical replication slot created
 * if missing, reserving WAL from its creation (`pg_create_physical_replication_slot(slot, true)`).
 */
export interface PostgresReplicationSpec {
  /** Role name; matches {@link POSTGRES_IDENTIFIER_PATTERN}, not one of `roles`. */
  readonly role: string;
  /** `CONNECTION LIMIT` of the role (>= 1). */
  readonly connectionLimit: number;
  /** env var holding the role's password. */
  readonly passwordEnv: string;
  /** Physical replication slot (lower case letters, digits, `_`; at most 63 characters). */
  readonly slot: string;
}

/** Replication slot names PostgreSQL accepts. */
export const POSTGRES_SLOT_NAME_PATTERN = /^[a-z0-9_]{1,63}$/;

/** SQL types a tenant column (and the tenant setting) may have. */
export const POSTGRES_TENANT_TYPES = ['uuid', 'bigint', 'integer', 'text'] as const;

/** SQL type of a tenant column. */
export type PostgresTenantType = (typeof POSTGRES_TENANT_TYPES)[number];

/**
 * Row-level security scaffolding: tenant isolation driven by a session setting.
 *
 * The init script renders, owned by the superuser (so no login role can change them):
 * - `ALTER DATABASE ... SET <tenantSetting> = ''`: the setting exists and is empty (no tenant) by default;
 * - `public.current_tenant_id()`: the setting as `tenantType`, NULL when empty or unset;
 * - `public.enable_tenant_isolation(regclass)`: creates policy `tenant_isolation`
 *   (`FOR ALL TO PUBLIC USING (<col> = current_tenant_id()) WITH CHECK (...)`) and turns on
 *   `ENABLE` + `FORCE ROW LEVEL SECURITY` (so even the table owner is filtered);
 * - an event trigger `tenant_isolation` that calls it for every table created or altered in
 *   `schemas` that has the tenant column, so migrations cannot forget it, and a pass over the
 *   tables that already exist.
 *
 * The application sets the tenant per transaction (`SET LOCAL app.tenant_id = '...'` or
 * `set_config('app.tenant_id', $1, true)`); without it, queries see no rows and inserts fail.
 * Every login role is `NOBYPASSRLS`; only the owner role may call `enable_tenant_isolation`.
 */
export interface PostgresRowLevelSecuritySpec {
  /** Custom setting holding the current tenant, `<prefix>.<name>` such as `app.tenant_id`. */
  readonly tenantSetting: string;
  /** Column holding a row's tenant. @default 'tenant_id' */
  readonly tenantColumn?: string;
  /** SQL type of the tenant column. @default 'uuid' */
  readonly tenantType?: PostgresTenantType;
  /** Schemas whose tables are isolated by tenant. @default - every schema of the spec */
  readonly schemas?: string[];
}

/** Allowed tenant settings: a custom `prefix.name` parameter (not `pg_*`, which PostgreSQL reserves). */
export const POSTGRES_TENANT_SETTING_PATTERN = /^(?!pg_)[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/;

/** Allowed schema and role names: lower case, at most 63 bytes (PostgreSQL's NAMEDATALEN - 1). */
export const POSTGRES_IDENTIFIER_PATTERN = new RegExp(pgIdentifier.pattern!);

/** Allowed extension names (as in `pg_available_extensions`; `uuid-ossp` has a hyphen). */
export const POSTGRES_EXTENSION_NAME_PATTERN = /^[a-z_][a-z0-9_-]{0,62}$/;

/** Allowed names of the env vars holding role passwords (what bash can expand). */
export const ENV_VAR_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Role names PostgreSQL reserves. */
const RESERVED_ROLE_NAMES = new Set(['public', 'none', 'current_user', 'current_role', 'session_user']);

/** Env vars the postgres image itself uses; a role password must come from its own variable. */
const RESERVED_ENV_VARS = new Set(['POSTGRES_USER', 'POSTGRES_DB', 'POSTGRES_PASSWORD', 'PGPASSWORD']);

/**
 * Validates an init spec.
 * @throws Error naming the field (e.g. `roles[1].connectionLimit`), the bad value and what is allowed.
 */
export function validatePostgresInitSpec(spec: PostgresInitSpec): void {
  if (!spec || typeof spec !== 'object')
    throw new Error(`postgres init spec: got ${describe(spec)}; expected { schemas, extensions, roles }`);
  for (const field of ['schemas', 'extensions', 'roles'] as const) {
    if (!Array.isArray(spec[field])) throw new Error(`postgres init spec ${field}: got ${describe(spec[field])}; expected an array`);
  }
  const seenSchemas = new Set<string>();
  spec.schemas.forEach((schema, i) => {
    const field = `schemas[${i}]`;
    checkIdentifier(schema, field);
    if (schema.startsWith('pg_') || schema === 'information_schema') {
      throw new Error(
        `${field}: got ${JSON.stringify(schema)}; expected a schema name not starting with "pg_" and not "information_schema" (reserved by PostgreSQL)`,
      );
    }
    if (seenSchemas.has(schema)) throw new Error(`${field}: got ${JSON.stringify(schema)} again; expected each schema once`);
    seenSchemas.add(schema);
  });
  const seenExtensions = new Set<string>();
  spec.extensions.forEach((ext, i) => {
    const field = `extensions[${i}]`;
    if (typeof ext !== 'string' || !POSTGRES_EXTENSION_NAME_PATTERN.test(ext)) {
      throw new Error(
        `${field}: got ${describe(ext)}; expected an extension name matching ${POSTGRES_EXTENSION_NAME_PATTERN}, e.g. "pgcrypto" or "uuid-ossp"`,
      );
    }
    if (seenExtensions.has(ext)) throw new Error(`${field}: got ${JSON.stringify(ext)} again; expected each extension once`);
    seenExtensions.add(ext);
  });
  const seenRoles = new Set<string>();
  let owner: string | undefined;
  spec.roles.forEach((role, i) => {
    const field = `roles[${i}]`;
    if (!role || typeof role !== 'object')
      throw new Error(`${field}: got ${describe(role)}; expected { name, access, connectionLimit, passwordEnv }`);
    checkIdentifier(role.name, `${field}.name`);
    if (RESERVED_ROLE_NAMES.has(role.name) || role.name.startsWith('pg_')) {
      throw new Error(
        `${field}.name: got ${JSON.stringify(role.name)}; expected a role name that is not reserved by PostgreSQL (${[...RESERVED_ROLE_NAMES].join(', ')}, pg_*)`,
      );
    }
    if (seenRoles.has(role.name)) throw new Error(`${field}.name: got ${JSON.stringify(role.name)} again; expected each role name once`);
    seenRoles.add(role.name);
    if (!POSTGRES_ROLE_ACCESS_LEVELS.includes(role.access)) {
      throw new Error(
        `${field}.access: got ${describe(role.access)}; expected one of ${POSTGRES_ROLE_ACCESS_LEVELS.map((a) => `"${a}"`).join(', ')}`,
      );
    }
    if (role.access === 'owner') {
      if (owner !== undefined) {
        throw new Error(
          `${field}.access: got "owner" for role ${JSON.stringify(role.name)}; expected at most one owner role (${JSON.stringify(owner)} is already the owner)`,
        );
      }
      owner = role.name;
    }
    if (
      typeof role.connectionLimit !== 'number' ||
      !Number.isInteger(role.connectionLimit) ||
      role.connectionLimit < -1 ||
      role.connectionLimit > 2147483647
    ) {
      throw new Error(`${field}.connectionLimit: got ${describe(role.connectionLimit)}; expected an integer >= -1 (-1 means no limit)`);
    }
    if (typeof role.passwordEnv !== 'string' || !ENV_VAR_NAME_PATTERN.test(role.passwordEnv)) {
      throw new Error(
        `${field}.passwordEnv: got ${describe(role.passwordEnv)}; expected an environment variable name matching ${ENV_VAR_NAME_PATTERN}`,
      );
    }
    if (RESERVED_ENV_VARS.has(role.passwordEnv)) {
      throw new Error(
        `${field}.passwordEnv: got ${JSON.stringify(role.passwordEnv)}; expected a variable of the role's own, not one the postgres image or psql uses (${[...RESERVED_ENV_VARS].join(', ')})`,
      );
    }
  });
  validateRowLevelSecurity(spec);
  validateReplication(spec);
}

/**
 * Validates `spec.replication` (if any).
 * @throws Error naming the field (e.g. `replication.slot`), the bad value and what is allowed.
 */
function validateReplication(spec: PostgresInitSpec): void {
  const r = spec.replication;
  if (r === undefined) return;
  if (!r || typeof r !== 'object')
    throw new Error(`replication: got ${describe(r)}; expected { role, connectionLimit, passwordEnv, slot }`);
  checkIdentifier(r.role, 'replication.role');
  if (RESERVED_ROLE_NAMES.has(r.role) || r.role.startsWith('pg_') || spec.roles.some((role) => role.name === r.role)) {
    throw new Error(
      `replication.role: got ${JSON.stringify(r.role)}; expected a role name that is neither reserved (${[...RESERVED_ROLE_NAMES].join(', ')}, pg_*) nor one of roles`,
    );
  }
  if (!Number.isInteger(r.connectionLimit) || r.connectionLimit < 1 || r.connectionLimit > 2147483647)
    throw new Error(`replication.connectionLimit: got ${describe(r.connectionLimit)}; expected an integer >= 1`);
  if (typeof r.passwordEnv !== 'string' || !ENV_VAR_NAME_PATTERN.test(r.passwordEnv) || RESERVED_ENV_VARS.has(r.passwordEnv)) {
    throw new Error(
      `replication.passwordEnv: got ${describe(r.passwordEnv)}; expected an environment variable name matching ${ENV_VAR_NAME_PATTERN}, not ${[...RESERVED_ENV_VARS].join(', ')}`,
    );
  }
  if (spec.roles.some((role) => role.passwordEnv === r.passwordEnv))
    throw new Error(
      `replication.passwordEnv: got ${JSON.stringify(r.passwordEnv)}, the variable of a login role; expected its own variable`,
    );
  if (typeof r.slot !== 'string' || !POSTGRES_SLOT_NAME_PATTERN.test(r.slot))
    throw new Error(`replication.slot: got ${describe(r.slot)}; expected a slot name matching ${POSTGRES_SLOT_NAME_PATTERN}`);
}

/**
 * Validates `spec.rowLevelSecurity` (if any) against the spec.
 * @throws Error naming the field (e.g. `rowLevelSecurity.schemas[1]`), the bad value and what is allowed.
 */
function validateRowLevelSecurity(spec: PostgresInitSpec): void {
  const rls = spec.rowLevelSecurity;
  if (rls === undefined) return;
  if (!rls || typeof rls !== 'object')
    throw new Error(`rowLevelSecurity: got ${describe(rls)}; expected { tenantSetting, tenantColumn?, tenantType?, schemas? }`);
  if (typeof rls.tenantSetting !== 'string' || !POSTGRES_TENANT_SETTING_PATTERN.test(rls.tenantSetting)) {
    throw new Error(
      `rowLevelSecurity.tenantSetting: got ${describe(rls.tenantSetting)}; expected a custom setting '<prefix>.<name>' such as "app.tenant_id" (lower case identifiers, prefix not "pg_")`,
    );
  }
  if (rls.tenantColumn !== undefined) checkIdentifier(rls.tenantColumn, 'rowLevelSecurity.tenantColumn');
  if (rls.tenantType !== undefined && !POSTGRES_TENANT_TYPES.includes(rls.tenantType)) {
    throw new Error(
      `rowLevelSecurity.tenantType: got ${describe(rls.tenantType)}; expected one of ${POSTGRES_TENANT_TYPES.map((t) => `"${t}"`).join(', ')}`,
    );
  }
  if (rls.schemas !== undefined) {
    if (!Array.isArray(rls.schemas) || rls.schemas.length === 0)
      throw new Error(`rowLevelSecurity.schemas: got ${describe(rls.schemas)}; expected a non-empty array of the spec's schemas`);
    rls.schemas.forEach((schema, i) => {
      if (!spec.schemas.includes(schema)) {
        throw new Error(
          `rowLevelSecurity.schemas[${i}]: got ${describe(schema)}; expected one of the spec's schemas (${spec.schemas.join(', ')})`,
        );
      }
    });
  }
  if ((rls.schemas ?? spec.schemas).length === 0)
    throw new Error('rowLevelSecurity: the spec has no schemas; expected at least one schema to isolate by tenant');
}

/** The owner role of a spec, if any. */
export function postgresOwnerRole(spec: PostgresInitSpec): PostgresRoleSpec | undefined {
  return spec.roles.find((r) => r.access === 'owner');
}

/** Name of the psql variable that carries a role's password in the init script. */
export function passwordVariableName(roleName: string): string {
  return `pw_${roleName}`;
}

/**
 * Renders the SQL (with psql meta-commands) that the init script feeds to psql
 * (`assets/postgres-init.sql`, its sections from the `assets/postgres-*.sql` parts). It expects
 * psql variables `dbname` (the database) and one {@link passwordVariableName} per role.
 * Exported so a later stack (e.g. row-level security) can append its own SQL to the same run;
 * it runs as one transaction and is idempotent (re-running updates passwords, limits and grants).
 */
export function renderInitSql(spec: PostgresInitSpec): string {
  validatePostgresInitSpec(spec);
  const owner = postgresOwnerRole(spec);
  const grantor = owner ? quoteIdent(owner.name) : 'CURRENT_USER';
  /** A section: blank line, `-- title`, statements; nothing when there are no statements. */
  const section = (title: string, statements: readonly string[]): string[] =>
    statements.length > 0 ? ['', `-- ${title}`, ...statements] : [];
  const forEachSchema = (file: string, role: PostgresRoleSpec): string[] =>
    spec.schemas.flatMap((schema) => sqlLines(file, { schema, role: role.name, grantor }));
  const grants = spec.roles.flatMap((role): string[] => {
    const of = owner ? owner.name : 'the superuser';
    switch (role.access) {
      case 'owner':
        return [];
      case 'readwrite':
        return [
          '',
          `-- ${role.name}: read-write on tables, sequences and functions (now and future ones of ${of}).`,
          ...forEachSchema('postgres-grants-readwrite.sql', role),
        ];
      case 'readonly':
        return [
          '',
          `-- ${role.name}: read-only on tables and sequences (now and future ones of ${of}).`,
          ...forEachSchema('postgres-grants-readonly.sql', role),
          `ALTER ROLE ${quoteIdent(role.name)} SET default_transaction_read_only = on;`,
        ];
      case 'monitor':
        return ['', `-- ${role.name}: monitoring (pg_monitor).`, `GRANT pg_monitor TO ${quoteIdent(role.name)};`];
    }
  });
  const dataRoles = spec.schemas.length > 0 ? spec.roles.filter((r) => r.access !== 'monitor') : [];
  const searchPath = [...spec.schemas.map(quoteIdent), ...(spec.schemas.includes('public') ? [] : ['public'])].join(', ');
  const replication = spec.replication;
  const allRoles = [...spec.roles, ...(replication ? [{ name: replication.role }] : [])];

  return renderAsset(__dirname, 'assets/postgres-init.sql', {
    superuser_check:
      allRoles.length > 0
        ? ['', ...sqlLines('postgres-superuser-check.sql', { role_names: allRoles.map((r) => quoteLiteral(r.name)).join(', ') })]
        : [],
    extensions: section(
      'Extensions.',
      spec.extensions.map((ext) => `CREATE EXTENSION IF NOT EXISTS ${quoteIdent(ext)};`),
    ),
    roles: section(
      'Login roles: created if missing, then brought to the spec (password from the environment, SCRAM).',
      spec.roles.flatMap((role) =>
        sqlLines('postgres-role.sql', {
          role: role.name,
          connection_limit: String(role.connectionLimit),
          password_variable: passwordVariableName(role.name),
          database_privileges: role.access === 'owner' ? 'CONNECT, CREATE, TEMPORARY' : 'CONNECT',
        }),
      ),
    ),
    replication: replication
      ? [
          '',
          ...sqlLines('postgres-replication.sql', {
            role: replication.role,
            connection_limit: String(replication.connectionLimit),
            password_variable: passwordVariableName(replication.role),
            slot: replication.slot,
          }),
        ]
      : [],
    schemas: section(
      owner ? `Schemas, owned by ${owner.name}.` : 'Schemas (no owner role: owned by the superuser).',
      spec.schemas.flatMap((schema) => [
        ...(owner
          ? [
              `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)} AUTHORIZATION ${quoteIdent(owner.name)};`,
              `ALTER SCHEMA ${quoteIdent(schema)} OWNER TO ${quoteIdent(owner.name)};`,
            ]
          : [`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)};`]),
        `REVOKE ALL ON SCHEMA ${quoteIdent(schema)} FROM PUBLIC;`,
      ]),
    ),
    grants,
    row_level_security: spec.rowLevelSecurity ? ['', ...renderRowLevelSecuritySql(spec, owner)] : [],
    search_path: section(
      'Unqualified names resolve in the spec schemas first (extensions live in public).',
      dataRoles.map((role) => `ALTER ROLE ${quoteIdent(role.name)} SET search_path = ${searchPath};`),
    ),
  });
}

/**
 * SQL of the row-level security scaffolding ({@link PostgresRowLevelSecuritySpec}), for the
 * transaction of {@link renderInitSql}: `assets/postgres-row-level-security.sql`. Idempotent:
 * functions are replaced, the event trigger is recreated, existing tables with the tenant column
 * are brought under isolation. The setting, column, type and schema names are validated
 * identifiers (no quotes), so the asset writes them inside its own quotes.
 */
function renderRowLevelSecuritySql(spec: PostgresInitSpec, owner: PostgresRoleSpec | undefined): string[] {
  const rls = spec.rowLevelSecurity!;
  const column = rls.tenantColumn ?? 'tenant_id';
  const type = rls.tenantType ?? 'uuid';
  const schemas = rls.schemas ?? spec.schemas;
  const tenantSchemas = `ARRAY[${schemas.map(quoteLiteral).join(', ')}]::text[]`;
  return sqlLines('postgres-row-level-security.sql', {
    tenant_setting: rls.tenantSetting,
    tenant_column: column,
    tenant_type: type,
    tenant_cast: type === 'text' ? '' : `::${type}`,
    tenant_schemas: tenantSchemas,
    tenant_schema_list: schemas.join(', '),
    // Tables and partitioned tables of the tenant schemas that have the tenant column: one
    // definition for the event trigger and for the pass over existing tables.
    tenant_tables: sqlLines('postgres-tenant-tables.sql', { tenant_schemas: tenantSchemas, tenant_column: column }),
    owner_grant: owner ? [`GRANT EXECUTE ON FUNCTION public.enable_tenant_isolation(regclass) TO ${quoteIdent(owner.name)};`] : [],
  });
}

/** The lines of a SQL asset of this module, filled. */
function sqlLines(file: string, values: Readonly<Record<string, TemplateValue>>): string[] {
  return renderAssetLines(__dirname, `assets/${file}`, values);
}

/**
 * Renders a `/docker-entrypoint-initdb.d/*.sh` script for the official postgres image
 * (`assets/postgres-init.sh`).
 *
 * It runs `psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB"` over the
 * local socket with {@link renderInitSql}'s SQL on stdin (a quoted heredoc, so bash expands
 * nothing in it). Each role password is read from its `passwordEnv` variable at run time and
 * passed as `-v pw_<role>="$ENV"`; the script fails before touching the database if one is
 * missing or empty. Mount it executable (mode 0555): `docker-entrypoint.sh` sources `.sh`
 * files that are not executable, which would leak `set -u` into the entrypoint.
 *
 * @throws Error for an invalid spec (see {@link validatePostgresInitSpec}).
 */
export function renderInitScript(spec: PostgresInitSpec): string {
  const body = renderInitSql(spec);
  if (body.split('\n').includes('EOSQL')) throw new Error('renderInitScript: rendered SQL contains the heredoc delimiter line "EOSQL"');
  const summary =
    `${spec.schemas.length} schema(s) [${spec.schemas.join(' ')}], ${spec.extensions.length} extension(s) [${spec.extensions.join(' ')}], ` +
    `${spec.roles.length} role(s) [${spec.roles.map((r) => `${r.name}:${r.access}`).join(' ')}]` +
    (spec.rowLevelSecurity ? `, row-level security by ${spec.rowLevelSecurity.tenantSetting}` : '') +
    (spec.replication ? `, replication role ${spec.replication.role} with slot ${spec.replication.slot}` : '');
  const passwordRoles = [
    ...spec.roles,
    ...(spec.replication ? [{ name: spec.replication.role, passwordEnv: spec.replication.passwordEnv }] : []),
  ];
  return renderAsset(__dirname, 'assets/postgres-init.sh', {
    password_checks: passwordRoles.map((r) => `: "\${${r.passwordEnv}:?${r.passwordEnv} must be set to the password of role ${r.name}}"`),
    summary,
    password_variables: passwordRoles.map((r) => ` \\\n  -v ${passwordVariableName(r.name)}="$${r.passwordEnv}"`).join(''),
    init_sql: body.trimEnd(),
  });
}

// ---------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------

/** Double-quotes an SQL identifier (doubling embedded quotes). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Single-quotes an SQL string literal (standard_conforming_strings: doubles `'`). */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function checkIdentifier(name: unknown, field: string): asserts name is string {
  if (typeof name !== 'string' || !POSTGRES_IDENTIFIER_PATTERN.test(name)) {
    throw new Error(
      `${field}: got ${describe(name)}; expected an identifier matching ${POSTGRES_IDENTIFIER_PATTERN} (lower case letter or '_', then up to 62 lower case letters, digits or '_')`,
    );
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  try {
    return JSON.stringify(value) ?? describeUnserializable(value);
  } catch {
    return describeUnserializable(value);
  }
}
