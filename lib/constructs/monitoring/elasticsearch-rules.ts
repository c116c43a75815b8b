/**
 * Alerting rules for Elasticsearch watched by prometheus-community/elasticsearch_exporter, in the
 * style of mongodb-rules.ts: scoped to a namespace and scrape job, alert names
 * `${alertPrefix}${Suffix}`, annotations with `{{ $labels.* }}` and literal thresholds only.
 *
 * Metric names are those of elasticsearch_exporter 1.9.x (config/images.ts pins v1.9.0) run as
 * ElasticsearchCluster runs it (a sidecar per node reading its own node over the loopback):
 * - `elasticsearch_cluster_health_status{color}`: 1 for the cluster's current colour, 0 for the
 *   others (collector/cluster_health.go, always on);
 * - `elasticsearch_filesystem_data_available_bytes` / `_size_bytes`: the data path of the node
 *   (collector/nodes.go, label `name` = the node name);
 * - `elasticsearch_jvm_memory_used_bytes` / `_max_bytes` with `area="heap"` (collector/nodes.go);
 * - `elasticsearch_indices_docs_primary{index}`: documents in the primaries of each index, with
 *   `--es.indices` only (collector/indices.go; a data stream's backing indices are `.ds-<stream>-...`).
 */
import { AlertRule } from './alert-rules';
import { checkAlertPrefix, checkNamespace, checkRatio, checkSelectorValue, fail, num, selector } from './validation';

/** Metric names of elasticsearch_exporter 1.9.x used by {@link elasticsearchRules} and elasticsearch-panels.ts. */
export const ELASTICSEARCH_METRICS = {
  up: 'up',
  healthStatus: 'elasticsearch_cluster_health_status',
  fsAvailable: 'elasticsearch_filesystem_data_available_bytes',
  fsSize: 'elasticsearch_filesystem_data_size_bytes',
  jvmUsed: 'elasticsearch_jvm_memory_used_bytes',
  jvmMax: 'elasticsearch_jvm_memory_max_bytes',
  docsPrimary: 'elasticsearch_indices_docs_primary',
} as const;

/** Options for {@link elasticsearchRules}. */
export interface ElasticsearchRulesProps {
  /** Namespace of Elasticsearch and its exporter. */
  readonly namespace: string;
  /** Scrape job of the exporter (with ElasticsearchCluster's ServiceMonitor: the Service name, e.g. `elasticsearch`). */
  readonly job: string;
  /** Prefix of every alert name (`''` gives `ElasticsearchClusterNotGreen`, ...). */
  readonly alertPrefix: string;
  /**
   * Used share of a node's data disk above which `<Prefix>ElasticsearchDiskWatermarkNear` fires.
   * @default 0.8 (below Elasticsearch's 85 % low watermark, where it stops placing shards on the node)
   */
  readonly diskUsedRatio?: number;
  /**
   * Data streams whose backing indices must keep growing: a regular expression over the stream
   * names, e.g. `(gateway|backend)-logs-.+`. Adds `<Prefix>LogShippingStopped` (needs the exporter's
   * `--es.indices`).
   * @default - no log shipping alert
   */
  readonly shippedStreams?: string;
  /** Minutes without a new document in those streams before the alert fires. @default 15 */
  readonly shippingStalledMinutes?: number;
}

/** Used share of each node's data disk (1 - available / size), per node name. */
export function elasticsearchDiskUsedExpr(scope: ReadonlyArray<readonly [string, '=' | '=~', string]>): string {
  const M = ELASTICSEARCH_METRICS;
  const s = selector(scope);
  return `1 - (max by (namespace, job, name) (${M.fsAvailable}${s}) / max by (namespace, job, name) (${M.fsSize}${s}))`;
}

