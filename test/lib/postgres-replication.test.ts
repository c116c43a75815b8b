import { Testing } from 'cdk8s';
import { renderPgHba, renderInitSql } from '../../lib/constructs/data/postgres-config';
import { PostgresDatabase, PostgresDatabaseProps } from '../../lib/constructs/data/postgres-database';
import { standbyPrimarySettings, standbySlotName } from '../../lib/constructs/data/postgres-replication';
import { StatefulStore } from '../../lib/constructs/data/stateful-store';
import { ServiceGraph } from '../../lib/constructs/network/service-graph';
import { Doc } from '../support/doc';
import { secretKey, TEST_EXPORTER, testPostgresProps } from '../support/postgres-props';

const secret = secretKey('pg');
const props: PostgresDatabaseProps = testPostgresProps('pg', {
  roles: [
    { name: 'app_rw', access: 'readwrite', connectionLimit: 10, password: secret('APP_RW_PASSWORD') },
    { name: 'analytics', access: 'readonly', connectionLimit: 5, password: secret('ANALYTICS_PASSWORD') },
    { name: 'exporter', access: 'monitor', connectionLimit: 3, password: secret('EXPORTER_PASSWORD') },
  ],
  storage: { size: '50Gi', storageClassName: 'gp3' },
  exporter: TEST_EXPORTER,
  release: 'kube-prometheus-stack',
  tls: { issuer: { name: 'internal-ca' } },
  standby: { replicationPassword: secret('REPLICATION_PASSWORD') },
});

function synth(p: Partial<PostgresDatabaseProps> = {}): { docs: Doc[]; postgres: PostgresDatabase; graph: ServiceGraph } {
  const chart = Testing.chart();
  const graph = new ServiceGraph(chart, 'graph', { namespace: 'shop', externals: { prometheus: { namespace: 'monitoring' } } });
  const postgres = new PostgresDatabase(chart, 'postgres', { ...props, ...p });
  postgres.addToGraph(graph);
  return { docs: Testing.synth(chart), postgres, graph };
}

const find = (docs: Doc[], kind: string, name: string) => docs.find((d) => d.kind === kind && d.metadata.name === name);
const envOf = (c: Doc) => Object.fromEntries((c.env as Doc[]).map((e) => [e.name, e.value ?? e.valueFrom.secretKeyRef]));

