/**
 * Grafana panels for Elasticsearch watched by elasticsearch_exporter 1.9.x, querying the metrics of
 * elasticsearch-rules.ts ({@link ELASTICSEARCH_METRICS}), scoped with `namespace="$namespace"` (the
 * dashboard's constant variable) and the scrape job; and a logs panel on an Elasticsearch datasource.
 */
import type { DashboardPanel } from './grafana-dashboard';
import { ELASTICSEARCH_METRICS, elasticsearchDiskUsedExpr } from './elasticsearch-rules';
import { checkNonEmpty, checkSelectorValue, selector } from './validation';

/** The dashboard's namespace variable, as used inside selectors. */
const NS = '$namespace';

/** Options for {@link elasticsearchPanels}. */
export interface ElasticsearchPanelsProps {
  /** Scrape job of elasticsearch_exporter (with ElasticsearchCluster's ServiceMonitor: the Service name). */
  readonly job: string;
}

/** Cluster health (0 green, 1 yellow, 2 red), heap used per node, data disk used per node against the 85 % low watermark. */
export function elasticsearchPanels(props: ElasticsearchPanelsProps): DashboardPanel[] {
  const job = checkSelectorValue('elasticsearchPanels', 'job', props.job);
  const matchers = [
    ['namespace', '=', NS],
    ['job', '=', job],
  ] as const;
  const M = ELASTICSEARCH_METRICS;
  const color = (c: string) => `max(${M.healthStatus}${selector([...matchers, ['color', '=', c]])})`;
  const heap = selector([...matchers, ['area', '=', 'heap']]);
  return [
    {
      title: 'Elasticsearch health',
      type: 'stat',
      description: '0 green, 1 yellow (a replica unassigned), 2 red (a primary unassigned).',
      exprs: [{ expr: `${color('yellow')} + 2 * ${color('red')}` }],
      thresholds: [
        { value: 1, color: 'yellow' },
        { value: 2, color: 'red' },
      ],
    },
    {
      title: 'Elasticsearch heap used',
      type: 'timeseries',
      unit: 'percentunit',
      exprs: [{ expr: `max by (name) (${M.jvmUsed}${heap} / ${M.jvmMax}${heap})`, legend: '{{name}}' }],
    },
    {
      title: 'Elasticsearch data disk used',
      type: 'timeseries',
      unit: 'percentunit',
      description: 'At 85 % (the low watermark) Elasticsearch stops placing shards on the node.',
      exprs: [{ expr: elasticsearchDiskUsedExpr(matchers), legend: '{{name}}' }],
      thresholds: [{ value: 0.85, color: 'red' }],
    },
  ];
}

/** Options for {@link logsPanel}. */
export interface LogsPanelProps {
  readonly title: string;
  /** uid of the Elasticsearch datasource. */
  readonly datasourceUid: string;
  /** Lucene query, e.g. `kubernetes.namespace_name:"shop"`. */
  readonly query: string;
}

/** A full-width Grafana logs panel over an Elasticsearch datasource. */
export function logsPanel(props: LogsPanelProps): DashboardPanel {
  const where = 'logsPanel';
  checkNonEmpty(where, 'title', props.title);
  checkNonEmpty(where, 'query', props.query);
  return { title: props.title, type: 'logs', exprs: [], logs: { datasourceUid: props.datasourceUid, query: props.query }, width: 24 };
}
