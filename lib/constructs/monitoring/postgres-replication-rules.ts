/**
 * Alerts of a PostgreSQL primary with a streaming standby (PostgresDatabase `standby`), over the
 * metrics of the pinned postgres-exporter (0.17: the default `replication` and `replication_slot`
 * collectors) and of kube-state-metrics.
 */
import { AlertRule } from './alert-rules';
import { KubernetesScrapeJobs, kubernetesSelectors } from './kubernetes-selectors';
import { checkForDuration, humanDuration } from './rule-checks';
import { checkAlertPrefix, checkNamespace, checkPositive, checkSelectorValue, num, selector } from './validation';

/** Metric names the replication rules query. */
export const POSTGRES_REPLICATION_METRICS = {
  /** Standby: seconds since the last replayed transaction (0 on a primary). */
  replicationLag: 'pg_replication_lag_seconds',
  /** Primary: its current WAL position (bytes), per slot. */
  slotCurrentWalLsn: 'pg_replication_slot_slot_current_wal_lsn',
  /** Primary: 1 while a standby streams through the slot. */
  slotIsActive: 'pg_replication_slot_slot_is_active',
  /** Primary: 1 for the slot's `wal_status` label (reserved, extended, unreserved, lost). */
  slotWalStatus: 'pg_replication_slot_wal_status',
  /** kube-state-metrics. */
  podInfo: 'kube_pod_info',
  nodeUnschedulable: 'kube_node_spec_unschedulable',
} as const;

/** Options for {@link postgresReplicationRules}. */
export interface PostgresReplicationRulesProps extends KubernetesScrapeJobs {
  /** Namespace of the primary, the standby and their exporters. */
  readonly namespace: string;
  /** Scrape job of the primary's exporter (its Service name, e.g. `postgres`). */
  readonly primaryJob: string;
  /** Scrape job of the standby's exporter (e.g. `postgres-replica`). */
  readonly standbyJob: string;
  /** The standby's replication slot on the primary. */
  readonly slot: string;
  /** The primary's pod (e.g. `postgres-0`). */
  readonly primaryPod: string;
  /** Prefix of every alert name. */
  readonly alertPrefix: string;
  /**
   * Replay lag (seconds since the last replayed transaction, while the primary writes WAL) above
   * which `<Prefix>PostgresReplicaLagging` fires: a failover then loses up to that much.
   * @default 300
   */
  readonly lagSeconds?: number;
  /** `for` of the lag and not-streaming alerts. @default '10m' */
  readonly for?: string;
}

/**
 * - `<Prefix>PostgresReplicaLagging` (warning): the standby's `pg_replication_lag_seconds` above
 *   `lagSeconds` while the primary wrote WAL in the last 5 minutes. The exporter measures the lag as
 *   the time since the last replayed transaction, which also grows on an idle primary; requiring
 *   WAL growth on the primary keeps a quiet night from firing it.
 * - `<Prefix>PostgresStandbyNotStreaming` (warning): the slot is inactive on the primary: the standby
 *   is down or cannot connect, reads on `-ro` fail and there is nothing to fail over to.
 * - `<Prefix>PostgresReplicationSlotAtRisk` (critical): the slot's WAL is `unreserved` (beyond
 *   max_slot_wal_keep_size, about to be removed) or `lost` (the standby must be re-cloned).
 * - `<Prefix>PostgresPrimaryNodeCordoned` (critical): the primary's node is cordoned. A drain of it
 *   waits on the primary's PodDisruptionBudget (`maxUnavailable: 0`) until an operator fails over;
 *   this alert is that drain's announcement.
 */
