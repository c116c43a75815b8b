/**
 * mongodbRules and mongodbPanels: the contract of the rule builders (names, for, severity,
 * annotations, namespace/job scoping), validation, and panels that query what the alerts use.
 * promtool runs the rules in test/integration/mongodb-rules.test.ts.
 */
import { Testing } from 'cdk8s';
import { GrafanaDashboard } from '../../lib/constructs/monitoring';
import { mongodbPanels } from '../../lib/constructs/monitoring/mongodb-panels';
import { MONGODB_METRICS, mongodbRules } from '../../lib/constructs/monitoring/mongodb-rules';
import { vectorSelectors } from './helpers';

const NS = 'shop';
const metricsOf = (exprs: string[]) => new Set(exprs.flatMap((e) => vectorSelectors(e).map((s) => s.metric)));
/** Names of MONGODB_METRICS used in `expr` without a `{...}` selector right after them. */
const unscoped = (expr: string) => Object.values(MONGODB_METRICS).filter((m) => new RegExp(`\\b${m}\\b(?!\\{)`).test(expr));

describe('mongodbRules', () => {
  const rules = mongodbRules({ namespace: NS, job: 'mongodb', alertPrefix: 'Shop' });

  test('the alerts, their for and severity', () => {
    expect(rules.map((r) => [r.alert, r.for, r.labels.severity])).toEqual([
      ['ShopMongoDBDown', '2m', 'critical'],
      ['ShopMongoDBConnectionsNearLimit', '5m', 'warning'],
      ['ShopMongoDBReplicaMemberUnhealthy', '5m', 'warning'],
      ['ShopMongoDBNoPrimary', '2m', 'critical'],
      ['ShopMongoDBReplicationLag', '5m', 'warning'],
    ]);
  });

  test('every alert: a summary, a description naming the namespace, no $value', () => {
    for (const rule of rules) {
      expect(rule.annotations.summary.length).toBeGreaterThan(0);
      expect(rule.annotations.description).toContain('{{ $labels.namespace }}');
      expect(JSON.stringify(rule.annotations)).not.toContain('$value');
    }
  });

  test('every selector is scoped to the namespace and the job; only exporter metrics of MONGODB_METRICS', () => {
    for (const rule of rules) {
      const selectors = vectorSelectors(rule.expr);
      expect(selectors.length).toBeGreaterThan(0);
      for (const s of selectors) {
        expect({ alert: rule.alert, matchers: s.matchers }).toEqual({
          alert: rule.alert,
          matchers: expect.stringContaining(`namespace="${NS}",job="mongodb"`),
        });
        expect(Object.values(MONGODB_METRICS)).toContain(s.metric);
      }
      expect(unscoped(rule.expr)).toEqual([]);
    }
  });

  test('the expressions of the brief: mongodb_up == 0; current / (current + available) connections', () => {
    const [down, connections] = rules;
    expect(down.expr).toBe(
      'min by (namespace, job) (mongodb_up{namespace="shop",job="mongodb"}) == 0 or absent(mongodb_up{namespace="shop",job="mongodb"})',
    );
    expect(connections.expr).toBe(
      'max by (namespace, job, pod) (mongodb_ss_connections{namespace="shop",job="mongodb",conn_type="current"} / ignoring (conn_type) ' +
        '(mongodb_ss_connections{namespace="shop",job="mongodb",conn_type="current"} + ignoring (conn_type) ' +
        'mongodb_ss_connections{namespace="shop",job="mongodb",conn_type="available"})) > 0.8',
    );
  });

  test('thresholds given are in the expressions and the descriptions', () => {
    const custom = mongodbRules({ namespace: NS, job: 'mongodb', alertPrefix: '', connectionsRatio: 0.9, replicationLagSeconds: 12.5 });
    const byName = Object.fromEntries(custom.map((r) => [r.alert, r]));
    expect(byName.MongoDBConnectionsNearLimit.expr).toMatch(/ > 0\.9$/);
    expect(byName.MongoDBConnectionsNearLimit.annotations.description).toContain('more than 90% of the connections');
    expect(byName.MongoDBReplicationLag.expr).toMatch(/\/ 1000\) > 12\.5$/);
    expect(byName.MongoDBReplicationLag.annotations.description).toContain('more than 12.5s behind');
  });

  test('a standalone mongod: no replica set alerts', () => {
    expect(mongodbRules({ namespace: NS, job: 'mongodb', alertPrefix: '', replicaSet: false }).map((r) => r.alert)).toEqual([
      'MongoDBDown',
      'MongoDBConnectionsNearLimit',
    ]);
  });

  test.each([
    [{ namespace: 'Shop' }, /^mongodbRules: namespace must be a Kubernetes namespace name .*, got "Shop"$/],
    [{ job: '' }, /^mongodbRules: job must be a non-empty label value .*, got ""$/],
    [{ alertPrefix: '1x' }, /^mongodbRules: alertPrefix must be "" or an identifier .*, got "1x"$/],
    [{ connectionsRatio: 1.5 }, /^mongodbRules: connectionsRatio must be a ratio > 0 and <= 1 \(e\.g\. 0\.9 for 90%\), got 1\.5$/],
    [{ replicationLagSeconds: 0 }, /^mongodbRules: replicationLagSeconds must be a finite number > 0 \(seconds\), got 0$/],
    [{ replicaSet: 'yes' as unknown as boolean }, /^mongodbRules: replicaSet must be true or false, got "yes"$/],
  ])('rejects %p naming the field, the value and what is allowed', (over, message) => {
    expect(() => mongodbRules({ namespace: NS, job: 'mongodb', alertPrefix: '', ...over })).toThrow(message);
  });
});

