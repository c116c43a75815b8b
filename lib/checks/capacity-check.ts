import { cpuMillis, memoryBytes } from '../core/formats';
import { deploymentSurge } from './connection-budget-check';
import { containersOf, matchesSelector, podTemplateOf, PodTemplateRef } from './pod-specs';
import {
  Check,
  CheckInput,
  DeclaredCapacity,
  DeclaredNodes,
  describeObject,
  ManifestObject,
  ManifestObjectOf,
  objectsOf,
  RuleInfo,
  Violation,
} from './types';

/**
 * Annotation of a PodDisruptionBudget that is meant to block drains (e.g. a database primary's,
 * `maxUnavailable: 0`, until it is switched over): its value says why and what to do. Without it
 * a PDB that allows no eviction at the workload's minimum replicas is a `drain/pdb-allows-eviction`
 * violation.
 */
export const DRAIN_BLOCKING_ANNOTATION = 'backends-on-k8s.io/drain-blocking';

export const DISRUPTION_RULES: readonly RuleInfo[] = [
  {
    id: 'drain/spread-honors-taints',
    family: 'disruption',
    description:
      'every DoNotSchedule topology spread constraint sets nodeTaintsPolicy: Honor, so a cordoned node is left out of the skew and a pod evicted from a zone with one node can go to another zone',
  },
  {
    id: 'drain/pdb-allows-eviction',
    family: 'disruption',
    description: `every PodDisruptionBudget allows at least one eviction at its workload's minimum replicas (else a drain waits forever), unless annotated ${DRAIN_BLOCKING_ANNOTATION} with the reason`,
  },
  {
    id: 'drain/capacity-after-drain',
    family: 'disruption',
    description:
      'with any one node drained, every pod at minimum replicas (and the platform) still fits on the other nodes: the fixed nodes, or the autoscaler at its limit',
  },
];

export const CAPACITY_RULES: readonly RuleInfo[] = [
  {
    id: 'capacity/pod-fits-node',
    family: 'capacity',
    description: "every pod's requests fit on one node (allocatable less the per-node DaemonSets)",
  },
  {
    id: 'capacity/peak-fits',
    family: 'capacity',
    description:
      'every HPA at maxReplicas, every rollout surging, one run of every Job and CronJob and the platform fit on the nodes the autoscaler may add (one node kept for a drain); the autoscaler limits (nodes, cores, memory) allow those nodes',
  },
];

/** Requests of one pod: millicores and bytes. */
export interface Requests {
  readonly cpu: number;
  readonly memory: number;
}

/** A group of identical pods: what runs, how many at minimum and at peak, one pod's requests. */
export interface PodGroup {
  /** Stack (the output file's name: `wondernest`, ...) or `platform`. */
  readonly group: string;
  readonly name: string;
  readonly min: number;
  readonly peak: number;
  /** How `peak` came about, e.g. `HPA maxReplicas 10 + maxSurge 1`. */
  readonly peakWhy: string;
  readonly perPod: Requests;
  /** On every node (a DaemonSet). */
  readonly perNode: boolean;
  readonly object?: ManifestObject;
}

/** Requests of one environment at minimum replicas and at peak, and how many nodes they take. */
export interface EnvironmentCapacity {
  readonly env: string;
  readonly pods: readonly PodGroup[];
  /** Sums per group (stack, platform) of the pods that are not per node. */
  readonly groups: ReadonlyArray<{ readonly group: string; readonly min: Requests; readonly peak: Requests }>;
  /** Requests of the per-node pods on one node. */
  readonly perNode: Requests;
  readonly min: Requests;
  readonly peak: Requests;
  readonly nodes?: DeclaredNodes & {
    /** A node's allocatable less the per-node pods: what the other pods may fill. */
    readonly free: Requests;
    /** Nodes the pods at minimum and at peak take (first-fit decreasing), or undefined when a pod fits on no node. */
    readonly neededAtMin?: number;
    readonly neededAtPeak?: number;
    /** Nodes there can be: zones x maxPerZone (the autoscaler's limit), or zones x minPerZone. */
    readonly available: number;
  };
}

