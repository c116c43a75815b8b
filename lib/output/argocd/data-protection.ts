import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import type { IPod } from 'kubernetes-models/v1/Pod';

/** Annotation holding per-object Argo CD sync options. */
export const SYNC_OPTIONS_ANNOTATION = 'argocd.argoproj.io/sync-options';

/**
 * Argo CD never prunes (object removed from Git) nor deletes (Application deleted) an object
 * carrying these annotations.
 */
export const DATA_PROTECTION_ANNOTATIONS: Readonly<Record<string, string>> = {
  [SYNC_OPTIONS_ANNOTATION]: 'Prune=false,Delete=false',
};

/**
 * Kinds that hold or lead to data and must survive a prune or an Application deletion:
 *
 * - `Namespace`: deleting it deletes every PVC and Secret inside;
 * - `ExternalSecret`: it owns the Secret it generates (deleting it garbage-collects the Secret,
 *   and a `CreatedOnce` password would be generated anew, locking the app out of its data);
 * - `Secret`, `PersistentVolumeClaim`: when a stack declares them directly.
 *
 * PVCs from StatefulSet `volumeClaimTemplates` are created by the StatefulSet controller, carry no
 * Argo CD tracking and are never pruned; the StatefulSets retain them on delete and scale-down.
 */
export const PROTECTED_KINDS: readonly string[] = ['Namespace', 'ExternalSecret', 'Secret', 'PersistentVolumeClaim'];

/**
 * Merges `Prune=false,Delete=false` into an existing sync-options annotation value, keeping the
 * other options and replacing a `Prune=`/`Delete=` already there.
 */
export function mergeProtectedSyncOptions(existing: string | undefined): string {
  const kept = (existing ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o !== '' && !/^(Prune|Delete)=/.test(o));
  return [...kept, 'Prune=false', 'Delete=false'].join(',');
}

/** Adds the data-protection sync options to one object (merged with its existing sync options). */
export function protectFromArgoCd(obj: ApiObject): void {
  const existing = (obj.metadata.toJson() as IPod['metadata'])?.annotations?.[SYNC_OPTIONS_ANNOTATION];
  obj.metadata.addAnnotation(SYNC_OPTIONS_ANNOTATION, mergeProtectedSyncOptions(existing));
}

/**
 * Protects every ApiObject of a {@link PROTECTED_KINDS} kind under `scope`.
 * @returns the number of objects protected
 */
export function applyDataProtection(scope: IConstruct, kinds: readonly string[] = PROTECTED_KINDS): number {
  let count = 0;
  for (const c of scope.node.findAll()) {
    if (ApiObject.isApiObject(c) && kinds.includes(c.kind)) {
      protectFromArgoCd(c);
      count++;
    }
  }
  return count;
}

/** True when a rendered object carries `Prune=false` and `Delete=false`. */
export function isProtected(object: { metadata?: { annotations?: Record<string, string> } }): boolean {
  const options = (object.metadata?.annotations?.[SYNC_OPTIONS_ANNOTATION] ?? '').split(',').map((o) => o.trim());
  return options.includes('Prune=false') && options.includes('Delete=false');
}
