/**
 * Grafana panels for MongoDB watched by mongodb_exporter 0.47.x, querying the metrics of
 * mongodb-rules.ts ({@link MONGODB_METRICS}), scoped like the panels of dashboard-panels.ts with
 * `namespace="$namespace"` (the dashboard's constant variable) and the scrape job.
 */
import type { DashboardPanel } from './grafana-dashboard';
import { RATE_WINDOW } from './alert-rules';
import { MONGODB_METRICS, mongodbConnectionsUsedExpr, mongodbReplicationLagExpr } from './mongodb-rules';
import { checkSelectorValue, fail, selector } from './validation';

/** The dashboard's namespace variable, as used inside selectors. */
const NS = '$namespace';

/** Options for {@link mongodbPanels}. */
export interface MongodbPanelsProps {
  /** Scrape job of mongodb_exporter (with MongoDatabase's ServiceMonitor: the Service name). */
  readonly job: string;
  /** The members form a replica set: adds replication lag and member health. @default true */
  readonly replicaSet?: boolean;
}

/**
 * mongodb_exporter: up, share of connections used, connections, operations per second, memory
 * (resident and the WiredTiger cache against its maximum), and with a replica set the members'
 * health and the replication lag of each secondary.
 */
export function mongodbPanels(props: MongodbPanelsProps): DashboardPanel[] {
  const where = 'mongodbPanels';
  const job = checkSelectorValue(where, 'job', props.job);
  const replicaSet = props.replicaSet ?? true;
  if (typeof replicaSet !== 'boolean') fail(where, 'replicaSet', replicaSet, 'true or false');
  const matchers = [
    ['namespace', '=', NS],
    ['job', '=', job],
  ] as const;
  const scope = selector(matchers);
  const conn = (type: string) => `${MONGODB_METRICS.connections}${selector([...matchers, ['conn_type', '=', type]])}`;
  const M = MONGODB_METRICS;

  const panels: DashboardPanel[] = [
    { title: 'MongoDB up', type: 'stat', exprs: [{ expr: `min(${M.up}${scope})` }] },
    {
      title: 'Connections used',
      type: 'stat',
      unit: 'percentunit',
      description: 'Largest share, over the members, of the connections mongod accepts that are open.',
      exprs: [{ expr: `max(${mongodbConnectionsUsedExpr(matchers)})` }],
    },
    {
      title: 'Connections',
      type: 'timeseries',
      exprs: [
        { expr: `sum by (pod) (${conn('current')})`, legend: '{{pod}} open' },
        { expr: `sum by (pod) (${conn('available')})`, legend: '{{pod}} available' },
      ],
    },
    {
      title: 'Operations',
      type: 'timeseries',
      unit: 'ops',
      exprs: [{ expr: `sum by (legacy_op_type) (rate(${M.opcounters}${scope}[${RATE_WINDOW}]))`, legend: '{{legacy_op_type}}' }],
    },
    {
      title: 'Memory',
      type: 'timeseries',
      unit: 'bytes',
      exprs: [
        { expr: `max by (pod) (${M.memResident}${scope}) * 1024 * 1024`, legend: '{{pod}} resident' },
        { expr: `max by (pod) (${M.wiredTigerCacheBytes}${scope})`, legend: '{{pod}} WiredTiger cache' },
        { expr: `max(${M.wiredTigerCacheMaxBytes}${scope})`, legend: 'WiredTiger cache maximum' },
      ],
    },
  ];
  if (!replicaSet) return panels;
  return [
    ...panels,
    {
      title: 'Replication lag',
      type: 'timeseries',
      unit: 's',
      exprs: [{ expr: mongodbReplicationLagExpr(matchers), legend: '{{member_idx}}' }],
    },
    {
      title: 'Member health',
      type: 'timeseries',
      description: '1 while a member sees the other as up; the lowest view counts. The primary is the member whose myState is 1.',
      exprs: [
        { expr: `min by (member_idx) (${M.memberHealth}${scope})`, legend: '{{member_idx}}' },
        { expr: `max by (pod) (${M.myState}${scope} == bool 1)`, legend: '{{pod}} primary' },
      ],
    },
  ];
}
