import { BestPracticesCheck } from './best-practices-check';
import { CapacityCheck, DisruptionCheck } from './capacity-check';
import { ConnectionBudgetCheck } from './connection-budget-check';
import { PodSecurityCheck } from './pod-security-check';
import { analyze, NamespaceReachability, ReachabilityCheck } from './reachability-check';
import { SchemaCheck } from './schema-check';
import { SecretsCheck } from './secrets-check';
import { Check, CheckFamily, CheckInput, RuleInfo, Violation } from './types';

export * from './types';
export { analyze as analyzeReachability, formatMatrix } from './reachability-check';
export type { NamespaceReachability } from './reachability-check';
export { DRAIN_BLOCKING_ANNOTATION, environmentCapacity, formatCapacity, capacityJson } from './capacity-check';
export { loadManifests, loadConstructMetadata, CONSTRUCT_METADATA_FILE } from './load';
export type { ConstructMetadata } from './load';

/** The offline check families, in report order. */
export function allChecks(): Check[] {
  return [
    new SchemaCheck(),
    new PodSecurityCheck(),
    new BestPracticesCheck(),
    new SecretsCheck(),
    new ReachabilityCheck(),
    new ConnectionBudgetCheck(),
    new DisruptionCheck(),
    new CapacityCheck(),
  ];
}

/** Every rule of every family. */
export function allRules(): RuleInfo[] {
  return allChecks().flatMap((c) => [...c.rules]);
}

/** Result of a check run. */
export interface CheckResult {
  readonly violations: readonly Violation[];
  readonly rules: readonly RuleInfo[];
  /** Objects checked per kind. */
  readonly kinds: Readonly<Record<string, number>>;
  /** Families that ran. */
  readonly families: readonly CheckFamily[];
  /** The reachability matrices the reachability family computed (absent when it did not run), for the report. */
  readonly reachability?: readonly NamespaceReachability[];
}

/** Runs the check families (all by default) over the objects. */
export function runChecks(input: CheckInput, families?: readonly CheckFamily[]): CheckResult {
  const checks = allChecks().filter((c) => !families || families.includes(c.family));
  let reachability: NamespaceReachability[] | undefined;
  const violations = checks.flatMap((c) => {
    if (!(c instanceof ReachabilityCheck)) return c.run(input);
    // what ReachabilityCheck.run returns, keeping the matrices so the report need not compute them again
    const r = analyze(input);
    reachability = r.namespaces;
    return r.violations;
  });
  const kinds: Record<string, number> = {};
  for (const m of input.objects) kinds[m.object?.kind ?? '<none>'] = (kinds[m.object?.kind ?? '<none>'] ?? 0) + 1;
  return {
    violations,
    rules: checks.flatMap((c) => [...c.rules]),
    kinds,
    families: checks.map((c) => c.family),
    ...(reachability ? { reachability } : {}),
  };
}
