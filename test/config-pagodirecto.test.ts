import { loadEnvironment } from '../config';
import { stack as pagodirecto } from '../charts/pagodirecto';
import { stackConfig } from '../lib/config/environment';
import { Doc } from './support/doc';
import { configProblems, envConfig } from './support/synth';

const problems = configProblems;

const P = 'stacks.pagodirecto';

describe('pagodirecto config', () => {
  test('dev and prod carry the seed facts', () => {
    for (const name of ['dev', 'prod'] as const) {
      const p = stackConfig(loadEnvironment(envConfig(name)), pagodirecto);
      expect(p.postgres.database).toBe('pagodirecto_crm');
      expect(p.postgres.schemas).toHaveLength(8);
      expect(p.postgres.extensions).toEqual(['uuid-ossp', 'pgcrypto', 'pg_stat_statements', 'pg_trgm']);
      expect(p.postgres.rowLevelSecurity.tenantSetting).toBe('app.tenant_id');
    }
  });

  test('unknown key names the allowed keys', () => {
    const cfg = envConfig('dev');
    cfg.stacks.pagodirecto.backend.poolSize = 5;
    expect(problems(cfg)).toMatch(
      /stacks\.pagodirecto\.backend\.poolSize: got 5; expected no such key; allowed keys here: image, standIn, replicas, autoscaling, resources, connectionPoolSize, connectionPoolMinIdle, jvmMaxRamPercentage/,
    );
  });

  test.each([
    [
      'adminer',
      (c: Doc) => {
        c.stacks.pagodirecto.adminer.enabled = true;
      },
      `${P}.adminer.enabled: got true; expected false: adminer is a development tool and is not allowed in a prod profile`,
    ],
    [
      'LocalStack',
      (c: Doc) => {
        c.stacks.pagodirecto.localstack.enabled = true;
        c.stacks.pagodirecto.localstack.storage = { size: '2Gi', storageClassName: 'gp3-encrypted' };
      },
      `${P}.localstack.enabled: got true; expected false: localstack is a development tool`,
    ],
    [
      'a backend stand-in',
      (c: Doc) => {
        c.stacks.pagodirecto.backend.standIn = true;
      },
      `${P}.backend.standIn: got true; expected false: a stand-in image is only allowed in a dev profile; set backend.image`,
    ],
    [
      'a frontend stand-in',
      (c: Doc) => {
        c.stacks.pagodirecto.frontend.standIn = true;
      },
      `${P}.frontend.standIn: got true; expected false: a stand-in image is only allowed in a dev profile; set frontend.image`,
    ],
    [
      'LocalStack backups',
      (c: Doc) => {
        c.stacks.pagodirecto.backups.target = 'localstack';
      },
      `${P}.backups.target: got "localstack"; expected 's3' in a prod profile`,
    ],
    [
      'no AWS wiring',
      (c: Doc) => {
        delete c.stacks.pagodirecto.aws;
      },
      `${P}.aws: got nothing; expected IRSA role ARNs and a Secrets Manager prefix`,
    ],
  ])('prod refuses %s', (_, change, message) => {
    const cfg = envConfig('prod');
    change(cfg);
    expect(problems(cfg)).toContain(message);
  });

  test('LocalStack backups need LocalStack', () => {
    const cfg = envConfig('dev');
    cfg.stacks.pagodirecto.localstack.enabled = false;
    expect(problems(cfg)).toContain(`${P}.backups.target: got "localstack"; expected 's3', or set localstack.enabled in this stack`);
  });

  test('the Hikari pools of all backend pods must fit the app role connection limit', () => {
    const cfg = envConfig('prod');
    cfg.stacks.pagodirecto.backend.connectionPoolSize = 30;
    expect(problems(cfg)).toContain(
      `${P}.backend.connectionPoolSize: got 30; expected at most roles.app.connectionLimit (100) / 4 backend pod(s) at most = 25`,
    );
  });

  test('the role limits must fit max_connections', () => {
    const cfg = envConfig('prod');
    cfg.stacks.pagodirecto.postgres.settings.max_connections = 90;
    expect(problems(cfg)).toContain(
      `${P}.postgres.settings.max_connections: got 90; expected at least 121: the role connection limits plus the exporter add up to 118, and 3 are reserved for the superuser`,
    );
  });

  test('max_connections must be set as a number', () => {
    const cfg = envConfig('dev');
    delete cfg.stacks.pagodirecto.postgres.settings.max_connections;
    expect(problems(cfg)).toContain(`${P}.postgres.settings.max_connections: got nothing; expected a number`);
  });

  test('the auth rate limit must be stricter than the API limit', () => {
    const cfg = envConfig('dev');
    cfg.stacks.pagodirecto.edge.authRateLimit = { average: 20, burst: 40, period: '1s' };
    expect(problems(cfg)).toContain(
      `${P}.edge.authRateLimit: got {"average":20,"burst":40,"period":"1s"}; expected a stricter limit than edge.apiRateLimit (10 per 1s)`,
    );
  });

  test.each([
    [
      'a rate-limit period',
      (c: Doc) => {
        c.stacks.pagodirecto.edge.apiRateLimit.period = '0s';
      },
      `${P}.edge.apiRateLimit.period: got "0s"; expected a period such as '1s', '1m' or '1h'`,
    ],
    [
      'a zero burst',
      (c: Doc) => {
        c.stacks.pagodirecto.edge.authRateLimit.burst = 0;
      },
      `${P}.edge.authRateLimit.burst: got 0; expected an integer >= 1`,
    ],
    [
      'an auth path outside /api',
      (c: Doc) => {
        c.stacks.pagodirecto.edge.authPath = '/auth';
      },
      `${P}.edge.authPath: got "/auth"; expected a path under /api/`,
    ],
    [
      'a tiny body limit',
      (c: Doc) => {
        c.stacks.pagodirecto.edge.maxRequestBodyBytes = 10;
      },
      `${P}.edge.maxRequestBodyBytes: got 10; expected an integer >= 1024`,
    ],
    [
      'a CSP with a newline',
      (c: Doc) => {
        c.stacks.pagodirecto.edge.contentSecurityPolicy = "default-src 'self'\nx";
      },
      `${P}.edge.contentSecurityPolicy: got`,
    ],
    [
      'a tenant setting without a prefix',
      (c: Doc) => {
        c.stacks.pagodirecto.postgres.rowLevelSecurity.tenantSetting = 'tenant_id';
      },
      `${P}.postgres.rowLevelSecurity.tenantSetting: got "tenant_id"; expected a custom setting '<prefix>.<name>'`,
    ],
    [
      'a pg_ tenant setting',
      (c: Doc) => {
        c.stacks.pagodirecto.postgres.rowLevelSecurity.tenantSetting = 'pg_app.tenant';
      },
      `${P}.postgres.rowLevelSecurity.tenantSetting: got "pg_app.tenant"`,
    ],
    [
      'a tenant type',
      (c: Doc) => {
        c.stacks.pagodirecto.postgres.rowLevelSecurity.tenantType = 'json';
      },
      `${P}.postgres.rowLevelSecurity.tenantType: got "json"; expected one of 'uuid', 'bigint', 'integer', 'text'`,
    ],
    [
      'a tenant column',
      (c: Doc) => {
        c.stacks.pagodirecto.postgres.rowLevelSecurity.tenantColumn = 'Tenant-Id';
      },
      `${P}.postgres.rowLevelSecurity.tenantColumn: got "Tenant-Id"; expected a PostgreSQL identifier`,
    ],
    [
      'a JVM heap share',
      (c: Doc) => {
        c.stacks.pagodirecto.backend.jvmMaxRamPercentage = 95;
      },
      `${P}.backend.jvmMaxRamPercentage: got 95; expected an integer >= 10 and <= 90`,
    ],
    [
      'a pool size',
      (c: Doc) => {
        c.stacks.pagodirecto.backend.connectionPoolSize = 0;
      },
      `${P}.backend.connectionPoolSize: got 0; expected an integer >= 1 and <= 500`,
    ],
    [
      'duplicate role names',
      (c: Doc) => {
        c.stacks.pagodirecto.roles.readonly.name = 'pagodirecto_app';
      },
      `${P}.roles: got ["pagodirecto_owner","pagodirecto_app","pagodirecto_app"]; expected three different role names`,
    ],
    [
      'the superuser as a role',
      (c: Doc) => {
        c.stacks.pagodirecto.roles.owner.name = 'postgres';
      },
      `${P}.roles: got ["postgres","pagodirecto_app","pagodirecto_readonly"]; expected role names other than 'postgres'`,
    ],
    [
      'shared_buffers over half the limit',
      (c: Doc) => {
        c.stacks.pagodirecto.postgres.settings.shared_buffers = '300MB';
      },
      `${P}.postgres.settings.shared_buffers: got "300MB"; expected at most half of resources.memoryLimit (512Mi)`,
    ],
    [
      'a backup schedule',
      (c: Doc) => {
        c.stacks.pagodirecto.backups.schedule = 'daily';
      },
      `${P}.backups.schedule: got "daily"; expected a five-field cron expression`,
    ],
    [
      'an unpinned frontend image',
      (c: Doc) => {
        c.stacks.pagodirecto.frontend.image = 'ghcr.io/pagodirecto/frontend:latest';
      },
      `${P}.frontend.image: got "ghcr.io/pagodirecto/frontend:latest"; expected an image reference pinned to a version`,
    ],
    [
      'an unpinned adminer image',
      (c: Doc) => {
        c.stacks.pagodirecto.adminer.image = 'adminer';
      },
      `${P}.adminer.image: got "adminer"; expected an image reference pinned`,
    ],
    [
      'a CORS origin with a path',
      (c: Doc) => {
        c.stacks.pagodirecto.corsAllowedOrigins = ['https://crm.example.com/app'];
      },
      `${P}.corsAllowedOrigins[0]: got "https://crm.example.com/app"; expected an origin`,
    ],
  ])('rejects %s', (_, change, message) => {
    const cfg = envConfig('dev');
    change(cfg);
    expect(problems(cfg)).toContain(message);
  });
});
