/**
 * Panel sets for {@link GrafanaDashboard}, querying the same metrics as the
 * alert builders in `alert-rules.ts`. Every query is scoped with
 * `namespace="$namespace"` (the dashboard's constant variable) and the job /
 * CronJob given here.
 */
import { METRICS, RATE_WINDOW } from './alert-rules';
import type { DashboardPanel } from './grafana-dashboard';
import { checkLabelName, checkMetricName, checkObjectName, checkSelectorValue, fail, selector } from './validation';

/** The dashboard's namespace variable, as used inside selectors. */
const NS = '$namespace';

/** Options for {@link httpServicePanels}. */
export interface HttpServicePanelsProps {
  /** Scrape job of the service. */
  readonly job: string;
  /** Request counter with a status label. @default 'http_requests_total' */
  readonly errorMetric?: string;
  /** Status label of `errorMetric`. @default 'status' */
  readonly statusLabel?: string;
  /** Histogram bucket metric for a latency panel. @default - no latency panel */
  readonly latencyBucketMetric?: string;
  /**
   * Add a `5xx ratio` stat (share of 5xx among all requests), for services alerted on with
   * `httpServiceRules({ errorRatioThreshold })`.
   * @default false
   */
  readonly errorRatio?: boolean;
  /**
   * Prepended to every panel title; set it (e.g. `'Gateway: '`) when a dashboard shows several services.
   * @default ''
   */
  readonly titlePrefix?: string;
}

/** Up targets, 5xx rate, (optionally) 5xx ratio, requests by status, and (optionally) latency quantiles. */
export function httpServicePanels(props: HttpServicePanelsProps): DashboardPanel[] {
  const where = 'httpServicePanels';
  const job = checkSelectorValue(where, 'job', props.job);
  const metric = checkMetricName(where, 'errorMetric', props.errorMetric ?? METRICS.httpRequestsTotal);
  const status = checkLabelName(where, 'statusLabel', props.statusLabel ?? 'status');
  const errorRatio = props.errorRatio ?? false;
  if (typeof errorRatio !== 'boolean') fail(where, 'errorRatio', errorRatio, 'a boolean');
  const prefix = props.titlePrefix ?? '';
  if (typeof prefix !== 'string') fail(where, 'titlePrefix', prefix, 'a string');
  const scope = selector([
    ['namespace', '=', NS],
    ['job', '=', job],
  ]);
  const errors = selector([
    ['namespace', '=', NS],
    ['job', '=', job],
    [status, '=~', '5..'],
  ]);
  const panels: DashboardPanel[] = [
    { title: 'Targets up', type: 'stat', exprs: [{ expr: `sum(${METRICS.up}${scope})` }] },
    { title: '5xx rate', type: 'stat', unit: 'reqps', exprs: [{ expr: `sum(rate(${metric}${errors}[${RATE_WINDOW}])) or vector(0)` }] },
  ];
  if (errorRatio) {
    panels.push({
      title: '5xx ratio',
      type: 'stat',
      unit: 'percentunit',
      exprs: [{ expr: `(sum(rate(${metric}${errors}[${RATE_WINDOW}])) or vector(0)) / sum(rate(${metric}${scope}[${RATE_WINDOW}]))` }],
    });
  }
  panels.push(
    {
      title: 'Requests by status',
      type: 'timeseries',
      unit: 'reqps',
      exprs: [{ expr: `sum by (${status}) (rate(${metric}${scope}[${RATE_WINDOW}]))`, legend: `{{${status}}}` }],
    },
    {
      title: '5xx error rate',
      type: 'timeseries',
      unit: 'reqps',
      exprs: [{ expr: `sum(rate(${metric}${errors}[${RATE_WINDOW}]))`, legend: '5xx' }],
    },
  );
  if (props.latencyBucketMetric !== undefined) {
    const bucket = checkMetricName(where, 'latencyBucketMetric', props.latencyBucketMetric, '_bucket');
    panels.push(latencyPanel(bucket, scope));
  }
  return prefix === '' ? panels : panels.map((p) => ({ ...p, title: `${prefix}${p.title}` }));
}

/** Options for {@link jvmHttpPanels}. */
export interface JvmHttpPanelsProps {
  /** Scrape job of the Spring Boot service. */
  readonly job: string;
  /** `uri` values left out of request panels; `''` keeps all. @default '/actuator.*' */
  readonly excludeUriRegex?: string;
}

