/**
 * Pure builders for Prometheus alerting rules.
 *
 * Every builder scopes its expressions with the namespace (and the scrape
 * `job` / CronJob name) it is given, so one stack's alerts never fire for
 * another stack's series. Builders return plain {@link AlertRule} objects;
 * wrap them in an {@link AlertRuleGroup} to get a `PrometheusRule`.
 *
 * Alert names are `${alertPrefix}${Suffix}`; the caller picks the prefix (pass
 * `''` to keep the seed's names such as `HighErrorRate` and
 * `DatabaseConnectionsHigh`).
 *
 * Annotations only use `{{ $labels.* }}` and literal thresholds (no
 * `{{ $value }}`), so they render deterministically and can be asserted
 * exactly in `promtool test rules`.
 */
import {
  checkAlertPrefix,
  checkLabelName,
  checkMetricName,
  checkNamespace,
  checkObjectName,
  checkPositive,
  checkRatio,
  checkSelectorValue,
  fail,
  num,
  selector,
} from './validation';
import { checkForDuration, checkOpenRatio, humanDuration } from './rule-checks';

/** Severity label values understood by the Alertmanager routing of the stacks. */
export type AlertSeverity = 'critical' | 'warning';

/** Labels attached to an alert. `severity` is mandatory. */
export interface AlertRuleLabels {
  /** Routing severity. */
  readonly severity: AlertSeverity;
  /** Any further static labels. */
  readonly [name: string]: string;
}

/** Annotations attached to an alert. `summary` and `description` are mandatory. */
export interface AlertRuleAnnotations {
  /** One-line summary. */
  readonly summary: string;
  /** Longer description; may use `{{ $labels.<name> }}`. */
  readonly description: string;
  /** Any further annotations (e.g. `runbook_url`). */
  readonly [name: string]: string;
}

/** One Prometheus alerting rule, in rule-file shape. */
export interface AlertRule {
  /** Alert name; must match `/^[A-Za-z_][A-Za-z0-9_]*$/`. */
  readonly alert: string;
  /** PromQL expression; the alert fires for every series it returns. */
  readonly expr: string;
  /** How long the expression must return a series before the alert fires, e.g. `2m`. */
  readonly for: string;
  /** Alert labels. */
  readonly labels: AlertRuleLabels;
  /** Alert annotations. */
  readonly annotations: AlertRuleAnnotations;
}

/**
 * Metric names the rules and dashboards query. Exported so dashboards, tests
 * and ServiceMonitor docs stay in sync with the alerts.
 */
export const METRICS = {
  up: 'up',
  /** WonderNest Ktor app (seed). */
  httpRequestsTotal: 'http_requests_total',
  /** Spring Boot / Micrometer. */
  springRequestsCount: 'http_server_requests_seconds_count',
  springRequestsBucket: 'http_server_requests_seconds_bucket',
  hikariActive: 'hikaricp_connections_active',
  hikariMax: 'hikaricp_connections_max',
  hikariIdle: 'hikaricp_connections_idle',
  hikariPending: 'hikaricp_connections_pending',
  hikariTimeouts: 'hikaricp_connections_timeout_total',
  /** Micrometer JVM binders (Spring Boot actuator, Ktor MicrometerMetrics). */
  jvmMemoryUsed: 'jvm_memory_used_bytes',
  jvmMemoryMax: 'jvm_memory_max_bytes',
  jvmGcPauseSum: 'jvm_gc_pause_seconds_sum',
  jvmGcPauseCount: 'jvm_gc_pause_seconds_count',
  jvmThreadsLive: 'jvm_threads_live_threads',
  /** postgres-exporter. */
  pgUp: 'pg_up',
  pgStatActivityCount: 'pg_stat_activity_count',
  pgMaxConnections: 'pg_settings_max_connections',
  /** postgres-exporter's stat_archiver collector (pg_stat_archiver; enabled by default). */
  pgArchiverArchived: 'pg_stat_archiver_archived_count',
  pgArchiverFailed: 'pg_stat_archiver_failed_count',
  pgArchiverLastArchiveAge: 'pg_stat_archiver_last_archive_age',
  /** redis_exporter. */
  redisUp: 'redis_up',
  redisMemoryUsed: 'redis_memory_used_bytes',
  redisMemoryMax: 'redis_memory_max_bytes',
  redisConnectedClients: 'redis_connected_clients',
  redisKeyspaceHits: 'redis_keyspace_hits_total',
  redisKeyspaceMisses: 'redis_keyspace_misses_total',
  /** kube-state-metrics. */
  cronJobLastSuccess: 'kube_cronjob_status_last_successful_time',
  cronJobCreated: 'kube_cronjob_created',
  jobFailed: 'kube_job_status_failed',
  jobOwner: 'kube_job_owner',
  jobStartTime: 'kube_job_status_start_time',
} as const;

