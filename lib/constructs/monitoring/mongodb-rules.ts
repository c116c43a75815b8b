/**
 * Alerting rules for MongoDB watched by percona/mongodb_exporter, in the style of the builders of
 * alert-rules.ts: scoped to a namespace and scrape job, alert names `${alertPrefix}${Suffix}`,
 * annotations with `{{ $labels.* }}` and literal thresholds only.
 *
 * Metric names are those of mongodb_exporter 0.47.x (config/images.ts pins 0.47.2) run as
 * MongoDatabase runs it, with `--collector.diagnosticdata --collector.replicasetstatus`:
 * - `mongodb_up`: the general collector, always on (1 when the exporter reaches mongod);
 * - `mongodb_ss_*`: serverStatus from getDiagnosticData (`serverStatus` is renamed `ss`; the keys of
 *   `connections` become the label `conn_type`, those of `opcounters` the label `legacy_op_type`);
 * - `mongodb_myState`, `mongodb_members_*`: replSetGetStatus from the replicasetstatus collector,
 *   without a prefix; each member of `members` gives a series labelled `member_idx` (its host:port)
 *   and `member_state` (its stateStr, e.g. PRIMARY). Every member's exporter reports every member.
 * The names follow the exporter's renaming (exporter/metrics.go: `prefixes`, `nodeToPDMetrics`,
 * processSlice) and its v0.4x flags (main.go).
 */
import { AlertRule } from './alert-rules';
import { checkAlertPrefix, checkNamespace, checkPositive, checkRatio, checkSelectorValue, fail, num, selector } from './validation';

/** Metric names of mongodb_exporter 0.47.x used by {@link mongodbRules} and mongodb-panels.ts. */
export const MONGODB_METRICS = {
  up: 'mongodb_up',
  /** serverStatus.connections, label `conn_type` (`current`, `available`, `totalCreated`, ...). */
  connections: 'mongodb_ss_connections',
  /** serverStatus.opcounters, label `legacy_op_type` (`insert`, `query`, `update`, `delete`, `getmore`, `command`). */
  opcounters: 'mongodb_ss_opcounters',
  /** serverStatus.mem.resident, in MiB. */
  memResident: 'mongodb_ss_mem_resident',
  wiredTigerCacheBytes: 'mongodb_ss_wt_cache_bytes_currently_in_the_cache',
  wiredTigerCacheMaxBytes: 'mongodb_ss_wt_cache_maximum_bytes_configured',
  /** replSetGetStatus.myState of the scraped member (1 = PRIMARY, 2 = SECONDARY). */
  myState: 'mongodb_myState',
  /** replSetGetStatus.members[].health (1 up, 0 down), labels `member_idx`, `member_state`. */
  memberHealth: 'mongodb_members_health',
  /** replSetGetStatus.members[].optimeDate, in milliseconds since the epoch. */
  memberOptimeDate: 'mongodb_members_optimeDate',
} as const;

/** Options for {@link mongodbRules}. */
export interface MongodbRulesProps {
  /** Namespace of MongoDB and its exporter. */
  readonly namespace: string;
  /** Scrape job of the exporter (with MongoDatabase's ServiceMonitor: the Service name, e.g. `mongodb`). */
  readonly job: string;
  /** Prefix of every alert name (`''` gives `MongoDBDown`, ...). */
  readonly alertPrefix: string;
  /**
   * Ratio of open connections to the connections mongod accepts (current / (current + available))
   * above which `<Prefix>MongoDBConnectionsNearLimit` fires.
   * @default 0.8
   */
  readonly connectionsRatio?: number;
  /**
   * The members form a replica set (MongoDatabase always runs one): adds the member, primary and
   * replication lag alerts. False for a standalone mongod.
   * @default true
   */
  readonly replicaSet?: boolean;
  /** Seconds a secondary may trail the primary before `<Prefix>MongoDBReplicationLag` fires. @default 30 */
  readonly replicationLagSeconds?: number;
}

/**
 * Seconds each secondary trails the primary, per member (`member_idx`): the primary's optime minus
 * the secondary's, as every member's exporter sees them (the largest view counts).
 */
export function mongodbReplicationLagExpr(scope: ReadonlyArray<readonly [string, '=' | '=~', string]>): string {
  const optime = (state: string) => `${MONGODB_METRICS.memberOptimeDate}${selector([...scope, ['member_state', '=', state]])}`;
  return (
    `max by (namespace, job, member_idx) ((max by (namespace, job) (${optime('PRIMARY')}) ` +
    `- on (namespace, job) group_right ${optime('SECONDARY')}) / 1000)`
  );
}