/** Spring Boot (Micrometer): up, requests by status, 5xx ratio, latency quantiles, Hikari pool usage. */
export function jvmHttpPanels(props: JvmHttpPanelsProps): DashboardPanel[] {
  const where = 'jvmHttpPanels';
  const job = checkSelectorValue(where, 'job', props.job);
  const exclude = props.excludeUriRegex ?? '/actuator.*';
  if (typeof exclude !== 'string') fail(where, 'excludeUriRegex', exclude, 'a regular expression or ""');
  const scope = selector([
    ['namespace', '=', NS],
    ['job', '=', job],
  ]);
  const base: Array<[string, '=' | '=~' | '!~', string]> = [
    ['namespace', '=', NS],
    ['job', '=', job],
  ];
  if (exclude !== '') base.push(['uri', '!~', exclude]);
  const requests = selector(base);
  const errors = selector([...base, ['status', '=~', '5..']]);
  const count = METRICS.springRequestsCount;
  return [
    { title: 'Targets up', type: 'stat', exprs: [{ expr: `sum(${METRICS.up}${scope})` }] },
    {
      title: '5xx ratio',
      type: 'stat',
      unit: 'percentunit',
      exprs: [{ expr: `(sum(rate(${count}${errors}[${RATE_WINDOW}])) or vector(0)) / sum(rate(${count}${requests}[${RATE_WINDOW}]))` }],
    },
    {
      title: 'Requests by status',
      type: 'timeseries',
      unit: 'reqps',
      exprs: [{ expr: `sum by (status) (rate(${count}${requests}[${RATE_WINDOW}]))`, legend: '{{status}}' }],
    },
    latencyPanel(METRICS.springRequestsBucket, requests),
    {
      title: 'Hikari connections',
      type: 'timeseries',
      exprs: [
        { expr: `sum by (pool) (${METRICS.hikariActive}${scope})`, legend: '{{pool}} active' },
        { expr: `sum by (pool) (${METRICS.hikariMax}${scope})`, legend: '{{pool}} max' },
      ],
    },
  ];
}

/** Options for {@link postgresPanels}. */
export interface PostgresPanelsProps {
  /** Scrape job of postgres-exporter. */
  readonly job: string;
}

/** postgres-exporter: up, share of max_connections, connections by state and by database. */
export function postgresPanels(props: PostgresPanelsProps): DashboardPanel[] {
  const job = checkSelectorValue('postgresPanels', 'job', props.job);
  const scope = selector([
    ['namespace', '=', NS],
    ['job', '=', job],
  ]);
  const activity = METRICS.pgStatActivityCount;
  return [
    { title: 'PostgreSQL up', type: 'stat', exprs: [{ expr: `min(${METRICS.pgUp}${scope})` }] },
    {
      title: 'Connections used',
      type: 'stat',
      unit: 'percentunit',
      exprs: [{ expr: `sum(${activity}${scope}) / max(${METRICS.pgMaxConnections}${scope})` }],
    },
    {
      title: 'Connections by state',
      type: 'timeseries',
      exprs: [
        { expr: `sum by (state) (${activity}${scope})`, legend: '{{state}}' },
        { expr: `max(${METRICS.pgMaxConnections}${scope})`, legend: 'max_connections' },
      ],
    },
    {
      title: 'Connections by database',
      type: 'timeseries',
      exprs: [{ expr: `sum by (datname) (${activity}${scope})`, legend: '{{datname}}' }],
    },
  ];
}

/** Options for {@link redisPanels}. */
export interface RedisPanelsProps {
  /** Scrape job of redis_exporter. */
  readonly job: string;
}

/** redis_exporter: up, memory share of maxmemory, memory, connected clients. */
export function redisPanels(props: RedisPanelsProps): DashboardPanel[] {
  const job = checkSelectorValue('redisPanels', 'job', props.job);
  const scope = selector([
    ['namespace', '=', NS],
    ['job', '=', job],
  ]);
  return [
    { title: 'Redis up', type: 'stat', exprs: [{ expr: `min(${METRICS.redisUp}${scope})` }] },
    {
      title: 'Memory used (of maxmemory)',
      type: 'stat',
      unit: 'percentunit',
      exprs: [{ expr: `max(${METRICS.redisMemoryUsed}${scope} / (${METRICS.redisMemoryMax}${scope} > 0))` }],
    },
    {
      title: 'Memory',
      type: 'timeseries',
      unit: 'bytes',
      exprs: [
        { expr: `max(${METRICS.redisMemoryUsed}${scope})`, legend: 'used' },
        { expr: `max(${METRICS.redisMemoryMax}${scope})`, legend: 'maxmemory' },
      ],
    },
    {
      title: 'Connected clients',
      type: 'timeseries',
      exprs: [{ expr: `sum(${METRICS.redisConnectedClients}${scope})`, legend: 'clients' }],
    },
  ];
}