/** Range used by every `rate()` in these rules. */
export const RATE_WINDOW = '5m';

// ---------------------------------------------------------------------------
// HTTP service (generic; the WonderNest Ktor app)
// ---------------------------------------------------------------------------

/** Options for {@link httpServiceRules}. */
export interface HttpServiceRulesProps {
  /** Namespace of the scraped service; every selector is scoped to it. */
  readonly namespace: string;
  /** Scrape job (with a ServiceMonitor: the Service name). */
  readonly job: string;
  /**
   * Prefix of every alert name. `''` keeps the seed's `HighErrorRate`; the
   * down alert is then called `ServiceDown` (instead of `<Prefix>Down`).
   */
  readonly alertPrefix: string;
  /**
   * Request counter carrying the HTTP status label.
   * @default 'http_requests_total'
   */
  readonly errorMetric?: string;
  /**
   * Label of `errorMetric` holding the HTTP status code.
   * @default 'status'
   */
  readonly statusLabel?: string;
  /**
   * 5xx responses per second (summed over the job's pods, 5m rate) above which `HighErrorRate` fires.
   * Exclusive with `errorRatioThreshold`.
   * @default 0.1 (the seed's threshold), unless `errorRatioThreshold` is set
   */
  readonly errorRateThreshold?: number;
  /**
   * Share of 5xx responses (0 < x < 1) above which `HighErrorRate` fires instead of an absolute rate:
   * 5xx rate / rate of all requests, each summed over the job's pods (5m rate). A job that answers no
   * requests at all never fires. Exclusive with `errorRateThreshold`.
   * @default - the rate threshold is used
   */
  readonly errorRatioThreshold?: number;
  /**
   * `for` of `HighErrorRate`.
   * @default '2m'
   */
  readonly errorFor?: string;
  /**
   * `for` of `HighLatency`; only with `latencyP95Seconds` + `latencyBucketMetric`.
   * @default '10m'
   */
  readonly latencyFor?: string;
  /**
   * p95 latency in seconds above which `<Prefix>HighLatency` fires. Requires `latencyBucketMetric`.
   * @default - no latency alert
   */
  readonly latencyP95Seconds?: number;
  /**
   * Histogram bucket metric for the latency alert (must end in `_bucket`). Requires `latencyP95Seconds`.
   * @default - no latency alert
   */
  readonly latencyBucketMetric?: string;
}

/**
 * Alerts for an HTTP service:
 * - `<Prefix>Down` (critical, 2m): no target of the job is up, or the job has no `up` series at all.
 * - `<Prefix>HighErrorRate` (critical, `errorFor` = 2m): the seed's 5xx rate alert, scoped to namespace and job;
 *   with `errorRatioThreshold`, the share of 5xx among all requests instead (no requests: no alert).
 * - `<Prefix>HighLatency` (warning, `latencyFor` = 10m): p95 over the threshold, computed from the histogram
 *   buckets, only with `latencyP95Seconds` + `latencyBucketMetric`.
 */
