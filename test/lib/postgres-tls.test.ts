import { Testing } from 'cdk8s';
import { PostgresDatabase, PostgresDatabaseProps } from '../../lib/constructs/data/postgres-database';
import { renderPgHba } from '../../lib/constructs/data/postgres-config';
import { springBootEnv } from '../../lib/constructs/workloads/spring-boot';
import { WebService } from '../../lib/constructs/workloads/web-service';
import { Doc } from '../support/doc';
import { secretKey, TEST_EXPORTER, testPostgresProps } from '../support/postgres-props';

const secret = secretKey('pg');
const props: PostgresDatabaseProps = testPostgresProps('pg', {
  roles: [
    { name: 'app_rw', access: 'readwrite', connectionLimit: 10, password: secret('APP_RW_PASSWORD') },
    { name: 'exporter', access: 'monitor', connectionLimit: 3, password: secret('EXPORTER_PASSWORD') },
  ],
  exporter: TEST_EXPORTER,
  release: 'kube-prometheus-stack',
  tls: { issuer: { name: 'internal-ca' } },
});

function synth(p: Partial<PostgresDatabaseProps> = {}): { docs: Doc[]; postgres: PostgresDatabase } {
  const chart = Testing.chart();
  const postgres = new PostgresDatabase(chart, 'postgres', { ...props, ...p });
  return { docs: Testing.synth(chart), postgres };
}

const envOf = (c: Doc) => Object.fromEntries((c.env as Doc[]).map((e) => [e.name, e.value ?? e.valueFrom.secretKeyRef]));

describe('PostgresDatabase with tls', () => {
  const { docs, postgres } = synth();
  const sts = docs.find((d) => d.kind === 'StatefulSet')!;
  const pod = sts.spec.template.spec;
  const config = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'postgres-config')!;

  test('a Certificate from the issuer for the Service names, the pods and the loopback', () => {
    const cert = docs.find((d) => d.kind === 'Certificate')!;
    expect(cert.metadata.name).toBe('postgres-tls');
    expect(cert.spec).toMatchObject({
      secretName: 'postgres-tls',
      issuerRef: { name: 'internal-ca', kind: 'Issuer', group: 'cert-manager.io' },
      dnsNames: [
        'postgres',
        'postgres.shop',
        'postgres.shop.svc',
        'postgres.shop.svc.cluster.local',
        '*.postgres.shop.svc.cluster.local',
        'localhost',
      ],
      ipAddresses: ['127.0.0.1'],
      usages: ['server auth', 'digital signature', 'key encipherment'],
    });
    expect(postgres.certificate).toBeDefined();
  });

  test('postgresql.conf turns ssl on with the mounted files and TLS 1.2 at least', () => {
    const conf = config.data['postgresql.conf'] as string;
    expect(conf).toContain('ssl = on\n');
    expect(conf).toContain("ssl_cert_file = '/etc/postgresql/tls/tls.crt'\n");
    expect(conf).toContain("ssl_key_file = '/etc/postgresql/tls/tls.key'\n");
    expect(conf).toContain("ssl_ca_file = '/etc/postgresql/tls/ca.crt'\n");
    expect(conf).toContain("ssl_min_protocol_version = 'TLSv1.2'\n");
  });

  test('pg_hba rejects TCP without TLS before any hostssl row, and has no plain host row', () => {
    const rows = (config.data['pg_hba.conf'] as string).split('\n').filter((l) => l && !l.startsWith('#'));
    const types = rows.map((r) => r.split(/\s+/)[0]);
    expect(types).toEqual(['local', 'hostnossl', 'hostnossl', 'hostssl', 'hostssl', 'hostssl', 'hostssl', 'hostssl']);
    expect(rows[1]).toMatch(/^hostnossl\s+all\s+all\s+0\.0\.0\.0\/0\s+reject$/);
    expect(rows[2]).toMatch(/^hostnossl\s+all\s+all\s+::\/0\s+reject$/);
    for (const r of rows.slice(3)) expect(r).toMatch(/scram-sha-256$/);
  });

  test('the key reaches only the postgres container, root-owned with group fsGroup 999 and mode 0440; the exporter gets the CA alone', () => {
    expect(pod.securityContext.fsGroup).toBe(999);
    const tls = (pod.volumes as Doc[]).find((v) => v.name === 'tls')!;
    expect(tls.secret).toEqual({
      secretName: 'postgres-tls',
      defaultMode: 0o440,
      items: ['tls.crt', 'tls.key', 'ca.crt'].map((key) => ({ key, path: key })),
    });
    const ca = (pod.volumes as Doc[]).find((v) => v.name === 'tls-ca')!;
    expect(ca.secret).toEqual({ secretName: 'postgres-tls', defaultMode: 0o444, items: [{ key: 'ca.crt', path: 'ca.crt' }] });
    const [main, exporter] = pod.containers as Doc[];
    expect(main.volumeMounts).toContainEqual({ name: 'tls', mountPath: '/etc/postgresql/tls', readOnly: true });
    expect(main.volumeMounts.map((m: Doc) => m.name)).not.toContain('tls-ca');
    expect(exporter.volumeMounts).toEqual([{ name: 'tls-ca', mountPath: '/etc/postgresql-ca', readOnly: true }]);
    expect(envOf(exporter).DATA_SOURCE_URI).toBe('127.0.0.1:5432/shop?sslmode=verify-full&sslrootcert=/etc/postgresql-ca/ca.crt');
  });

  test('the reconcile Job verifies the server by its Service name against the CA', () => {
    const job = docs.find((d) => d.kind === 'Job')!;
    const c = job.spec.template.spec.containers[0];
    expect(envOf(c)).toMatchObject({
      PGHOST: 'postgres.shop.svc.cluster.local',
      PGSSLMODE: 'verify-full',
      PGSSLROOTCERT: '/etc/postgresql-ca/ca.crt',
    });
    expect(c.volumeMounts).toContainEqual({ name: 'postgres-ca', mountPath: '/etc/postgresql-ca', readOnly: true });
    expect(job.spec.template.spec.volumes).toContainEqual({
      name: 'postgres-ca',
      secret: { secretName: 'postgres-tls', defaultMode: 0o444, items: [{ key: 'ca.crt', path: 'ca.crt' }] },
    });
  });

  test('clientTls and jdbcUrl give clients verify-full with the CA', () => {
    expect(postgres.clientTls).toMatchObject({
      sslMode: 'verify-full',
      caPath: '/etc/postgresql-ca/ca.crt',
      libpqEnv: { PGSSLMODE: 'verify-full', PGSSLROOTCERT: '/etc/postgresql-ca/ca.crt' },
      secretFiles: { path: '/etc/postgresql-ca', secretName: 'postgres-tls', keys: ['ca.crt'] },
    });
    expect(postgres.jdbcUrl()).toBe(
      'jdbc:postgresql://postgres.shop.svc.cluster.local:5432/shop?sslmode=verify-full&sslrootcert=/etc/postgresql-ca/ca.crt',
    );
  });

  test('a WebService mounts the CA from secretFiles (only ca.crt, read-only)', () => {
    const chart = Testing.chart();
    new WebService(chart, 'api', {
      namespace: 'shop',
      name: 'api',
      partOf: 'shop',
      image: 'example/api:1.0.0',
      port: 8080,
      runAs: { user: 1001 },
      resources: { cpuRequest: '100m', memoryRequest: '128Mi', memoryLimit: '256Mi' },
      readinessPath: '/health',
      replicas: 1,
      env: { ...postgres.clientTls!.libpqEnv },
      secretFiles: [postgres.clientTls!.secretFiles],
    });
    const deployment = Testing.synth(chart).find((d) => d.kind === 'Deployment')!;
    const spec = deployment.spec.template.spec;
    expect(spec.volumes).toContainEqual({
      name: 'secret-0',
      secret: { secretName: 'postgres-tls', defaultMode: 0o444, items: [{ key: 'ca.crt', path: 'ca.crt' }] },
    });
    expect(spec.containers[0].volumeMounts).toContainEqual({ name: 'secret-0', mountPath: '/etc/postgresql-ca', readOnly: true });
  });

  test('springBootEnv puts verify-full and the CA into the JDBC URL', () => {
    const env = springBootEnv({
      port: 8080,
      datasource: {
        host: 'postgres.shop.svc.cluster.local',
        port: 5432,
        database: 'shop',
        username: 'app',
        sslRootCert: '/etc/postgresql-ca/ca.crt',
      },
    });
    expect(env.SPRING_DATASOURCE_URL).toBe(
      'jdbc:postgresql://postgres.shop.svc.cluster.local:5432/shop?sslmode=verify-full&sslrootcert=/etc/postgresql-ca/ca.crt',
    );
    expect(() =>
      springBootEnv({
        port: 8080,
        datasource: { host: 'h', port: 5432, database: 'shop', username: 'app', sslRootCert: 'ca.crt' },
      }),
    ).toThrow(/datasource.sslRootCert: got "ca.crt"; expected an absolute file path/);
  });
});