/** The effective requests of a pod template: the larger of its containers' sum and its largest init container. */
function templateRequests(t: PodTemplateRef): Requests {
  let cpu = 0;
  let memory = 0;
  let initCpu = 0;
  let initMemory = 0;
  for (const c of containersOf(t)) {
    const req = c.container.resources?.requests ?? {};
    // a number or a quantity string; anything else counts 0 here (the schema family reports it)
    const q = (v: unknown, parse: (s: string) => number): number => {
      if (typeof v !== 'string' && typeof v !== 'number') return 0;
      try {
        return parse(String(v));
      } catch {
        return 0;
      }
    };
    const rc = q(req.cpu, cpuMillis);
    const rm = q(req.memory, memoryBytes);
    if (c.list === 'containers') {
      cpu += rc;
      memory += rm;
    } else if (c.list === 'initContainers') {
      initCpu = Math.max(initCpu, rc);
      initMemory = Math.max(initMemory, rm);
    }
  }
  return { cpu: Math.max(cpu, initCpu), memory: Math.max(memory, initMemory) };
}

const key = (ns: string | undefined, kind: string | undefined, name: string | undefined) => `${ns ?? '_'}/${kind}/${name}`;

/** The output's pods of one environment: replicas at minimum (HPA minReplicas) and at peak (maxReplicas + surge, one run per Job). */
function outputPods(objects: readonly ManifestObject[]): PodGroup[] {
  const hpas = new Map(
    objectsOf(objects, 'HorizontalPodAutoscaler').map((h) => [
      key(h.object.metadata?.namespace, h.object.spec?.scaleTargetRef?.kind, h.object.spec?.scaleTargetRef?.name),
      h,
    ]),
  );
  const out: PodGroup[] = [];
  for (const m of objects) {
    const t = podTemplateOf(m);
    if (!t) continue;
    const kind = m.object.kind!;
    const group = m.file
      .split('/')
      .pop()!
      .replace(/\.k8s\.yaml$/, '');
    const spec = (m.object.spec ?? {}) as {
      replicas?: number;
      strategy?: { type?: string; rollingUpdate?: { maxSurge?: number | string } };
    };
    const hpa = hpas.get(key(m.object.metadata?.namespace, kind, m.object.metadata?.name));
    let min: number;
    let peak: number;
    let peakWhy: string;
    if (kind === 'Job' || kind === 'CronJob') {
      [min, peak, peakWhy] = [0, 1, `one ${kind} run`];
    } else if (hpa) {
      min = hpa.object.spec?.minReplicas ?? 1;
      peak = hpa.object.spec?.maxReplicas ?? min;
      peakWhy = `HPA maxReplicas ${peak}`;
    } else {
      min = kind === 'Pod' || kind === 'DaemonSet' ? 1 : (spec.replicas ?? 1);
      peak = min;
      peakWhy = `replicas ${peak}`;
    }
    if (kind === 'Deployment' && peak > 0) {
      const surge = deploymentSurge(spec.strategy, peak);
      if (surge > 0) {
        peakWhy += ` + maxSurge ${surge}`;
        peak += surge;
      }
    }
    out.push({
      group,
      name: describeObject(m.object),
      min,
      peak,
      peakWhy,
      perPod: templateRequests(t),
      perNode: kind === 'DaemonSet',
      object: m,
    });
  }
  return out;
}

function declaredPods(capacity: DeclaredCapacity | undefined): PodGroup[] {
  return (capacity?.platform ?? []).map((p) => ({
    group: 'platform',
    name: p.name,
    min: p.perNode ? 1 : p.replicas,
    peak: p.perNode ? 1 : p.replicas,
    peakWhy: p.perNode ? 'one per node' : `replicas ${p.replicas}`,
    perPod: { cpu: cpuMillis(p.cpu), memory: memoryBytes(p.memory) },
    perNode: p.perNode ?? false,
  }));
}

