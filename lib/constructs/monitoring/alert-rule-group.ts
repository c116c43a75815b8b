import { Construct } from 'constructs';
import { PrometheusRule, PrometheusRuleSpecGroupsRulesExpr } from '../../../imports/monitoring.coreos.com';
import { AlertRule } from './alert-rules';
import {
  ALERT_NAME_PATTERN,
  FOR_DURATION_PATTERN,
  checkLabelValue,
  checkNamespace,
  checkNonEmpty,
  checkObjectName,
  fail,
} from './validation';
import { PROMETHEUS_DURATION_RE, PROMETHEUS_LABEL_NAME_RE } from '../../core/formats';

const SEVERITIES = ['critical', 'warning'];

/** Props for {@link AlertRuleGroup}. */
export interface AlertRuleGroupProps {
  /** Namespace of the `PrometheusRule`. */
  readonly namespace: string;
  /** Name of the `PrometheusRule` object and of its single rule group. */
  readonly name: string;
  /** Value of the `release` label that kube-prometheus-stack's Prometheus selects rules by. */
  readonly release: string;
  /** Alerting rules (e.g. from `httpServiceRules()`); names must be unique. */
  readonly rules: AlertRule[];
  /**
   * Extra labels on the `PrometheusRule`. `release` cannot be overridden here.
   * @default - only `release`
   */
  readonly labels?: { [key: string]: string };
  /**
   * Evaluation interval of the group, e.g. `30s`.
   * @default - Prometheus' global `evaluation_interval`
   */
  readonly interval?: string;
}

/** One rule group in Prometheus rule-file shape. */
export interface RulesFileGroup {
  /** Group name. */
  readonly name: string;
  /** Evaluation interval, e.g. `1m`. @default - Prometheus' global interval */
  readonly interval?: string;
  /** Alerting rules. */
  readonly rules: readonly AlertRule[];
}

/** A Prometheus rule file (`promtool check rules` / `rule_files:` input). */
export interface RulesFile {
  readonly groups: Array<{ name: string; interval?: string; rules: AlertRule[] }>;
}

/**
 * A `PrometheusRule` holding one group of alerting rules, labelled with the
 * `release` the Prometheus Operator selects by.
 *
 * @example
 * new AlertRuleGroup(chart, 'Alerts', {
 *   namespace: 'wondernest', name: 'wondernest-alerts', release: 'kube-prometheus-stack',
 *   rules: [...httpServiceRules({ namespace: 'wondernest', job: 'api', alertPrefix: '' })],
 * });
 */
export class AlertRuleGroup extends Construct {
  /**
   * Renders rule groups as a Prometheus rule file (`{ groups: [...] }`), validating
   * them like the construct does. Use it to feed `promtool check rules`/`test rules`.
   */
  public static toRulesFile(spec: RulesFileGroup | readonly RulesFileGroup[]): RulesFile {
    const groups: readonly RulesFileGroup[] = Array.isArray(spec) ? spec : [spec as RulesFileGroup];
    const names = new Set<string>();
    return {
      groups: groups.map((group, i) => {
        const where = `AlertRuleGroup.toRulesFile: groups[${i}]`;
        checkNonEmpty(where, 'name', group.name);
        if (names.has(group.name)) fail(where, 'name', group.name, 'unique across the groups of one rules file');
        names.add(group.name);
        if (group.interval !== undefined) checkInterval(where, group.interval);
        validateRules(where, group.rules);
        return {
          name: group.name,
          ...(group.interval !== undefined ? { interval: group.interval } : {}),
          rules: group.rules.map(copyRule),
        };
      }),
    };
  }

  /** The validated rules, in order. */
  public readonly rules: readonly AlertRule[];
  /** Name of the `PrometheusRule` and of its group. */
  public readonly name: string;
  /** Namespace of the `PrometheusRule`. */
  public readonly namespace: string;
  /** The generated `PrometheusRule`. */
  public readonly prometheusRule: PrometheusRule;
  private readonly interval?: string;

