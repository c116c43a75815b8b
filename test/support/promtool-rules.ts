/**
 * A harness for `promtool check rules` / `promtool test rules` over {@link AlertRule}s: scenarios of
 * input series and, per evaluation time and alert, the label sets expected to fire (`[]`: silent).
 * Expected annotations are rendered from the rule's templates (`{{ $labels.x }}` only), so a
 * template naming a label the alert does not carry fails the test.
 *
 * Same model as the harness inside test/integration/promtool.test.ts, as a module.
 */
import { spawnSync } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import * as YAML from 'yaml';
import { AlertRule, AlertRuleGroup } from '../../lib/constructs/monitoring';
import { findTool } from './tools';

export const PROMTOOL_INSTALL_HINT =
  'Install it with `scripts/install-prom-tools.sh` (puts promtool and amtool into .tools/bin), or set PROMTOOL=/path/to/promtool.';

export interface Check {
  /** Evaluation time, e.g. `5m`. */
  readonly at: string;
  /** Alert name. */
  readonly alert: string;
  /** Label sets (from the expression, without the rule's static labels) of the alerts expected to FIRE; `[]` = silent. */
  readonly fires: Array<Record<string, string>>;
}

export interface Scenario {
  readonly name: string;
  /** series selector -> promtool expanding notation. */
  readonly series: Record<string, string>;
  readonly checks: Check[];
  /** @default '1m' */
  readonly interval?: string;
}

/** promtool in a temporary working directory; call `setup()` in `beforeAll` and `cleanup()` in `afterAll`. */
export class Promtool {
  private bin = '';
  private dir = '';
  private counter = 0;

  public setup(): void {
    this.bin = findTool('promtool', PROMTOOL_INSTALL_HINT);
    const version = spawnSync(this.bin, ['--version'], { encoding: 'utf8' });
    if (version.status !== 0) throw new Error(`${this.bin} --version failed: ${version.stderr}`);
    this.dir = mkdtempSync(path.join(tmpdir(), 'promtool-rules-'));
  }

  /** Removes the working directory, unless `KEEP_PROMTOOL_DIR` is set (to read the rule and test files of a failure). */
  public cleanup(): void {
    if (this.dir && !process.env.KEEP_PROMTOOL_DIR) rmSync(this.dir, { recursive: true, force: true });
  }

  /** Writes `doc` as YAML into the working directory; returns the file's path. */
  public writeYaml(prefix: string, doc: unknown): string {
    const file = path.join(this.dir, `${prefix}-${++this.counter}.yaml`);
    writeFileSync(file, YAML.stringify(doc, { lineWidth: 0 }));
    return file;
  }

  public run(args: string[]): { status: number | null; output: string } {
    const res = spawnSync(this.bin, args, { cwd: this.dir, encoding: 'utf8' });
    return { status: res.status, output: `${res.stdout ?? ''}${res.stderr ?? ''}` };
  }

  /** Runs promtool; throws with its output unless it exits 0. */
  public ok(args: string[], context: string): string {
    const { status, output } = this.run(args);
    if (status !== 0) throw new Error(`promtool ${args.join(' ')} exited with ${status} (${context}):\n${output}`);
    return output;
  }

  /** `promtool check rules` on one group; returns promtool's output. */
  public checkRules(groupName: string, rules: readonly AlertRule[]): string {
    const file = this.writeYaml(`${groupName}-check`, AlertRuleGroup.toRulesFile({ name: groupName, rules }));
    return this.ok(['check', 'rules', file], groupName);
  }

  /** `promtool test rules` of one scenario against one group. */
  public testScenario(groupName: string, rules: readonly AlertRule[], scenario: Scenario): void {
    const rulesFile = this.writeYaml(`${groupName}-rules`, AlertRuleGroup.toRulesFile({ name: groupName, rules }));
    const testFile = this.writeYaml(`${groupName}-test`, {
      rule_files: [path.basename(rulesFile)],
      evaluation_interval: '1m',
      tests: [toPromtoolTest(rules, scenario)],
    });
    this.ok(['test', 'rules', testFile], `scenario "${scenario.name}"`);
  }
}

/** Renders `{{ $labels.x }}` like Prometheus; throws on a label the alert does not carry. */
function render(template: string, labels: Record<string, string>, alert: string): string {
  const out = template.replace(/\{\{\s*\$labels\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_, name: string) => {
    if (!(name in labels))
      throw new Error(`${alert}: annotation uses $labels.${name}, but the alert only has labels ${JSON.stringify(labels)}`);
    return labels[name];
  });
  if (out.includes('{{')) throw new Error(`${alert}: unsupported template in test renderer: ${template}`);
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

/** Alerts never asserted firing, and alerts never asserted silent, over all scenarios. */
export function coverageGaps(rules: readonly AlertRule[], scenarios: readonly Scenario[]): { neverFires: string[]; neverSilent: string[] } {
  const fired = new Set<string>();
  const silent = new Set<string>();
  for (const s of scenarios) {
    for (const c of s.checks) (c.fires.length > 0 ? fired : silent).add(c.alert);
  }
  const names = rules.map((r) => r.alert);
  return { neverFires: names.filter((n) => !fired.has(n)), neverSilent: names.filter((n) => !silent.has(n)) };
}
