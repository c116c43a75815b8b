import { Testing } from 'cdk8s';
import { PostgresDatabase, PostgresDatabaseProps } from '../../lib/constructs/data/postgres-database';
import { derivePostgresMemorySettings } from '../../lib/constructs/data/postgres-memory';
import { WebService } from '../../lib/constructs/workloads/web-service';
import { SPRING_BOOT_POOL_ENV } from '../../lib/constructs/workloads/spring-boot';
import { Doc } from '../support/doc';

const props: PostgresDatabaseProps = {
  namespace: 'shop',
  partOf: 'shop',
  image: 'postgres:15.8-bookworm',
  database: 'shop',
  superuserPassword: { secret: 'pg', key: 'POSTGRES_PASSWORD' },
  schemas: ['app'],
  roles: [
    { name: 'app_rw', access: 'readwrite', connectionLimit: 40, password: { secret: 'pg', key: 'APP_RW_PASSWORD' } },
    { name: 'app_ro', access: 'readonly', connectionLimit: 5, password: { secret: 'pg', key: 'APP_RO_PASSWORD' } },
  ],
  settings: {},
  resources: { cpuRequest: '100m', memoryRequest: '2Gi', memoryLimit: '2Gi' },
  storage: { size: '1Gi', storageClassName: 'standard' },
};

function postgresConf(docs: readonly Doc[]): Record<string, string> {
  const text: string = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'postgres-config')!.data['postgresql.conf'];
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l.includes(' = '))
      .map((l) => l.split(' = ') as [string, string]),
  );
}

describe('derivePostgresMemorySettings', () => {
  test("the seed's 8GB server with max_connections 200: 25 %, 75 %, 1/16 and (limit - shared_buffers) / connections", () => {
    expect(derivePostgresMemorySettings('8Gi', 200)).toEqual({
      shared_buffers: '2048MB',
      effective_cache_size: '6144MB',
      maintenance_work_mem: '512MB',
      work_mem: '30MB',
    });
  });

  test('does not depend on how the limit is spelled; max_connections defaults to 100', () => {
    expect(derivePostgresMemorySettings('2048Mi')).toEqual(derivePostgresMemorySettings('2Gi', 100));
    expect(derivePostgresMemorySettings('512Mi')).toEqual({
      shared_buffers: '128MB',
      effective_cache_size: '384MB',
      maintenance_work_mem: '32MB',
      work_mem: '3MB',
    });
  });

  test('maintenance_work_mem stops at 2GB', () => {
    expect(derivePostgresMemorySettings('64Gi', 500).maintenance_work_mem).toBe('2048MB');
  });

  test.each<[string, number | undefined, RegExp]>([
    ['lots', undefined, /memoryLimit got "lots"; expected a memory quantity such as '2Gi'/],
    ['128Mi', undefined, /memoryLimit got '128Mi'; expected at least 256Mi/],
    ['2Gi', 0, /max_connections got 0; expected an integer >= 1/],
    ['2Gi', 1.5, /max_connections got 1.5; expected an integer >= 1/],
    ['256Mi', 500, /memoryLimit got '256Mi' for max_connections 500; expected at least 667Mi .*or fewer connections/],
  ])('rejects memoryLimit %s with max_connections %s', (limit, connections, message) => {
    expect(() => derivePostgresMemorySettings(limit, connections)).toThrow(message);
  });
});

describe('PostgresDatabase memory settings', () => {
  const synth = (p: Partial<PostgresDatabaseProps>): Doc[] => {
    const chart = Testing.chart();
    new PostgresDatabase(chart, 'postgres', { ...props, ...p });
    return Testing.synth(chart);
  };

  test('are derived from resources.memoryLimit and max_connections', () => {
    expect(postgresConf(synth({ settings: { max_connections: 150 } }))).toMatchObject({
      max_connections: '150',
      shared_buffers: "'512MB'",
      effective_cache_size: "'1536MB'",
      maintenance_work_mem: "'128MB'",
      work_mem: "'10MB'",
    });
  });

  test('a setting given explicitly overrides its derived value, the others stay derived', () => {
    expect(postgresConf(synth({ settings: { work_mem: '16MB' } }))).toMatchObject({ work_mem: "'16MB'", shared_buffers: "'512MB'" });
  });

  test.each<[string, Partial<PostgresDatabaseProps>, RegExp]>([
    [
      'a memory limit too small',
      { resources: { cpuRequest: '100m', memoryRequest: '128Mi', memoryLimit: '128Mi' } },
      /PostgresDatabase 'postgres': resources.memoryLimit got '128Mi'; expected at least 256Mi/,
    ],
    [
      'max_connections not an integer',
      { settings: { max_connections: 'many' } },
      /settings.max_connections got "many"; expected an integer >= 1/,
    ],
    [
      'superuser_reserved_connections negative',
      { settings: { superuser_reserved_connections: -1 } },
      /settings.superuser_reserved_connections got -1; expected an integer >= 0/,
    ],
  ])('rejects %s', (_, p, message) => {
    expect(() => synth(p)).toThrow(message);
  });
});

