/**
 * The REAL promtool against postgresReplicationRules (a PostgresDatabase with a standby): each alert
 * fires on one set of series and stays silent on another, including the traps: an idle primary
 * (the exporter's lag grows without writes), another namespace, another slot, a cordoned node that
 * does not hold the primary.
 *
 * Fails (never skips) when promtool is missing: run scripts/install-prom-tools.sh.
 */
import { postgresReplicationRules } from '../../lib/constructs/monitoring';
import { coverageGaps, Promtool, Scenario } from '../support/promtool-scenarios';

let promtool: Promtool;
beforeAll(() => (promtool = new Promtool()));
afterAll(() => promtool?.dispose());

const NS = 'shop';
const OTHER_NS = 'other';
const rules = postgresReplicationRules({
  namespace: NS,
  primaryJob: 'postgres',
  standbyJob: 'postgres-replica',
  slot: 'postgres_replica_0',
  primaryPod: 'postgres-0',
  alertPrefix: '',
});
const ALERTS = rules.map((r) => r.alert);
const silent = (alerts: string[], ...at: string[]) => alerts.flatMap((alert) => at.map((t) => ({ at: t, alert, fires: [] })));

const slot = (ns = NS, name = 'postgres_replica_0') => `namespace="${ns}",job="postgres",slot_name="${name}",slot_type="physical"`;
const lag = (ns = NS) => `pg_replication_lag_seconds{namespace="${ns}",job="postgres-replica",pod="postgres-replica-0"}`;
const ksm = 'job="kube-state-metrics"';
const podInfo = (node: string, pod = 'postgres-0', ns = NS) => `kube_pod_info{${ksm},namespace="${ns}",pod="${pod}",node="${node}"}`;
// Node series get the namespace of kube-state-metrics itself (honorLabels keeps theirs: none).
const unschedulable = (node: string) => `kube_node_spec_unschedulable{${ksm},namespace="monitoring",node="${node}"}`;

/** A healthy pair: the primary writes (WAL grows 1 MB/min), the standby replays within seconds, the slot is active and reserved. */
const healthy: Record<string, string> = {
  [`pg_replication_slot_slot_current_wal_lsn{${slot()}}`]: '0+1000000x40',
  [`pg_replication_slot_slot_is_active{${slot()}}`]: '1x40',
  [`pg_replication_slot_wal_status{${slot()},wal_status="reserved"}`]: '1x40',
  [lag()]: '2x40',
  [podInfo('node-a')]: '1x40',
  [podInfo('node-b', 'postgres-replica-0')]: '1x40',
  [unschedulable('node-a')]: '0x40',
  [unschedulable('node-b')]: '0x40',
};

