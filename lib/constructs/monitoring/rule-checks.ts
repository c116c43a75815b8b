/**
 * Checks and formatting shared by the alert builders (`alert-rules.ts`, `kubernetes-rules.ts`)
 * on top of `validation.ts`. Internal: not exported from the package index.
 */
import { fail, FOR_DURATION_PATTERN } from './validation';

/**
 * An alert's `for`: a positive duration in the form {@link AlertRuleGroup} accepts (`30s`, `2m`,
 * `1h`; one number, one unit), so whatever a builder accepts the group accepts too.
 */
export function checkForDuration(where: string, field: string, value: unknown): string {
  if (typeof value !== 'string' || !FOR_DURATION_PATTERN.test(value) || /^0+[smh]$/.test(value)) {
    fail(where, field, value, 'a positive Prometheus duration of one number and one unit (s, m or h), e.g. "30s", "5m", "1h"');
  }
  return value;
}

/** A ratio strictly between 0 and 1 (a share that can be reached and exceeded). */
export function checkOpenRatio(where: string, field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value >= 1) {
    fail(where, field, value, 'a ratio > 0 and < 1 (e.g. 0.05 for 5%)');
  }
  return value;
}

/** `2m` -> `2 minutes`, `1h` -> `1 hour`, `30s` -> `30 seconds` (for annotation text). */
export function humanDuration(duration: string): string {
  const n = Number(duration.slice(0, -1));
  const unit = { s: 'second', m: 'minute', h: 'hour' }[duration.slice(-1) as 's' | 'm' | 'h'];
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}
