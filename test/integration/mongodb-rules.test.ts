/**
 * mongodbRules (lib/constructs/monitoring/mongodb-rules.ts) under the REAL promtool: `check rules`,
 * and `test rules` scenarios over series shaped like mongodb_exporter 0.47.x's (three members, each
 * member's exporter reporting every member) in which every alert fires once (honouring its `for`)
 * and stays silent on healthy series, including broken series of another namespace and job.
 */
import { mongodbPanels } from '../../lib/constructs/monitoring/mongodb-panels';
import { mongodbRules } from '../../lib/constructs/monitoring/mongodb-rules';
import { coverage, Promtool, Scenario } from '../support/promtool-scenarios';

const NS = 'shop';
const JOB = 'mongodb';
const PODS = ['mongodb-0', 'mongodb-1', 'mongodb-2'];
const MEMBER = PODS.map((p) => `${p}.mongodb.shop.svc.cluster.local:27017`);
/** Optimes (ms): the primary's advances a minute per minute; secondaries trail it by 2 s. */
const PRIMARY_OPTIME = '1700000000000+60000x30';
const SECONDARY_OPTIME = '1699999998000+60000x30';

/** A healthy three-member replica set of `namespace`/`job` (member 0 primary). */
function replicaSet(namespace = NS, job = JOB, over: (name: string, pod: string, member?: number) => string | undefined = () => undefined) {
  const series: Record<string, string> = {};
  const put = (name: string, labels: string, value: string, pod: string, member?: number) => {
    series[`${name}{namespace="${namespace}",job="${job}",${labels}}`] = over(name, pod, member) ?? value;
  };
  PODS.forEach((pod, i) => {
    put('mongodb_up', `pod="${pod}"`, '1x30', pod);
    put('mongodb_ss_connections', `pod="${pod}",conn_type="current"`, '50x30', pod);
    put('mongodb_ss_connections', `pod="${pod}",conn_type="available"`, '800x30', pod);
    put('mongodb_myState', `pod="${pod}"`, i === 0 ? '1x30' : '2x30', pod);
    MEMBER.forEach((member, j) => {
      const labels = `pod="${pod}",member_idx="${member}",member_state="${j === 0 ? 'PRIMARY' : 'SECONDARY'}"`;
      put('mongodb_members_health', labels, '1x30', pod, j);
      put('mongodb_members_optimeDate', labels, j === 0 ? PRIMARY_OPTIME : SECONDARY_OPTIME, pod, j);
    });
  });
  return series;
}

/** Another stack's set and another job of this namespace, broken in every way. */
const badNeighbours = {
  ...replicaSet(
    'other',
    JOB,
    (name, _pod, member) =>
      ({
        mongodb_up: '0x30',
        mongodb_myState: '2x30',
        mongodb_members_health: member === 2 ? '0x30' : undefined,
        mongodb_members_optimeDate: member === 2 ? '1699990000000+60000x30' : undefined,
      })[name],
  ),
  ...replicaSet(NS, 'catalog-mongodb', (name) => ({ mongodb_up: '0x30', mongodb_myState: '2x30' })[name]),
  [`mongodb_ss_connections{namespace="other",job="${JOB}",pod="x",conn_type="current"}`]: '990x30',
  [`mongodb_ss_connections{namespace="other",job="${JOB}",pod="x",conn_type="available"}`]: '10x30',
};

const ALERTS = [
  'MongoDBDown',
  'MongoDBConnectionsNearLimit',
  'MongoDBReplicaMemberUnhealthy',
  'MongoDBNoPrimary',
  'MongoDBReplicationLag',
] as const;
const me = { namespace: NS, job: JOB };

