/**
 * httpServiceRules' error-ratio threshold and `errorFor` / `latencyFor`: the existing output stays
 * byte-identical when they are not set, and every new option is validated.
 */
import { httpServiceRules, HttpServiceRulesProps } from '../../lib/constructs/monitoring';
import { byName, vectorSelectors } from './helpers';

const NS = 'shop';
const base: HttpServiceRulesProps = { namespace: NS, job: 'backend', alertPrefix: '' };
const latency = { latencyP95Seconds: 1, latencyBucketMetric: 'http_request_duration_seconds_bucket' };
/** The e-commerce seed (003): 5xx above 5 % for 10m, p95 above 1s for 5m. */
const seed: HttpServiceRulesProps = { ...base, ...latency, errorRatioThreshold: 0.05, errorFor: '10m', latencyFor: '5m' };

describe('httpServiceRules: defaults unchanged', () => {
  test('the defaults are errorRateThreshold 0.1, errorFor 2m, latencyFor 10m (explicit = implicit)', () => {
    expect(httpServiceRules({ ...base, ...latency, errorRateThreshold: 0.1, errorFor: '2m', latencyFor: '10m' })).toEqual(
      httpServiceRules({ ...base, ...latency }),
    );
    expect(httpServiceRules({ ...base, errorFor: '2m' })).toEqual(httpServiceRules(base));
  });

  test('rate-threshold rules as before (snapshot)', () => {
    expect(httpServiceRules({ ...base, ...latency })).toMatchSnapshot();
  });
});

describe('httpServiceRules: errorRatioThreshold', () => {
  const rules = byName(httpServiceRules(seed));

  test('the seed settings (snapshot)', () => {
    expect(httpServiceRules(seed)).toMatchSnapshot();
  });

  test('HighErrorRate divides the summed 5xx rate by the summed rate of all requests, guarding against no traffic', () => {
    expect(rules.HighErrorRate.expr).toBe(
      'sum by (namespace, job) (rate(http_requests_total{namespace="shop",job="backend",status=~"5.."}[5m]))' +
        ' / (sum by (namespace, job) (rate(http_requests_total{namespace="shop",job="backend"}[5m])) > 0) > 0.05',
    );
    expect(rules.HighErrorRate).toMatchObject({
      for: '10m',
      labels: { severity: 'critical' },
      annotations: { summary: 'High error rate detected' },
    });
    expect(rules.HighErrorRate.annotations.description).toBe(
      '{{ $labels.job }} in namespace {{ $labels.namespace }} is answering more than 5% of its requests with a 5xx status (5m rate of http_requests_total).',
    );
  });

  test('HighLatency is the p95 over the histogram buckets, for latencyFor', () => {
    expect(rules.HighLatency.expr).toBe(
      'histogram_quantile(0.95, sum by (namespace, job, le) (rate(http_request_duration_seconds_bucket{namespace="shop",job="backend"}[5m]))) > 1',
    );
    expect(rules.HighLatency.for).toBe('5m');
    expect(rules.HighLatency.annotations.description).toBe(
      'p95 latency of {{ $labels.job }} in namespace {{ $labels.namespace }} has been above 1s for 5 minutes.',
    );
  });

  test('ServiceDown is unchanged (2m, critical)', () => {
    expect(rules.ServiceDown).toEqual(byName(httpServiceRules(base)).ServiceDown);
  });

  test('custom metric and status label reach both sides of the ratio; every selector is scoped', () => {
    const [, errors] = httpServiceRules({ ...base, errorMetric: 'ktor_requests_total', statusLabel: 'code', errorRatioThreshold: 0.125 });
    expect(errors.expr).toContain('ktor_requests_total{namespace="shop",job="backend",code=~"5.."}');
    expect(errors.expr).toContain('ktor_requests_total{namespace="shop",job="backend"}[5m]');
    expect(errors.expr).toMatch(/> 0\.125$/);
    expect(errors.annotations.description).toContain('more than 12.5% of its requests');
    for (const s of vectorSelectors(errors.expr)) expect(s.matchers).toMatch(/^namespace="shop",job="backend"/);
  });

  test('human durations in the latency description', () => {
    const at = (latencyFor: string) => byName(httpServiceRules({ ...base, ...latency, latencyFor })).HighLatency.annotations.description;
    expect(at('1m')).toMatch(/for 1 minute\.$/);
    expect(at('90s')).toMatch(/for 90 seconds\.$/);
    expect(at('1h')).toMatch(/for 1 hour\.$/);
  });
});

describe('httpServiceRules: validation of the new options', () => {
  test('errorRateThreshold and errorRatioThreshold together are refused, naming both', () => {
    expect(() => httpServiceRules({ ...base, errorRateThreshold: 0.1, errorRatioThreshold: 0.05 })).toThrow(
      'httpServiceRules: errorRateThreshold / errorRatioThreshold must be set one at most: errorRateThreshold (5xx requests/second) OR errorRatioThreshold (share of 5xx, 0 < x < 1), got {"errorRateThreshold":0.1,"errorRatioThreshold":0.05}',
    );
  });

  test.each([0, 1, 1.5, -0.05, Number.NaN, Infinity])('errorRatioThreshold %p is refused', (value) => {
    expect(() => httpServiceRules({ ...base, errorRatioThreshold: value })).toThrow(
      `httpServiceRules: errorRatioThreshold must be a ratio > 0 and < 1 (e.g. 0.05 for 5%), got ${String(value)}`,
    );
  });

  test.each(['0m', '2', 'm', '1h30m', '2d', 'PT2M', '-1m', ' 2m', ''])('errorFor %p is refused', (value) => {
    expect(() => httpServiceRules({ ...base, errorFor: value })).toThrow(
      `httpServiceRules: errorFor must be a positive Prometheus duration of one number and one unit (s, m or h), e.g. "30s", "5m", "1h", got ${JSON.stringify(value)}`,
    );
  });

  test('a non-string errorFor is refused', () => {
    expect(() => httpServiceRules({ ...base, errorFor: 120 as unknown as string })).toThrow(
      /httpServiceRules: errorFor must be .*, got 120$/,
    );
  });

  test.each(['0s', '5', '1w'])('latencyFor %p is refused', (value) => {
    expect(() => httpServiceRules({ ...base, ...latency, latencyFor: value })).toThrow(
      new RegExp(`httpServiceRules: latencyFor must be a positive Prometheus duration .*got "${value}"`),
    );
  });

  test('latencyFor without a latency alert is refused (it would be ignored)', () => {
    expect(() => httpServiceRules({ ...base, latencyFor: '5m' })).toThrow(
      'httpServiceRules: latencyFor must be unset unless latencyP95Seconds and latencyBucketMetric are set (there is no latency alert), got "5m"',
    );
  });

  test('the existing validation still applies with a ratio', () => {
    expect(() => httpServiceRules({ ...base, errorRatioThreshold: 0.05, errorMetric: 'bad-name' })).toThrow(
      /errorMetric must be a Prometheus metric name.*got "bad-name"/,
    );
  });
});
