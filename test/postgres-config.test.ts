import {
  PostgresInitSpec,
  PostgresRoleSpec,
  quoteIdent,
  quoteLiteral,
  renderInitScript,
  renderInitSql,
  renderPgHba,
  renderPostgresqlConf,
  validateCidr,
} from '../lib/constructs/data/postgres-config';

const confLines = (text: string) => text.split('\n').filter((l) => l && !l.startsWith('#'));

describe('renderPostgresqlConf', () => {
  test('always sets listen_addresses and SCRAM, sorted, one setting per line', () => {
    expect(confLines(renderPostgresqlConf({}))).toEqual(["listen_addresses = '*'", "password_encryption = 'scram-sha-256'"]);
    expect(confLines(renderPostgresqlConf({ work_mem: '4MB', max_connections: 100 }))).toEqual([
      "listen_addresses = '*'",
      'max_connections = 100',
      "password_encryption = 'scram-sha-256'",
      "work_mem = '4MB'",
    ]);
  });

  test('given defaults win', () => {
    const text = renderPostgresqlConf({ listen_addresses: '0.0.0.0', password_encryption: 'scram-sha-256' });
    expect(text).toContain("listen_addresses = '0.0.0.0'\n");
    expect(text).not.toContain("'*'");
  });

  test('output does not depend on key order', () => {
    expect(renderPostgresqlConf({ a_b: 1, shared_buffers: '128MB', fsync: true })).toBe(
      renderPostgresqlConf({ fsync: true, shared_buffers: '128MB', a_b: 1 }),
    );
  });

  test('renders booleans as on/off, numbers bare, strings single-quoted with escapes', () => {
    const text = renderPostgresqlConf({
      fsync: true,
      jit: false,
      random_page_cost: 1.1,
      log_min_duration_statement: -1,
      'app.note': "it's a \\ path",
      shared_preload_libraries: 'pg_stat_statements,auto_explain',
    });
    expect(text).toContain('fsync = on\n');
    expect(text).toContain('jit = off\n');
    expect(text).toContain('random_page_cost = 1.1\n');
    expect(text).toContain('log_min_duration_statement = -1\n');
    expect(text).toContain("app.note = 'it''s a \\\\ path'\n");
    expect(text).toContain("shared_preload_libraries = 'pg_stat_statements,auto_explain'\n");
  });

  test('quotes numbers that would not parse bare', () => {
    expect(renderPostgresqlConf({ big: 1e21 })).toContain("big = '1e+21'\n");
  });

  test.each([['Work_Mem'], ['1abc'], ['work-mem'], ['work mem'], [''], ['_x']])('rejects key %j, naming key, value and rule', (key) => {
    const escaped = JSON.stringify(key).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(() => renderPostgresqlConf({ [key]: 'v1' })).toThrow(
      new RegExp(`^postgresql\\.conf setting ${escaped} \\(value "v1"\\): got key ${escaped}; expected a parameter name matching`),
    );
  });

  test.each([['include'], ['include_dir'], ['include_if_exists']])('rejects the %s directive', (key) => {
    expect(() => renderPostgresqlConf({ [key]: '/etc/other.conf' })).toThrow(
      /"\/etc\/other\.conf"; expected a configuration parameter, not an include directive/,
    );
  });

  test.each([
    ['newline', 'a\nb', /without control characters/],
    ['NUL', 'a\u0000b', /without control characters/],
    ['NaN', NaN, /got NaN; expected a finite number/],
    ['Infinity', Infinity, /got Infinity; expected a finite number/],
  ])('rejects a value with %s', (_what, value, message) => {
    expect(() => renderPostgresqlConf({ work_mem: value })).toThrow(message);
    expect(() => renderPostgresqlConf({ work_mem: value })).toThrow(/"work_mem"/);
  });

  test('rejects values of other types', () => {
    expect(() => renderPostgresqlConf({ work_mem: null as unknown as string })).toThrow(
      /setting "work_mem": got null; expected a string, a finite number or a boolean/,
    );
    expect(() => renderPostgresqlConf({ work_mem: ['4MB'] as unknown as string })).toThrow(/got \["4MB"\]/);
    expect(() => renderPostgresqlConf(null as unknown as Record<string, string>)).toThrow(/settings: got null; expected an object/);
  });
});