const add = (a: Requests, b: Requests, times = 1): Requests => ({ cpu: a.cpu + b.cpu * times, memory: a.memory + b.memory * times });
const ZERO: Requests = { cpu: 0, memory: 0 };
const fits = (pod: Requests, free: Requests) => pod.cpu <= free.cpu && pod.memory <= free.memory;

/**
 * Nodes of `free` resources that first-fit decreasing (by the larger share of a node) needs for
 * the pods; undefined when one pod fits on no node.
 */
export function nodesNeeded(pods: readonly Requests[], free: Requests): number | undefined {
  if (pods.some((p) => !fits(p, free))) return undefined;
  const share = (p: Requests) => Math.max(p.cpu / free.cpu, p.memory / free.memory);
  const nodes: Requests[] = [];
  for (const p of [...pods].sort((a, b) => share(b) - share(a))) {
    const n = nodes.find((x) => fits(p, { cpu: free.cpu - x.cpu, memory: free.memory - x.memory }));
    if (n) nodes[nodes.indexOf(n)] = add(n, p);
    else nodes.push(p);
  }
  return nodes.length;
}

/** Requests at minimum and at peak of one environment, and the nodes they take on its declared nodes. */
export function environmentCapacity(env: string, input: CheckInput): EnvironmentCapacity {
  const declared = input.environments[env]?.capacity;
  const pods = [...outputPods(input.objects.filter((m) => m.env === env)), ...declaredPods(declared)];
  const perNode = pods.filter((p) => p.perNode).reduce((a, p) => add(a, p.perPod), ZERO);
  const spread = pods.filter((p) => !p.perNode);
  const groupNames = [...new Set(spread.map((p) => p.group))];
  const groups = groupNames.map((group) => {
    const of = spread.filter((p) => p.group === group);
    return {
      group,
      min: of.reduce((a, p) => add(a, p.perPod, p.min), ZERO),
      peak: of.reduce((a, p) => add(a, p.perPod, p.peak), ZERO),
    };
  });
  const min = groups.reduce((a, g) => add(a, g.min), ZERO);
  const peak = groups.reduce((a, g) => add(a, g.peak), ZERO);
  const n = declared?.nodes;
  if (!n) return { env, pods, groups, perNode, min, peak };
  const free = { cpu: cpuMillis(n.allocatable.cpu) - perNode.cpu, memory: memoryBytes(n.allocatable.memory) - perNode.memory };
  const expand = (count: (p: PodGroup) => number) => spread.flatMap((p) => Array.from({ length: count(p) }, () => p.perPod));
  return {
    env,
    pods,
    groups,
    perNode,
    min,
    peak,
    nodes: {
      ...n,
      free,
      neededAtMin: nodesNeeded(
        expand((p) => p.min),
        free,
      ),
      neededAtPeak: nodesNeeded(
        expand((p) => p.peak),
        free,
      ),
      available: n.zones.length * (n.autoscaler ? n.maxPerZone : n.minPerZone),
    },
  };
}

/** Environments that declare their nodes or platform pods. */
function declaredEnvironments(input: CheckInput): string[] {
  return Object.entries(input.environments)
    .filter(([, f]) => f.capacity !== undefined)
    .map(([env]) => env);
}

/** `1.5 CPU / 2.3Gi` */
export function formatRequests(r: Requests): string {
  const cpu = r.cpu % 1000 === 0 ? String(r.cpu / 1000) : (r.cpu / 1000).toFixed(2).replace(/0$/, '');
  return `${cpu} CPU / ${(r.memory / 1024 ** 3).toFixed(1)}Gi`;
}

/** Allowed evictions of a PDB over `pods` pods (Kubernetes rounds percentages up). */
function allowedEvictions(spec: { maxUnavailable?: number | string; minAvailable?: number | string }, pods: number): number {
  const of = (v: number | string) => (typeof v === 'number' ? v : Math.ceil((pods * Number(String(v).replace('%', ''))) / 100));
  if (spec.maxUnavailable !== undefined) return Math.min(of(spec.maxUnavailable), pods);
  if (spec.minAvailable !== undefined) return Math.max(pods - of(spec.minAvailable), 0);
  return 1; // neither: the API refuses it; the schema check reports it
}

