import { AlertRule, METRICS } from '../../lib/constructs/monitoring';

/** Every `metric{...}` vector selector in a PromQL expression, with its matcher text. */
export function vectorSelectors(expr: string): Array<{ metric: string; matchers: string }> {
  const out: Array<{ metric: string; matchers: string }> = [];
  const re = /([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(expr)) !== null) out.push({ metric: m[1], matchers: m[2] });
  return out;
}

/** Metric names of METRICS that appear in `expr` WITHOUT a `{...}` selector right after them. */
export function unscopedMetrics(expr: string): string[] {
  return Object.values(METRICS).filter((metric) => new RegExp(`\\b${metric}\\b(?!\\{)`).test(expr));
}

export function byName(rules: AlertRule[]): Record<string, AlertRule> {
  return Object.fromEntries(rules.map((r) => [r.alert, r]));
}
