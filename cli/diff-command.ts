/**
 * `diff`: what `deploy` would change. For each object: the live object, and the server's answer
 * to a dry-run server-side apply of the manifest (same field manager and force as deploy), compared
 * field by field (diff.ts). Works against the Cluster interface.
 */
import { ApiError, Cluster } from './cluster';
import { diffObjects, formatChanges } from './diff';
import { describeWithVersion, namespaceOf, refOf } from './objects';
import { kindKey, Plan } from './plan';

export interface DiffOptions {
  fieldManager: string;
  forceConflicts: boolean;
}

export interface DiffResult {
  created: number;
  changed: number;
  unchanged: number;
  errors: number;
  lines: string[];
  /** 0: no changes, 1: changes, 2: errors (as `diff` and `kubectl diff`). */
  exitCode: number;
}

function errorText(e: unknown): string {
  return e instanceof ApiError ? e.describe() : e instanceof Error ? e.message : String(e);
}

export async function diffPlan(plan: Plan, cluster: Cluster, options: DiffOptions): Promise<DiffResult> {
  const lines: string[] = [];
  const counts = { created: 0, changed: 0, unchanged: 0, errors: 0 };
  const namespaceExists = new Map<string, boolean>();
  const exists = async (ns: string): Promise<boolean> => {
    if (!namespaceExists.has(ns)) namespaceExists.set(ns, !!(await cluster.get({ apiVersion: 'v1', kind: 'Namespace', name: ns })));
    return namespaceExists.get(ns)!;
  };

  for (const { object } of plan.items) {
    const what = describeWithVersion(object);
    try {
      const info = await cluster.resourceInfo(object.apiVersion, object.kind);
      if (!info) {
        if (plan.definedKinds.has(kindKey(object.apiVersion, object.kind))) {
          lines.push(`+ ${what} (create; not validated: its CRD is created by this deploy)`);
          counts.created++;
        } else {
          lines.push(`! ${what}: the cluster does not serve ${object.apiVersion} ${object.kind} (CRD or operator not installed)`);
          counts.errors++;
        }
        continue;
      }
      const ns = info.namespaced ? namespaceOf(object) : undefined;
      if (ns && !(await exists(ns))) {
        if (plan.namespaces.has(ns)) {
          lines.push(`+ ${what} (create; not validated: namespace '${ns}' is created by this deploy)`);
          counts.created++;
        } else {
          lines.push(`! ${what}: namespace '${ns}' does not exist and is not part of this deploy`);
          counts.errors++;
        }
        continue;
      }
      const live = await cluster.get(refOf(object));
      const predicted = await cluster.apply(object, { dryRun: true, fieldManager: options.fieldManager, force: options.forceConflicts });
      if (!live) {
        lines.push(`+ ${what} (create)`);
        counts.created++;
        continue;
      }
      const changes = diffObjects(live, predicted);
      if (changes.length === 0) {
        counts.unchanged++;
        continue;
      }
      lines.push(`~ ${what} (${changes.length} field${changes.length === 1 ? '' : 's'})`, ...formatChanges(object.kind, changes));
      counts.changed++;
    } catch (e) {
      if (e instanceof ApiError && e.status === 0) throw e;
      lines.push(`! ${what}: ${errorText(e).replace(/\n/g, '\n    ')}`);
      counts.errors++;
    }
  }
  lines.push(
    `diff: ${counts.created} to create, ${counts.changed} to change, ${counts.unchanged} unchanged${counts.errors > 0 ? `, ${counts.errors} errors` : ''}`,
  );
  const exitCode = counts.errors > 0 ? 2 : counts.created + counts.changed > 0 ? 1 : 0;
  return { ...counts, lines, exitCode };
}