describe('renderPgHba', () => {
  const rules = (text: string) =>
    text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(/\s+/));

  test('peer on the socket, SCRAM on loopback, then one SCRAM line per CIDR in order', () => {
    expect(rules(renderPgHba({ allowedCidrs: ['10.244.0.0/16', 'fd00::/8'] }))).toEqual([
      ['local', 'all', 'all', 'peer'],
      ['host', 'all', 'all', '127.0.0.1/32', 'scram-sha-256'],
      ['host', 'all', 'all', '::1/128', 'scram-sha-256'],
      ['host', 'all', 'all', '10.244.0.0/16', 'scram-sha-256'],
      ['host', 'all', 'all', 'fd00::/8', 'scram-sha-256'],
    ]);
  });

  test('no CIDRs: socket and loopback only', () => {
    expect(rules(renderPgHba({ allowedCidrs: [] }))).toHaveLength(3);
  });

  test('never uses trust or md5', () => {
    expect(renderPgHba({ allowedCidrs: ['0.0.0.0/0', '::/0'] })).not.toMatch(/\b(trust|md5|password)\s*$/m);
  });

  test('drops duplicates and trims', () => {
    expect(rules(renderPgHba({ allowedCidrs: ['10.0.0.0/8', ' 10.0.0.0/8 '] })).filter((r) => r[3] === '10.0.0.0/8')).toHaveLength(1);
  });

  test.each([
    ['0.0.0.0/0'],
    ['10.244.0.0/16'],
    ['192.168.1.7/32'],
    ['::/0'],
    ['fd00::/8'],
    ['2001:db8::/32'],
    ['2001:db8:0:0:0:0:0:1/128'],
    ['::ffff:10.0.0.0/104'],
    ['fe80::/10'],
  ])('accepts %s', (cidr) => {
    expect(validateCidr(cidr, 'f')).toBe(cidr);
  });

  test.each([
    ['10.0.0.0', /expected an IPv4 or IPv6 network in CIDR notation/],
    ['10.0.0.0/33', /prefix length 33\); expected a prefix length from 0 to 32/],
    ['10.0.0.256/32', /is not an IP address/],
    ['10.0.0/24', /is not an IP address/],
    ['010.0.0.0/8', /is not an IP address/],
    ['10.0.0.1/8', /host bits set below \/8/],
    ['fd00::/129', /expected a prefix length from 0 to 128/],
    ['fd00::1/64', /host bits set below \/64/],
    ['fe80::1%eth0/128', /is not an IP address/],
    ['1:2:3:4:5:6:7:8:9/128', /is not an IP address/],
    ['example.com/24', /is not an IP address/],
    ['10.0.0.0/08', /prefix length 08/],
    ['', /got ""/],
  ])('rejects %j', (cidr, message) => {
    expect(() => renderPgHba({ allowedCidrs: ['10.1.0.0/16', cidr] })).toThrow(message);
    expect(() => renderPgHba({ allowedCidrs: ['10.1.0.0/16', cidr] })).toThrow(/^pg_hba allowedCidrs\[1\]: got /);
  });

  test('rejects a non-array', () => {
    expect(() => renderPgHba({ allowedCidrs: '10.0.0.0/8' as unknown as string[] })).toThrow(
      /allowedCidrs: got "10.0.0.0\/8"; expected an array/,
    );
    expect(() => renderPgHba({ allowedCidrs: [42 as unknown as string] })).toThrow(/allowedCidrs\[0\]: got 42/);
  });
});