export function httpServiceRules(props: HttpServiceRulesProps): AlertRule[] {
  const where = 'httpServiceRules';
  const namespace = checkNamespace(where, 'namespace', props.namespace);
  const job = checkSelectorValue(where, 'job', props.job);
  const prefix = checkAlertPrefix(where, props.alertPrefix);
  const errorMetric = checkMetricName(where, 'errorMetric', props.errorMetric ?? METRICS.httpRequestsTotal);
  const statusLabel = checkLabelName(where, 'statusLabel', props.statusLabel ?? 'status');
  const error = errorThreshold(where, props.errorRateThreshold, props.errorRatioThreshold);
  const errorFor = checkForDuration(where, 'errorFor', props.errorFor ?? '2m');
  const latency = latencyOptions(where, props.latencyP95Seconds, props.latencyBucketMetric);
  if (!latency && props.latencyFor !== undefined) {
    fail(
      where,
      'latencyFor',
      props.latencyFor,
      'unset unless latencyP95Seconds and latencyBucketMetric are set (there is no latency alert)',
    );
  }
  const latencyFor = checkForDuration(where, 'latencyFor', props.latencyFor ?? '10m');

  const scope = selector([
    ['namespace', '=', namespace],
    ['job', '=', job],
  ]);
  const errors = selector([
    ['namespace', '=', namespace],
    ['job', '=', job],
    [statusLabel, '=~', '5..'],
  ]);
  const by = 'sum by (namespace, job)';

  const rules: AlertRule[] = [
    downRule(prefix, scope),
    {
      alert: `${prefix}HighErrorRate`,
      expr:
        error.kind === 'rate'
          ? `${by} (rate(${errorMetric}${errors}[${RATE_WINDOW}])) > ${num(error.value)}`
          : `${by} (rate(${errorMetric}${errors}[${RATE_WINDOW}])) / (${by} (rate(${errorMetric}${scope}[${RATE_WINDOW}])) > 0) > ${num(error.value)}`,
      for: errorFor,
      labels: { severity: 'critical' },
      annotations: {
        summary: 'High error rate detected',
        description:
          error.kind === 'rate'
            ? `{{ $labels.job }} in namespace {{ $labels.namespace }} is answering more than ${num(error.value)} requests/s with a 5xx status (${RATE_WINDOW} rate of ${errorMetric}).`
            : `{{ $labels.job }} in namespace {{ $labels.namespace }} is answering more than ${num(error.value * 100)}% of its requests with a 5xx status (${RATE_WINDOW} rate of ${errorMetric}).`,
      },
    },
  ];
  if (latency) {
    rules.push({
      alert: `${prefix}HighLatency`,
      expr: `histogram_quantile(0.95, sum by (namespace, job, le) (rate(${latency.bucket}${scope}[${RATE_WINDOW}]))) > ${num(latency.seconds)}`,
      for: latencyFor,
      labels: { severity: 'warning' },
      annotations: {
        summary: 'High p95 latency',
        description: `p95 latency of {{ $labels.job }} in namespace {{ $labels.namespace }} has been above ${num(latency.seconds)}s for ${humanDuration(latencyFor)}.`,
      },
    });
  }
  return rules;
}

// ---------------------------------------------------------------------------
// Spring Boot (Micrometer) HTTP service
// ---------------------------------------------------------------------------

