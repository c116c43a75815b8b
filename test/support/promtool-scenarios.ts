/**
 * `promtool test rules` scenarios for alert rule builders, as test/integration/promtool.test.ts
 * writes them: the rules as a rules file, input series in promtool's expanding notation, and for
 * each check the alerts expected to fire (with their labels and rendered annotations) or none.
 * Fails (never skips) when promtool is missing.
 */
import { spawnSync } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import * as YAML from 'yaml';
import { AlertRule, AlertRuleGroup } from '../../lib/constructs/monitoring';
import { findTool } from './tools';

const INSTALL_HINT =
  'Install it with `scripts/install-prom-tools.sh` (puts promtool and amtool into .tools/bin), or set PROMTOOL=/path/to/promtool.';

/** One evaluation: at `at`, alert `alert` fires for exactly these label sets (`[]`: silent). */
export interface ScenarioCheck {
  readonly at: string;
  readonly alert: string;
  /** Labels from the expression (without the rule's own labels such as severity). */
  readonly fires: Array<Record<string, string>>;
}

/** Input series and the checks made on them. */
export interface Scenario {
  readonly name: string;
  /** series selector -> values in promtool's expanding notation. */
  readonly series: Record<string, string>;
  readonly checks: ScenarioCheck[];
  /** @default '1m' */
  readonly interval?: string;
}

/** A promtool binary and a scratch directory for its files. */
export class Promtool {
  public readonly bin: string;
  private readonly dir: string;
  private counter = 0;

  constructor() {
    this.bin = findTool('promtool', INSTALL_HINT);
    this.dir = mkdtempSync(path.join(tmpdir(), 'promtool-scenarios-'));
  }

  public dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** `promtool check rules` on the rules; returns its output (throws on failure). */
  public checkRules(group: string, rules: readonly AlertRule[]): string {
    const file = this.write(`${group}-check`, AlertRuleGroup.toRulesFile({ name: group, rules: [...rules] }));
    return this.run(['check', 'rules', file], group);
  }

  /** `promtool check rules` on recording rules of the expressions (e.g. dashboard queries): PromQL that parses. */
  public checkExpressions(group: string, exprs: readonly string[]): string {
    const rules = exprs.map((expr, i) => ({ record: `${group.replace(/[^A-Za-z0-9_]/g, '_')}:expr_${i}`, expr }));
    return this.run(['check', 'rules', this.write(`${group}-exprs`, { groups: [{ name: group, rules }] })], group);
  }

  /** `promtool test rules` with one scenario (throws with promtool's output on failure). */
  public testScenario(group: string, rules: readonly AlertRule[], scenario: Scenario): void {
    const rulesFile = this.write(`${group}-rules`, AlertRuleGroup.toRulesFile({ name: group, rules: [...rules] }));
    const testFile = this.write(`${group}-test`, {
      rule_files: [path.basename(rulesFile)],
      evaluation_interval: '1m',
      tests: [toPromtoolTest(rules, scenario)],
    });
    this.run(['test', 'rules', testFile], `scenario "${scenario.name}"`);
  }

  /** `promtool <args>` in the scratch directory; returns its output (throws with it on failure, naming `context`). */
  public ok(args: string[], context: string): string {
    return this.run(args, context);
  }

  /** Writes `doc` as YAML into the scratch directory; returns the file's path. */
  public writeYaml(prefix: string, doc: unknown): string {
    return this.write(prefix, doc);
  }

  private write(prefix: string, doc: unknown): string {
    const file = path.join(this.dir, `${prefix}-${++this.counter}.yaml`);
    writeFileSync(file, YAML.stringify(doc, { lineWidth: 0 }));
    return file;
  }

  private run(args: string[], context: string): string {
    const r = spawnSync(this.bin, args, { cwd: this.dir, encoding: 'utf8' });
    const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
    if (r.status !== 0) throw new Error(`promtool ${args.join(' ')} exited with ${r.status} (${context}):\n${output}`);
    return output;
  }
}

/** Renders `{{ $labels.x }}` like Prometheus; throws on a label the alert does not carry. */
function render(template: string, labels: Record<string, string>, alert: string): string {
  const out = template.replace(/\{\{\s*\$labels\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_, name: string) => {
    if (!(name in labels))
      throw new Error(`${alert}: annotation uses $labels.${name}, but the alert only has labels ${JSON.stringify(labels)}`);
    return labels[name];
  });
  if (out.includes('{{')) throw new Error(`${alert}: unsupported template in the test renderer: ${template}`);
  return out;
}

function toPromtoolTest(rules: readonly AlertRule[], scenario: Scenario) {
  const byName = new Map(rules.map((r) => [r.alert, r]));
  return {
    name: scenario.name,
    interval: scenario.interval ?? '1m',
    input_series: Object.entries(scenario.series).map(([series, values]) => ({ series, values })),
    alert_rule_test: scenario.checks.map((check) => {
      const rule = byName.get(check.alert);
      if (!rule) throw new Error(`scenario "${scenario.name}": no rule named ${check.alert} (have ${[...byName.keys()].join(', ')})`);
      return {
        eval_time: check.at,
        alertname: check.alert,
        exp_alerts: check.fires.map((labels) => {
          const all = { ...labels, ...rule.labels };
          return {
            exp_labels: all,
            exp_annotations: Object.fromEntries(
              Object.entries(rule.annotations).map(([k, v]) => [k, render(v, { ...all, alertname: rule.alert }, rule.alert)]),
            ),
          };
        }),
      };
    }),
  };
}

/** Alerts of `rules` never asserted firing, and never asserted silent, over all scenarios. */
export function coverageGaps(rules: readonly AlertRule[], scenarios: readonly Scenario[]): { neverFires: string[]; neverSilent: string[] } {
  const { fired, silent } = coverage(scenarios);
  const names = rules.map((r) => r.alert);
  return { neverFires: names.filter((n) => !fired.has(n)), neverSilent: names.filter((n) => !silent.has(n)) };
}

/** The alerts that fire in some scenario and those asserted silent in some scenario. */
export function coverage(scenarios: readonly Scenario[]): { fired: Set<string>; silent: Set<string> } {
  const fired = new Set<string>();
  const silent = new Set<string>();
  for (const s of scenarios) for (const c of s.checks) (c.fires.length > 0 ? fired : silent).add(c.alert);
  return { fired, silent };
}