/**
 * Node drains (issue 15): a drain cordons a node (taint `node.kubernetes.io/unschedulable`) and
 * evicts its pods one PDB-allowed eviction at a time. It keeps every service at its PDB's promise
 * only if each evicted pod can be placed elsewhere: its zone spread must leave the cordoned node
 * out (nodeTaintsPolicy Honor), its PDB must allow an eviction, and the other nodes (or the ones
 * the autoscaler adds) must have room.
 */
export class DisruptionCheck implements Check {
  public readonly family = 'disruption' as const;
  public readonly rules = DISRUPTION_RULES;

  public run(input: CheckInput): Violation[] {
    const out: Violation[] = [];
    for (const m of input.objects) {
      const t = podTemplateOf(m);
      if (!t?.longRunning) continue;
      (t.spec.topologySpreadConstraints ?? []).forEach((c, i) => {
        if (c.whenUnsatisfiable !== 'DoNotSchedule' || c.nodeTaintsPolicy === 'Honor') return;
        out.push({
          rule: 'drain/spread-honors-taints',
          object: m,
          field: `${t.path}.topologySpreadConstraints[${i}].nodeTaintsPolicy`,
          message: `[${m.env}] ${describeObject(m.object)}: spread over ${c.topologyKey} is DoNotSchedule with nodeTaintsPolicy ${c.nodeTaintsPolicy ?? 'unset (Ignore)'}; a drained node's zone then counts as empty and the evicted pod fits no other zone. Expected nodeTaintsPolicy: Honor`,
        });
      });
    }
    out.push(...pdbViolations(input));
    for (const env of declaredEnvironments(input)) {
      const c = environmentCapacity(env, input);
      const n = c.nodes;
      if (!n || n.neededAtMin === undefined) continue; // a pod too big for any node is capacity/pod-fits-node's
      if (n.neededAtMin <= n.available - 1) continue;
      out.push({
        rule: 'drain/capacity-after-drain',
        message:
          `[${env}] the pods at minimum replicas (${formatRequests(c.min)} requested, plus ${formatRequests(c.perNode)} per node) take ${n.neededAtMin} ${n.instanceType} node(s), ` +
          `but with one of the ${n.available} node(s) drained only ${n.available - 1} remain${n.autoscaler ? ` (${n.autoscaler.name} limit)` : ' (no autoscaler)'}; ` +
          `expected cluster.nodes.${n.autoscaler ? 'maxPerZone' : 'minPerZone'} raised so that zones x it >= ${n.neededAtMin + 1}, or lower requests`,
      });
    }
    return out;
  }
}

/** drain/pdb-allows-eviction over every PDB and the workloads it selects. */
function pdbViolations(input: CheckInput): Violation[] {
  const out: Violation[] = [];
  const workloads = input.objects.map(podTemplateOf).filter((t): t is PodTemplateRef => t?.longRunning === true);
  const hpas = objectsOf(input.objects, 'HorizontalPodAutoscaler');
  for (const pdb of objectsOf(input.objects, 'PodDisruptionBudget')) {
    const reason = pdb.object.metadata?.annotations?.[DRAIN_BLOCKING_ANNOTATION];
    if (reason !== undefined && reason.trim() !== '') continue;
    const spec = (pdb.object.spec ?? {}) as { maxUnavailable?: number | string; minAvailable?: number | string };
    for (const t of workloads) {
      const w = t.owner;
      if (w.env !== pdb.env || w.object.metadata?.namespace !== pdb.object.metadata?.namespace) continue;
      if (!matchesSelector(pdb.object.spec?.selector, t.labels)) continue;
      const min = minimumReplicas(w, hpas);
      if (min === 0 || allowedEvictions(spec, min) >= 1) continue;
      const rule = spec.maxUnavailable !== undefined ? `maxUnavailable ${spec.maxUnavailable}` : `minAvailable ${spec.minAvailable}`;
      out.push({
        rule: 'drain/pdb-allows-eviction',
        object: pdb,
        field: spec.maxUnavailable !== undefined ? 'spec.maxUnavailable' : 'spec.minAvailable',
        message: `[${pdb.env}] ${describeObject(pdb.object)} (${rule}) allows no eviction of ${describeObject(w.object)} at its minimum ${min} replica(s), so a drain of its node waits forever; expected maxUnavailable 1 (or minAvailable <= ${min - 1}), or the annotation ${DRAIN_BLOCKING_ANNOTATION} saying why it blocks and how to release it`,
      });
    }
  }
  return out;
}

