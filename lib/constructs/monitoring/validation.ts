import { describeUnserializable } from '../../core/describe';
import {
  DNS_LABEL_RE,
  DNS_SUBDOMAIN_RE,
  hasControlCharacter,
  LABEL_VALUE_RE,
  PROMETHEUS_DURATION_RE,
  PROMETHEUS_LABEL_NAME_RE,
  PROMETHEUS_METRIC_NAME_RE,
} from '../../core/formats';

/**
 * Validation and PromQL quoting helpers shared by the monitoring constructs.
 *
 * Every error names the caller (`where`), the field, the offending value and
 * what is allowed, e.g.
 * `postgresRules: connectionsThreshold must be a finite number > 0, got -1`.
 */

const DNS1123_LABEL = DNS_LABEL_RE;
const DNS1123_SUBDOMAIN = DNS_SUBDOMAIN_RE;
const K8S_LABEL_VALUE = LABEL_VALUE_RE;
const METRIC_NAME = PROMETHEUS_METRIC_NAME_RE;
/** Prometheus label name (also the alert-name rule used by these constructs). */
const LABEL_NAME = PROMETHEUS_LABEL_NAME_RE;
/** Optional alert-name prefix: empty, or a valid identifier start. */
const ALERT_PREFIX = /^([A-Za-z_][A-Za-z0-9_]*)?$/;

/** Alert names accepted by {@link AlertRuleGroup}. */
export const ALERT_NAME_PATTERN = PROMETHEUS_LABEL_NAME_RE;
/** `for` durations accepted by {@link AlertRuleGroup}. */
export const FOR_DURATION_PATTERN = PROMETHEUS_DURATION_RE;

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return String(value);
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value) ?? describeUnserializable(value);
  } catch {
    return describeUnserializable(value);
  }
}

/** Throws `Error("<where>: <field> must be <allowed>, got <value>")`. */
export function fail(where: string, field: string, value: unknown, allowed: string): never {
  throw new Error(`${where}: ${field} must be ${allowed}, got ${show(value)}`);
}

export function checkNamespace(where: string, field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length > 63 || !DNS1123_LABEL.test(value)) {
    fail(where, field, value, 'a Kubernetes namespace name (RFC 1123 label: lower-case alphanumerics and "-", 1-63 chars)');
  }
  return value;
}

export function checkObjectName(where: string, field: string, value: unknown, maxLength = 253): string {
  if (typeof value !== 'string' || value.length > maxLength || !DNS1123_SUBDOMAIN.test(value)) {
    fail(where, field, value, `a Kubernetes object name (RFC 1123 subdomain: lower-case alphanumerics, "-" and ".", 1-${maxLength} chars)`);
  }
  return value;
}

export function checkLabelValue(where: string, field: string, value: unknown, allowEmpty = false): string {
  if (typeof value !== 'string' || value.length > 63 || !K8S_LABEL_VALUE.test(value) || (!allowEmpty && value === '')) {
    fail(
      where,
      field,
      value,
      `a Kubernetes label value (alphanumerics, "-", "_", "."; starting and ending alphanumeric; ${allowEmpty ? '0' : '1'}-63 chars)`,
    );
  }
  return value;
}

/** A value used inside a PromQL string literal (e.g. a `job` label value): non-empty, printable. */
export function checkSelectorValue(where: string, field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 253 || hasControlCharacter(value)) {
    fail(where, field, value, 'a non-empty label value without control characters (max 253 chars)');
  }
  return value;
}

export function checkMetricName(where: string, field: string, value: unknown, suffix?: string): string {
  if (typeof value !== 'string' || !METRIC_NAME.test(value) || (suffix !== undefined && !value.endsWith(suffix))) {
    fail(where, field, value, `a Prometheus metric name matching ${METRIC_NAME}${suffix ? ` and ending in "${suffix}"` : ''}`);
  }
  return value;
}

export function checkLabelName(where: string, field: string, value: unknown): string {
  if (typeof value !== 'string' || !LABEL_NAME.test(value) || value.startsWith('__')) {
    fail(where, field, value, `a Prometheus label name matching ${LABEL_NAME} (not starting with "__")`);
  }
  return value;
}

export function checkAlertPrefix(where: string, value: unknown): string {
  if (typeof value !== 'string' || !ALERT_PREFIX.test(value)) {
    fail(where, 'alertPrefix', value, `"" or an identifier matching ${ALERT_PREFIX} (e.g. "WonderNestApi")`);
  }
  return value;
}

export function checkPositive(where: string, field: string, value: unknown, unit?: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    fail(where, field, value, `a finite number > 0${unit ? ` (${unit})` : ''}`);
  }
  return value;
}

/** A ratio in (0, 1]. */
export function checkRatio(where: string, field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 1) {
    fail(where, field, value, 'a ratio > 0 and <= 1 (e.g. 0.9 for 90%)');
  }
  return value;
}

export function checkNonEmpty(where: string, field: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    fail(where, field, value, 'a non-empty string');
  }
  return value;
}

/** Quotes a string as a PromQL double-quoted string literal. */
export function promString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** Renders a label matcher list, e.g. `{namespace="shop",job="api"}`. */
export function selector(matchers: ReadonlyArray<readonly [string, '=' | '!=' | '=~' | '!~', string]>): string {
  return `{${matchers.map(([name, op, value]) => `${name}${op}${promString(value)}`).join(',')}}`;
}

/** Formats a number for PromQL / human text without float noise (0.1 stays 0.1, 1e21 stays 1e+21). */
export function num(value: number): string {
  return String(Number(value.toPrecision(15)));
}
