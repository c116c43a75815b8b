import { Testing } from 'cdk8s';
import {
  AlertRule,
  AlertRuleGroup,
  AlertRuleGroupProps,
  backupRules,
  httpServiceRules,
  postgresRules,
  redisRules,
} from '../../lib/constructs/monitoring';
import { Doc } from '../support/doc';

const NS = 'wondernest';

function seedRules(): AlertRule[] {
  return [
    ...httpServiceRules({ namespace: NS, job: 'wondernest-api', alertPrefix: '' }),
    ...postgresRules({ namespace: NS, job: 'wondernest-postgres-exporter', alertPrefix: '' }),
  ];
}

function synth(props: Partial<AlertRuleGroupProps> = {}) {
  const chart = Testing.chart();
  const group = new AlertRuleGroup(chart, 'Alerts', {
    namespace: NS,
    name: 'wondernest-alerts',
    release: 'kube-prometheus-stack',
    rules: seedRules(),
    ...props,
  });
  return { chart, group, manifests: Testing.synth(chart) };
}

const rule = (overrides: Partial<AlertRule> = {}): AlertRule => ({
  alert: 'Something',
  expr: 'up == 0',
  for: '1m',
  labels: { severity: 'warning' },
  annotations: { summary: 's', description: 'd' },
  ...overrides,
});