/** Share of the connections mongod accepts that are open, per pod. */
export function mongodbConnectionsUsedExpr(scope: ReadonlyArray<readonly [string, '=' | '=~', string]>): string {
  const conn = (type: string) => `${MONGODB_METRICS.connections}${selector([...scope, ['conn_type', '=', type]])}`;
  return `max by (namespace, job, pod) (${conn('current')} / ignoring (conn_type) (${conn('current')} + ignoring (conn_type) ${conn('available')}))`;
}

/**
 * Alerts for MongoDB watched by mongodb_exporter:
 * - `<Prefix>MongoDBDown` (critical, 2m): a member's exporter cannot reach mongod (`mongodb_up == 0`),
 *   or no `mongodb_up` series at all (not scraped).
 * - `<Prefix>MongoDBConnectionsNearLimit` (warning, 5m): current / (current + available) connections
 *   of a member above the ratio.
 * With `replicaSet` (the default):
 * - `<Prefix>MongoDBReplicaMemberUnhealthy` (warning, 5m): a member reports another as down
 *   (`mongodb_members_health == 0`): the set has lost redundancy, it still has a primary;
 * - `<Prefix>MongoDBNoPrimary` (critical, 2m): members are up but none is primary: writes fail;
 * - `<Prefix>MongoDBReplicationLag` (warning, 5m): a secondary trails the primary by more than the threshold.
 */
export function mongodbRules(props: MongodbRulesProps): AlertRule[] {
  const where = 'mongodbRules';
  const namespace = checkNamespace(where, 'namespace', props.namespace);
  const job = checkSelectorValue(where, 'job', props.job);
  const prefix = checkAlertPrefix(where, props.alertPrefix);
  const ratio = checkRatio(where, 'connectionsRatio', props.connectionsRatio ?? 0.8);
  const lag = checkPositive(where, 'replicationLagSeconds', props.replicationLagSeconds ?? 30, 'seconds');
  const replicaSet = props.replicaSet ?? true;
  if (typeof replicaSet !== 'boolean') fail(where, 'replicaSet', replicaSet, 'true or false');

  const matchers = [
    ['namespace', '=', namespace],
    ['job', '=', job],
  ] as const;
  const scope = selector(matchers);
  const M = MONGODB_METRICS;

  const rules: AlertRule[] = [
    {
      alert: `${prefix}MongoDBDown`,
      expr: `min by (namespace, job) (${M.up}${scope}) == 0 or absent(${M.up}${scope})`,
      for: '2m',
      labels: { severity: 'critical' },
      annotations: {
        summary: 'MongoDB is down',
        description:
          'mongodb_exporter {{ $labels.job }} in namespace {{ $labels.namespace }} cannot reach a MongoDB member (mongodb_up == 0), or is not being scraped.',
      },
    },
    {
      alert: `${prefix}MongoDBConnectionsNearLimit`,
      expr: `${mongodbConnectionsUsedExpr(matchers)} > ${num(ratio)}`,
      for: '5m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'MongoDB connections near the limit',
        description: `MongoDB member {{ $labels.pod }} ({{ $labels.job }}, namespace {{ $labels.namespace }}) has more than ${num(ratio * 100)}% of the connections it accepts open; new connections will be refused.`,
      },
    },
  ];
  if (!replicaSet) return rules;
  return [
    ...rules,
    {
      alert: `${prefix}MongoDBReplicaMemberUnhealthy`,
      expr: `min by (namespace, job, member_idx) (${M.memberHealth}${scope}) == 0`,
      for: '5m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'MongoDB replica set member unhealthy',
        description:
          'Replica set member {{ $labels.member_idx }} ({{ $labels.job }}, namespace {{ $labels.namespace }}) is unreachable or down as seen by another member; the set has lost redundancy.',
      },
    },
    {
      alert: `${prefix}MongoDBNoPrimary`,
      expr: `max by (namespace, job) (${M.up}${scope}) == 1 unless on (namespace, job) max by (namespace, job) (${M.myState}${scope} == 1)`,
      for: '2m',
      labels: { severity: 'critical' },
      annotations: {
        summary: 'MongoDB replica set has no primary',
        description:
          'MongoDB members of {{ $labels.job }} in namespace {{ $labels.namespace }} are up but none is primary (or the replica set is not initiated): writes fail.',
      },
    },
    {
      alert: `${prefix}MongoDBReplicationLag`,
      expr: `${mongodbReplicationLagExpr(matchers)} > ${num(lag)}`,
      for: '5m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'MongoDB replication lag',
        description: `Secondary {{ $labels.member_idx }} ({{ $labels.job }}, namespace {{ $labels.namespace }}) is more than ${num(lag)}s behind the primary.`,
      },
    },
  ];
}