/** Options for {@link jvmHttpRules}. */
export interface JvmHttpRulesProps {
  /** Namespace of the scraped service; every selector is scoped to it. */
  readonly namespace: string;
  /** Scrape job (with a ServiceMonitor: the Service name). */
  readonly job: string;
  /** Prefix of every alert name (`''` gives `ServiceDown`, `HighLatency`, ...). */
  readonly alertPrefix: string;
  /**
   * p95 latency (seconds) of `http_server_requests_seconds_bucket` above which `<Prefix>HighLatency` fires.
   * Needs `management.metrics.distribution.percentiles-histogram.http.server.requests=true`.
   * @default 1
   */
  readonly latencyP95Seconds?: number;
  /**
   * Ratio of 5xx responses to all responses above which `<Prefix>HighErrorRatio` fires.
   * @default 0.05
   */
  readonly errorRatioThreshold?: number;
  /**
   * Ratio `hikaricp_connections_active / hikaricp_connections_max` above which `<Prefix>ConnectionPoolSaturated` fires.
   * @default 0.9
   */
  readonly connectionPoolRatio?: number;
  /**
   * `uri` values (RE2 regex) left out of the latency and error-ratio alerts; `''` keeps every URI.
   * @default '/actuator.*'
   */
  readonly excludeUriRegex?: string;
}

/**
 * Alerts for a Spring Boot app exposing Micrometer metrics:
 * - `<Prefix>Down` (critical, 2m), as in {@link httpServiceRules}.
 * - `<Prefix>HighLatency` (warning, 10m): p95 from `http_server_requests_seconds_bucket`.
 * - `<Prefix>HighErrorRatio` (critical, 5m): share of 5xx in `http_server_requests_seconds_count`.
 * - `<Prefix>ConnectionPoolSaturated` (warning, 5m): `hikaricp_connections_active / hikaricp_connections_max`.
 */
export function jvmHttpRules(props: JvmHttpRulesProps): AlertRule[] {
  const where = 'jvmHttpRules';
  const namespace = checkNamespace(where, 'namespace', props.namespace);
  const job = checkSelectorValue(where, 'job', props.job);
  const prefix = checkAlertPrefix(where, props.alertPrefix);
  const latency = checkPositive(where, 'latencyP95Seconds', props.latencyP95Seconds ?? 1, 'seconds');
  const errorRatio = checkRatio(where, 'errorRatioThreshold', props.errorRatioThreshold ?? 0.05);
  const poolRatio = checkRatio(where, 'connectionPoolRatio', props.connectionPoolRatio ?? 0.9);
  const excludeUri = props.excludeUriRegex ?? '/actuator.*';
  if (typeof excludeUri !== 'string' || !isValidRegex(excludeUri)) {
    fail(where, 'excludeUriRegex', excludeUri, 'a regular expression (or "" to keep every URI)');
  }

  const scope = selector([
    ['namespace', '=', namespace],
    ['job', '=', job],
  ]);
  const base: Array<[string, '=' | '=~' | '!~', string]> = [
    ['namespace', '=', namespace],
    ['job', '=', job],
  ];
  if (excludeUri !== '') base.push(['uri', '!~', excludeUri]);
  const requests = selector(base);
  const errors = selector([...base, ['status', '=~', '5..']]);
  const by = 'sum by (namespace, job)';

  return [
    downRule(prefix, scope),
    {
      alert: `${prefix}HighLatency`,
      expr: `histogram_quantile(0.95, sum by (namespace, job, le) (rate(${METRICS.springRequestsBucket}${requests}[${RATE_WINDOW}]))) > ${num(latency)}`,
      for: '10m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'High p95 latency',
        description: `p95 latency of {{ $labels.job }} in namespace {{ $labels.namespace }} has been above ${num(latency)}s for 10 minutes.`,
      },
    },
    {
      alert: `${prefix}HighErrorRatio`,
      expr: `${by} (rate(${METRICS.springRequestsCount}${errors}[${RATE_WINDOW}])) / ${by} (rate(${METRICS.springRequestsCount}${requests}[${RATE_WINDOW}])) > ${num(errorRatio)}`,
      for: '5m',
      labels: { severity: 'critical' },
      annotations: {
        summary: 'High HTTP 5xx ratio',
        description: `More than ${num(errorRatio * 100)}% of the requests to {{ $labels.job }} in namespace {{ $labels.namespace }} fail with a 5xx status.`,
      },
    },
    {
      alert: `${prefix}ConnectionPoolSaturated`,
      expr: `max by (namespace, job, pod, pool) (${METRICS.hikariActive}${scope} / (${METRICS.hikariMax}${scope} > 0)) > ${num(poolRatio)}`,
      for: '5m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Database connection pool nearly exhausted',
        description: `Hikari pool {{ $labels.pool }} of pod {{ $labels.pod }} ({{ $labels.job }}, namespace {{ $labels.namespace }}) uses more than ${num(poolRatio * 100)}% of its maximum connections.`,
      },
    },
  ];
}

