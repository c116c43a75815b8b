/* global db, rs, print, sleep, Mongo */
/**
 * mongodb-init: initiates the replica set of a MongoDatabase and creates or updates its users.
 *
 * Run by mongosh in the init Job of lib/constructs/data/mongodb-database.ts, twice:
 * - MONGO_INIT_STEP=replica-set, connected directly to member 0: `rs.initiate` with member 0 alone,
 *   only when member 0 is not initiated yet and no other member already belongs to a replica set
 *   (a member 0 that lost its volume rejoins its set through heartbeats instead of founding a second one);
 * - MONGO_INIT_STEP=users, connected to the replica set (its primary): adds the members missing
 *   from the replica set configuration (one reconfig each: MongoDB adds one voting member at a time),
 *   then creates or updates the users: the application user (readWrite on ONE database), the
 *   exporter's (clusterMonitor + read on local) and the backup user's (backup + restore), each with
 *   the password of its Secret (set on every run, so a changed Secret takes effect on the next run).
 *
 * The root user is not created here: the image's entrypoint creates it from MONGO_INITDB_ROOT_* the
 * first time a member starts on an empty volume (over the localhost exception, which a Job in
 * another pod cannot use); this script authenticates as root.
 *
 * Everything comes from the environment (no placeholders), no value of a *_PASSWORD variable is
 * ever printed, and every run converges to the same state: running it again changes nothing but
 * the passwords it sets.
 *
 * Environment: MONGO_INIT_STEP, MONGO_REPLICA_SET, MONGO_MEMBERS (host:port of every member, by
 * ordinal, comma-separated), MONGO_ROOT_USERNAME, MONGO_ROOT_PASSWORD, MONGO_APP_DATABASE,
 * MONGO_APP_USERNAME, MONGO_APP_PASSWORD; optional MONGO_EXPORTER_USERNAME + MONGO_EXPORTER_PASSWORD,
 * MONGO_BACKUP_USERNAME + MONGO_BACKUP_PASSWORD, MONGO_PEER_URI_OPTIONS (URI options to reach the
 * other members, e.g. `tls=true&tlsCAFile=...`), MONGO_WAIT_SECONDS (default 120).
 *
 * Written for mongosh's script mode: no `await`, and no shell API call inside a callback of a
 * built-in higher-order function (mongosh awaits the calls written in the script's own flow).
 */

const env = process.env;

/** Roles of each kind of user. */
const ROLES = {
  exporter: [
    { role: 'clusterMonitor', db: 'admin' },
    { role: 'read', db: 'local' },
  ],
  backup: [
    { role: 'backup', db: 'admin' },
    { role: 'restore', db: 'admin' },
  ],
};
const MECHANISMS = ['SCRAM-SHA-256'];
const MAJORITY = { w: 'majority', wtimeout: 60000 };
/** Errors of a replica set in transition: the same call succeeds a little later. */
const TRANSIENT = [
  'NotWritablePrimary',
  'NotPrimaryNoSecondaryOk',
  'PrimarySteppedDown',
  'InterruptedDueToReplStateChange',
  'CurrentConfigNotCommittedYet',
  'ConfigurationInProgress',
];

function log(message) {
  print(`${new Date().toISOString()} [mongodb-init] ${message}`);
}

function fail(message) {
  throw new Error(`[mongodb-init] ${message}`);
}

function required(name) {
  const value = env[name];
  if (typeof value !== 'string' || value === '') fail(`environment variable ${name} must be set and non-empty`);
  return value;
}

/** A user whose variables are optional: both set, or neither. */
function optionalCredentials(prefix) {
  const username = env[`${prefix}_USERNAME`] || '';
  const pwd = env[`${prefix}_PASSWORD`] || '';
  if (username === '' && pwd === '') return null;
  if (username === '' || pwd === '') fail(`${prefix}_USERNAME and ${prefix}_PASSWORD must be set together`);
  return { username, pwd };
}

function codeName(e) {
  return (e && (e.codeName || (e.errorResponse && e.errorResponse.codeName))) || '';
}

function describeRoles(roles) {
  const parts = [];
  for (const r of roles) parts.push(`${r.role}@${r.db}`);
  return parts.join(', ');
}

function sameRoles(actual, wanted) {
  const have = [];
  for (const r of actual || []) have.push(`${r.role}@${r.db}`);
  const want = [];
  for (const r of wanted) want.push(`${r.role}@${r.db}`);
  have.sort();
  want.sort();
  return have.join(',') === want.join(',');
}

function waitFor(what, check, seconds) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    if (check()) return;
    if (Date.now() > deadline) fail(`gave up after ${seconds}s waiting for ${what}`);
    sleep(2000);
  }
}

/** Runs `action`, again after a pause while the replica set is in transition. */
function retrying(what, action, seconds) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    try {
      const result = action();
      return result;
    } catch (e) {
      if (TRANSIENT.indexOf(codeName(e)) < 0 || Date.now() > deadline) throw e;
      log(`${what}: ${codeName(e)}, trying again in 5s`);
      sleep(5000);
    }
  }
}

