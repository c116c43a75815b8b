/**
 * Assertions every stack's synthesized objects must pass (Pod Security `restricted`, pinned images,
 * resources, probes, no secret values), and small helpers to read objects in stack tests.
 */
import { cpuMillis, memoryBytes } from '../../lib/core/formats';
import { Doc } from './doc';
import { find, podSpecs } from './synth';

/** `{ NAME: value | valueFrom }` of a container's env. */
export function envOf(container: Doc): Record<string, Doc> {
  return Object.fromEntries((container.env ?? []).map((e: Doc) => [e.name, e.value ?? e.valueFrom]));
}

/** The namespace enforces, audits and warns at Pod Security `restricted`. */
export function expectRestrictedNamespace(objects: readonly Doc[], name: string): void {
  expect(find(objects, 'Namespace', name).metadata.labels).toMatchObject({
    'pod-security.kubernetes.io/enforce': 'restricted',
    'pod-security.kubernetes.io/audit': 'restricted',
    'pod-security.kubernetes.io/warn': 'restricted',
  });
}

/** Every container: restricted security context, non-root uid, pinned image, CPU+memory requests, memory limit; no token. */
export function expectRestrictedPods(objects: readonly Doc[], minPods: number): void {
  const pods = podSpecs(objects);
  expect(pods.length).toBeGreaterThanOrEqual(minPods);
  for (const { owner, spec } of pods) {
    expect([owner, spec.automountServiceAccountToken]).toEqual([owner, false]);
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
      const where = `${owner}/${c.name}`;
      expect([where, c.securityContext]).toEqual([
        where,
        expect.objectContaining({
          allowPrivilegeEscalation: false,
          privileged: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        }),
      ]);
      expect(c.securityContext.runAsUser).toBeGreaterThan(0);
      expect([where, c.image]).toEqual([where, expect.stringMatching(/:[A-Za-z0-9][A-Za-z0-9._-]*$/)]);
      expect(c.image).not.toMatch(/:latest$/);
      expect([where, Object.keys(c.resources.requests).sort(), Object.keys(c.resources.limits)]).toEqual([
        where,
        ['cpu', 'memory'],
        expect.arrayContaining(['memory']),
      ]);
    }
  }
}

/** Long-running containers (not the run-to-completion pods of Jobs and CronJobs) have readiness and liveness probes. */
export function expectProbes(objects: readonly Doc[]): void {
  for (const { owner, spec } of podSpecs(objects.filter((o) => o.kind !== 'CronJob' && o.kind !== 'Job'))) {
    for (const c of spec.containers) {
      expect([`${owner}/${c.name}`, !!c.readinessProbe, !!c.livenessProbe]).toEqual([`${owner}/${c.name}`, true, true]);
    }
  }
}

/** No Secret object, and every secret-looking variable comes from a Secret reference. */
export function expectNoSecretValues(objects: readonly Doc[]): void {
  expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
  for (const { owner, spec } of podSpecs(objects)) {
    for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
      for (const e of c.env ?? []) {
        if (/PASSWORD|SECRET|TOKEN|_KEY/.test(e.name)) expect([owner, e.name, e.value]).toEqual([owner, e.name, undefined]);
      }
    }
  }
}

/** Sources (`app.kubernetes.io/name` of pods, or namespace names) allowed into a component's NetworkPolicy. */
export function policySources(objects: readonly Doc[], component: string): string[] {
  return find(objects, 'NetworkPolicy', component)
    .spec.ingress.map((r: Doc) => {
      const peer = r.from[0];
      return peer.namespaceSelector
        ? `ns:${peer.namespaceSelector.matchLabels['kubernetes.io/metadata.name']}`
        : peer.podSelector.matchLabels['app.kubernetes.io/name'];
    })
    .sort();
}

/** Destinations of a component's NetworkPolicy egress (`app.kubernetes.io/name`, `ns:<name>` or the internet CIDR). */
export function policyDestinations(objects: readonly Doc[], component: string): string[] {
  return find(objects, 'NetworkPolicy', component)
    .spec.egress.map((r: Doc) => {
      const peer = r.to[0];
      if (peer.ipBlock) return `${peer.ipBlock.cidr}:${r.ports[0].port}`;
      return peer.namespaceSelector
        ? `ns:${peer.namespaceSelector.matchLabels['kubernetes.io/metadata.name']}`
        : `${peer.podSelector.matchLabels['app.kubernetes.io/name']}:${r.ports[0].port}`;
    })
    .sort();
}

