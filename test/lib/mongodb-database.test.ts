/**
 * MongoDatabase (lib/constructs/data/mongodb-database.ts): the replica set StatefulSet, its init Job,
 * TLS, exporter, client wiring and the errors of bad props. The init script itself is exercised in
 * mongodb-init-script.test.ts.
 */
import { Testing } from 'cdk8s';
import { PodSecurityCheck } from '../../lib/checks/pod-security-check';
import { SecretsCheck } from '../../lib/checks/secrets-check';
import { MongoDatabase, MongoDatabaseProps, mongoInitScript, wiredTigerCacheSizeGB } from '../../lib/constructs/data/mongodb-database';
import { ServiceGraph } from '../../lib/constructs/network/service-graph';
import { manifests, namespace } from '../checks/helpers';
import { Doc } from '../support/doc';
import { expectNoSecretValues, expectProbes, expectRestrictedPods } from '../support/stack-assertions';
import { find, podSpecs } from '../support/synth';
import { MONGO_PROPS_MONITORED, mongoSecret } from '../support/mongodb-fixture';

const secret = mongoSecret;
// Replicas left to each test (the default is 1).
const { replicas: _replicas, ...base }: MongoDatabaseProps = MONGO_PROPS_MONITORED;
const tls = { secretName: 'mongodb-tls', issuer: { name: 'local-ca' } };

function synth(over: Partial<MongoDatabaseProps> = {}) {
  const chart = Testing.chart();
  const mongo = new MongoDatabase(chart, 'mongodb', { ...base, ...over });
  const objects: Doc[] = Testing.synth(chart);
  const name = over.name ?? 'mongodb';
  const sts = find(objects, 'StatefulSet', name);
  const job = objects.find((o) => o.kind === 'Job');
  const pod = sts.spec.template.spec;
  return {
    mongo,
    objects,
    sts,
    pod,
    job,
    mongod: pod.containers[0],
    exporter: pod.containers.find((c: Doc) => c.name === 'exporter'),
    prepare: pod.initContainers[0],
    svc: find(objects, 'Service', name),
  };
}

const envOf = (c: Doc): Record<string, Doc> => Object.fromEntries((c.env ?? []).map((e: Doc) => [e.name, e.value ?? e.valueFrom]));
const flag = (args: string[], name: string) => args[args.indexOf(name) + 1];