  public constructor(scope: Construct, id: string, props: AlertRuleGroupProps) {
    super(scope, id);
    const where = `AlertRuleGroup ${this.node.path}`;
    this.namespace = checkNamespace(where, 'namespace', props.namespace);
    this.name = checkObjectName(where, 'name', props.name);
    const release = checkLabelValue(where, 'release', props.release);
    if (props.interval !== undefined) checkInterval(where, props.interval);
    this.interval = props.interval;
    const extraLabels = props.labels ?? {};
    for (const [key, value] of Object.entries(extraLabels)) {
      if (key === 'release' && value !== release) {
        fail(where, 'labels.release', value, `omitted or equal to release (${JSON.stringify(release)}); set the release prop instead`);
      }
      checkLabelValue(where, `labels[${JSON.stringify(key)}]`, value, true);
    }
    validateRules(where, props.rules);
    this.rules = props.rules.map(copyRule);

    this.prometheusRule = new PrometheusRule(this, 'Resource', {
      metadata: {
        name: this.name,
        namespace: this.namespace,
        labels: { ...extraLabels, release },
      },
      spec: {
        groups: [
          {
            name: this.name,
            interval: this.interval,
            rules: this.rules.map((rule) => ({
              alert: rule.alert,
              expr: PrometheusRuleSpecGroupsRulesExpr.fromString(rule.expr),
              for: rule.for,
              labels: { ...rule.labels },
              annotations: { ...rule.annotations },
            })),
          },
        ],
      },
    });
  }

  /** This group as a Prometheus rule file, for `promtool`. */
  public toRulesFile(): RulesFile {
    return AlertRuleGroup.toRulesFile({ name: this.name, interval: this.interval, rules: this.rules });
  }
}

function checkInterval(where: string, interval: unknown): void {
  if (typeof interval !== 'string' || !PROMETHEUS_DURATION_RE.test(interval) || /^0+[smh]$/.test(interval)) {
    fail(where, 'interval', interval, 'a positive duration like "30s", "1m" or "1h"');
  }
}

function validateRules(where: string, rules: readonly AlertRule[]): void {
  const list: unknown = rules;
  if (!Array.isArray(list) || list.length === 0) {
    fail(where, 'rules', list, 'a non-empty array of alerting rules');
  }
  const seen = new Map<string, number>();
  rules.forEach((rule, i) => {
    const at = `rules[${i}]`;
    if (typeof rule !== 'object' || rule === null) fail(where, at, rule, 'an AlertRule object');
    if (typeof rule.alert !== 'string' || !ALERT_NAME_PATTERN.test(rule.alert)) {
      fail(where, `${at}.alert`, rule.alert, `an alert name matching ${ALERT_NAME_PATTERN}`);
    }
    const first = seen.get(rule.alert);
    if (first !== undefined) {
      fail(where, `${at}.alert`, rule.alert, `unique within the group (rules[${first}] has the same name; use a different alertPrefix)`);
    }
    seen.set(rule.alert, i);
    checkNonEmpty(where, `${at}.expr (${rule.alert})`, rule.expr);
    if (typeof rule.for !== 'string' || !FOR_DURATION_PATTERN.test(rule.for)) {
      fail(where, `${at}.for (${rule.alert})`, rule.for, `a duration matching ${FOR_DURATION_PATTERN}, e.g. "30s", "2m", "1h"`);
    }
    if (typeof rule.labels !== 'object' || rule.labels === null || !SEVERITIES.includes(rule.labels.severity)) {
      fail(
        where,
        `${at}.labels.severity (${rule.alert})`,
        rule.labels?.severity,
        `one of ${SEVERITIES.map((s) => JSON.stringify(s)).join(', ')}`,
      );
    }
    for (const [key, value] of Object.entries(rule.labels)) {
      if (!PROMETHEUS_LABEL_NAME_RE.test(key)) fail(where, `${at}.labels key (${rule.alert})`, key, 'a Prometheus label name');
      if (typeof value !== 'string') fail(where, `${at}.labels.${key} (${rule.alert})`, value, 'a string');
    }
    if (typeof rule.annotations !== 'object' || rule.annotations === null) {
      fail(where, `${at}.annotations (${rule.alert})`, rule.annotations, 'an object with summary and description');
    }
    checkNonEmpty(where, `${at}.annotations.summary (${rule.alert})`, rule.annotations.summary);
    checkNonEmpty(where, `${at}.annotations.description (${rule.alert})`, rule.annotations.description);
  });
}

function copyRule(rule: AlertRule): AlertRule {
  return {
    alert: rule.alert,
    expr: rule.expr,
    for: rule.for,
    labels: { ...rule.labels },
    annotations: { ...rule.annotations },
  };
}
