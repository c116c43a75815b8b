import { isPinnedImage, pinnedImage } from '../core/formats';
import { containersOf, matchesSelector, podTemplateOf } from './pod-specs';
import { Check, CheckInput, isKind, ManifestObject, ManifestObjectOf, objectsOf, RuleInfo, Violation } from './types';

export const BEST_PRACTICE_RULES: readonly RuleInfo[] = [
  { id: 'bp/image-pinned', family: 'best-practices', description: 'images carry a version tag or digest, never latest' },
  { id: 'bp/resources', family: 'best-practices', description: 'every container requests memory and CPU and limits memory' },
  { id: 'bp/probes', family: 'best-practices', description: 'long-running containers have readiness and liveness probes' },
  {
    id: 'bp/automount-token',
    family: 'best-practices',
    description: 'automountServiceAccountToken: false unless the service account is bound to a Role',
  },
  { id: 'bp/pdb', family: 'best-practices', description: 'a PodDisruptionBudget covers every workload that can run more than one replica' },
  { id: 'bp/hpa', family: 'best-practices', description: 'HPA targets exist and carry no fixed replica count' },
  {
    id: 'bp/labels',
    family: 'best-practices',
    description: 'app.kubernetes.io/part-of and managed-by on every object; name and instance on workloads and pod templates',
  },
  {
    id: 'bp/cronjob',
    family: 'best-practices',
    description: 'CronJobs: concurrency Forbid, starting and active deadlines, history limits',
  },
  {
    id: 'bp/rate-limit-source',
    family: 'best-practices',
    description:
      'Traefik rateLimit middlewares set sourceCriterion to the client address (ipStrategy, no X-Forwarded-For depth or excludedIPs, no header or host)',
  },
  {
    id: 'bp/release-label',
    family: 'best-practices',
    description: 'ServiceMonitors, PodMonitors, PrometheusRules and AlertmanagerConfigs carry the configured release label',
  },
];

/** The rateLimit of a Traefik Middleware as it appears in the output (what the rule reads). */
interface RateLimitSpec {
  readonly sourceCriterion?: {
    readonly ipStrategy?: { readonly depth?: number; readonly excludedIPs?: readonly string[] };
    readonly requestHeaderName?: string;
    readonly requestHost?: boolean;
  };
}

/**
 * Why a rateLimit's source criterion does not count clients by their address, or `undefined` when
 * it does. Traefik's own default is the remote address too, but an explicit criterion keeps a
 * reader (and a future edit) from guessing; X-Forwarded-For is removed from untrusted clients by
 * the entry points (config/platform-charts.ts), so reading it gives every internet client an
 * empty source, and a request header or the Host lets clients pick or share one budget.
 */
export function rateLimitSourceProblem(rateLimit: RateLimitSpec): string | undefined {
  const c = rateLimit.sourceCriterion;
  const want = 'expected { ipStrategy: { depth: 0 } }: count each client by its connection address';
  if (c === undefined) return `no sourceCriterion; ${want}`;
  if (c.requestHeaderName !== undefined) return `got requestHeaderName '${c.requestHeaderName}' (a value the client chooses); ${want}`;
  if (c.requestHost) return `got requestHost: true (one budget shared by every client of a host); ${want}`;
  if (c.ipStrategy === undefined) return `got ${JSON.stringify(c)} without ipStrategy; ${want}`;
  if ((c.ipStrategy.depth ?? 0) > 0 || (c.ipStrategy.excludedIPs ?? []).length > 0)
    return `got ipStrategy ${JSON.stringify(c.ipStrategy)}, which reads X-Forwarded-For (removed from untrusted clients at the entry point); ${want}`;
  return undefined;
}

