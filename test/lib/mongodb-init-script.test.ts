/**
 * The scripts MongoDatabase ships, run here without a MongoDB server (none can be installed):
 * - assets/mongodb-init.js is parsed by Node (`vm.Script`, `node --check`) and EXECUTED in a vm
 *   context holding a small fake of the mongosh globals (`db`, `rs`, `Mongo`, `print`, `sleep`,
 *   `process.env`) that keeps the state of a replica set and records every call. The environment is
 *   the one the synthesized init Job gives its containers (Secret references resolved to test values).
 * - assets/mongodb-prepare.sh is run by sh on temporary directories.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vm from 'vm';
import { Testing } from 'cdk8s';
import { MongoDatabase, MongoDatabaseProps, mongoInitScript, mongoPrepareScript } from '../../lib/constructs/data/mongodb-database';
import { Doc } from '../support/doc';
import { MONGO_PROPS_MONITORED } from '../support/mongodb-fixture';

// ------------------------------------------------------------------------------------------
// a fake MongoDB replica set behind the mongosh API the script uses
// ------------------------------------------------------------------------------------------

interface Role {
  role: string;
  db: string;
}
interface StoredUser {
  pwd: string;
  roles: Role[];
  mechanisms?: string[];
}
interface Member {
  _id: number;
  host: string;
}

class ServerError extends Error {
  constructor(
    message: string,
    public readonly code: number,
    public readonly codeName: string,
  ) {
    super(message);
  }
}

/** What the members hold: member 0's replica set configuration and the users in `admin`. */
class FakeReplicaSet {
  public config?: { _id: string; members: Member[] };
  public readonly users = new Map<string, StoredUser>();
  /** Replica set each other member answers `hello` with (absent: not in a set). */
  public readonly peerSets: Record<string, string> = {};
  /** Hosts that do not answer at all. */
  public readonly downHosts = new Set<string>();
  /** Transient errors `rs.add` throws before it succeeds. */
  public addFailures: string[] = [];

  /** The image's entrypoint created the root user on member 0's first start. */
  constructor(root: { username: string; pwd: string }) {
    this.users.set(root.username, { pwd: root.pwd, roles: [{ role: 'root', db: 'admin' }] });
  }
}

/** One mongosh run: calls made, lines printed. */
interface Run {
  calls: string[];
  printed: string[];
}

