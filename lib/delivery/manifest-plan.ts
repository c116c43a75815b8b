import { groupOf, isClusterScoped, RenderedObject, SYNC_WAVE_ANNOTATION, syncWaveForKind } from '../output/argocd';

/** One manifest file of an environment, parsed. */
export interface ManifestFile {
  /** Label for messages, e.g. `platform` or a stack name. */
  readonly name: string;
  /** Path shown in messages. */
  readonly path: string;
  readonly objects: readonly RenderedObject[];
}

/** Something to wait for after a batch is applied. */
export type WaitStep =
  | {
      readonly type: 'rollout';
      readonly resource: 'deployment' | 'statefulset' | 'daemonset';
      readonly namespace: string;
      readonly name: string;
    }
  | {
      readonly type: 'condition';
      readonly resource: string;
      readonly condition: 'Ready';
      readonly namespace?: string;
      readonly name: string;
    };

/** Objects of one file and one sync wave, applied together, then waited on. */
export interface ApplyBatch {
  readonly file: string;
  readonly wave: number;
  readonly objects: readonly RenderedObject[];
  /** Waits after this batch (readiness of what it created). */
  readonly waits: readonly WaitStep[];
}

/** Kinds waited on for condition Ready, by `group/Kind`, with the resource name kubectl takes. */
const READY_CONDITION: Readonly<Record<string, string>> = {
  'external-secrets.io/ExternalSecret': 'externalsecret.external-secrets.io',
  'cert-manager.io/Certificate': 'certificate.cert-manager.io',
};
/** Kinds waited on only after the whole file (they may depend on later waves: a CA issuer on its certificate). */
const READY_AT_END: Readonly<Record<string, string>> = {
  'cert-manager.io/ClusterIssuer': 'clusterissuer.cert-manager.io',
  'cert-manager.io/Issuer': 'issuer.cert-manager.io',
};
const ROLLOUT: Readonly<Record<string, 'deployment' | 'statefulset' | 'daemonset'>> = {
  'apps/Deployment': 'deployment',
  'apps/StatefulSet': 'statefulset',
  'apps/DaemonSet': 'daemonset',
};

/** The wave of an object: its `argocd.argoproj.io/sync-wave` annotation, else {@link syncWaveForKind}. */
export function waveOf(o: RenderedObject): number {
  const annotated = o.metadata?.annotations?.[SYNC_WAVE_ANNOTATION];
  if (annotated !== undefined && /^-?[0-9]+$/.test(annotated)) return Number(annotated);
  return syncWaveForKind(o.kind ?? 'Unknown', o.apiVersion);
}

/**
 * Orders manifest files into apply batches: files in the given order (platform first, then the
 * stacks), inside a file by sync wave (the order Argo CD would use), objects of a wave in file
 * order. Each batch waits for what it started: ExternalSecrets and Certificates Ready, StatefulSet,
 * Deployment and DaemonSet rollouts; issuers are waited on after the file's last batch.
 */
export function planManifestBatches(files: readonly ManifestFile[]): ApplyBatch[] {
  const batches: ApplyBatch[] = [];
  for (const f of files) {
    const waves = [...new Set(f.objects.map(waveOf))].sort((a, b) => a - b);
    const endWaits: WaitStep[] = [];
    waves.forEach((wave, i) => {
      const objects = f.objects.filter((o) => waveOf(o) === wave);
      const waits: WaitStep[] = [];
      for (const o of objects) {
        const key = `${groupOf(o.apiVersion)}/${o.kind}`;
        const name = o.metadata?.name ?? '';
        const namespace = isClusterScoped(o) ? undefined : o.metadata?.namespace;
        if (ROLLOUT[key] && namespace) waits.push({ type: 'rollout', resource: ROLLOUT[key], namespace, name });
        else if (READY_CONDITION[key])
          waits.push({ type: 'condition', resource: READY_CONDITION[key], condition: 'Ready', namespace, name });
        else if (READY_AT_END[key]) endWaits.push({ type: 'condition', resource: READY_AT_END[key], condition: 'Ready', namespace, name });
      }
      batches.push({ file: f.path, wave, objects, waits: i === waves.length - 1 ? [...waits, ...endWaits] : waits });
    });
  }
  return batches;
}