/**
 * redis_exporter keyspace lookups: the hit ratio (stat and over time) and hits / misses per
 * second. A cache that mostly misses costs a database round trip per request.
 */
export function redisHitRatioPanels(props: RedisPanelsProps): DashboardPanel[] {
  const job = checkSelectorValue('redisHitRatioPanels', 'job', props.job);
  const scope = selector([
    ['namespace', '=', NS],
    ['job', '=', job],
  ]);
  const hits = `sum(rate(${METRICS.redisKeyspaceHits}${scope}[${RATE_WINDOW}]))`;
  const misses = `sum(rate(${METRICS.redisKeyspaceMisses}${scope}[${RATE_WINDOW}]))`;
  const ratio = `${hits} / (${hits} + ${misses})`;
  return [
    {
      title: 'Redis hit ratio',
      type: 'stat',
      unit: 'percentunit',
      // Below 80 % most reads fall through to PostgreSQL (a chosen warning level, not the seed's).
      baseColor: 'orange',
      thresholds: [{ value: 0.8, color: 'green' }],
      exprs: [{ expr: ratio }],
    },
    {
      title: 'Redis hit ratio over time',
      type: 'timeseries',
      unit: 'percentunit',
      exprs: [{ expr: ratio, legend: 'hit ratio' }],
    },
    {
      title: 'Redis keyspace lookups',
      type: 'timeseries',
      unit: 'ops',
      exprs: [
        { expr: hits, legend: 'hits' },
        { expr: misses, legend: 'misses' },
      ],
    },
  ];
}

/** Options for {@link backupPanels}. */
export interface BackupPanelsProps {
  /** Name of the backup CronJob. */
  readonly cronJob: string;
  /**
   * Prepended to every panel title; set it (e.g. `'Postgres: '`) when a dashboard shows several backups.
   * @default ''
   */
  readonly titlePrefix?: string;
}

/** kube-state-metrics: age of the last successful backup and failed backup Jobs. */
export function backupPanels(props: BackupPanelsProps): DashboardPanel[] {
  const cronJob = checkObjectName('backupPanels', 'cronJob', props.cronJob, 52);
  const prefix = props.titlePrefix ?? '';
  if (typeof prefix !== 'string') fail('backupPanels', 'titlePrefix', prefix, 'a string');
  const cron = selector([
    ['namespace', '=', NS],
    ['cronjob', '=', cronJob],
  ]);
  const ns = selector([['namespace', '=', NS]]);
  const owner = selector([
    ['namespace', '=', NS],
    ['owner_kind', '=', 'CronJob'],
    ['owner_name', '=', cronJob],
  ]);
  const failedByJob = `max by (job_name) (${METRICS.jobFailed}${ns} * on (namespace, job_name) group_left () ${METRICS.jobOwner}${owner})`;
  return [
    {
      title: `${prefix}Since last successful backup`,
      type: 'stat',
      unit: 's',
      exprs: [{ expr: `time() - max(${METRICS.cronJobLastSuccess}${cron})` }],
    },
    {
      title: `${prefix}Failed backup jobs`,
      type: 'stat',
      exprs: [{ expr: `count(${failedByJob} > 0) or vector(0)` }],
    },
    {
      title: `${prefix}Failed pods per backup job`,
      type: 'timeseries',
      exprs: [{ expr: failedByJob, legend: '{{job_name}}' }],
    },
  ];
}

function latencyPanel(bucket: string, scope: string): DashboardPanel {
  return {
    title: 'Latency',
    type: 'timeseries',
    unit: 's',
    exprs: [0.5, 0.95, 0.99].map((q) => ({
      expr: `histogram_quantile(${q}, sum by (le) (rate(${bucket}${scope}[${RATE_WINDOW}])))`,
      legend: `p${Math.round(q * 100)}`,
    })),
  };
}