describe('PostgresDatabase without tls', () => {
  const { docs, postgres } = synth({ tls: undefined });
  test('no Certificate, plain host rows, exporter without TLS, no client TLS', () => {
    expect(docs.filter((d) => d.kind === 'Certificate')).toEqual([]);
    const hba = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'postgres-config')!.data['pg_hba.conf'] as string;
    expect(hba).not.toMatch(/hostssl|hostnossl/);
    expect(postgres.clientTls).toBeUndefined();
    expect(postgres.jdbcUrl()).toBe('jdbc:postgresql://postgres.shop.svc.cluster.local:5432/shop');
  });
});

describe('bad tls input throws at synth, naming the field and the value', () => {
  test('a TLS setting given in settings as well', () => {
    expect(() => synth({ settings: { ssl: false } })).toThrow(
      /PostgresDatabase 'postgres': settings.ssl false; expected it unset with tls \(tls sets ssl = true\)/,
    );
  });
  test('a secret name that is not a DNS name', () => {
    expect(() => synth({ tls: { issuer: { name: 'ca' }, secretName: 'Bad_Name' } })).toThrow(/tls.secretName 'Bad_Name'; expected/);
  });
  test('an unknown issuer kind', () => {
    expect(() => synth({ tls: { issuer: { name: 'ca', kind: 'Other' as 'Issuer' } } })).toThrow(
      /tls.issuer.kind 'Other'; expected 'Issuer' or 'ClusterIssuer'/,
    );
  });
  test('renderPgHba requireTls not a boolean', () => {
    expect(() => renderPgHba({ allowedCidrs: [], requireTls: 'yes' as unknown as boolean })).toThrow(
      /pg_hba requireTls: got "yes"; expected true or false/,
    );
  });
  test('a WebService secretFiles entry without keys', () => {
    const chart = Testing.chart();
    expect(
      () =>
        new WebService(chart, 'api', {
          namespace: 'shop',
          name: 'api',
          partOf: 'shop',
          image: 'example/api:1.0.0',
          port: 8080,
          runAs: { user: 1001 },
          resources: { cpuRequest: '100m', memoryRequest: '128Mi', memoryLimit: '256Mi' },
          readinessPath: '/health',
          replicas: 1,
          secretFiles: [{ path: '/etc/ca', secretName: 'ca', keys: [] }],
        }),
    ).toThrow(/WebService 'api': secretFiles\[0\].keys is empty/);
  });
});