const scenarios: Scenario[] = [
  {
    name: 'healthy: nothing fires',
    series: healthy,
    checks: silent(ALERTS, '15m', '35m'),
  },
  {
    name: 'the standby replays nothing while the primary writes: PostgresReplicaLagging after 10m over 300 s',
    series: { ...healthy, [lag()]: '0+60x40' },
    checks: [
      // 300 s reached at 5m; the condition must hold 10m more.
      ...silent(['PostgresReplicaLagging'], '5m', '14m'),
      { at: '16m', alert: 'PostgresReplicaLagging', fires: [{ namespace: NS, job: 'postgres-replica' }] },
      ...silent(['PostgresStandbyNotStreaming', 'PostgresReplicationSlotAtRisk', 'PostgresPrimaryNodeCordoned'], '16m'),
    ],
  },
  {
    name: 'an idle primary (no WAL written): the exporter lag grows but PostgresReplicaLagging stays silent',
    series: { ...healthy, [`pg_replication_slot_slot_current_wal_lsn{${slot()}}`]: '5000000x40', [lag()]: '0+60x40' },
    checks: silent(['PostgresReplicaLagging'], '20m', '35m'),
  },
  {
    name: 'another namespace lags, loses its slot and has its primary node cordoned: nothing fires here',
    series: {
      ...healthy,
      [lag(OTHER_NS)]: '0+60x40',
      [`pg_replication_slot_slot_current_wal_lsn{${slot(OTHER_NS)}}`]: '0+1000000x40',
      [`pg_replication_slot_slot_is_active{${slot(OTHER_NS)}}`]: '0x40',
      [`pg_replication_slot_wal_status{${slot(OTHER_NS)},wal_status="lost"}`]: '1x40',
      [podInfo('node-c', 'postgres-0', OTHER_NS)]: '1x40',
      [unschedulable('node-c')]: '1x40',
      // A cordoned node that holds only the standby.
      [unschedulable('node-b')]: '1x40',
    },
    checks: silent(ALERTS, '20m', '35m'),
  },
  {
    name: 'the standby is down: PostgresStandbyNotStreaming after 10m',
    series: { ...healthy, [`pg_replication_slot_slot_is_active{${slot()}}`]: '1x4 0x36' },
    checks: [
      ...silent(['PostgresStandbyNotStreaming'], '5m', '14m'),
      { at: '16m', alert: 'PostgresStandbyNotStreaming', fires: [{ namespace: NS, job: 'postgres', slot_name: 'postgres_replica_0' }] },
    ],
  },
  {
    name: 'the slot went past max_slot_wal_keep_size, then lost its WAL: PostgresReplicationSlotAtRisk',
    series: {
      ...healthy,
      [`pg_replication_slot_wal_status{${slot()},wal_status="reserved"}`]: '1x9',
      [`pg_replication_slot_wal_status{${slot()},wal_status="unreserved"}`]: '_x10 1x9',
      [`pg_replication_slot_wal_status{${slot()},wal_status="lost"}`]: '_x20 1x20',
      // An unrelated slot that is lost does not count.
      [`pg_replication_slot_wal_status{${slot(NS, 'other_slot')},wal_status="lost"}`]: '1x40',
    },
    checks: [
      ...silent(['PostgresReplicationSlotAtRisk'], '5m'),
      {
        at: '15m',
        alert: 'PostgresReplicationSlotAtRisk',
        fires: [{ namespace: NS, job: 'postgres', slot_name: 'postgres_replica_0', wal_status: 'unreserved' }],
      },
      {
        at: '30m',
        alert: 'PostgresReplicationSlotAtRisk',
        fires: [{ namespace: NS, job: 'postgres', slot_name: 'postgres_replica_0', wal_status: 'lost' }],
      },
    ],
  },
  {
    name: "the primary's node is cordoned (a drain starts): PostgresPrimaryNodeCordoned",
    series: { ...healthy, [unschedulable('node-a')]: '0x9 1x30' },
    checks: [
      ...silent(['PostgresPrimaryNodeCordoned'], '5m', '10m'),
      { at: '12m', alert: 'PostgresPrimaryNodeCordoned', fires: [{ namespace: NS, pod: 'postgres-0', node: 'node-a' }] },
    ],
  },
];

test('promtool check rules', () => {
  expect(promtool.checkRules('postgres-replication', rules)).toContain(`SUCCESS: ${rules.length} rules found`);
});

test('every alert fires in one scenario and is silent in another', () => {
  expect(coverageGaps(rules, scenarios)).toEqual({ neverFires: [], neverSilent: [] });
});

for (const scenario of scenarios) {
  test(scenario.name, () => promtool.testScenario('postgres-replication', rules, scenario));
}

test('bad input names the field and the value', () => {
  const base = {
    namespace: NS,
    primaryJob: 'postgres',
    standbyJob: 'postgres-replica',
    slot: 's',
    primaryPod: 'postgres-0',
    alertPrefix: '',
  };
  expect(() => postgresReplicationRules({ ...base, lagSeconds: 0 })).toThrow(/lagSeconds.*0/);
  expect(() => postgresReplicationRules({ ...base, for: '0m' })).toThrow(/for.*"0m"/);
  expect(() => postgresReplicationRules({ ...base, namespace: 'Bad_NS' })).toThrow(/namespace.*"Bad_NS"/);
});