/**
 * Alerts for Elasticsearch watched by elasticsearch_exporter:
 * - `<Prefix>ElasticsearchClusterNotGreen` (warning, 5m): health is yellow or red (a replica or a
 *   primary is unassigned);
 * - `<Prefix>ElasticsearchClusterRed` (critical, 2m): a primary shard is unassigned: some data is
 *   unavailable and writes to it fail;
 * - `<Prefix>ElasticsearchDiskWatermarkNear` (warning, 10m): a node's data disk is fuller than the
 *   ratio (default 80 %, before the 85 % low watermark stops shard allocation to it);
 * - `<Prefix>ElasticsearchExporterDown` (warning, 5m): the exporter is not scraped or not up, so the
 *   other alerts are blind;
 * - with `shippedStreams`, `<Prefix>LogShippingStopped` (warning): no backing index of those
 *   streams gained a document in the last `shippingStalledMinutes` (the largest growth over the
 *   indices, so a rollover or an ILM deletion does not look like a stop).
 */
export function elasticsearchRules(props: ElasticsearchRulesProps): AlertRule[] {
  const where = 'elasticsearchRules';
  const namespace = checkNamespace(where, 'namespace', props.namespace);
  const job = checkSelectorValue(where, 'job', props.job);
  const prefix = checkAlertPrefix(where, props.alertPrefix);
  const ratio = checkRatio(where, 'diskUsedRatio', props.diskUsedRatio ?? 0.8);
  const minutes = props.shippingStalledMinutes ?? 15;
  if (!Number.isInteger(minutes) || minutes < 1) fail(where, 'shippingStalledMinutes', minutes, 'an integer >= 1');
  if (props.shippedStreams !== undefined) {
    checkSelectorValue(where, 'shippedStreams', props.shippedStreams);
    try {
      new RegExp(props.shippedStreams);
    } catch {
      fail(where, 'shippedStreams', props.shippedStreams, 'a regular expression over data stream names');
    }
  }
  const matchers = [
    ['namespace', '=', namespace],
    ['job', '=', job],
  ] as const;
  const scope = selector(matchers);
  const M = ELASTICSEARCH_METRICS;
  const color = (c: string) => `${M.healthStatus}${selector([...matchers, ['color', '=', c]])}`;

  const rules: AlertRule[] = [
    {
      alert: `${prefix}ElasticsearchClusterNotGreen`,
      expr: `max by (namespace, job, cluster) (${color('green')}) == 0`,
      for: '5m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Elasticsearch cluster health is not green',
        description:
          'Elasticsearch cluster {{ $labels.cluster }} (namespace {{ $labels.namespace }}) has been yellow or red for 5 minutes: shards are unassigned.',
      },
    },
    {
      alert: `${prefix}ElasticsearchClusterRed`,
      expr: `max by (namespace, job, cluster) (${color('red')}) == 1`,
      for: '2m',
      labels: { severity: 'critical' },
      annotations: {
        summary: 'Elasticsearch cluster health is red',
        description:
          'Elasticsearch cluster {{ $labels.cluster }} (namespace {{ $labels.namespace }}) is red: a primary shard is unassigned, its data cannot be searched or written.',
      },
    },
    {
      alert: `${prefix}ElasticsearchDiskWatermarkNear`,
      expr: `${elasticsearchDiskUsedExpr(matchers)} > ${num(ratio)}`,
      for: '10m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Elasticsearch disk near the low watermark',
        description: `Elasticsearch node {{ $labels.name }} (namespace {{ $labels.namespace }}) has used more than ${num(ratio * 100)}% of its data disk; at 85% Elasticsearch stops placing shards on it, at 90% it moves them away.`,
      },
    },
    {
      alert: `${prefix}ElasticsearchExporterDown`,
      expr: `min by (namespace, job) (${M.up}${scope}) == 0 or absent(${M.up}${scope})`,
      for: '5m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Elasticsearch exporter down',
        description:
          'The elasticsearch_exporter of {{ $labels.job }} in namespace {{ $labels.namespace }} is down or not scraped: Elasticsearch health, disk and log shipping are not watched.',
      },
    },
  ];
  if (props.shippedStreams === undefined) return rules;
  const docs = `${M.docsPrimary}${selector([...matchers, ['index', '=~', `\\.ds-${props.shippedStreams}`]])}`;
  return [
    ...rules,
    {
      alert: `${prefix}LogShippingStopped`,
      expr: `max by (namespace, job) (delta(${docs}[${minutes}m])) <= 0`,
      for: '1m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Log shipping stopped',
        description: `No new document reached the log data streams of namespace {{ $labels.namespace }} in ${minutes} minutes: the log shipper is down or refused.`,
      },
    },
  ];
}