function mongosh(state: FakeReplicaSet, env: Record<string, string>): Run {
  const run: Run = { calls: [], printed: [] };
  let authenticated: string | undefined;
  const call = (c: string) => run.calls.push(c);
  const requireAuth = (what: string) => {
    if (!authenticated) throw new ServerError(`command ${what} requires authentication`, 13, 'Unauthorized');
  };
  const rolesText = (roles: Role[]) => roles.map((r) => `${r.role}@${r.db}`).join('+');
  const admin = {
    auth(user: string, pwd: string) {
      call(`auth ${user}`);
      const stored = state.users.get(user);
      if (!stored || stored.pwd !== pwd) throw new ServerError('Authentication failed.', 18, 'AuthenticationFailed');
      authenticated = user;
      return { ok: 1 };
    },
    getUser(user: string) {
      requireAuth('usersInfo');
      call(`getUser ${user}`);
      const stored = state.users.get(user);
      return stored ? { _id: `admin.${user}`, user, db: 'admin', roles: stored.roles.map((r) => ({ ...r })) } : null;
    },
    createUser(doc: { user: string; pwd: string; roles: Role[]; mechanisms: string[] }, writeConcern: { w: string }) {
      requireAuth('createUser');
      if (!state.config) throw new ServerError('not primary', 10107, 'NotWritablePrimary');
      if (state.users.has(doc.user)) throw new ServerError(`User "${doc.user}@admin" already exists`, 51003, 'Location51003');
      call(`createUser ${doc.user} ${rolesText(doc.roles)} ${doc.mechanisms.join(',')} w:${writeConcern.w}`);
      state.users.set(doc.user, { pwd: doc.pwd, roles: doc.roles, mechanisms: doc.mechanisms });
    },
    updateUser(user: string, update: { pwd?: string; roles?: Role[]; mechanisms?: string[] }, writeConcern: { w: string }) {
      requireAuth('updateUser');
      const stored = state.users.get(user);
      if (!stored) throw new ServerError(`User ${user}@admin not found`, 11, 'UserNotFound');
      call(`updateUser ${user} ${Object.keys(update).sort().join(',')} w:${writeConcern.w}`);
      if (update.pwd !== undefined) stored.pwd = update.pwd;
      if (update.roles) stored.roles = update.roles;
    },
  };
  const db = {
    getSiblingDB(name: string) {
      if (name !== 'admin') throw new Error(`the fake only has admin, not ${name}`);
      return admin;
    },
    hello() {
      call('hello');
      return { isWritablePrimary: state.config !== undefined, ...(state.config ? { setName: state.config._id } : {}) };
    },
  };
  const rs = {
    status() {
      requireAuth('replSetGetStatus');
      call('rs.status');
      if (!state.config) throw new ServerError('no replset config has been received', 94, 'NotYetInitialized');
      return { set: state.config._id, members: state.config.members.map((m) => ({ ...m, stateStr: 'PRIMARY' })) };
    },
    initiate(config: { _id: string; members: Member[] }) {
      requireAuth('replSetInitiate');
      if (state.config) throw new ServerError('already initialized', 23, 'AlreadyInitialized');
      call(`rs.initiate ${JSON.stringify(config)}`);
      state.config = JSON.parse(JSON.stringify(config));
      return { ok: 1 };
    },
    conf() {
      requireAuth('replSetGetConfig');
      call('rs.conf');
      if (!state.config) throw new ServerError('no replset config has been received', 94, 'NotYetInitialized');
      return JSON.parse(JSON.stringify(state.config));
    },
    add(member: { host: string }) {
      requireAuth('replSetReconfig');
      const failure = state.addFailures.shift();
      if (failure) {
        call(`rs.add ${member.host} -> ${failure}`);
        throw new ServerError('try again', 0, failure);
      }
      call(`rs.add ${member.host}`);
      const config = state.config!;
      config.members.push({ _id: Math.max(...config.members.map((m) => m._id)) + 1, host: member.host });
      return { ok: 1 };
    },
  };
  function Mongo(uri: string) {
    const host = /^mongodb:\/\/([^/]+)\//.exec(uri)![1];
    call(`connect ${host}${uri.includes('tls=true') ? ' (tls)' : ''}`);
    if (state.downHosts.has(host)) throw new ServerError(`connect ECONNREFUSED ${host}`, 0, '');
    return {
      getDB: () => ({
        runCommand: (cmd: Record<string, unknown>) => {
          if (!cmd.hello) throw new Error('the fake peers only answer hello');
          return { ok: 1, ...(state.peerSets[host] ? { setName: state.peerSets[host] } : {}) };
        },
      }),
    };
  }
  const context = vm.createContext({
    db,
    rs,
    Mongo,
    print: (line: string) => run.printed.push(line),
    sleep: (ms: number) => call(`sleep ${ms}`),
    process: { env },
  });
  new vm.Script(mongoInitScript, { filename: 'mongodb-init.js' }).runInContext(context);
  return run;
}

// ------------------------------------------------------------------------------------------
// the environment of the synthesized init Job
// ------------------------------------------------------------------------------------------

const SECRET_VALUES: Record<string, string> = {
  MONGO_ROOT_PASSWORD: 'r00t-\'pw"$`\\',
  MONGO_APP_PASSWORD: 'app-pw-1',
  MONGO_EXPORTER_PASSWORD: 'exporter-pw-1',
  MONGO_BACKUP_PASSWORD: 'backup-pw-1',
};
const PROPS: MongoDatabaseProps = MONGO_PROPS_MONITORED;
const MEMBERS = [0, 1, 2].map((i) => `mongodb-${i}.mongodb.shop.svc.cluster.local:27017`);

/** The env of each step's container in the synthesized Job, Secret references resolved to SECRET_VALUES. */
function jobEnv(
  props: MongoDatabaseProps = PROPS,
  values = SECRET_VALUES,
): { 'replica-set': Record<string, string>; users: Record<string, string> } {
  const chart = Testing.chart();
  new MongoDatabase(chart, 'mongodb', props);
  const job = Testing.synth(chart).find((o: Doc) => o.kind === 'Job');
  const spec = job.spec.template.spec;
  const envOf = (c: Doc): Record<string, string> =>
    Object.fromEntries(
      c.env.map((e: Doc) => {
        if (e.value !== undefined) return [e.name, e.value];
        const value = values[e.valueFrom.secretKeyRef.key];
        if (value === undefined) throw new Error(`no test value for Secret key ${e.valueFrom.secretKeyRef.key}`);
        return [e.name, value];
      }),
    );
  const [replicaSet] = spec.initContainers;
  const [users] = spec.containers;
  expect([replicaSet.name, users.name]).toEqual(['replica-set', 'users']);
  return { 'replica-set': envOf(replicaSet), users: envOf(users) };
}