describe('mongodbPanels', () => {
  const panels = mongodbPanels({ job: 'mongodb' });

  test('connections, operations, memory, replication lag and member health', () => {
    expect(panels.map((p) => [p.title, p.type, p.unit])).toEqual([
      ['MongoDB up', 'stat', undefined],
      ['Connections used', 'stat', 'percentunit'],
      ['Connections', 'timeseries', undefined],
      ['Operations', 'timeseries', 'ops'],
      ['Memory', 'timeseries', 'bytes'],
      ['Replication lag', 'timeseries', 's'],
      ['Member health', 'timeseries', undefined],
    ]);
    expect(mongodbPanels({ job: 'mongodb', replicaSet: false }).map((p) => p.title)).not.toContain('Replication lag');
    expect(panels.find((p) => p.title === 'Operations')!.exprs[0]).toEqual({
      expr: 'sum by (legacy_op_type) (rate(mongodb_ss_opcounters{namespace="$namespace",job="mongodb"}[5m]))',
      legend: '{{legacy_op_type}}',
    });
  });

  test('every selector uses namespace="$namespace" and the job; no metric unscoped', () => {
    for (const expr of panels.flatMap((p) => p.exprs.map((e) => e.expr))) {
      for (const s of vectorSelectors(expr))
        expect({ expr, scoped: s.matchers.startsWith('namespace="$namespace",job="mongodb"') }).toEqual({ expr, scoped: true });
      expect(unscoped(expr)).toEqual([]);
    }
  });

  test('the panels query every metric the alerts use', () => {
    const panelMetrics = metricsOf(panels.flatMap((p) => p.exprs.map((e) => e.expr)));
    const ruleMetrics = metricsOf(mongodbRules({ namespace: NS, job: 'mongodb', alertPrefix: '' }).map((r) => r.expr));
    expect([...ruleMetrics].filter((m) => !panelMetrics.has(m))).toEqual([]);
  });

  test('they make a dashboard', () => {
    const chart = Testing.chart();
    new GrafanaDashboard(chart, 'dashboard', { namespace: NS, name: 'mongodb', title: 'MongoDB', panels });
    const cm = Testing.synth(chart).find((o) => o.kind === 'ConfigMap');
    const dashboard = JSON.parse(cm.data['mongodb.json']);
    expect(dashboard.panels).toHaveLength(panels.length);
  });

  test('validation', () => {
    expect(() => mongodbPanels({ job: '' })).toThrow(/^mongodbPanels: job must be a non-empty label value/);
    expect(() => mongodbPanels({ job: 'm', replicaSet: 1 as unknown as boolean })).toThrow(
      'mongodbPanels: replicaSet must be true or false, got 1',
    );
  });
});