// ---------------------------------------------------------------------------
// PostgreSQL (postgres-exporter)
// ---------------------------------------------------------------------------

/** Options for {@link postgresRules}. */
export interface PostgresRulesProps {
  /** Namespace of the database and its exporter. */
  readonly namespace: string;
  /** Scrape job of postgres-exporter (with a ServiceMonitor: the exporter's Service name). */
  readonly job: string;
  /** Prefix of every alert name (`''` keeps the seed's `DatabaseConnectionsHigh`). */
  readonly alertPrefix: string;
  /**
   * Number of backends (`pg_stat_activity_count`, all states and databases) above which `<Prefix>DatabaseConnectionsHigh` fires.
   * @default 80 (the seed's threshold)
   */
  readonly connectionsThreshold?: number;
  /**
   * Ratio of backends to `pg_settings_max_connections` above which `<Prefix>DatabaseConnectionsNearMax` fires.
   * Unlike the absolute threshold this follows `max_connections` when it is changed.
   * @default 0.8
   */
  readonly maxConnectionsRatio?: number;
}

/**
 * Alerts for a PostgreSQL server watched by postgres-exporter:
 * - `<Prefix>PostgresDown` (critical, 2m): `pg_up == 0`, or no `pg_up` series (exporter gone).
 * - `<Prefix>DatabaseConnectionsHigh` (warning, 1m): the seed's alert, summed per namespace and job.
 * - `<Prefix>DatabaseConnectionsNearMax` (warning, 5m): backends / max_connections above the ratio.
 */
export function postgresRules(props: PostgresRulesProps): AlertRule[] {
  const where = 'postgresRules';
  const namespace = checkNamespace(where, 'namespace', props.namespace);
  const job = checkSelectorValue(where, 'job', props.job);
  const prefix = checkAlertPrefix(where, props.alertPrefix);
  const threshold = checkPositive(where, 'connectionsThreshold', props.connectionsThreshold ?? 80, 'connections');
  const ratio = checkRatio(where, 'maxConnectionsRatio', props.maxConnectionsRatio ?? 0.8);

  const scope = selector([
    ['namespace', '=', namespace],
    ['job', '=', job],
  ]);
  const connections = `sum by (namespace, job) (${METRICS.pgStatActivityCount}${scope})`;

  return [
    {
      alert: `${prefix}PostgresDown`,
      expr: `min by (namespace, job) (${METRICS.pgUp}${scope}) == 0 or absent(${METRICS.pgUp}${scope})`,
      for: '2m',
      labels: { severity: 'critical' },
      annotations: {
        summary: 'PostgreSQL is down',
        description:
          'postgres-exporter {{ $labels.job }} in namespace {{ $labels.namespace }} cannot reach PostgreSQL, or is not being scraped.',
      },
    },
    {
      alert: `${prefix}DatabaseConnectionsHigh`,
      expr: `${connections} > ${num(threshold)}`,
      for: '1m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Database connection pool nearly exhausted',
        description: `PostgreSQL behind {{ $labels.job }} in namespace {{ $labels.namespace }} has more than ${num(threshold)} open connections.`,
      },
    },
    {
      alert: `${prefix}DatabaseConnectionsNearMax`,
      expr: `${connections} / on (namespace, job) (max by (namespace, job) (${METRICS.pgMaxConnections}${scope}) > 0) > ${num(ratio)}`,
      for: '5m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'PostgreSQL is close to max_connections',
        description: `PostgreSQL behind {{ $labels.job }} in namespace {{ $labels.namespace }} uses more than ${num(ratio * 100)}% of max_connections.`,
      },
    },
  ];
}