describe('MongoDatabase: one member, no TLS', () => {
  const s = synth();

  test('snapshot', () => {
    expect(s.objects).toMatchSnapshot();
  });

  test('mongod: authentication by key file, every interface, the replica set, data on the retained PVC', () => {
    const args: string[] = s.mongod.args;
    expect(args[0]).toBe('mongod');
    expect(args).toContain('--bind_ip_all');
    expect(flag(args, '--replSet')).toBe('rs0');
    expect(flag(args, '--keyFile')).toBe('/run/mongodb/keyfile');
    expect(flag(args, '--dbpath')).toBe('/data/db');
    expect(flag(args, '--wiredTigerCacheSizeGB')).toBe('0.5'); // 2Gi limit: (2 - 1) / 2
    expect(args.some((a) => a.startsWith('--tls'))).toBe(false);
    expect(s.mongod.command).toBeUndefined(); // the image's entrypoint (root user on first start)
    expect(s.mongod.volumeMounts).toContainEqual({ name: 'data', mountPath: '/data/db' });
    expect(s.sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    expect(s.sts.spec.replicas).toBe(1);
    expect(s.mongo.replicas).toBe(1);
  });

  test('read-only root filesystem with /tmp and the memory-backed /run/mongodb writable; HOME is /tmp', () => {
    expect(s.mongod.securityContext.readOnlyRootFilesystem).toBe(true);
    const mounted = Object.fromEntries(s.mongod.volumeMounts.map((m: Doc) => [m.mountPath, m.name]));
    const volume = (mountPath: string) => s.pod.volumes.find((v: Doc) => v.name === mounted[mountPath]);
    expect(volume('/tmp').emptyDir).toEqual({ sizeLimit: '64Mi' });
    expect(volume('/run/mongodb').emptyDir).toEqual({ medium: 'Memory', sizeLimit: '1Mi' });
    expect(envOf(s.mongod).HOME).toBe('/tmp');
  });

  test('the key file Secret is mounted in the prepare init container only, which copies it with mode 0400', () => {
    expect(s.prepare.name).toBe('prepare');
    expect(s.prepare.command).toEqual(['sh', '/etc/mongodb-scripts/prepare.sh']);
    expect(envOf(s.prepare)).toEqual({
      MONGODB_INTERNAL_AUTH_FILE: '/etc/mongodb-secrets/keyfile/keyfile',
      MONGODB_RUN_DIR: '/run/mongodb',
    });
    expect(s.prepare.volumeMounts).toContainEqual({ name: 'keyfile-secret', mountPath: '/etc/mongodb-secrets/keyfile', readOnly: true });
    expect(s.pod.volumes).toContainEqual({
      name: 'keyfile-secret',
      secret: { secretName: 'mongodb-keyfile', defaultMode: 0o400, items: [{ key: 'keyfile', path: 'keyfile' }] },
    });
    for (const c of s.pod.containers) expect(c.volumeMounts?.map((m: Doc) => m.name) ?? []).not.toContain('keyfile-secret');
    const scripts = find(s.objects, 'ConfigMap', 'mongodb-scripts');
    expect(scripts.data['prepare.sh']).toContain('chmod 0400 "$MONGODB_RUN_DIR/keyfile"');
  });

  test('root user from its Secret for the image (first start on an empty volume), never a literal', () => {
    expect(envOf(s.mongod)).toMatchObject({
      MONGO_INITDB_ROOT_USERNAME: 'admin',
      MONGO_INITDB_ROOT_PASSWORD: { secretKeyRef: { name: 'mongodb-credentials', key: 'MONGO_ROOT_PASSWORD' } },
    });
  });

  test('probes: mongosh ping over the loopback, no credentials; a startup probe of 600 s', () => {
    const ping = s.mongod.readinessProbe.exec.command;
    expect(ping.slice(0, 5)).toEqual(['mongosh', '--quiet', '--norc', '--eval', 'db.adminCommand({ ping: 1 }).ok']);
    expect(ping[5]).toMatch(/^mongodb:\/\/127\.0\.0\.1:27017\/admin\?directConnection=true/);
    expect(s.mongod.livenessProbe.exec.command).toEqual(ping);
    const startup = s.mongod.startupProbe;
    expect(startup.exec.command).toEqual(ping);
    expect(startup.periodSeconds * startup.failureThreshold).toBe(600);
    expect(JSON.stringify(s.mongod.readinessProbe)).not.toMatch(/PASSWORD|-p /);
  });

  test('one member: its DNS name resolves while it starts (publishNotReadyAddresses), no PDB', () => {
    expect(s.svc.spec.publishNotReadyAddresses).toBe(true);
    expect(s.objects.filter((o) => o.kind === 'PodDisruptionBudget')).toEqual([]);
    expect(s.mongo.hostList).toBe('mongodb-0.mongodb.shop.svc.cluster.local:27017');
  });

  test('exporter: its own user, loopback URI without credentials, port 9216 and a ServiceMonitor with the release label', () => {
    expect(s.exporter.image).toBe('percona/mongodb_exporter:0.47.2');
    expect(s.exporter.ports).toEqual([{ name: 'metrics', containerPort: 9216, protocol: 'TCP' }]);
    expect(envOf(s.exporter)).toEqual({
      MONGODB_URI: 'mongodb://127.0.0.1:27017/admin?directConnection=true',
      MONGODB_USER: 'mongodb_exporter',
      MONGODB_PASSWORD: { secretKeyRef: { name: 'mongodb-credentials', key: 'MONGO_EXPORTER_PASSWORD' } },
    });
    expect(s.exporter.args).toEqual(
      expect.arrayContaining(['--collector.diagnosticdata', '--collector.replicasetstatus', '--compatible-mode']),
    );
    const monitor = find(s.objects, 'ServiceMonitor', 'mongodb');
    expect(monitor.metadata.labels.release).toBe('kube-prometheus-stack');
    expect(monitor.spec.endpoints[0].port).toBe('metrics');
    expect(s.mongo.metricsPorts).toEqual(['metrics']);
  });

  test('init Job: replica-set step against member 0, then users against the replica set, the script from its ConfigMap', () => {
    expect(s.job.metadata.name).toMatch(/^mongodb-init-[0-9a-f]{10}$/);
    expect(s.job.spec.backoffLimit).toBeGreaterThan(0);
    const spec = s.job.spec.template.spec;
    expect(spec.restartPolicy).toBe('Never');
    const [step1] = spec.initContainers;
    const [step2] = spec.containers;
    expect([step1.name, envOf(step1).MONGO_INIT_STEP, step2.name, envOf(step2).MONGO_INIT_STEP]).toEqual([
      'replica-set',
      'replica-set',
      'users',
      'users',
    ]);
    expect(step1.command).toEqual([
      'mongosh',
      '--quiet',
      '--norc',
      'mongodb://mongodb-0.mongodb.shop.svc.cluster.local:27017/admin?directConnection=true&serverSelectionTimeoutMS=30000',
      '--file',
      '/scripts/mongodb-init.js',
    ]);
    expect(step2.command[3]).toBe(
      'mongodb://mongodb-0.mongodb.shop.svc.cluster.local:27017/admin?replicaSet=rs0&serverSelectionTimeoutMS=120000',
    );
    expect(envOf(step2)).toEqual({
      HOME: '/tmp',
      MONGO_INIT_STEP: 'users',
      MONGO_REPLICA_SET: 'rs0',
      MONGO_MEMBERS: 'mongodb-0.mongodb.shop.svc.cluster.local:27017',
      MONGO_ROOT_USERNAME: 'admin',
      MONGO_ROOT_PASSWORD: { secretKeyRef: { name: 'mongodb-credentials', key: 'MONGO_ROOT_PASSWORD' } },
      MONGO_APP_DATABASE: 'ecommerce',
      MONGO_APP_USERNAME: 'app_user',
      MONGO_APP_PASSWORD: { secretKeyRef: { name: 'mongodb-credentials', key: 'MONGO_APP_PASSWORD' } },
      MONGO_EXPORTER_USERNAME: 'mongodb_exporter',
      MONGO_EXPORTER_PASSWORD: { secretKeyRef: { name: 'mongodb-credentials', key: 'MONGO_EXPORTER_PASSWORD' } },
      MONGO_BACKUP_USERNAME: 'mongodb_backup',
      MONGO_BACKUP_PASSWORD: { secretKeyRef: { name: 'mongodb-credentials', key: 'MONGO_BACKUP_PASSWORD' } },
    });
    expect(find(s.objects, 'ConfigMap', 'mongodb-init').data['mongodb-init.js']).toBe(mongoInitScript);
    expect(spec.volumes[0]).toEqual({ name: 'scripts', configMap: { name: 'mongodb-init', defaultMode: 0o444 } });
    expect(s.job.spec.template.metadata.labels['app.kubernetes.io/name']).toBe('mongodb-init');
  });

  test("the init Job's name follows its inputs: same props, same name; another input, another name", () => {
    expect(synth().job.metadata.name).toBe(s.job.metadata.name);
    expect(synth({ appUser: { username: 'shop_app', password: secret('MONGO_APP_PASSWORD') } }).job.metadata.name).not.toBe(
      s.job.metadata.name,
    );
    expect(synth({ appUser: { username: 'app_user', password: secret('OTHER_KEY') } }).job.metadata.name).not.toBe(s.job.metadata.name);
    expect(synth({ resources: { ...base.resources, cpuRequest: '500m' } }).job.metadata.name).toBe(s.job.metadata.name);
  });

  test('Pod Security restricted everywhere, probes on long-running containers, no secret value (checks of lib/checks)', () => {
    expectRestrictedPods(s.objects, 2);
    expectProbes(s.objects.filter((o) => o.kind !== 'Job'));
    expectNoSecretValues(s.objects);
    const objects = manifests([namespace('shop'), ...s.objects]);
    expect(new PodSecurityCheck().run({ objects, environments: {} })).toEqual([]);
    expect(new SecretsCheck().run({ objects, environments: {} })).toEqual([]);
    for (const { owner, spec } of podSpecs(s.objects)) expect([owner, spec.automountServiceAccountToken]).toEqual([owner, false]);
  });

  test('clients: a URI without credentials, the password from its Secret', () => {
    expect(s.mongo.uri()).toBe('mongodb://mongodb-0.mongodb.shop.svc.cluster.local:27017/ecommerce?replicaSet=rs0&authSource=admin');
    expect(s.mongo.clientEnv(s.mongo.appUser)).toEqual({
      env: {
        MONGO_HOSTS: 'mongodb-0.mongodb.shop.svc.cluster.local:27017',
        MONGO_REPLICA_SET: 'rs0',
        MONGO_AUTH_SOURCE: 'admin',
        MONGO_DATABASE: 'ecommerce',
        MONGO_TLS: 'false',
        MONGO_URI: 'mongodb://mongodb-0.mongodb.shop.svc.cluster.local:27017/ecommerce?replicaSet=rs0&authSource=admin',
        MONGO_USERNAME: 'app_user',
      },
      secretEnv: { MONGO_PASSWORD: secret('MONGO_APP_PASSWORD') },
    });
    expect(() => s.mongo.clientEnv(s.mongo.appUser, { prefix: 'mongo' })).toThrow(
      "MongoDatabase 'mongodb': clientEnv prefix 'mongo'; expected upper-case letters, digits and '_', e.g. 'MONGO'",
    );
  });

  test('backupSource: the database image, uid 999, the backup user with the MONGODB prefix', () => {
    expect(s.mongo.backupSource()).toEqual({
      image: 'mongo:7.0.28-jammy',
      runAsUser: 999,
      env: expect.objectContaining({ MONGODB_HOSTS: s.mongo.hostList, MONGODB_USERNAME: 'mongodb_backup', MONGODB_REPLICA_SET: 'rs0' }),
      secretEnv: { MONGODB_PASSWORD: secret('MONGO_BACKUP_PASSWORD') },
    });
    expect(() => synth({ backupUser: undefined }).mongo.backupSource()).toThrow(
      "MongoDatabase 'mongodb': backupSource() needs backupUser; expected backupUser { username, password } in the props",
    );
  });

  test('addToGraph: members reach each other, the init Job reaches them, Prometheus scrapes the exporter', () => {
    const chart = Testing.chart();
    const graph = new ServiceGraph(chart, 'graph', { namespace: 'shop', externals: { prometheus: { namespace: 'monitoring' } } });
    const mongo = new MongoDatabase(chart, 'mongodb', base);
    mongo.addToGraph(graph);
    expect(graph.flows).toEqual([
      { from: 'mongodb-init', to: 'mongodb', port: 27017, protocol: 'TCP' },
      { from: 'mongodb', to: 'mongodb', port: 27017, protocol: 'TCP' },
      { from: 'prometheus', to: 'mongodb', port: 9216, protocol: 'TCP' },
    ]);
    const objects = Testing.synth(chart);
    const initPolicy = find(objects, 'NetworkPolicy', 'mongodb-init');
    expect(initPolicy.spec.podSelector.matchLabels).toEqual(mongo.initComponent.podLabels);
    const job = objects.find((o: Doc) => o.kind === 'Job');
    expect(job.spec.template.metadata.labels).toMatchObject(mongo.initComponent.podLabels);
  });
});

describe('MongoDatabase: three members with TLS', () => {
  const s = synth({ replicas: 3, tls, resources: { cpuRequest: '500m', memoryRequest: '4Gi', memoryLimit: '4Gi' } });

  test('snapshot', () => {
    expect(s.objects).toMatchSnapshot();
  });

  test('three members: stable peer names in the seed list, PDB maxUnavailable 1, preferred anti-affinity', () => {
    expect(s.sts.spec.replicas).toBe(3);
    expect(s.mongo.hostList).toBe([0, 1, 2].map((i) => `mongodb-${i}.mongodb.shop.svc.cluster.local:27017`).join(','));
    expect(find(s.objects, 'PodDisruptionBudget', 'mongodb').spec.maxUnavailable).toBe(1);
    expect(s.pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
    expect(flag(s.mongod.args, '--wiredTigerCacheSizeGB')).toBe('1.5');
    const users = s.job.spec.template.spec.containers[0];
    expect(envOf(users).MONGO_MEMBERS).toBe(s.mongo.hostList);
    expect(users.command[3]).toBe(
      `mongodb://${s.mongo.hostList}/admin?replicaSet=rs0&serverSelectionTimeoutMS=120000&tls=true&tlsCAFile=/etc/mongodb-ca/ca.crt`,
    );
  });

  test('mongod requires TLS with the combined PEM and the CA that the prepare container writes', () => {
    const args: string[] = s.mongod.args;
    expect(flag(args, '--tlsMode')).toBe('requireTLS');
    expect(flag(args, '--tlsCertificateKeyFile')).toBe('/run/mongodb/server.pem');
    expect(flag(args, '--tlsCAFile')).toBe('/run/mongodb/ca.crt');
    expect(args).toContain('--tlsAllowConnectionsWithoutCertificates');
    expect(envOf(s.prepare).MONGODB_TLS_SOURCE_DIR).toBe('/etc/mongodb-secrets/tls');
    expect(s.prepare.volumeMounts).toContainEqual({ name: 'tls-secret', mountPath: '/etc/mongodb-secrets/tls', readOnly: true });
    expect(s.pod.volumes).toContainEqual({
      name: 'tls-secret',
      secret: {
        secretName: 'mongodb-tls',
        defaultMode: 0o400,
        items: ['tls.crt', 'tls.key', 'ca.crt'].map((key) => ({ key, path: key })),
      },
    });
    for (const c of s.pod.containers) expect(c.volumeMounts?.map((m: Doc) => m.name) ?? []).not.toContain('tls-secret');
    expect(s.mongod.readinessProbe.exec.command[5]).toContain('&tls=true&tlsCAFile=/run/mongodb/ca.crt&tlsAllowInvalidHostnames=true');
    expect(envOf(s.exporter).MONGODB_URI).toBe('mongodb://127.0.0.1:27017/admin?directConnection=true&tls=true&tlsInsecure=true');
  });

  test('the Certificate covers the Service, every member, localhost and 127.0.0.1, for server and client auth', () => {
    const cert = find(s.objects, 'Certificate', 'mongodb-tls');
    expect(cert.spec.secretName).toBe('mongodb-tls');
    expect(cert.spec.issuerRef).toEqual({ name: 'local-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' });
    expect(cert.spec.dnsNames).toEqual([
      'mongodb',
      'mongodb.shop',
      'mongodb.shop.svc',
      'mongodb.shop.svc.cluster.local',
      '*.mongodb.shop.svc.cluster.local',
      'localhost',
    ]);
    expect(cert.spec.ipAddresses).toEqual(['127.0.0.1']);
    expect(cert.spec.usages).toEqual(expect.arrayContaining(['server auth', 'client auth']));
    expect(s.mongo.certificate).toBeDefined();
  });

  test('the init Job verifies the members against the CA (only ca.crt of the Secret is mounted)', () => {
    const spec = s.job.spec.template.spec;
    expect(spec.volumes).toContainEqual({
      name: 'ca',
      secret: { secretName: 'mongodb-tls', defaultMode: 0o444, items: [{ key: 'ca.crt', path: 'ca.crt' }] },
    });
    for (const c of [...spec.initContainers, ...spec.containers]) {
      expect(c.command[3]).toContain('&tls=true&tlsCAFile=/etc/mongodb-ca/ca.crt');
      expect(envOf(c).MONGO_PEER_URI_OPTIONS).toBe('tls=true&tlsCAFile=/etc/mongodb-ca/ca.crt');
    }
  });

  test('clients: tls=true in the URI; the CA as PEM on request', () => {
    expect(s.mongo.uri()).toMatch(/&tls=true$/);
    const { env, secretEnv } = s.mongo.clientEnv(s.mongo.appUser, { caPem: true });
    expect(env.MONGO_TLS).toBe('true');
    expect(secretEnv).toEqual({ MONGO_PASSWORD: secret('MONGO_APP_PASSWORD'), MONGO_TLS_CA_PEM: { secret: 'mongodb-tls', key: 'ca.crt' } });
    expect(s.mongo.backupSource().secretEnv.MONGODB_TLS_CA_PEM).toEqual({ secret: 'mongodb-tls', key: 'ca.crt' });
  });

  test('no PVC-less publishing change with several members (StatefulStore publishes not-ready addresses)', () => {
    expect(s.svc.spec.publishNotReadyAddresses).toBe(true);
  });

  test('Pod Security restricted and no secret value with TLS too', () => {
    expectRestrictedPods(s.objects, 2);
    expectNoSecretValues(s.objects);
    const objects = manifests([namespace('shop'), ...s.objects]);
    expect(new PodSecurityCheck().run({ objects, environments: {} })).toEqual([]);
    expect(new SecretsCheck().run({ objects, environments: {} })).toEqual([]);
  });

  test('TLS without an issuer: no Certificate (the stack provides it), the same Secret in use', () => {
    const t = synth({ tls: { secretName: 'shop-mongodb-tls' } });
    expect(t.objects.filter((o) => o.kind === 'Certificate')).toEqual([]);
    expect(t.mongo.certificate).toBeUndefined();
    expect(t.pod.volumes.find((v: Doc) => v.name === 'tls-secret').secret.secretName).toBe('shop-mongodb-tls');
  });
});

describe('MongoDatabase: sizes and props', () => {
  test('the WiredTiger cache: 50% of (limit - 1 GiB), at least 0.25 GB, in 0.05 steps', () => {
    expect(['512Mi', '1Gi', '1536Mi', '2Gi', '3Gi', '4Gi', '8Gi', '3000Mi'].map(wiredTigerCacheSizeGB)).toEqual([
      0.25, 0.25, 0.25, 0.5, 1, 1.5, 3.5, 0.95,
    ]);
  });

  test('five and seven members are allowed', () => {
    expect(synth({ replicas: 5 }).sts.spec.replicas).toBe(5);
    expect(synth({ replicas: 7 }).mongo.peerHosts).toHaveLength(7);
  });

  test('other names: the StatefulSet, Service, Job and ConfigMaps follow `name`; the replica set name is passed through', () => {
    const s = synth({ name: 'catalog-db', replicaSetName: 'catalog' });
    expect(s.sts.metadata.name).toBe('catalog-db');
    expect(flag(s.mongod.args, '--replSet')).toBe('catalog');
    expect(s.job.metadata.name).toMatch(/^catalog-db-init-[0-9a-f]{10}$/);
    expect(s.mongo.uri()).toBe(
      'mongodb://catalog-db-0.catalog-db.shop.svc.cluster.local:27017/ecommerce?replicaSet=catalog&authSource=admin',
    );
  });

  test.each([
    [
      2,
      'replicas 2; expected 1, 3, 5 or 7 (an odd number of members: with an even number, losing half of them leaves no majority, so no primary)',
    ],
    [4, 'replicas 4; expected 1, 3, 5 or 7'],
    [9, 'replicas 9; expected 1, 3, 5 or 7'],
    [0, 'replicas 0; expected 1, 3, 5 or 7'],
    [1.5, 'replicas 1.5; expected 1, 3, 5 or 7'],
  ])('replicas %p throws naming the field, the value and what is allowed', (replicas, message) => {
    expect(() => synth({ replicas })).toThrow(`MongoDatabase 'mongodb': ${message}`);
  });

  test.each(['admin', 'local', 'Config', 'my.db', 'shop$', '1shop', 'a'.repeat(64), ''])('database %p throws', (database) => {
    expect(() => synth({ database })).toThrow(
      `MongoDatabase 'mongodb': database '${database}'; expected a MongoDB database name (a letter, then letters, digits, '_' or '-', at most 63 characters; not admin, local or config)`,
    );
  });

  test('user names: valid, and one per role', () => {
    expect(() => synth({ appUser: { username: 'app user', password: secret('X') } })).toThrow(
      "MongoDatabase 'mongodb': appUser.username 'app user'; expected a MongoDB user name (a letter, then letters, digits, '_', '.' or '-', at most 64 characters)",
    );
    expect(() => synth({ backupUser: { username: 'admin', password: secret('X') } })).toThrow(
      "MongoDatabase 'mongodb': backupUser.username 'admin' is also rootUser.username; expected a user of its own for each role",
    );
  });

  test('other bad props name the field, the value and what is allowed', () => {
    expect(() => synth({ replicaSetName: 'rs 0' })).toThrow(
      "MongoDatabase 'mongodb': replicaSetName 'rs 0'; expected a replica set name (letters, digits, '_' and '-', starting with a letter or digit, at most 63 characters)",
    );
    expect(() => synth({ resources: { cpuRequest: '100m', memoryRequest: '256Mi', memoryLimit: '384Mi' } })).toThrow(
      "MongoDatabase 'mongodb': resources.memoryLimit '384Mi'; expected a memory quantity of at least 512Mi (the WiredTiger cache alone takes 0.25 GiB at least)",
    );
    expect(() => synth({ name: 'm'.repeat(48) })).toThrow(
      `MongoDatabase '${'m'.repeat(48)}': name has 48 characters; expected at most 47 (the init Job '<name>-init-<hash>' must fit a 63-character label)`,
    );
    expect(() => synth({ tls: { secretName: 'Mongo_TLS' } })).toThrow(
      "MongoDatabase 'mongodb': tls.secretName 'Mongo_TLS'; expected a DNS-1123 subdomain",
    );
    expect(() => synth({ tls: { secretName: 'mongodb-tls', issuer: { name: 'ca', kind: 'CA' as 'Issuer' } } })).toThrow(
      "MongoDatabase 'mongodb': tls.issuer.kind 'CA'; expected 'ClusterIssuer' or 'Issuer'",
    );
    expect(() => synth({ startupSeconds: 0 })).toThrow("MongoDatabase 'mongodb': startupSeconds 0; expected an integer >= 1");
    expect(() => synth({ release: undefined })).toThrow(/exporter is set but release is missing/);
  });
});