function minimumReplicas(w: ManifestObject, hpas: ReadonlyArray<ManifestObjectOf<'HorizontalPodAutoscaler'>>): number {
  const hpa = hpas.find(
    (h) =>
      h.env === w.env &&
      h.object.metadata?.namespace === w.object.metadata?.namespace &&
      h.object.spec?.scaleTargetRef?.kind === w.object.kind &&
      h.object.spec?.scaleTargetRef?.name === w.object.metadata?.name,
  );
  if (hpa) return hpa.object.spec?.minReplicas ?? 1;
  return (w.object.spec as { replicas?: number } | undefined)?.replicas ?? 1;
}

/**
 * Capacity at peak (issue 15): every pod fits a node, and every HPA at maxReplicas with every
 * rollout surging fits on the nodes the autoscaler may add, keeping one node spare for a drain.
 */
export class CapacityCheck implements Check {
  public readonly family = 'capacity' as const;
  public readonly rules = CAPACITY_RULES;

  public run(input: CheckInput): Violation[] {
    const out: Violation[] = [];
    for (const env of declaredEnvironments(input)) {
      const c = environmentCapacity(env, input);
      const n = c.nodes;
      if (!n) continue;
      for (const p of c.pods.filter((x) => !x.perNode && x.peak > 0 && !fits(x.perPod, n.free))) {
        out.push({
          rule: 'capacity/pod-fits-node',
          ...(p.object ? { object: p.object } : {}),
          message: `[${env}] ${p.name} requests ${formatRequests(p.perPod)} per pod, more than a ${n.instanceType} node has free (${formatRequests(n.free)}: allocatable ${n.allocatable.cpu} / ${n.allocatable.memory} less ${formatRequests(c.perNode)} of per-node pods); expected smaller requests or a larger cluster.nodes.instanceType`,
        });
      }
      if (n.neededAtPeak === undefined) continue;
      const want = n.neededAtPeak + 1;
      const problems: string[] = [];
      if (want > n.available)
        problems.push(`${n.available} node(s) at most (zones ${n.zones.length} x ${n.autoscaler ? 'maxPerZone' : 'minPerZone'})`);
      const a = n.autoscaler;
      if (a) {
        if (a.maxNodes < want) problems.push(`${a.name} --max-nodes-total ${a.maxNodes}`);
        if (a.maxCores < Math.ceil((want * cpuMillis(n.capacity.cpu)) / 1000)) problems.push(`${a.name} --cores-total max ${a.maxCores}`);
        if (a.maxMemoryGiB < Math.ceil((want * memoryBytes(n.capacity.memory)) / 1024 ** 3))
          problems.push(`${a.name} --memory-total max ${a.maxMemoryGiB}Gi`);
      }
      if (problems.length === 0) continue;
      out.push({
        rule: 'capacity/peak-fits',
        message:
          `[${env}] at peak (every HPA at maxReplicas, every rollout surging, one run of each Job) the pods request ${formatRequests(c.peak)} plus ${formatRequests(c.perNode)} per node ` +
          `and take ${n.neededAtPeak} ${n.instanceType} node(s), ${want} with one drained; the cluster allows ${problems.join(', ')}. ` +
          `Expected cluster.nodes.maxPerZone >= ${Math.ceil(want / n.zones.length)}${a ? '' : ' with cluster.autoscaler'}, or lower maxReplicas`,
      });
    }
    return out;
  }
}