function authenticate(spec) {
  try {
    db.getSiblingDB('admin').auth(spec.root.username, spec.root.pwd);
  } catch (e) {
    fail(
      `cannot authenticate as ${spec.root.username} (${codeName(e) || e.message}). The image creates that user from ` +
        'MONGO_INITDB_ROOT_PASSWORD when member 0 first starts on an empty volume; if its password was changed in the ' +
        'database since, put the new one in the Secret (or change it back with db.changeUserPassword)',
    );
  }
}

/** rs.status(), or null when this member has no replica set configuration yet. */
function replicaSetStatus() {
  try {
    return rs.status();
  } catch (e) {
    if (codeName(e) === 'NotYetInitialized' || (e && e.code === 94)) return null;
    throw e;
  }
}

/** The replica set another member belongs to (hello needs no authentication), or null. */
function peerReplicaSet(host) {
  const options = env.MONGO_PEER_URI_OPTIONS ? `&${env.MONGO_PEER_URI_OPTIONS}` : '';
  try {
    const hello = new Mongo(`mongodb://${host}/?directConnection=true&serverSelectionTimeoutMS=5000${options}`)
      .getDB('admin')
      .runCommand({ hello: 1 });
    return (hello && hello.setName) || null;
  } catch (e) {
    log(`${host} does not answer (${codeName(e) || e.message}); taken as not in a replica set`);
    return null;
  }
}

function replicaSetStep(spec) {
  authenticate(spec);
  const status = replicaSetStatus();
  if (status) {
    log(`replica set ${status.set} is initiated (${status.members.length} member(s)); nothing to initiate`);
    return;
  }
  for (let i = 1; i < spec.members.length; i++) {
    const set = peerReplicaSet(spec.members[i]);
    if (set) {
      log(
        `member 0 has no replica set configuration but ${spec.members[i]} belongs to replica set ${set}: member 0 ` +
          'rejoins it through heartbeats (initial sync); not initiating',
      );
      return;
    }
  }
  log(`initiating replica set ${spec.replicaSet} with ${spec.members[0]} (the users step adds the other members)`);
  rs.initiate({ _id: spec.replicaSet, members: [{ _id: 0, host: spec.members[0] }] });
  waitFor('member 0 to become primary', () => db.hello().isWritablePrimary === true, spec.waitSeconds);
  log(`replica set ${spec.replicaSet} initiated; ${spec.members[0]} is primary`);
}

function addMissingMembers(spec) {
  const config = rs.conf();
  const present = {};
  for (const m of config.members) present[m.host] = true;
  for (const host of spec.members) {
    if (present[host]) continue;
    retrying(`adding ${host}`, () => rs.add({ host }), spec.waitSeconds);
    log(`added ${host} to replica set ${config._id} (it copies the data by initial sync)`);
  }
  for (const m of config.members) {
    if (spec.members.indexOf(m.host) < 0)
      log(`warning: ${m.host} is in replica set ${config._id} but not a member of this database; remove it with rs.remove()`);
  }
}

/** Creates the user, or sets its password (and its roles when they differ). */
function upsertUser(user) {
  const admin = db.getSiblingDB('admin');
  const existing = admin.getUser(user.username);
  if (!existing) {
    admin.createUser({ user: user.username, pwd: user.pwd, roles: user.roles, mechanisms: MECHANISMS }, MAJORITY);
    log(`created user ${user.username} (${describeRoles(user.roles)})`);
    return;
  }
  const update = { pwd: user.pwd, mechanisms: MECHANISMS };
  if (!sameRoles(existing.roles, user.roles)) update.roles = user.roles;
  admin.updateUser(user.username, update, MAJORITY);
  log(`updated user ${user.username}: password from its Secret${update.roles ? `, roles ${describeRoles(user.roles)}` : ''}`);
}

function usersStep(spec) {
  authenticate(spec);
  addMissingMembers(spec);
  const users = [{ ...spec.app, roles: [{ role: 'readWrite', db: spec.database }] }];
  if (spec.exporter) users.push({ ...spec.exporter, roles: ROLES.exporter });
  if (spec.backup) users.push({ ...spec.backup, roles: ROLES.backup });
  for (const user of users) {
    if (user.username === spec.root.username) fail(`user ${user.username} is the root user; expected another name`);
    upsertUser(user);
  }
  log(`users of replica set ${spec.replicaSet} are up to date`);
}

function main() {
  const spec = {
    step: required('MONGO_INIT_STEP'),
    replicaSet: required('MONGO_REPLICA_SET'),
    members: required('MONGO_MEMBERS').split(','),
    root: { username: required('MONGO_ROOT_USERNAME'), pwd: required('MONGO_ROOT_PASSWORD') },
    database: required('MONGO_APP_DATABASE'),
    app: { username: required('MONGO_APP_USERNAME'), pwd: required('MONGO_APP_PASSWORD') },
    exporter: optionalCredentials('MONGO_EXPORTER'),
    backup: optionalCredentials('MONGO_BACKUP'),
    waitSeconds: Number(env.MONGO_WAIT_SECONDS || '120'),
  };
  if (!(spec.waitSeconds > 0)) fail(`MONGO_WAIT_SECONDS '${env.MONGO_WAIT_SECONDS}'; expected a number of seconds > 0`);
  if (spec.step === 'replica-set') replicaSetStep(spec);
  else if (spec.step === 'users') usersStep(spec);
  else fail(`MONGO_INIT_STEP '${spec.step}'; expected 'replica-set' or 'users'`);
}

main();