/** The Job's two containers in order, as one run of the Job. */
function runJob(state: FakeReplicaSet, env = jobEnv()): { replicaSet: Run; users: Run } {
  return { replicaSet: mongosh(state, env['replica-set']), users: mongosh(state, env.users) };
}

const freshSet = () => new FakeReplicaSet({ username: 'admin', pwd: SECRET_VALUES.MONGO_ROOT_PASSWORD });
const passwordsIn = (lines: string[]) => lines.filter((l) => Object.values(SECRET_VALUES).some((v) => l.includes(v)));

// ------------------------------------------------------------------------------------------

describe('mongodb-init.js', () => {
  test('parses as a script (vm.Script and node --check), with no placeholder left to fill', () => {
    expect(() => new vm.Script(mongoInitScript, { filename: 'mongodb-init.js' })).not.toThrow();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mongodb-init-'));
    try {
      const file = path.join(dir, 'mongodb-init.js');
      fs.writeFileSync(file, mongoInitScript);
      const r = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8' });
      expect([r.status, r.stderr]).toEqual([0, '']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(mongoInitScript).not.toMatch(/@[a-z][a-z0-9_]*@|\{\{/);
    expect(mongoInitScript).not.toMatch(/\bawait [A-Za-z(]/); // mongosh awaits implicitly
  });

  test('first run: initiates the replica set with member 0, adds the other members, creates the three users', () => {
    const state = freshSet();
    const { replicaSet, users } = runJob(state);
    expect(replicaSet.calls).toEqual([
      'auth admin',
      'rs.status',
      `connect ${MEMBERS[1]}`,
      `connect ${MEMBERS[2]}`,
      `rs.initiate {"_id":"rs0","members":[{"_id":0,"host":"${MEMBERS[0]}"}]}`,
      'hello',
    ]);
    expect(users.calls).toEqual([
      'auth admin',
      'rs.conf',
      `rs.add ${MEMBERS[1]}`,
      `rs.add ${MEMBERS[2]}`,
      'getUser app_user',
      'createUser app_user readWrite@ecommerce SCRAM-SHA-256 w:majority',
      'getUser mongodb_exporter',
      'createUser mongodb_exporter clusterMonitor@admin+read@local SCRAM-SHA-256 w:majority',
      'getUser mongodb_backup',
      'createUser mongodb_backup backup@admin+restore@admin SCRAM-SHA-256 w:majority',
    ]);
    expect(state.config).toEqual({ _id: 'rs0', members: MEMBERS.map((host, _id) => ({ _id, host })) });
    expect(state.users.get('app_user')).toEqual({
      pwd: 'app-pw-1',
      roles: [{ role: 'readWrite', db: 'ecommerce' }],
      mechanisms: ['SCRAM-SHA-256'],
    });
    expect(users.printed.at(-1)).toMatch(/\[mongodb-init\] users of replica set rs0 are up to date$/);
    expect(passwordsIn([...replicaSet.printed, ...users.printed, ...replicaSet.calls, ...users.calls])).toEqual([]);
  });

  test('second run (initiated, users exist): no initiate, no member added, only the passwords set again', () => {
    const state = freshSet();
    runJob(state);
    const before = JSON.stringify({ config: state.config, users: [...state.users] });
    const { replicaSet, users } = runJob(state);
    expect(replicaSet.calls).toEqual(['auth admin', 'rs.status']);
    expect(replicaSet.printed.join('\n')).toContain('replica set rs0 is initiated (3 member(s)); nothing to initiate');
    expect(users.calls).toEqual([
      'auth admin',
      'rs.conf',
      'getUser app_user',
      'updateUser app_user mechanisms,pwd w:majority',
      'getUser mongodb_exporter',
      'updateUser mongodb_exporter mechanisms,pwd w:majority',
      'getUser mongodb_backup',
      'updateUser mongodb_backup mechanisms,pwd w:majority',
    ]);
    expect(JSON.stringify({ config: state.config, users: [...state.users] })).toBe(before);
  });

  test('a changed Secret: the next run sets the new password', () => {
    const state = freshSet();
    runJob(state);
    runJob(state, jobEnv(PROPS, { ...SECRET_VALUES, MONGO_APP_PASSWORD: 'app-pw-2' }));
    expect(state.users.get('app_user')!.pwd).toBe('app-pw-2');
    expect(state.users.get('mongodb_exporter')!.pwd).toBe('exporter-pw-1');
  });

  test('roles changed in the database (or a new database name) are put back to the declared ones', () => {
    const state = freshSet();
    runJob(state);
    state.users.get('app_user')!.roles.push({ role: 'dbAdmin', db: 'ecommerce' });
    const { users } = runJob(state);
    expect(users.calls).toContain('updateUser app_user mechanisms,pwd,roles w:majority');
    expect(state.users.get('app_user')!.roles).toEqual([{ role: 'readWrite', db: 'ecommerce' }]);
    runJob(state, jobEnv({ ...PROPS, database: 'shop' }));
    expect(state.users.get('app_user')!.roles).toEqual([{ role: 'readWrite', db: 'shop' }]);
  });

  test('one member: initiate without asking anyone else, nothing to add', () => {
    const state = freshSet();
    const { replicaSet, users } = runJob(state, jobEnv({ ...PROPS, replicas: 1 }));
    expect(replicaSet.calls.filter((c) => c.startsWith('connect'))).toEqual([]);
    expect(users.calls.filter((c) => c.startsWith('rs.add'))).toEqual([]);
    expect(state.config!.members).toEqual([{ _id: 0, host: MEMBERS[0] }]);
  });

  test('scaling from 3 to 5 members: the next run adds the two new ones only', () => {
    const state = freshSet();
    runJob(state);
    const { users } = runJob(state, jobEnv({ ...PROPS, replicas: 5 }));
    expect(users.calls.filter((c) => c.startsWith('rs.add'))).toEqual([
      'rs.add mongodb-3.mongodb.shop.svc.cluster.local:27017',
      'rs.add mongodb-4.mongodb.shop.svc.cluster.local:27017',
    ]);
  });

  test('member 0 lost its volume but another member is in the replica set: no second replica set is founded', () => {
    const state = freshSet();
    state.peerSets[MEMBERS[2]] = 'rs0';
    state.downHosts.add(MEMBERS[1]);
    const run = mongosh(state, jobEnv()['replica-set']);
    expect(run.calls.some((c) => c.startsWith('rs.initiate'))).toBe(false);
    expect(run.printed.join('\n')).toContain(
      `member 0 has no replica set configuration but ${MEMBERS[2]} belongs to replica set rs0: member 0 rejoins it through heartbeats`,
    );
    expect(run.printed.join('\n')).toContain(`${MEMBERS[1]} does not answer`);
  });

  test('a reconfiguration in progress is retried', () => {
    const state = freshSet();
    mongosh(state, jobEnv()['replica-set']);
    state.addFailures = ['CurrentConfigNotCommittedYet'];
    const run = mongosh(state, jobEnv().users);
    expect(run.calls.slice(2, 6)).toEqual([
      `rs.add ${MEMBERS[1]} -> CurrentConfigNotCommittedYet`,
      'sleep 5000',
      `rs.add ${MEMBERS[1]}`,
      `rs.add ${MEMBERS[2]}`,
    ]);
  });

  test('with TLS, the other members are asked over TLS with the CA', () => {
    const state = freshSet();
    const run = mongosh(state, jobEnv({ ...PROPS, tls: { secretName: 'mongodb-tls' } })['replica-set']);
    expect(run.calls.filter((c) => c.startsWith('connect'))).toEqual([`connect ${MEMBERS[1]} (tls)`, `connect ${MEMBERS[2]} (tls)`]);
  });

  test('a wrong root password fails with what to do, without printing the password', () => {
    const state = freshSet();
    const env = jobEnv(PROPS, { ...SECRET_VALUES, MONGO_ROOT_PASSWORD: 'not-the-one' });
    expect(() => mongosh(state, env['replica-set'])).toThrow(
      /\[mongodb-init\] cannot authenticate as admin \(AuthenticationFailed\)\. The image creates that user from MONGO_INITDB_ROOT_PASSWORD/,
    );
    try {
      mongosh(state, env['replica-set']);
    } catch (e) {
      expect((e as Error).message).not.toContain('not-the-one');
    }
    expect(state.config).toBeUndefined();
  });

  test('a missing or half-given variable fails naming it; an unknown step fails naming the allowed ones', () => {
    const env = jobEnv().users;
    const without = (name: string) => Object.fromEntries(Object.entries(env).filter(([k]) => k !== name));
    expect(() => mongosh(freshSet(), without('MONGO_APP_DATABASE'))).toThrow(
      '[mongodb-init] environment variable MONGO_APP_DATABASE must be set and non-empty',
    );
    expect(() => mongosh(freshSet(), without('MONGO_EXPORTER_PASSWORD'))).toThrow(
      '[mongodb-init] MONGO_EXPORTER_USERNAME and MONGO_EXPORTER_PASSWORD must be set together',
    );
    expect(() => mongosh(freshSet(), { ...env, MONGO_INIT_STEP: 'all' })).toThrow(
      "[mongodb-init] MONGO_INIT_STEP 'all'; expected 'replica-set' or 'users'",
    );
  });

  test('without exporter and backup users, only the application user is managed', () => {
    const state = freshSet();
    const { users } = runJob(state, jobEnv({ ...PROPS, exporter: undefined, release: undefined, backupUser: undefined }));
    expect(users.calls.filter((c) => c.startsWith('createUser'))).toEqual([
      'createUser app_user readWrite@ecommerce SCRAM-SHA-256 w:majority',
    ]);
  });
});

// ------------------------------------------------------------------------------------------

describe('mongodb-prepare.sh', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mongodb-prepare-'));
    fs.mkdirSync(path.join(dir, 'run'));
    fs.mkdirSync(path.join(dir, 'tls'));
    fs.writeFileSync(path.join(dir, 'prepare.sh'), mongoPrepareScript);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const run = (key: string, tls = false) => {
    fs.writeFileSync(path.join(dir, 'keyfile'), key, { mode: 0o440 });
    return spawnSync('sh', [path.join(dir, 'prepare.sh')], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        MONGODB_INTERNAL_AUTH_FILE: path.join(dir, 'keyfile'),
        MONGODB_RUN_DIR: path.join(dir, 'run'),
        ...(tls ? { MONGODB_TLS_SOURCE_DIR: path.join(dir, 'tls') } : {}),
      },
    });
  };
  const mode = (file: string) => (fs.statSync(path.join(dir, 'run', file)).mode & 0o777).toString(8);
  const KEY = 'c2VjcmV0LWtleS1vZi10aGUtcmVwbGljYS1zZXQ=';

  test('copies the key file with mode 0400 (whitespace removed), twice in a row, printing no key', () => {
    for (let i = 0; i < 2; i++) {
      const r = run(`${KEY.slice(0, 20)}\n  ${KEY.slice(20)}\n`);
      expect([r.status, r.stderr]).toEqual([0, '']);
      expect(r.stdout).toMatch(/\[mongodb-prepare\] key file ready: .*\/run\/keyfile \(mode 0400, 40 characters\)/);
      expect(r.stdout).not.toContain(KEY.slice(0, 10));
    }
    expect(fs.readFileSync(path.join(dir, 'run', 'keyfile'), 'utf8')).toBe(`${KEY}\n`);
    expect(mode('keyfile')).toBe('400');
  });

  test('refuses a key mongod would refuse', () => {
    expect(run('abc').stdout).toContain('the key file has 3 characters (whitespace ignored); mongod needs 6 to 1024 characters');
    expect(run('x'.repeat(1025)).status).toBe(1);
    expect(run('not base64!').stdout).toContain('the key file has characters outside the base64 set');
  });

  test('with TLS: key and certificate combined into server.pem (0400), the CA next to it', () => {
    const key = '-----BEGIN EC PRIVATE KEY-----\nMHc=\n-----END EC PRIVATE KEY-----\n';
    const crt = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const ca = '-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n';
    fs.writeFileSync(path.join(dir, 'tls', 'tls.key'), key);
    fs.writeFileSync(path.join(dir, 'tls', 'tls.crt'), crt);
    fs.writeFileSync(path.join(dir, 'tls', 'ca.crt'), ca);
    for (let i = 0; i < 2; i++) expect(run(KEY, true).status).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'run', 'server.pem'), 'utf8')).toBe(key + crt);
    expect(fs.readFileSync(path.join(dir, 'run', 'ca.crt'), 'utf8')).toBe(ca);
    expect([mode('server.pem'), mode('ca.crt')]).toEqual(['400', '444']);
    fs.writeFileSync(path.join(dir, 'tls', 'ca.crt'), '');
    expect(run(KEY, true).stdout).toContain('ca.crt is missing or empty (has cert-manager issued the certificate?)');
  });
});