/** `1.5 / 2.3Gi` */
function short(r: Requests): string {
  return formatRequests(r).replace(' CPU /', ' /');
}

/**
 * The capacity section of `npm run check`: one row per group (stack, platform, per-node pods,
 * total), a min and a peak column per environment, then a line per environment with its nodes.
 */
export function formatCapacity(input: CheckInput): string[] {
  const envs = [...new Set(input.objects.map((m) => m.env))].filter((e) => input.environments[e]?.capacity !== undefined);
  if (envs.length === 0) return [];
  const caps = envs.map((env) => environmentCapacity(env, input));
  const groups = [...new Set(caps.flatMap((c) => c.groups.map((g) => g.group)))].sort((a, b) =>
    a === 'platform' ? 1 : b === 'platform' ? -1 : a.localeCompare(b),
  );
  const cell = (s: string) => s.padEnd(16);
  const row = (label: string, cells: string[]) => `  ${label.padEnd(12)}${cells.map(cell).join('')}`.trimEnd();
  const out = [
    'Capacity (CPU / memory requested at minimum replicas, and at peak: HPA maxReplicas + rollout surge + one run per Job):',
    row(
      '',
      envs.flatMap((e) => [`${e} min`, `${e} peak`]),
    ),
  ];
  for (const g of groups) {
    out.push(
      row(
        g,
        caps.flatMap((c) => {
          const x = c.groups.find((y) => y.group === g);
          return x ? [short(x.min), short(x.peak)] : ['-', '-'];
        }),
      ),
    );
  }
  out.push(
    row(
      'per node',
      caps.flatMap((c) => [short(c.perNode), short(c.perNode)]),
    ),
  );
  out.push(
    row(
      'total',
      caps.flatMap((c) => [short(c.min), short(c.peak)]),
    ),
  );
  for (const c of caps) {
    const n = c.nodes;
    if (!n) {
      out.push(`  ${c.env} nodes: not declared (cluster.nodes), requests not placed`);
      continue;
    }
    const needs = (x: number | undefined) => (x === undefined ? 'a pod fits no node' : String(x));
    out.push(
      `  ${c.env} nodes: ${n.instanceType} (${formatRequests(n.free)} free each), ${n.zones.length} zones x ${n.minPerZone}..${n.maxPerZone}` +
        (n.autoscaler
          ? `, ${n.autoscaler.name} up to ${n.autoscaler.maxNodes} nodes / ${n.autoscaler.maxCores} cores / ${n.autoscaler.maxMemoryGiB}Gi`
          : '') +
        `; needs ${needs(n.neededAtMin)} at minimum, ${needs(n.neededAtPeak)} at peak (+1 for a drain; ${n.available} available)`,
    );
  }
  return out;
}

/** The capacity numbers of `npm run check -- --json`. */
export function capacityJson(input: CheckInput): unknown[] {
  const envs = [...new Set(input.objects.map((m) => m.env))].filter((e) => input.environments[e]?.capacity !== undefined);
  return envs.map((env) => {
    const c = environmentCapacity(env, input);
    const r = (x: Requests) => ({ cpuMillis: x.cpu, memoryBytes: x.memory });
    return {
      env,
      groups: c.groups.map((g) => ({ group: g.group, min: r(g.min), peak: r(g.peak) })),
      perNode: r(c.perNode),
      min: r(c.min),
      peak: r(c.peak),
      ...(c.nodes
        ? {
            nodes: {
              instanceType: c.nodes.instanceType,
              zones: c.nodes.zones,
              minPerZone: c.nodes.minPerZone,
              maxPerZone: c.nodes.maxPerZone,
              free: r(c.nodes.free),
              neededAtMin: c.nodes.neededAtMin ?? null,
              neededAtPeak: c.nodes.neededAtPeak ?? null,
              available: c.nodes.available,
              autoscaler: c.nodes.autoscaler ?? null,
            },
          }
        : {}),
    };
  });
}