describe('PostgresDatabase with a standby', () => {
  const { docs, postgres, graph } = synth();
  const standby = find(docs, 'StatefulSet', 'postgres-replica')!;
  const pod = standby.spec.template.spec;

  test('renders the standby objects (snapshot)', () => {
    const names = [
      ['StatefulSet', 'postgres-replica'],
      ['Service', 'postgres-replica'],
      ['Service', 'postgres-ro'],
      ['PodDisruptionBudget', 'postgres'],
      ['CronJob', 'postgres-promote'],
      ['ConfigMap', 'postgres-promote'],
      ['ConfigMap', 'postgres-replica-scripts'],
    ];
    const objects = names.map(([kind, name]) => find(docs, kind, name));
    expect(objects.every(Boolean)).toBe(true);
    expect(objects).toMatchSnapshot();
  });

  test('the primary is configured for streaming replication with a bounded slot', () => {
    const conf = find(docs, 'ConfigMap', 'postgres-config')!.data['postgresql.conf'];
    expect(conf).toMatch(/^wal_level = 'replica'$/m);
    expect(conf).toMatch(/^max_wal_senders = 10$/m);
    expect(conf).toMatch(/^max_replication_slots = 10$/m);
    expect(conf).toMatch(/^hot_standby = on$/m);
    // A fifth of 50Gi.
    expect(conf).toMatch(/^max_slot_wal_keep_size = '10240MB'$/m);
    const hba = find(docs, 'ConfigMap', 'postgres-config')!.data['pg_hba.conf'];
    expect(hba).toMatch(/^hostssl\s+replication\s+replicator\s+10\.0\.0\.0\/8\s+scram-sha-256$/m);
    expect(hba).not.toMatch(/^host\s+replication/m);
    // The standby reads the same files.
    expect(find(docs, 'ConfigMap', 'postgres-replica-config')!.data).toEqual(find(docs, 'ConfigMap', 'postgres-config')!.data);
  });

  test('the init script creates the replication role and slot, with the password from the Secret only', () => {
    const script = find(docs, 'ConfigMap', 'postgres-init')!.data['10-init-database.sh'];
    expect(script).toContain('ALTER ROLE "replicator" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT REPLICATION');
    expect(script).toContain("pg_create_physical_replication_slot('postgres_replica_0', true)");
    expect(script).toContain('-v pw_replicator="$PG_REPLICATION_PASSWORD"');
    const primary = find(docs, 'StatefulSet', 'postgres')!.spec.template.spec.containers[0];
    expect(envOf(primary).PG_REPLICATION_PASSWORD).toEqual({ name: 'pg', key: 'REPLICATION_PASSWORD' });
    const reconcile = docs.find((d) => d.kind === 'Job' && String(d.metadata.name).startsWith('postgres-reconcile-'))!;
    expect(envOf(reconcile.spec.template.spec.containers[0]).PG_REPLICATION_PASSWORD).toEqual({ name: 'pg', key: 'REPLICATION_PASSWORD' });
  });

  test('the standby is required out of the primary zone, clones in an init container and streams from the primary', () => {
    expect(pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual([
      { topologyKey: 'topology.kubernetes.io/zone', labelSelector: { matchLabels: postgres.podLabels } },
    ]);
    expect(pod.initContainers.map((c: Doc) => [c.name, c.command])).toEqual([
      ['clone', ['bash', '/scripts/postgres-standby.sh', 'bootstrap']],
    ]);
    const main = pod.containers[0];
    expect(main.command).toEqual(['bash', '/scripts/postgres-standby.sh', 'start']);
    const env = envOf(main);
    expect(env).toMatchObject({
      PRIMARY_HOST: 'postgres.shop.svc.cluster.local',
      PRIMARY_PORT: '5432',
      REPLICATION_USER: 'replicator',
      REPLICATION_SLOT: 'postgres_replica_0',
      PRIMARY_SSLROOTCERT: '/etc/postgresql-ca/ca.crt',
      REPLICATION_PASSWORD: { name: 'pg', key: 'REPLICATION_PASSWORD' },
    });
    // The init container verifies the primary with the CA only; the server key is for the server.
    const initMounts = pod.initContainers[0].volumeMounts.map((m: Doc) => m.name);
    expect(initMounts).toContain('tls-ca');
    expect(initMounts).not.toContain('tls');
    expect(main.readinessProbe.exec.command[0]).toBe('pg_isready');
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(standby.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    expect(standby.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('50Gi');
  });

  test('postgres-ro selects the standby; the certificate names it and the standby pods', () => {
    const ro = find(docs, 'Service', 'postgres-ro')!;
    expect(ro.spec.selector).toEqual(postgres.standby!.store.podLabels);
    expect(ro.spec.clusterIP).toBeUndefined();
    expect(postgres.readOnlyHost).toBe('postgres-ro.shop.svc.cluster.local');
    const cert = find(docs, 'Certificate', 'postgres-tls')!;
    expect(cert.spec.dnsNames).toEqual(
      expect.arrayContaining(['postgres-ro.shop.svc.cluster.local', '*.postgres-replica.shop.svc.cluster.local']),
    );
  });

  test("a drain of the primary's node is blocked until failover (PDB maxUnavailable 0, with the runbook)", () => {
    const pdb = find(docs, 'PodDisruptionBudget', 'postgres')!;
    expect(pdb.spec).toEqual({ maxUnavailable: 0, selector: { matchLabels: postgres.podLabels } });
    expect(pdb.metadata.annotations['backends-on-k8s.io/drain-blocking']).toMatch(/waits until the operator fails over/);
  });

  test('the promotion CronJob is suspended, runs once, targets the standby and fences the primary', () => {
    const cron = find(docs, 'CronJob', 'postgres-promote')!;
    expect(cron.spec.suspend).toBe(true);
    expect(cron.spec.jobTemplate.spec.backoffLimit).toBe(0);
    const c = cron.spec.jobTemplate.spec.template.spec.containers[0];
    expect(envOf(c)).toMatchObject({
      PGHOST: 'postgres-replica-0.postgres-replica.shop.svc.cluster.local',
      PRIMARY_HOST: 'postgres.shop.svc.cluster.local',
      PGSSLMODE: 'verify-full',
      PGPASSWORD: { name: 'pg', key: 'POSTGRES_PASSWORD' },
    });
    expect(cron.metadata.annotations['postgres.cdk8s.io/usage']).toContain('create job --from=cronjob/postgres-promote');
    expect(find(docs, 'ConfigMap', 'postgres-promote')!.data['postgres-promote.sh']).toContain('SELECT pg_promote(true, 60)');
  });

  test('the graph lets the standby reach the primary and the promotion reach both', () => {
    const flows = graph.flows.map((f) => `${f.from}>${f.to}:${f.port}`);
    expect(flows).toEqual(
      expect.arrayContaining([
        'postgres-replica>postgres:5432',
        'postgres-promote>postgres-replica:5432',
        'postgres-promote>postgres:5432',
      ]),
    );
  });

  test('the budget counts the fencing session; replication uses WAL sender slots, not connections', () => {
    const budget = postgres.connectionBudget();
    expect(budget.reserved).toContainEqual({ what: 'postgres-promote (fencing check, superuser)', connections: 1 });
    expect(Object.keys(budget.roles)).not.toContain('replicator');
  });
});

describe('PostgresDatabase standby options', () => {
  test('without standby: no replication objects, settings or rows', () => {
    const { docs, postgres } = synth({ standby: undefined });
    expect(postgres.standby).toBeUndefined();
    expect(docs.filter((d) => String(d.metadata.name).match(/replica|-ro$|promote/))).toEqual([]);
    expect(docs.find((d) => d.kind === 'PodDisruptionBudget')).toBeUndefined();
    expect(find(docs, 'ConfigMap', 'postgres-config')!.data['pg_hba.conf']).not.toContain('replication');
  });

  test('preferred zone anti-affinity, a given role, slot bound, storage and resources', () => {
    const { docs } = synth({
      standby: {
        replicationPassword: secret('R'),
        role: 'streamer',
        zoneAntiAffinity: 'preferred',
        maxSlotWalKeepSize: '4GB',
        storage: { size: '80Gi', storageClassName: 'gp3' },
        resources: { cpuRequest: '200m', memoryRequest: '512Mi', memoryLimit: '1Gi' },
      },
    });
    const sts = find(docs, 'StatefulSet', 'postgres-replica')!;
    expect(
      sts.spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey,
    ).toBe('topology.kubernetes.io/zone');
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('80Gi');
    expect(sts.spec.template.spec.containers[0].resources.limits.memory).toBe('1Gi');
    expect(envOf(sts.spec.template.spec.containers[0]).REPLICATION_USER).toBe('streamer');
    const config = find(docs, 'ConfigMap', 'postgres-config')!.data;
    expect(config['postgresql.conf']).toMatch(/^max_slot_wal_keep_size = '4GB'$/m);
    expect(config['pg_hba.conf']).toMatch(/^hostssl\s+replication\s+streamer\s/m);
  });

  test.each([
    [{ tls: undefined }, /standby is set without tls; expected tls as well/],
    [{ settings: { max_connections: 50, wal_level: 'logical' } }, /settings\.wal_level "logical"; expected it unset with standby/],
    [{ settings: { max_connections: 50, max_slot_wal_keep_size: '1GB' } }, /settings\.max_slot_wal_keep_size "1GB"; expected it unset/],
    [
      { standby: { replicationPassword: secret('R'), maxSlotWalKeepSize: '10Gi' } },
      /standby\.maxSlotWalKeepSize '10Gi'; expected a postgresql\.conf size in MB or GB/,
    ],
    [{ standby: { replicationPassword: secret('R'), role: 'Bad-Role' } }, /replication\.role: got "Bad-Role"; expected an identifier/],
    [
      { standby: { replicationPassword: secret('R'), zoneAntiAffinity: 'never' as never } },
      /standby\.zoneAntiAffinity 'never'; expected 'required' or 'preferred'/,
    ],
    [
      { standby: { replicationPassword: secret('R'), role: 'app_rw' } },
      /replication\.role: got "app_rw"; expected a role name that is neither reserved .* nor one of roles/,
    ],
    [
      { standby: { replicationPassword: secret('R'), resources: { cpuRequest: 'lots', memoryRequest: '1Gi', memoryLimit: '1Gi' } } },
      /standby\.resources.*lots/,
    ],
  ])('bad input throws naming the field and value (%#)', (p, message) => {
    expect(() => synth(p as Partial<PostgresDatabaseProps>)).toThrow(message);
  });
});

describe('replication helpers', () => {
  test('slot names have no hyphen', () => {
    expect(standbySlotName('orders-db')).toBe('orders_db_replica_0');
  });

  test('standbyPrimarySettings derives the slot bound from the storage size', () => {
    expect(standbyPrimarySettings('db', { replicationPassword: secret('R') }, '20Gi', {}).max_slot_wal_keep_size).toBe('4096MB');
    expect(standbyPrimarySettings('db', { replicationPassword: secret('R') }, '5G', {}).max_slot_wal_keep_size).toBe('953MB');
  });

  test('renderPgHba: replication rows only for the named role, plain host rows without TLS', () => {
    const hba = renderPgHba({ allowedCidrs: ['10.0.0.0/8'], replicationRoles: ['replicator'] });
    expect(hba).toMatch(/^host\s+replication\s+replicator\s+127\.0\.0\.1\/32\s+scram-sha-256$/m);
    expect(hba).toMatch(/^host\s+replication\s+replicator\s+10\.0\.0\.0\/8\s+scram-sha-256$/m);
    expect(() => renderPgHba({ allowedCidrs: [], replicationRoles: ['Bad Role'] })).toThrow(
      /pg_hba replicationRoles\[0\]: got "Bad Role"; expected a lower-case role name/,
    );
  });

  test('renderInitSql validates the replication spec', () => {
    const spec = { schemas: ['app'], extensions: [], roles: [] };
    const replication = { role: 'replicator', connectionLimit: 3, passwordEnv: 'REPL_PW', slot: 'db_replica_0' };
    expect(renderInitSql({ ...spec, replication })).toContain("'replicator'");
    expect(() => renderInitSql({ ...spec, replication: { ...replication, slot: 'Bad-Slot' } })).toThrow(
      /replication\.slot: got "Bad-Slot"/,
    );
    expect(() => renderInitSql({ ...spec, replication: { ...replication, connectionLimit: 0 } })).toThrow(
      /replication\.connectionLimit: got 0/,
    );
    expect(() => renderInitSql({ ...spec, replication: { ...replication, passwordEnv: 'PGPASSWORD' } })).toThrow(
      /replication\.passwordEnv: got "PGPASSWORD"/,
    );
    expect(() =>
      renderInitSql({
        ...spec,
        roles: [{ name: 'app', access: 'readwrite', connectionLimit: 1, passwordEnv: 'REPL_PW' }],
        replication,
      }),
    ).toThrow(/replication\.passwordEnv: got "REPL_PW", the variable of a login role/);
  });
});

describe("StatefulStore secretFiles for init containers ('init')", () => {
  const base = {
    namespace: 'shop',
    name: 'store',
    partOf: 'shop',
    component: 'database',
    ports: { db: 5000 },
    runAs: { user: 1000 },
    dataPath: '/data',
    storage: { size: '1Gi', storageClassName: 'standard' },
    container: {
      image: 'example/store:1.0',
      runAs: { user: 1000 },
      resources: { cpuRequest: '10m', memoryRequest: '16Mi', memoryLimit: '32Mi' },
    },
    secretFiles: [{ volume: 'ca', secretName: 'ca', keys: ['ca.crt'], mountPath: '/ca', containers: ['init' as const] }],
  };

  test('mounts the files into every init container only', () => {
    const chart = Testing.chart();
    new StatefulStore(chart, 'store', { ...base, initContainers: [{ name: 'prepare', command: ['true'] }] });
    const pod = Testing.synth(chart).find((d) => d.kind === 'StatefulSet')!.spec.template.spec;
    expect(pod.initContainers[0].volumeMounts).toContainEqual({ name: 'ca', mountPath: '/ca', readOnly: true });
    expect(pod.containers[0].volumeMounts.map((m: Doc) => m.name)).not.toContain('ca');
  });

  test('without init containers it throws', () => {
    expect(() => new StatefulStore(Testing.chart(), 'store', base)).toThrow(
      /secretFiles\[0\]\.containers \["init"\]; expected some of 'main'.*there are no init containers/,
    );
  });
});