describe('PostgresDatabase.client and the connection budget', () => {
  function setup(): { chart: ReturnType<typeof Testing.chart>; db: PostgresDatabase; web: WebService } {
    const chart = Testing.chart();
    const db = new PostgresDatabase(chart, 'postgres', { ...props, settings: { max_connections: 60, superuser_reserved_connections: 2 } });
    const web = new WebService(chart, 'web', {
      namespace: 'shop',
      name: 'web',
      partOf: 'shop',
      image: 'ghcr.io/shop/web:1.0.0',
      port: 8080,
      runAs: { user: 1001 },
      resources: { cpuRequest: '100m', memoryRequest: '256Mi', memoryLimit: '512Mi' },
      readinessPath: '/health',
      replicas: 2,
      env: { DB_HOST: db.host },
    });
    return { chart, db, web };
  }

  test('sets the pool variables on the container and records the client, role limits and reserved connections', () => {
    const { chart, db, web } = setup();
    db.client(web.deployment, { role: 'app_rw', poolSize: 12, minIdle: 4 });
    const deployment = Testing.synth(chart).find((d) => d.kind === 'Deployment' && d.metadata.name === 'web')!;
    expect(deployment.spec.template.spec.containers[0].env).toEqual([
      { name: 'DB_HOST', value: 'postgres.shop.svc.cluster.local' },
      { name: 'DB_POOL_MAX_SIZE', value: '12' },
      { name: 'DB_POOL_MIN_IDLE', value: '4' },
    ]);
    db.reserveConnections('backup', 1);
    expect(db.connectionBudget()).toEqual({
      namespace: 'shop',
      name: 'postgres',
      maxConnections: 60,
      roles: { app_rw: 40, app_ro: 5 },
      reserved: [
        { what: 'superuser_reserved_connections', connections: 2 },
        { what: 'postgres-reconcile (Job and CronJob, superuser)', connections: 2 },
        { what: 'backup', connections: 1 },
      ],
      clients: [
        {
          kind: 'Deployment',
          name: 'web',
          container: 'web',
          role: 'app_rw',
          env: { maxSize: 'DB_POOL_MAX_SIZE', minIdle: 'DB_POOL_MIN_IDLE' },
        },
      ],
    });
  });

  test("takes other variable names (Spring Boot's Hikari properties)", () => {
    const { chart, db, web } = setup();
    db.client(web.deployment, { role: 'app_rw', poolSize: 20, minIdle: 5, env: SPRING_BOOT_POOL_ENV });
    const env = Testing.synth(chart).find((d) => d.kind === 'Deployment')!.spec.template.spec.containers[0].env as Doc[];
    expect(env).toEqual(
      expect.arrayContaining([
        { name: 'SPRING_DATASOURCE_HIKARI_MAXIMUMPOOLSIZE', value: '20' },
        { name: 'SPRING_DATASOURCE_HIKARI_MINIMUMIDLE', value: '5' },
      ]),
    );
  });

  test.each<[string, Parameters<PostgresDatabase['client']>[1], RegExp]>([
    [
      'an unknown role',
      { role: 'nobody', poolSize: 5, minIdle: 1 },
      /role 'nobody'; expected one of the database's roles \(app_rw, app_ro\)/,
    ],
    ['a pool size of 0', { role: 'app_rw', poolSize: 0, minIdle: 0 }, /poolSize 0; expected an integer >= 1/],
    ['minIdle above the pool size', { role: 'app_rw', poolSize: 5, minIdle: 6 }, /minIdle 6; expected an integer from 0 to poolSize \(5\)/],
    [
      'an unknown container',
      { role: 'app_rw', poolSize: 5, minIdle: 1, container: 'sidecar' },
      /container "sidecar"; expected a container of its pod template \(web\)/,
    ],
    [
      'a variable the container already sets',
      { role: 'app_rw', poolSize: 5, minIdle: 1, env: { maxSize: 'DB_HOST', minIdle: 'DB_POOL_MIN_IDLE' } },
      /container 'web' already sets DB_HOST; expected the pool bounds to be declared only here/,
    ],
  ])('rejects %s', (_, options, message) => {
    const { db, web } = setup();
    expect(() => db.client(web.deployment, options)).toThrow(message);
  });

  test('rejects a reserved count below 1', () => {
    expect(() => setup().db.reserveConnections('backup', 0)).toThrow(/reserveConnections\('backup'\) got 0; expected an integer >= 1/);
  });
});
