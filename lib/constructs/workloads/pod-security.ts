import { k8s } from 'cdk8s-plus-27';

/**
 * Security contexts that satisfy Pod Security Standards `restricted`:
 * non-root with an explicit uid, no privilege escalation, every capability
 * dropped, RuntimeDefault seccomp, and a read-only root filesystem.
 */

/** Numeric identity a container runs as. */
export interface RunAs {
  /** uid, must not be 0. */
  readonly user: number;
  /** gid. @default - same as user */
  readonly group?: number;
  /** Group owning mounted volumes. @default - same as group */
  readonly fsGroup?: number;
}

/** Pod-level security context for a restricted pod. */
export function restrictedPodSecurityContext(runAs: RunAs): k8s.PodSecurityContext {
  assertNonRoot(runAs);
  const group = runAs.group ?? runAs.user;
  return {
    runAsNonRoot: true,
    runAsUser: runAs.user,
    runAsGroup: group,
    fsGroup: runAs.fsGroup ?? group,
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Container-level security context for a restricted container. */
export function restrictedContainerSecurityContext(runAs: RunAs): k8s.SecurityContext {
  assertNonRoot(runAs);
  return {
    runAsNonRoot: true,
    runAsUser: runAs.user,
    runAsGroup: runAs.group ?? runAs.user,
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

function assertNonRoot(runAs: RunAs): void {
  for (const [field, v] of Object.entries({ user: runAs.user, group: runAs.group, fsGroup: runAs.fsGroup })) {
    if (v === undefined) continue;
    if (!Number.isInteger(v) || v < 1 || v > 2147483647) {
      throw new Error(
        `runAs.${field}: got ${v}; expected a non-root numeric id between 1 and 2147483647 (Pod Security Standards 'restricted' forbid uid 0)`,
      );
    }
  }
}