describe('renderInitScript', () => {
  const roles: PostgresRoleSpec[] = [
    { name: 'app_owner', access: 'owner', connectionLimit: 5, passwordEnv: 'APP_OWNER_PASSWORD' },
    { name: 'app_rw', access: 'readwrite', connectionLimit: 20, passwordEnv: 'APP_RW_PASSWORD' },
    { name: 'app_ro', access: 'readonly', connectionLimit: -1, passwordEnv: 'APP_RO_PASSWORD' },
    { name: 'app_mon', access: 'monitor', connectionLimit: 2, passwordEnv: 'APP_MON_PASSWORD' },
  ];
  const spec: PostgresInitSpec = { schemas: ['app', 'audit'], extensions: ['uuid-ossp', 'pgcrypto'], roles };
  const script = renderInitScript(spec);
  const sql = renderInitSql(spec);

  test('is a strict bash script running psql as the entrypoint does', () => {
    expect(script.startsWith('#!/usr/bin/env bash\n')).toBe(true);
    expect(script).toContain('\nset -euo pipefail\n');
    expect(script).toContain('psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB"');
    expect(script).toContain("<<'EOSQL'\n");
    expect(script.trimEnd().split('\n').slice(-2)).toEqual(['EOSQL', 'log "database ${POSTGRES_DB} initialised"']);
  });

  test('passes passwords as psql variables from env vars, checked non-empty first', () => {
    for (const r of roles) {
      expect(script).toContain(`-v pw_${r.name}="$${r.passwordEnv}"`);
      expect(script).toContain(`: "\${${r.passwordEnv}:?${r.passwordEnv} must be set to the password of role ${r.name}}"`);
      expect(sql).toContain(`PASSWORD :'pw_${r.name}';`);
    }
    expect(script.indexOf(': "${APP_RW_PASSWORD:?')).toBeLessThan(script.indexOf('psql -v'));
  });

  test('uses SCRAM and keeps statements with passwords out of logs and pg_stat_statements', () => {
    expect(sql).toContain("SET password_encryption = 'scram-sha-256';");
    expect(sql).toContain("SET log_statement = 'none';");
    expect(sql).toContain("SET log_min_error_statement = 'panic';");
    expect(sql).toContain('SET pg_stat_statements.track_utility = off;');
    expect(sql).toContain('\\set VERBOSITY terse');
  });

  test('runs in one transaction, then reloads the configuration and certificate', () => {
    const lines = sql.split('\n').filter((l) => l.trim() && !l.startsWith('--'));
    expect(lines.indexOf('BEGIN;')).toBeGreaterThan(0);
    expect(lines.slice(-2)).toEqual(['COMMIT;', 'SELECT pg_reload_conf() AS reloaded \\gset']);
  });

  test('revokes PUBLIC access first', () => {
    expect(sql).toContain('REVOKE CONNECT, TEMPORARY ON DATABASE :"dbname" FROM PUBLIC;');
    expect(sql).toContain('REVOKE CREATE ON SCHEMA public FROM PUBLIC;');
    expect(script).toContain('-v dbname="$POSTGRES_DB"');
  });

  test('creates extensions and schemas idempotently; the owner owns the schemas', () => {
    expect(sql).toContain('CREATE EXTENSION IF NOT EXISTS "uuid-ossp";');
    expect(sql).toContain('CREATE EXTENSION IF NOT EXISTS "pgcrypto";');
    expect(sql).toContain('CREATE SCHEMA IF NOT EXISTS "app" AUTHORIZATION "app_owner";');
    expect(sql).toContain('ALTER SCHEMA "audit" OWNER TO "app_owner";');
    expect(sql).toContain('GRANT CONNECT, CREATE, TEMPORARY ON DATABASE :"dbname" TO "app_owner";');
  });

  test('creates each role if missing, then sets LOGIN, limits and no superpowers', () => {
    expect(sql).toContain(
      "SELECT format('CREATE ROLE %I', 'app_rw') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app_rw') \\gexec",
    );
    expect(sql).toMatch(
      /ALTER ROLE "app_rw" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 20 PASSWORD :'pw_app_rw';/,
    );
    expect(sql).toContain('CONNECTION LIMIT -1 PASSWORD');
    for (const r of roles) expect(sql).toMatch(new RegExp(`GRANT CONNECT.* ON DATABASE :"dbname" TO "${r.name}";`));
  });

  test('readwrite: DML, sequences, functions and default privileges for the owner', () => {
    expect(sql).toContain('GRANT USAGE ON SCHEMA "app" TO "app_rw";');
    expect(sql).toContain('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "app" TO "app_rw";');
    expect(sql).toContain('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA "audit" TO "app_rw";');
    expect(sql).toContain('GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA "app" TO "app_rw";');
    expect(sql).toContain(
      'ALTER DEFAULT PRIVILEGES FOR ROLE "app_owner" IN SCHEMA "app" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "app_rw";',
    );
    expect(sql).toContain('ALTER DEFAULT PRIVILEGES FOR ROLE "app_owner" IN SCHEMA "audit" GRANT EXECUTE ON FUNCTIONS TO "app_rw";');
  });

  test('readonly: SELECT, default privileges, read-only sessions; no write grants', () => {
    expect(sql).toContain('GRANT SELECT ON ALL TABLES IN SCHEMA "app" TO "app_ro";');
    expect(sql).toContain('ALTER DEFAULT PRIVILEGES FOR ROLE "app_owner" IN SCHEMA "app" GRANT SELECT ON TABLES TO "app_ro";');
    expect(sql).toContain('ALTER ROLE "app_ro" SET default_transaction_read_only = on;');
    expect(sql).not.toMatch(/INSERT.*TO "app_ro"/);
  });

  test('monitor: pg_monitor only', () => {
    expect(sql).toContain('GRANT pg_monitor TO "app_mon";');
    expect(sql).not.toMatch(/ON (ALL TABLES IN )?SCHEMA .* TO "app_mon"/);
  });

  test('without an owner, default privileges are for the superuser running the script', () => {
    const s = renderInitSql({ schemas: ['data'], extensions: [], roles: [roles[1]] });
    expect(s).toContain(
      'ALTER DEFAULT PRIVILEGES FOR ROLE CURRENT_USER IN SCHEMA "data" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "app_rw";',
    );
    expect(s).toContain('CREATE SCHEMA IF NOT EXISTS "data";');
    expect(s).not.toContain('AUTHORIZATION');
  });

  test('refuses at run time to alter the bootstrap superuser', () => {
    expect(sql).toContain("IF current_user = ANY (ARRAY['app_owner', 'app_rw', 'app_ro', 'app_mon']) THEN");
  });

  test('an empty spec still locks down PUBLIC', () => {
    const s = renderInitScript({ schemas: [], extensions: [], roles: [] });
    expect(s).toContain('REVOKE CONNECT, TEMPORARY ON DATABASE :"dbname" FROM PUBLIC;');
    expect(s).not.toContain('-v pw_');
  });

  describe('validation', () => {
    const withRole = (patch: Partial<PostgresRoleSpec>): PostgresInitSpec => ({
      schemas: ['app'],
      extensions: [],
      roles: [{ name: 'app_rw', access: 'readwrite', connectionLimit: 1, passwordEnv: 'PW', ...patch }],
    });

    test.each([['App'], ['1app'], ['app-x'], ['a'.repeat(64)], [''], ['app x'], ['app"x']])('rejects role name %j', (name) => {
      expect(() => renderInitScript(withRole({ name }))).toThrow(/^roles\[0\]\.name: got .*; expected an identifier matching/);
    });

    test.each([['public'], ['none'], ['current_user'], ['session_user'], ['current_role'], ['pg_admin']])(
      'rejects reserved role name %s',
      (name) => {
        expect(() => renderInitScript(withRole({ name }))).toThrow(
          new RegExp(`roles\\[0\\]\\.name: got "${name}"; expected a role name that is not reserved`),
        );
      },
    );

    test('accepts a 63-character name', () => {
      expect(() => renderInitScript(withRole({ name: 'a'.repeat(63) }))).not.toThrow();
    });

    test.each([['pg_temp'], ['information_schema'], ['Bad'], ['x-y']])('rejects schema %j', (schema) => {
      expect(() => renderInitScript({ schemas: ['app', schema], extensions: [], roles: [] })).toThrow(/^schemas\[1\]: got /);
    });

    test('rejects duplicate schemas, extensions and roles', () => {
      expect(() => renderInitScript({ schemas: ['app', 'app'], extensions: [], roles: [] })).toThrow(
        /schemas\[1\]: got "app" again; expected each schema once/,
      );
      expect(() => renderInitScript({ schemas: [], extensions: ['pgcrypto', 'pgcrypto'], roles: [] })).toThrow(
        /extensions\[1\]: got "pgcrypto" again/,
      );
      expect(() => renderInitScript({ schemas: [], extensions: [], roles: [roles[1], { ...roles[1], passwordEnv: 'X' }] })).toThrow(
        /roles\[1\]\.name: got "app_rw" again; expected each role name once/,
      );
    });

    test.each([['PgCrypto'], ['pg crypto'], ['pgcrypto;drop'], ['"x"'], ['']])('rejects extension %j', (ext) => {
      expect(() => renderInitScript({ schemas: [], extensions: [ext], roles: [] })).toThrow(
        /^extensions\[0\]: got .*; expected an extension name matching/,
      );
    });

    test('rejects an unknown access level', () => {
      expect(() => renderInitScript(withRole({ access: 'admin' as PostgresRoleSpec['access'] }))).toThrow(
        /roles\[0\]\.access: got "admin"; expected one of "owner", "readwrite", "readonly", "monitor"/,
      );
    });

    test('rejects a second owner, naming both', () => {
      expect(() =>
        renderInitScript({ schemas: [], extensions: [], roles: [roles[0], { ...roles[1], name: 'other_owner', access: 'owner' }] }),
      ).toThrow(
        /roles\[1\]\.access: got "owner" for role "other_owner"; expected at most one owner role \("app_owner" is already the owner\)/,
      );
    });

    test.each([[-2], [1.5], [NaN], [2147483648], ['10' as unknown as number]])('rejects connection limit %p', (connectionLimit) => {
      expect(() => renderInitScript(withRole({ connectionLimit }))).toThrow(
        /roles\[0\]\.connectionLimit: got .*; expected an integer >= -1 \(-1 means no limit\)/,
      );
    });

    test('accepts connection limits -1 and 0', () => {
      expect(renderInitSql(withRole({ connectionLimit: -1 }))).toContain('CONNECTION LIMIT -1 ');
      expect(renderInitSql(withRole({ connectionLimit: 0 }))).toContain('CONNECTION LIMIT 0 ');
    });

    test.each([['1PW'], ['PW-X'], ['PW X'], [''], ['$PW'], ['PW}']])('rejects env var name %j', (passwordEnv) => {
      expect(() => renderInitScript(withRole({ passwordEnv }))).toThrow(
        /roles\[0\]\.passwordEnv: got .*; expected an environment variable name matching/,
      );
    });

    test.each([['POSTGRES_PASSWORD'], ['POSTGRES_USER'], ['POSTGRES_DB'], ['PGPASSWORD']])(
      'rejects the reserved env var %s',
      (passwordEnv) => {
        expect(() => renderInitScript(withRole({ passwordEnv }))).toThrow(/expected a variable of the role's own/);
      },
    );

    test('rejects a malformed spec', () => {
      expect(() => renderInitScript({ schemas: 'app', extensions: [], roles: [] } as unknown as PostgresInitSpec)).toThrow(
        /spec schemas: got "app"; expected an array/,
      );
      expect(() => renderInitScript({ schemas: [], extensions: [], roles: [null as unknown as PostgresRoleSpec] })).toThrow(
        /roles\[0\]: got null/,
      );
    });
  });
});

describe('quoting helpers', () => {
  test('quoteIdent and quoteLiteral double their quote character', () => {
    expect(quoteIdent('a"b')).toBe('"a""b"');
    expect(quoteLiteral("it's")).toBe("'it''s'");
  });
});