/** Sum of requests and limits of the long-running pods (replicas, or the HPA minimum) and of one run of each CronJob. */
export interface ResourceTotals {
  readonly cpuRequestMillis: number;
  readonly cpuLimitMillis: number;
  readonly memoryRequestBytes: number;
  readonly memoryLimitBytes: number;
}

/**
 * Totals of the steady state (Deployments and StatefulSets at their replica count, or the HPA's
 * minReplicas) and of the jobs (each CronJob's largest container at a time: init containers run one
 * after another, then the main containers together). A container without a CPU limit counts its request.
 */
export function resourceTotals(objects: readonly Doc[]): { steady: ResourceTotals; jobs: ResourceTotals } {
  const add = (t: ResourceTotals, c: Doc, n: number): ResourceTotals => ({
    cpuRequestMillis: t.cpuRequestMillis + n * cpuMillis(c.resources.requests.cpu),
    cpuLimitMillis: t.cpuLimitMillis + n * cpuMillis(c.resources.limits.cpu ?? c.resources.requests.cpu),
    memoryRequestBytes: t.memoryRequestBytes + n * memoryBytes(c.resources.requests.memory),
    memoryLimitBytes: t.memoryLimitBytes + n * memoryBytes(c.resources.limits.memory),
  });
  const zero: ResourceTotals = { cpuRequestMillis: 0, cpuLimitMillis: 0, memoryRequestBytes: 0, memoryLimitBytes: 0 };
  let steady = zero;
  let jobs = zero;
  for (const o of objects) {
    if (o.kind === 'Deployment' || o.kind === 'StatefulSet') {
      const hpa = objects.find((h) => h.kind === 'HorizontalPodAutoscaler' && h.spec.scaleTargetRef.name === o.metadata.name);
      const replicas = hpa ? hpa.spec.minReplicas : o.spec.replicas;
      for (const c of o.spec.template.spec.containers) steady = add(steady, c, replicas);
    } else if (o.kind === 'CronJob' && !o.spec.suspend) {
      const spec = o.spec.jobTemplate.spec.template.spec;
      // Init containers finish before the main ones start: count whichever phase is larger.
      const phase = (cs: Doc[]): ResourceTotals => cs.reduce((t: ResourceTotals, c: Doc) => add(t, c, 1), zero);
      const init = (spec.initContainers ?? []).map((c: Doc) => phase([c]));
      const main = phase(spec.containers);
      const biggest = [main, ...init].reduce((a, b) => (b.memoryLimitBytes > a.memoryLimitBytes ? b : a));
      jobs = {
        ...jobs,
        ...Object.fromEntries((Object.keys(zero) as Array<keyof ResourceTotals>).map((k) => [k, jobs[k] + biggest[k]])),
      };
    }
  }
  return { steady, jobs };
}

/** Steady-state totals of one workload (its replicas, or its HPA's minimum, times its containers incl. sidecars). */
export function workloadTotals(
  objects: readonly Doc[],
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet',
  name: string,
): ResourceTotals & { pods: number } {
  const o = find(objects, kind, name);
  const hpa = objects.find((h) => h.kind === 'HorizontalPodAutoscaler' && h.spec.scaleTargetRef.name === name);
  // A DaemonSet: the figures of one node's pod.
  const pods: number = kind === 'DaemonSet' ? 1 : hpa ? hpa.spec.minReplicas : o.spec.replicas;
  const zero = { cpuRequestMillis: 0, cpuLimitMillis: 0, memoryRequestBytes: 0, memoryLimitBytes: 0 };
  const t = (o.spec.template.spec.containers as Doc[]).reduce(
    (a: ResourceTotals, c: Doc) => ({
      cpuRequestMillis: a.cpuRequestMillis + pods * cpuMillis(c.resources.requests.cpu),
      cpuLimitMillis: a.cpuLimitMillis + pods * cpuMillis(c.resources.limits.cpu ?? c.resources.requests.cpu),
      memoryRequestBytes: a.memoryRequestBytes + pods * memoryBytes(c.resources.requests.memory),
      memoryLimitBytes: a.memoryLimitBytes + pods * memoryBytes(c.resources.limits.memory),
    }),
    zero,
  );
  return { ...t, pods };
}