const rules = mongodbRules({ namespace: NS, job: JOB, alertPrefix: '' });
const scenarios: Scenario[] = [
  {
    name: 'a healthy replica set with broken neighbours stays silent',
    series: { ...replicaSet(), ...badNeighbours },
    checks: [...ALERTS.map((alert) => ({ at: '10m', alert, fires: [] })), ...ALERTS.map((alert) => ({ at: '25m', alert, fires: [] }))],
  },
  {
    name: "a member's exporter cannot reach mongod: MongoDBDown after 2m",
    series: {
      ...replicaSet(NS, JOB, (name, pod) => (name === 'mongodb_up' && pod === 'mongodb-1' ? '0x30' : undefined)),
      ...badNeighbours,
    },
    checks: [
      { at: '1m', alert: 'MongoDBDown', fires: [] },
      { at: '3m', alert: 'MongoDBDown', fires: [me] },
      { at: '3m', alert: 'MongoDBNoPrimary', fires: [] },
    ],
  },
  {
    name: 'no mongodb_up series at all (not scraped): MongoDBDown through absent()',
    series: { ...badNeighbours },
    checks: [
      { at: '1m', alert: 'MongoDBDown', fires: [] },
      { at: '3m', alert: 'MongoDBDown', fires: [me] },
    ],
  },
  {
    name: 'a member with 90% of its connections open: MongoDBConnectionsNearLimit after 5m, for that pod',
    series: {
      ...replicaSet(NS, JOB, (name, pod) => (name === 'mongodb_ss_connections' && pod === 'mongodb-0' ? '900x30' : undefined)),
      [`mongodb_ss_connections{namespace="${NS}",job="${JOB}",pod="mongodb-0",conn_type="available"}`]: '100x30',
    },
    checks: [
      { at: '4m', alert: 'MongoDBConnectionsNearLimit', fires: [] },
      { at: '7m', alert: 'MongoDBConnectionsNearLimit', fires: [{ ...me, pod: 'mongodb-0' }] },
    ],
  },
  {
    name: 'member 2 down as the others see it: MongoDBReplicaMemberUnhealthy after 5m, named by member',
    series: replicaSet(NS, JOB, (name, pod, member) =>
      name === 'mongodb_members_health' && member === 2 && pod !== 'mongodb-2' ? '0x30' : undefined,
    ),
    checks: [
      { at: '4m', alert: 'MongoDBReplicaMemberUnhealthy', fires: [] },
      { at: '7m', alert: 'MongoDBReplicaMemberUnhealthy', fires: [{ ...me, member_idx: MEMBER[2] }] },
      { at: '7m', alert: 'MongoDBNoPrimary', fires: [] },
    ],
  },
  {
    name: 'members up, none primary: MongoDBNoPrimary after 2m',
    series: replicaSet(NS, JOB, (name) => (name === 'mongodb_myState' ? '2x30' : undefined)),
    checks: [
      { at: '1m', alert: 'MongoDBNoPrimary', fires: [] },
      { at: '3m', alert: 'MongoDBNoPrimary', fires: [me] },
    ],
  },
  {
    name: 'a replica set not initiated yet (no replSetGetStatus series): MongoDBNoPrimary, nothing else',
    series: Object.fromEntries(Object.entries(replicaSet()).filter(([s]) => /^mongodb_(up|ss_)/.test(s))),
    checks: [
      { at: '3m', alert: 'MongoDBNoPrimary', fires: [me] },
      { at: '10m', alert: 'MongoDBReplicaMemberUnhealthy', fires: [] },
      { at: '10m', alert: 'MongoDBReplicationLag', fires: [] },
      { at: '10m', alert: 'MongoDBDown', fires: [] },
    ],
  },
  {
    name: 'member 2 a minute behind the primary: MongoDBReplicationLag after 5m, named by member',
    series: replicaSet(NS, JOB, (name, _pod, member) =>
      name === 'mongodb_members_optimeDate' && member === 2 ? '1699999940000+60000x30' : undefined,
    ),
    checks: [
      { at: '4m', alert: 'MongoDBReplicationLag', fires: [] },
      { at: '7m', alert: 'MongoDBReplicationLag', fires: [{ ...me, member_idx: MEMBER[2] }] },
    ],
  },
  {
    name: 'a secondary catching up from a minute behind to 2 s: MongoDBReplicationLag does not fire',
    series: replicaSet(NS, JOB, (name, _pod, member) =>
      name === 'mongodb_members_optimeDate' && member === 2 ? '1699999940000+60000x2 1700000178000+60000x27' : undefined,
    ),
    checks: [{ at: '8m', alert: 'MongoDBReplicationLag', fires: [] }],
  },
];

let promtool: Promtool;
beforeAll(() => {
  promtool = new Promtool();
});
afterAll(() => promtool?.dispose());

describe('mongodbRules', () => {
  test('builds the five alerts', () => {
    expect(rules.map((r) => r.alert)).toEqual([...ALERTS]);
  });

  test('promtool check rules', () => {
    expect(promtool.checkRules('mongodb', rules)).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  test('every alert fires in one scenario and is silent in another', () => {
    const { fired, silent } = coverage(scenarios);
    expect(ALERTS.filter((a) => !fired.has(a))).toEqual([]);
    expect(ALERTS.filter((a) => !silent.has(a))).toEqual([]);
  });

  test.each(scenarios.map((s) => [s.name, s] as const))('%s', (_name, scenario) => {
    promtool.testScenario('mongodb', rules, scenario);
  });
});

describe('mongodbRules for a standalone mongod, with a prefix and other thresholds', () => {
  const standalone = mongodbRules({
    namespace: NS,
    job: JOB,
    alertPrefix: 'Catalog',
    replicaSet: false,
    connectionsRatio: 0.5,
  });

  test('only the down and connection alerts, prefixed', () => {
    expect(standalone.map((r) => r.alert)).toEqual(['CatalogMongoDBDown', 'CatalogMongoDBConnectionsNearLimit']);
    expect(promtool.checkRules('mongodb-standalone', standalone)).toContain('SUCCESS: 2 rules found');
  });

  test('the ratio given: 60% fires, 40% does not', () => {
    const series = (current: string, available: string) => ({
      [`mongodb_up{namespace="${NS}",job="${JOB}",pod="mongodb-0"}`]: '1x20',
      [`mongodb_ss_connections{namespace="${NS}",job="${JOB}",pod="mongodb-0",conn_type="current"}`]: current,
      [`mongodb_ss_connections{namespace="${NS}",job="${JOB}",pod="mongodb-0",conn_type="available"}`]: available,
    });
    promtool.testScenario('mongodb-standalone', standalone, {
      name: '60% open',
      series: series('600x20', '400x20'),
      checks: [{ at: '10m', alert: 'CatalogMongoDBConnectionsNearLimit', fires: [{ ...me, pod: 'mongodb-0' }] }],
    });
    promtool.testScenario('mongodb-standalone', standalone, {
      name: '40% open',
      series: series('400x20', '600x20'),
      checks: [{ at: '10m', alert: 'CatalogMongoDBConnectionsNearLimit', fires: [] }],
    });
  });
});

describe('mongodbPanels', () => {
  test('every query of the panels is PromQL that promtool parses', () => {
    const exprs = mongodbPanels({ job: JOB }).flatMap((p) => p.exprs.map((e) => e.expr.replace(/\$namespace/g, NS)));
    expect(promtool.checkExpressions('mongodb-panels', exprs)).toContain(`SUCCESS: ${exprs.length} rules found`);
  });
});