/** Options for {@link postgresWalArchiveRules}. */
export interface PostgresWalArchiveRulesProps {
  /** Namespace of the database and its exporter. */
  readonly namespace: string;
  /** Scrape job of postgres-exporter. */
  readonly job: string;
  /** Prefix of every alert name. */
  readonly alertPrefix: string;
  /**
   * Hours since the last archived WAL file above which `<Prefix>PostgresWalArchiveStale` fires. The
   * daily base backup switches WAL, so a healthy archive never waits much longer than a day even
   * when the database is idle (PostgreSQL skips archive_timeout switches without writes).
   * @default 26
   */
  readonly maxArchiveAgeHours?: number;
}

/**
 * Alerts for continuous WAL archiving (a WalArchive), from postgres-exporter's `pg_stat_archiver`:
 * - `<Prefix>PostgresWalArchivingFailing` (critical, 15m): archive_command fails and nothing was
 *   archived in 5 minutes: the upload sidecar is stuck (the spool is full or stale) or the script
 *   fails; PostgreSQL keeps the WAL in pg_wal, which grows, and point-in-time recovery stops at
 *   the last archived segment.
 * - `<Prefix>PostgresWalArchiveStale` (warning, 15m): nothing archived for `maxArchiveAgeHours`.
 */
export function postgresWalArchiveRules(props: PostgresWalArchiveRulesProps): AlertRule[] {
  const where = 'postgresWalArchiveRules';
  const namespace = checkNamespace(where, 'namespace', props.namespace);
  const job = checkSelectorValue(where, 'job', props.job);
  const prefix = checkAlertPrefix(where, props.alertPrefix);
  const hours = checkPositive(where, 'maxArchiveAgeHours', props.maxArchiveAgeHours ?? 26, 'hours');
  const scope = selector([
    ['namespace', '=', namespace],
    ['job', '=', job],
  ]);
  return [
    {
      alert: `${prefix}PostgresWalArchivingFailing`,
      expr: `increase(${METRICS.pgArchiverFailed}${scope}[5m]) > 0 unless increase(${METRICS.pgArchiverArchived}${scope}[5m]) > 0`,
      for: '15m',
      labels: { severity: 'critical' },
      annotations: {
        summary: 'PostgreSQL WAL archiving is failing',
        description:
          'archive_command of the PostgreSQL behind {{ $labels.job }} in namespace {{ $labels.namespace }} keeps failing and archives nothing: check the wal-ship sidecar. WAL piles up in pg_wal and point-in-time recovery stops at the last archived segment.',
      },
    },
    {
      alert: `${prefix}PostgresWalArchiveStale`,
      expr: `max by (namespace, job) (${METRICS.pgArchiverLastArchiveAge}${scope}) > ${num(hours * 3600)}`,
      for: '15m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'No WAL archived recently',
        description: `The PostgreSQL behind {{ $labels.job }} in namespace {{ $labels.namespace }} archived no WAL for more than ${num(hours)} hours (the daily base backup alone switches WAL).`,
      },
    },
  ];
}

// ---------------------------------------------------------------------------
// Redis (redis_exporter)
// ---------------------------------------------------------------------------

/** Options for {@link redisRules}. */
export interface RedisRulesProps {
  /** Namespace of Redis and its exporter. */
  readonly namespace: string;
  /** Scrape job of redis_exporter (with a ServiceMonitor: the exporter's Service name). */
  readonly job: string;
  /** Prefix of every alert name. */
  readonly alertPrefix: string;
  /**
   * Ratio `redis_memory_used_bytes / redis_memory_max_bytes` above which `<Prefix>RedisMemoryHigh` fires.
   * Never fires when `maxmemory` is unset (`redis_memory_max_bytes == 0`).
   * @default 0.9
   */
  readonly memoryRatio?: number;
}