describe('AlertRuleGroup', () => {
  test('synthesizes one PrometheusRule (snapshot)', () => {
    const { manifests } = synth({
      rules: [
        ...seedRules(),
        ...redisRules({ namespace: NS, job: 'wondernest-redis-exporter', alertPrefix: '' }),
        ...backupRules({ namespace: NS, cronJob: 'wondernest-pg-backup', alertPrefix: '', maxAgeHours: 26 }),
      ],
    });
    expect(manifests).toHaveLength(1);
    expect(manifests).toMatchSnapshot();
  });

  test('labels the PrometheusRule with release, keeps extra labels, one group named after name', () => {
    const { manifests } = synth({ release: 'monitoring', labels: { 'app.kubernetes.io/part-of': 'wondernest' } });
    const [pr] = manifests;
    expect(pr.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(pr.kind).toBe('PrometheusRule');
    expect(pr.metadata).toEqual({
      name: 'wondernest-alerts',
      namespace: NS,
      labels: { release: 'monitoring', 'app.kubernetes.io/part-of': 'wondernest' },
    });
    expect(pr.spec.groups).toHaveLength(1);
    expect(pr.spec.groups[0].name).toBe('wondernest-alerts');
    expect(pr.spec.groups[0].interval).toBeUndefined();
  });

  test('rules keep the seed names, severities and for, and exprs are plain strings scoped to the namespace', () => {
    const { manifests } = synth();
    const rules = manifests[0].spec.groups[0].rules as Array<Record<string, Doc>>;
    expect(rules.map((r) => [r.alert, r.labels.severity, r.for])).toEqual([
      ['ServiceDown', 'critical', '2m'],
      ['HighErrorRate', 'critical', '2m'],
      ['PostgresDown', 'critical', '2m'],
      ['DatabaseConnectionsHigh', 'warning', '1m'],
      ['DatabaseConnectionsNearMax', 'warning', '5m'],
    ]);
    for (const r of rules) {
      expect(typeof r.expr).toBe('string');
      expect(r.expr).toContain(`namespace="${NS}"`);
      expect(Object.keys(r.annotations).sort()).toEqual(['description', 'summary']);
    }
  });

  test('exposes the rules and renders them as a promtool rules file equal to the manifest spec', () => {
    const { group, manifests } = synth({ interval: '30s' });
    expect(group.rules.map((r) => r.alert)).toEqual(seedRules().map((r) => r.alert));
    expect(group.prometheusRule.name).toBe('wondernest-alerts');
    expect(group.toRulesFile()).toEqual(manifests[0].spec);
    expect(group.toRulesFile().groups[0].interval).toBe('30s');
  });

  test('copies the rules: mutating the input afterwards does not change the manifest', () => {
    const rules = seedRules();
    const chart = Testing.chart();
    new AlertRuleGroup(chart, 'Alerts', { namespace: NS, name: 'a', release: 'r', rules });
    (rules[0].labels as Record<string, string>).severity = 'info';
    expect(Testing.synth(chart)[0].spec.groups[0].rules[0].labels.severity).toBe('critical');
  });

  describe('validation', () => {
    test('duplicate alert names', () => {
      const rules = [
        ...httpServiceRules({ namespace: NS, job: 'a', alertPrefix: '' }),
        ...httpServiceRules({ namespace: NS, job: 'b', alertPrefix: '' }),
      ];
      expect(() => synth({ rules })).toThrow(
        /AlertRuleGroup .*Alerts: rules\[2\]\.alert must be unique within the group \(rules\[0\] has the same name; use a different alertPrefix\), got "ServiceDown"/,
      );
    });

    test('empty rules', () => {
      expect(() => synth({ rules: [] })).toThrow(/rules must be a non-empty array of alerting rules, got \[\]/);
    });

    test.each(['2', '2d', '1h30m', '', ' 2m', '-1m'])('bad for %p', (bad) => {
      expect(() => synth({ rules: [rule({ for: bad })] })).toThrow(
        new RegExp(
          `rules\\[0\\]\\.for \\(Something\\) must be a duration matching .*, got ${JSON.stringify(bad).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`,
        ),
      );
    });

    test.each(['High-Errors', '1Alert', '', 'a b'])('bad alert name %p', (bad) => {
      expect(() => synth({ rules: [rule({ alert: bad })] })).toThrow(/rules\[0\]\.alert must be an alert name matching/);
    });

    test('bad severity', () => {
      expect(() => synth({ rules: [rule({ labels: { severity: 'info' as Doc } })] })).toThrow(
        /rules\[0\]\.labels\.severity \(Something\) must be one of "critical", "warning", got "info"/,
      );
    });

    test('missing summary / description / expr', () => {
      expect(() => synth({ rules: [rule({ annotations: { summary: '', description: 'd' } })] })).toThrow(
        /annotations\.summary \(Something\) must be a non-empty string/,
      );
      expect(() => synth({ rules: [rule({ annotations: { summary: 's' } as Doc })] })).toThrow(
        /annotations\.description \(Something\) must be a non-empty string, got undefined/,
      );
      expect(() => synth({ rules: [rule({ expr: ' ' })] })).toThrow(/expr \(Something\) must be a non-empty string/);
    });

    test.each([
      [{ namespace: 'Wonder Nest' }, /namespace must be a Kubernetes namespace name.*got "Wonder Nest"/],
      [{ name: 'Alerts_1' }, /name must be a Kubernetes object name.*got "Alerts_1"/],
      [{ release: '' }, /release must be a Kubernetes label value.*got ""/],
      [{ release: 'kube prometheus' }, /release must be a Kubernetes label value.*got "kube prometheus"/],
      [{ labels: { release: 'other' } }, /labels\.release must be omitted or equal to release \("kube-prometheus-stack"\).*got "other"/],
      [{ interval: '0s' }, /interval must be a positive duration.*got "0s"/],
      [{ interval: '1d' }, /interval must be a positive duration.*got "1d"/],
    ])('bad props %p', (props, message) => {
      expect(() => synth(props as Partial<AlertRuleGroupProps>)).toThrow(message);
    });
  });
});

describe('AlertRuleGroup.toRulesFile', () => {
  test('renders one or many groups in rule-file shape', () => {
    const single = AlertRuleGroup.toRulesFile({ name: 'g', rules: [rule()] });
    expect(single).toEqual({ groups: [{ name: 'g', rules: [rule()] }] });
    const many = AlertRuleGroup.toRulesFile([
      { name: 'a', rules: [rule()] },
      { name: 'b', interval: '2m', rules: [rule({ alert: 'Other' })] },
    ]);
    expect(many.groups.map((g) => [g.name, g.interval, g.rules.length])).toEqual([
      ['a', undefined, 1],
      ['b', '2m', 1],
    ]);
    expect('interval' in many.groups[0]).toBe(false);
  });

  test('validates like the construct', () => {
    expect(() => AlertRuleGroup.toRulesFile({ name: 'g', rules: [rule(), rule()] })).toThrow(
      /toRulesFile: groups\[0\]: rules\[1\]\.alert must be unique/,
    );
    expect(() => AlertRuleGroup.toRulesFile({ name: 'g', rules: [rule({ for: '5' })] })).toThrow(/for \(Something\) must be a duration/);
    expect(() =>
      AlertRuleGroup.toRulesFile([
        { name: 'g', rules: [rule()] },
        { name: 'g', rules: [rule()] },
      ]),
    ).toThrow(/groups\[1\]: name must be unique across the groups of one rules file, got "g"/);
  });
});
