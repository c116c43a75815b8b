import { formatCapacity } from './capacity-check';
import { analyze, formatMatrix } from './reachability-check';
import { CheckResult } from './index';
import { CheckInput, describeObject, Violation } from './types';

/** Formats one violation: rule, object, field, message and construct path. */
export function formatViolation(v: Violation): string {
  const where = v.object ? `${v.object.env}: ${describeObject(v.object.object)}${v.field ? ` @ ${v.field}` : ''}` : '';
  const lines = [`  x ${v.rule}  ${where}`.trimEnd(), `      ${v.message}`];
  if (v.object?.constructPath) lines.push(`      construct: ${v.object.constructPath}`);
  else if (v.object) lines.push(`      file: ${v.object.file} (document ${v.object.index})`);
  return lines.join('\n');
}

/** The one-screen report of `npm run check`. */
export function formatReport(input: CheckInput, result: CheckResult, options: { readonly matrices?: boolean } = {}): string {
  const out: string[] = [];
  const envs = [...new Set(input.objects.map((m) => m.env))];
  out.push(`Manifest checks: ${input.objects.length} objects in ${envs.join(', ')}`);
  const kinds = Object.entries(result.kinds).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  out.push(`  by kind: ${kinds.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  const broken = new Set(result.violations.map((v) => v.rule));
  const passed = result.rules.filter((r) => !broken.has(r.id)).length;
  out.push(`Rules: ${passed}/${result.rules.length} passed`);
  for (const family of result.families) {
    const rules = result.rules.filter((r) => r.family === family);
    const bad = rules.filter((r) => broken.has(r.id));
    out.push(
      `  ${family.padEnd(15)} ${String(rules.length - bad.length).padStart(2)}/${rules.length}${bad.length ? `  failing: ${bad.map((r) => r.id).join(', ')}` : ''}`,
    );
  }
  if (options.matrices !== false && result.families.includes('reachability')) {
    out.push('Reachability (rows may open connections to columns; cells are ports, 53 = DNS udp+tcp):');
    for (const ns of result.reachability ?? analyze(input).namespaces) {
      out.push(`  ${ns.env}/${ns.namespace}`);
      out.push(
        formatMatrix(ns)
          .split('\n')
          .map((l) => `    ${l}`)
          .join('\n'),
      );
    }
  }
  if (result.families.includes('capacity')) out.push(...formatCapacity(input));
  if (result.violations.length === 0) {
    out.push('Violations: none');
  } else {
    out.push(`Violations: ${result.violations.length}`);
    for (const v of result.violations) out.push(formatViolation(v));
  }
  return out.join('\n');
}