export function postgresReplicationRules(props: PostgresReplicationRulesProps): AlertRule[] {
  const where = 'postgresReplicationRules';
  const namespace = checkNamespace(where, 'namespace', props.namespace);
  const primaryJob = checkSelectorValue(where, 'primaryJob', props.primaryJob);
  const standbyJob = checkSelectorValue(where, 'standbyJob', props.standbyJob);
  const slot = checkSelectorValue(where, 'slot', props.slot);
  const primaryPod = checkSelectorValue(where, 'primaryPod', props.primaryPod);
  const prefix = checkAlertPrefix(where, props.alertPrefix);
  const lag = checkPositive(where, 'lagSeconds', props.lagSeconds ?? 300, 'seconds');
  const forDuration = checkForDuration(where, 'for', props.for ?? '10m');
  const k8s = kubernetesSelectors(where, namespace, props);
  const M = POSTGRES_REPLICATION_METRICS;
  const standby = selector([
    ['namespace', '=', namespace],
    ['job', '=', standbyJob],
  ]);
  const primarySlot = selector([
    ['namespace', '=', namespace],
    ['job', '=', primaryJob],
    ['slot_name', '=', slot],
  ]);
  const walStatus = selector([
    ['namespace', '=', namespace],
    ['job', '=', primaryJob],
    ['slot_name', '=', slot],
    ['wal_status', '=~', 'unreserved|lost'],
  ]);
  // Node series carry no namespace of the pod: matched by the kube-state-metrics job only.
  const ksmNodes = selector([
    ['job', '=', checkSelectorValue(where, 'kubeStateMetricsJob', props.kubeStateMetricsJob ?? 'kube-state-metrics')],
  ]);
  return [
    {
      alert: `${prefix}PostgresReplicaLagging`,
      expr:
        `max by (namespace, job) (${M.replicationLag}${standby}) > ${num(lag)}` +
        ` and on (namespace) (max by (namespace) (delta(${M.slotCurrentWalLsn}${primarySlot}[5m])) > 0)`,
      for: forDuration,
      labels: { severity: 'warning' },
      annotations: {
        summary: 'PostgreSQL standby is behind the primary',
        description: `The standby {{ $labels.job }} in namespace {{ $labels.namespace }} has replayed no transaction for over ${humanDuration(`${lag}s`)} while the primary writes; a failover now would lose those writes.`,
      },
    },
    {
      alert: `${prefix}PostgresStandbyNotStreaming`,
      expr: `max by (namespace, job, slot_name) (${M.slotIsActive}${primarySlot}) == 0`,
      for: forDuration,
      labels: { severity: 'warning' },
      annotations: {
        summary: 'PostgreSQL standby is not streaming',
        description:
          'No standby streams through slot {{ $labels.slot_name }} of {{ $labels.job }} in namespace {{ $labels.namespace }}: the standby is down or cannot connect, read-only clients fail and there is nothing to fail over to.',
      },
    },
    {
      alert: `${prefix}PostgresReplicationSlotAtRisk`,
      expr: `max by (namespace, job, slot_name, wal_status) (${M.slotWalStatus}${walStatus}) == 1`,
      for: '1m',
      labels: { severity: 'critical' },
      annotations: {
        summary: 'PostgreSQL replication slot is losing its WAL',
        description:
          'Slot {{ $labels.slot_name }} of {{ $labels.job }} in namespace {{ $labels.namespace }} is {{ $labels.wal_status }}: the standby fell behind by more than max_slot_wal_keep_size. When lost, the standby must be re-cloned (README: PostgreSQL high availability).',
      },
    },
    {
      alert: `${prefix}PostgresPrimaryNodeCordoned`,
      expr:
        `max by (namespace, pod, node) (${M.podInfo}${k8s.ksm([['pod', '=', primaryPod]])})` +
        ` * on (node) group_left () max by (node) (${M.nodeUnschedulable}${ksmNodes}) == 1`,
      for: '1m',
      labels: { severity: 'critical' },
      annotations: {
        summary: "The PostgreSQL primary's node is cordoned: its drain waits for a failover",
        description:
          'Node {{ $labels.node }} of the PostgreSQL primary {{ $labels.pod }} in namespace {{ $labels.namespace }} is cordoned. Its PodDisruptionBudget (maxUnavailable 0) blocks the eviction: writes stay up, and the drain waits until you fail over to the standby (README: PostgreSQL high availability).',
      },
    },
  ];
}