/** Key of an object (or an HPA's target) by namespace, kind and name; `undefined` parts stay distinct from strings. */
function targetKey(namespace: string | undefined, kind: string | undefined, name: string | undefined): string {
  return JSON.stringify([namespace ?? null, kind ?? null, name ?? null]);
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob']);
const MONITORING_KINDS = new Set(['ServiceMonitor', 'PodMonitor', 'PrometheusRule', 'AlertmanagerConfig']);
const OBJECT_LABELS = ['app.kubernetes.io/part-of', 'app.kubernetes.io/managed-by'];
const WORKLOAD_LABELS = ['app.kubernetes.io/name', 'app.kubernetes.io/instance'];

/** Operational best practices over the synthesized objects. */
export class BestPracticesCheck implements Check {
  public readonly family = 'best-practices' as const;
  public readonly rules = BEST_PRACTICE_RULES;

  public run(input: CheckInput): Violation[] {
    const out: Violation[] = [];
    const add = (rule: string, object: ManifestObject, field: string | undefined, message: string) =>
      out.push({ rule, object, field, message });
    const byEnv = new Map<string, ManifestObject[]>();
    for (const m of input.objects) {
      const list = byEnv.get(m.env);
      if (list) list.push(m);
      else byEnv.set(m.env, [m]);
    }

    for (const [env, objects] of byEnv) {
      const boundAccounts = new Set<string>();
      const accounts = new Map<string, ManifestObject>();
      for (const m of objects) {
        const o = m.object;
        if (isKind(o, 'RoleBinding') || isKind(o, 'ClusterRoleBinding')) {
          for (const s of o.subjects ?? [])
            if (s.kind === 'ServiceAccount') boundAccounts.add(`${s.namespace ?? o.metadata?.namespace}/${s.name}`);
        }
        if (isKind(o, 'ServiceAccount')) accounts.set(`${o.metadata?.namespace}/${o.metadata?.name}`, m);
      }
      const hpas = objectsOf(objects, 'HorizontalPodAutoscaler');
      // Lookups by namespace/kind/name instead of a scan per workload (linear in the number of objects).
      const hpaByTarget = new Map<string, (typeof hpas)[number]>();
      for (const h of hpas) {
        const ref = h.object.spec?.scaleTargetRef;
        const key = targetKey(h.object.metadata?.namespace, ref?.kind, ref?.name);
        if (!hpaByTarget.has(key)) hpaByTarget.set(key, h); // the first, as a scan finds it
      }
      const pdbsByNs = new Map<string | undefined, Array<ManifestObjectOf<'PodDisruptionBudget'>>>();
      for (const p of objectsOf(objects, 'PodDisruptionBudget')) {
        const list = pdbsByNs.get(p.object.metadata?.namespace);
        if (list) list.push(p);
        else pdbsByNs.set(p.object.metadata?.namespace, [p]);
      }
      const present = hpas.length
        ? new Set(objects.map((m) => targetKey(m.object.metadata?.namespace, m.object.kind, m.object.metadata?.name)))
        : new Set<string>();

      for (const m of objects) {
        const o = m.object;
        const kind = o.kind ?? '';
        const labels = o.metadata?.labels ?? {};
        for (const l of [...OBJECT_LABELS, ...(WORKLOADS.has(kind) ? WORKLOAD_LABELS : [])]) {
          if (!labels[l])
            add('bp/labels', m, `metadata.labels["${l}"]`, `missing label ${l}; expected the recommended app.kubernetes.io labels`);
        }
        if (MONITORING_KINDS.has(kind)) {
          const want = input.environments[env]?.monitoringRelease;
          if (want !== undefined && labels.release !== want)
            add(
              'bp/release-label',
              m,
              'metadata.labels.release',
              `got ${JSON.stringify(labels.release)}; expected '${want}' (monitoring.release of environment ${env}) so kube-prometheus-stack selects it`,
            );
        }
        if (kind === 'Middleware' && o.apiVersion?.startsWith('traefik.io/')) {
          const rateLimit = (o.spec as { rateLimit?: RateLimitSpec } | undefined)?.rateLimit;
          const problem = rateLimit && rateLimitSourceProblem(rateLimit);
          if (problem) add('bp/rate-limit-source', m, 'spec.rateLimit.sourceCriterion', problem);
        }
        if (isKind(o, 'CronJob')) {
          const s = o.spec ?? { schedule: '', jobTemplate: {} };
          if (s.concurrencyPolicy !== 'Forbid')
            add('bp/cronjob', m, 'spec.concurrencyPolicy', `got ${JSON.stringify(s.concurrencyPolicy)}; expected 'Forbid'`);
          if (!((s.startingDeadlineSeconds ?? 0) > 0))
            add(
              'bp/cronjob',
              m,
              'spec.startingDeadlineSeconds',
              `got ${JSON.stringify(s.startingDeadlineSeconds)}; expected a deadline in seconds`,
            );
          if (!((s.jobTemplate?.spec?.activeDeadlineSeconds ?? 0) > 0))
            add(
              'bp/cronjob',
              m,
              'spec.jobTemplate.spec.activeDeadlineSeconds',
              `got ${JSON.stringify(s.jobTemplate?.spec?.activeDeadlineSeconds)}; expected a deadline in seconds`,
            );
          for (const f of ['successfulJobsHistoryLimit', 'failedJobsHistoryLimit'] as const) {
            if (typeof s[f] !== 'number')
              add('bp/cronjob', m, `spec.${f}`, `got ${JSON.stringify(s[f])}; expected an explicit history limit`);
          }
        }

        const t = podTemplateOf(m);
        if (!t) continue;
        for (const l of WORKLOAD_LABELS) {
          if (!t.labels[l])
            add('bp/labels', m, `${t.path.replace(/spec$/, 'metadata')}.labels["${l}"]`, `pod template is missing label ${l}`);
        }
        for (const { container: c, path, list } of containersOf(t)) {
          const name = `container '${c.name}'`;
          if (!isPinnedImage(c.image ?? ''))
            add('bp/image-pinned', m, `${path}.image`, `${name}: got '${c.image ?? ''}'; expected ${pinnedImage.expected}`);
          const r = c.resources ?? {};
          if (!r.requests?.memory) add('bp/resources', m, `${path}.resources.requests.memory`, `${name}: no memory request`);
          if (!r.requests?.cpu) add('bp/resources', m, `${path}.resources.requests.cpu`, `${name}: no CPU request`);
          if (!r.limits?.memory) add('bp/resources', m, `${path}.resources.limits.memory`, `${name}: no memory limit`);
          const runsAlongside = list === 'containers' || (list === 'initContainers' && c.restartPolicy === 'Always');
          if (t.longRunning && runsAlongside) {
            if (!c.readinessProbe) add('bp/probes', m, `${path}.readinessProbe`, `${name}: no readiness probe`);
            if (!c.livenessProbe) add('bp/probes', m, `${path}.livenessProbe`, `${name}: no liveness probe`);
          }
        }
        const ns = o.metadata?.namespace;
        const sa = t.spec.serviceAccountName ?? 'default';
        const saObject = accounts.get(`${ns}/${sa}`)?.object;
        const tokenOff =
          t.spec.automountServiceAccountToken === false ||
          (t.spec.automountServiceAccountToken === undefined &&
            isKind(saObject, 'ServiceAccount') &&
            saObject.automountServiceAccountToken === false);
        if (!tokenOff && !boundAccounts.has(`${ns}/${sa}`)) {
          add(
            'bp/automount-token',
            m,
            `${t.path}.automountServiceAccountToken`,
            `got ${JSON.stringify(t.spec.automountServiceAccountToken)}; expected false: service account '${sa}' is not bound to any Role, so the pod does not need an API token`,
          );
        }

        if (isKind(o, 'Deployment') || isKind(o, 'StatefulSet') || isKind(o, 'ReplicaSet')) {
          const hpa = hpaByTarget.get(targetKey(ns, o.kind, o.metadata?.name));
          const replicas = o.spec?.replicas;
          if (hpa && replicas !== undefined)
            add(
              'bp/hpa',
              m,
              'spec.replicas',
              `got ${replicas} while HorizontalPodAutoscaler ${hpa.object.metadata?.name} owns the replica count; expected no spec.replicas (every apply would reset the HPA)`,
            );
          const max = Math.max(replicas ?? 1, hpa?.object.spec?.maxReplicas ?? 0);
          if (max > 1 && !(pdbsByNs.get(ns) ?? []).some((p) => matchesSelector(p.object.spec?.selector, t.labels))) {
            add(
              'bp/pdb',
              m,
              undefined,
              `can run ${max} replicas but no PodDisruptionBudget selects its pods; expected a PDB so node drains keep it available`,
            );
          }
        }
      }
      for (const h of hpas) {
        const ref = h.object.spec?.scaleTargetRef;
        if (!present.has(targetKey(h.object.metadata?.namespace, ref?.kind, ref?.name)))
          add(
            'bp/hpa',
            h,
            'spec.scaleTargetRef',
            `targets ${ref?.kind}/${ref?.name}, which is not in this output; expected an existing Deployment or StatefulSet`,
          );
      }
    }
    return out;
  }
}
