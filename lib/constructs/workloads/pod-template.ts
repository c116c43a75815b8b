import { k8s } from 'cdk8s-plus-27';
import { restrictedPodSecurityContext, RunAs } from './pod-security';

/** Inputs shared by every pod template of the library. */
export interface PodTemplateOptions {
  readonly labels: Readonly<Record<string, string>>;
  readonly selector: Readonly<Record<string, string>>;
  readonly runAs: RunAs;
  readonly containers: readonly k8s.Container[];
  readonly initContainers?: readonly k8s.Container[];
  readonly volumes?: readonly k8s.Volume[];
  /**
   * Spread replicas across zones (hard) and nodes (soft). Both constraints honour node taints
   * (`nodeTaintsPolicy: Honor`): a cordoned node (tainted `node.kubernetes.io/unschedulable`) is
   * left out of the skew, so a pod evicted by a drain of a zone's only node may go to another zone
   * (otherwise the emptied zone counts as 0 and every other zone breaks `maxSkew`). See
   * {@link ZONE_SPREAD_DEFAULTS}.
   * @default false
   */
  readonly spreadAcrossZones?: boolean;
  /** Service account. @default - the namespace's default account, with no token mounted */
  readonly serviceAccountName?: string;
  /** Mount an API token. Only for workloads that call the Kubernetes API or use IRSA. @default false */
  readonly automountServiceAccountToken?: boolean;
  readonly terminationGracePeriodSeconds?: number;
  readonly restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  readonly annotations?: Readonly<Record<string, string>>;
}

/**
 * The settings of the zone and node spread constraints: `maxSkew` 1 and taints honoured, so a
 * drain of any one node leaves the evicted pods somewhere to go (the drain rule, README
 * "Node drains and capacity"; the `disruption` checks hold every workload to it).
 */
export const ZONE_SPREAD_DEFAULTS = { maxSkew: 1, nodeTaintsPolicy: 'Honor' } as const;

/** A restricted pod template: pod security context, no token unless asked, optional zone spread. */
export function renderPodTemplate(o: PodTemplateOptions): k8s.PodTemplateSpec {
  const names = new Set<string>();
  for (const c of [...(o.initContainers ?? []), ...o.containers]) {
    if (names.has(c.name)) throw new Error(`pod template: container name '${c.name}' is used twice; expected unique container names`);
    names.add(c.name);
  }
  return {
    metadata: { labels: { ...o.labels }, ...(o.annotations ? { annotations: { ...o.annotations } } : {}) },
    spec: {
      ...(o.serviceAccountName ? { serviceAccountName: o.serviceAccountName } : {}),
      automountServiceAccountToken: o.automountServiceAccountToken ?? false,
      securityContext: restrictedPodSecurityContext(o.runAs),
      enableServiceLinks: false,
      ...(o.restartPolicy ? { restartPolicy: o.restartPolicy } : {}),
      ...(o.terminationGracePeriodSeconds !== undefined ? { terminationGracePeriodSeconds: o.terminationGracePeriodSeconds } : {}),
      ...(o.spreadAcrossZones
        ? {
            topologySpreadConstraints: [
              {
                ...ZONE_SPREAD_DEFAULTS,
                topologyKey: 'topology.kubernetes.io/zone',
                whenUnsatisfiable: 'DoNotSchedule',
                labelSelector: { matchLabels: { ...o.selector } },
              },
              {
                ...ZONE_SPREAD_DEFAULTS,
                topologyKey: 'kubernetes.io/hostname',
                whenUnsatisfiable: 'ScheduleAnyway',
                labelSelector: { matchLabels: { ...o.selector } },
              },
            ],
          }
        : {}),
      ...(o.initContainers?.length ? { initContainers: [...o.initContainers] } : {}),
      containers: [...o.containers],
      ...(o.volumes?.length ? { volumes: [...o.volumes] } : {}),
    },
  };
}
