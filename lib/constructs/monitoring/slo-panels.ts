/**
 * Latency and latency-SLO panels for {@link GrafanaDashboard} over a Prometheus histogram
 * (`<name>_bucket` / `<name>_count`). Every query is scoped with `namespace="$namespace"` (the
 * dashboard's constant variable) and the scrape job given here.
 */
import { RATE_WINDOW } from './alert-rules';
import type { DashboardPanel } from './grafana-dashboard';
import { checkMetricName, checkPositive, checkRatio, checkSelectorValue, fail, num, selector } from './validation';

/** The dashboard's namespace variable, as used inside selectors. */
const NS = '$namespace';

/** A latency objective: `objective` of the requests answer within `thresholdSeconds` over `window`. */
export interface LatencySlo {
  /**
   * Latency bound in seconds. It must be a bucket boundary (`le`) of the histogram, e.g. by
   * Spring Boot's `management.metrics.distribution.slo.http.server.requests`.
   */
  readonly thresholdSeconds: number;
  /** Share of requests that must be faster than the bound, between 0 and 1 exclusive, e.g. 0.95. */
  readonly objective: number;
  /** SLO window (a Prometheus duration). @default '30d' */
  readonly window?: string;
}

/** Options for {@link latencySloPanels}. */
export interface LatencySloPanelsProps {
  /** Scrape job of the service. */
  readonly job: string;
  /** Histogram bucket metric, e.g. `http_server_requests_seconds_bucket`; its `_count` series must exist too. */
  readonly bucketMetric: string;
  /**
   * The latency SLO. With it: the p95 panel draws the bound as a line, and the SLI, the error
   * budget left in the window and its burn rate are shown.
   * @default - latency quantiles only
   */
  readonly slo?: LatencySlo;
  /**
   * `uri` label values left out (e.g. `/actuator.*`, the probes and the scrape itself).
   * @default - none left out
   */
  readonly excludeUriRegex?: string;
  /**
   * Prepended to every panel title.
   * @default ''
   */
  readonly titlePrefix?: string;
}

const DURATION = /^([0-9]+(ms|s|m|h|d|w|y))+$/;

/**
 * p50 / p95 / p99 latency over time (with the SLO bound as a dashed red line) and, with `slo`:
 * the SLI (share of requests under the bound over the window), the error budget left (1 = none
 * used, 0 = used up, below 0 = overspent) and the budget burn rate over 1 h and 6 h (1 = spending
 * exactly the budget over the window; the SRE workbook pages at 14.4 over 1 h).
 */
export function latencySloPanels(props: LatencySloPanelsProps): DashboardPanel[] {
  const where = 'latencySloPanels';
  const job = checkSelectorValue(where, 'job', props.job);
  const bucket = checkMetricName(where, 'bucketMetric', props.bucketMetric, '_bucket');
  const count = bucket.replace(/_bucket$/, '_count');
  const prefix = props.titlePrefix ?? '';
  if (typeof prefix !== 'string') fail(where, 'titlePrefix', prefix, 'a string');
  const base: Array<[string, '=' | '=~' | '!~', string]> = [
    ['namespace', '=', NS],
    ['job', '=', job],
  ];
  if (props.excludeUriRegex !== undefined) {
    if (typeof props.excludeUriRegex !== 'string' || props.excludeUriRegex === '')
      fail(where, 'excludeUriRegex', props.excludeUriRegex, 'a non-empty regular expression');
    base.push(['uri', '!~', props.excludeUriRegex]);
  }
  const scope = selector(base);
  const slo = props.slo === undefined ? undefined : checkSlo(where, props.slo);
  const bound = slo ? [{ value: slo.thresholdSeconds, color: 'red' }] : [];

  const panels: DashboardPanel[] = [
    {
      title: `${prefix}Latency p50 / p95 / p99${slo ? ` (SLO: p${num(slo.objective * 100)} under ${num(slo.thresholdSeconds * 1000)} ms)` : ''}`,
      type: 'timeseries',
      unit: 's',
      thresholds: bound,
      exprs: [0.5, 0.95, 0.99].map((q) => ({
        expr: `histogram_quantile(${q}, sum by (le) (rate(${bucket}${scope}[${RATE_WINDOW}])))`,
        legend: `p${Math.round(q * 100)}`,
      })),
    },
  ];
  if (!slo) return panels;

  const fast = selector([...base, ['le', '=', num(slo.thresholdSeconds)]]);
  const sli = (w: string) => `(sum(rate(${bucket}${fast}[${w}])) / sum(rate(${count}${scope}[${w}])))`;
  const budget = num(1 - slo.objective);
  const ms = num(slo.thresholdSeconds * 1000);
  panels.push(
    {
      title: `${prefix}Requests under ${ms} ms (${slo.window})`,
      type: 'stat',
      unit: 'percentunit',
      description: `SLI: share of requests answered within ${ms} ms over ${slo.window}; the objective is ${num(slo.objective * 100)} %.`,
      baseColor: 'red',
      thresholds: [{ value: slo.objective, color: 'green' }],
      exprs: [{ expr: sli(slo.window) }],
    },
    {
      title: `${prefix}Error budget left (${slo.window})`,
      type: 'stat',
      unit: 'percentunit',
      description: `Share of the ${slo.window} error budget (${num((1 - slo.objective) * 100)} % of requests slower than ${ms} ms) not yet spent.`,
      baseColor: 'red',
      thresholds: [
        { value: 0, color: 'orange' },
        { value: 0.25, color: 'green' },
      ],
      exprs: [{ expr: `1 - (1 - ${sli(slo.window)}) / ${budget}` }],
    },
    {
      title: `${prefix}Error budget burn rate`,
      type: 'timeseries',
      description: `How fast the budget is spent: 1 uses it up exactly in ${slo.window}.`,
      thresholds: [{ value: 1, color: 'red' }],
      exprs: ['1h', '6h'].map((w) => ({ expr: `(1 - ${sli(w)}) / ${budget}`, legend: w })),
    },
  );
  return panels;
}

function checkSlo(where: string, slo: LatencySlo): Required<LatencySlo> {
  if (typeof slo !== 'object' || slo === null) fail(where, 'slo', slo, '{ thresholdSeconds, objective, window? }');
  const thresholdSeconds = checkPositive(where, 'slo.thresholdSeconds', slo.thresholdSeconds, 'seconds');
  const objective = checkRatio(where, 'slo.objective', slo.objective);
  if (objective >= 1) fail(where, 'slo.objective', objective, 'a share below 1 (1 leaves no error budget)');
  const window = slo.window ?? '30d';
  if (typeof window !== 'string' || !DURATION.test(window)) fail(where, 'slo.window', window, "a Prometheus duration such as '30d'");
  return { thresholdSeconds, objective, window };
}