/**
 * Alerts for a Redis server watched by redis_exporter:
 * - `<Prefix>RedisDown` (critical, 2m): `redis_up == 0`, or no `redis_up` series.
 * - `<Prefix>RedisMemoryHigh` (warning, 5m): used / maxmemory above the ratio (ignored without maxmemory).
 */
export function redisRules(props: RedisRulesProps): AlertRule[] {
  const where = 'redisRules';
  const namespace = checkNamespace(where, 'namespace', props.namespace);
  const job = checkSelectorValue(where, 'job', props.job);
  const prefix = checkAlertPrefix(where, props.alertPrefix);
  const ratio = checkRatio(where, 'memoryRatio', props.memoryRatio ?? 0.9);

  const scope = selector([
    ['namespace', '=', namespace],
    ['job', '=', job],
  ]);
  return [
    {
      alert: `${prefix}RedisDown`,
      expr: `min by (namespace, job) (${METRICS.redisUp}${scope}) == 0 or absent(${METRICS.redisUp}${scope})`,
      for: '2m',
      labels: { severity: 'critical' },
      annotations: {
        summary: 'Redis is down',
        description: 'redis_exporter {{ $labels.job }} in namespace {{ $labels.namespace }} cannot reach Redis, or is not being scraped.',
      },
    },
    {
      alert: `${prefix}RedisMemoryHigh`,
      expr: `max by (namespace, job) (${METRICS.redisMemoryUsed}${scope} / (${METRICS.redisMemoryMax}${scope} > 0)) > ${num(ratio)}`,
      for: '5m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Redis memory nearly full',
        description: `Redis behind {{ $labels.job }} in namespace {{ $labels.namespace }} uses more than ${num(ratio * 100)}% of maxmemory; keys will be evicted or writes rejected.`,
      },
    },
  ];
}

// ---------------------------------------------------------------------------
// Backups (CronJob, kube-state-metrics)
// ---------------------------------------------------------------------------

/** Options for {@link backupRules}. */
export interface BackupRulesProps {
  /** Namespace of the backup CronJob. */
  readonly namespace: string;
  /** Name of the backup CronJob. */
  readonly cronJob: string;
  /** Prefix of every alert name. */
  readonly alertPrefix: string;
  /** Hours after the last successful run (or after the CronJob's creation) before `<Prefix>BackupMissing` fires. */
  readonly maxAgeHours: number;
}

/**
 * Alerts for a backup CronJob, from kube-state-metrics:
 * - `<Prefix>BackupFailed` (warning, 5m): a Job owned by the CronJob (`kube_job_owner`) has failed pods
 *   (`kube_job_status_failed > 0`) and started after the CronJob's last successful run, i.e. it has not
 *   been superseded by a later success. Resolves on the next successful run or when the Job is deleted.
 * - `<Prefix>BackupMissing` (critical, 10m): the last successful run is older than `maxAgeHours`, or there
 *   is no successful run at all and the CronJob is older than `maxAgeHours` (or kube-state-metrics
 *   reports nothing for it: the CronJob was deleted or is not scraped).
 */
export function backupRules(props: BackupRulesProps): AlertRule[] {
  const where = 'backupRules';
  const namespace = checkNamespace(where, 'namespace', props.namespace);
  const cronJob = checkObjectName(where, 'cronJob', props.cronJob, 52);
  const prefix = checkAlertPrefix(where, props.alertPrefix);
  const maxAgeHours = checkPositive(where, 'maxAgeHours', props.maxAgeHours, 'hours');
  const maxAgeSeconds = num(maxAgeHours * 3600);

  const ns = selector([['namespace', '=', namespace]]);
  const cron = selector([
    ['namespace', '=', namespace],
    ['cronjob', '=', cronJob],
  ]);
  const owner = selector([
    ['namespace', '=', namespace],
    ['owner_kind', '=', 'CronJob'],
    ['owner_name', '=', cronJob],
  ]);

  const failedJobs =
    `(max by (namespace, job_name) (${METRICS.jobFailed}${ns}) > 0)` + ` and on (namespace, job_name) ${METRICS.jobOwner}${owner}`;
  const supersededJobs = `(${METRICS.jobStartTime}${ns} < on (namespace) group_left () max by (namespace) (${METRICS.cronJobLastSuccess}${cron}))`;

  return [
    {
      alert: `${prefix}BackupFailed`,
      expr: `${failedJobs} unless on (namespace, job_name) ${supersededJobs}`,
      for: '5m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Backup job failed',
        description: `Job {{ $labels.job_name }} of CronJob ${cronJob} in namespace {{ $labels.namespace }} failed and no backup has succeeded since.`,
      },
    },
    {
      alert: `${prefix}BackupMissing`,
      expr:
        `time() - max by (namespace, cronjob) (${METRICS.cronJobLastSuccess}${cron}) > ${maxAgeSeconds}` +
        ` or (absent(${METRICS.cronJobLastSuccess}${cron}) unless on () (time() - ${METRICS.cronJobCreated}${cron} < ${maxAgeSeconds}))`,
      for: '10m',
      labels: { severity: 'critical' },
      annotations: {
        summary: 'No recent successful backup',
        description: `CronJob {{ $labels.cronjob }} in namespace {{ $labels.namespace }} has not completed successfully in the last ${num(maxAgeHours)}h (or is missing from kube-state-metrics).`,
      },
    },
  ];
}

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------

/** `<Prefix>Down`, or `ServiceDown` for an empty prefix. */
function downRule(prefix: string, scope: string): AlertRule {
  return {
    alert: prefix === '' ? 'ServiceDown' : `${prefix}Down`,
    expr: `sum by (namespace, job) (${METRICS.up}${scope}) == 0 or absent(${METRICS.up}${scope})`,
    for: '2m',
    labels: { severity: 'critical' },
    annotations: {
      summary: 'Service is down',
      description: 'No target of {{ $labels.job }} in namespace {{ $labels.namespace }} has been up (or scraped at all) for 2 minutes.',
    },
  };
}

/** The `HighErrorRate` threshold: a rate (the default, 0.1/s) or a ratio; never both. */
function errorThreshold(
  where: string,
  rate: number | undefined,
  ratio: number | undefined,
): { kind: 'rate'; value: number } | { kind: 'ratio'; value: number } {
  if (rate !== undefined && ratio !== undefined) {
    fail(
      where,
      'errorRateThreshold / errorRatioThreshold',
      { errorRateThreshold: rate, errorRatioThreshold: ratio },
      'set one at most: errorRateThreshold (5xx requests/second) OR errorRatioThreshold (share of 5xx, 0 < x < 1)',
    );
  }
  if (ratio !== undefined) return { kind: 'ratio', value: checkOpenRatio(where, 'errorRatioThreshold', ratio) };
  return { kind: 'rate', value: checkPositive(where, 'errorRateThreshold', rate ?? 0.1, 'requests/second') };
}

function latencyOptions(where: string, seconds: number | undefined, bucket: string | undefined) {
  if (seconds === undefined && bucket === undefined) return undefined;
  if (seconds === undefined) fail(where, 'latencyP95Seconds', seconds, 'set (seconds > 0) when latencyBucketMetric is set');
  if (bucket === undefined) fail(where, 'latencyBucketMetric', bucket, 'set (a "*_bucket" histogram metric) when latencyP95Seconds is set');
  return {
    seconds: checkPositive(where, 'latencyP95Seconds', seconds, 'seconds'),
    bucket: checkMetricName(where, 'latencyBucketMetric', bucket, '_bucket'),
  };
}

function isValidRegex(value: string): boolean {
  try {
    new RegExp(value);
    return true;
  } catch {
    return false;
  }
}
