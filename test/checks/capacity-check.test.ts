/*
 * Node drains and capacity (issue 15): the `disruption` and `capacity` check families on bad
 * input, and the proof over the synthesized prod output that a drain of any one node of a
 * 3-node, 3-zone cluster keeps every service at its PDB's promise and that the autoscaler's
 * limits cover every HPA at maxReplicas plus the platform.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  CheckInput,
  DeclaredCapacity,
  DRAIN_BLOCKING_ANNOTATION,
  environmentCapacity,
  formatCapacity,
  loadConstructMetadata,
  loadManifests,
  ManifestObject,
  runChecks,
} from '../../lib/checks';
import { nodesNeeded } from '../../lib/checks/capacity-check';
import { podTemplateOf } from '../../lib/checks/pod-specs';
import { loadEnvironments } from '../../config';
import { declaredCapacity, platformReleasesFor } from '../../config/platform-charts';
import { synthesizeAll } from '../../main';
import { Doc } from '../support/doc';
import { goodDeployment, manifests } from './helpers';

const run = (input: CheckInput) => runChecks(input, ['disruption', 'capacity']).violations;
const rules = (input: CheckInput) => run(input).map((v) => v.rule);
const facts = (capacity?: DeclaredCapacity) => ({ dev: { monitoringRelease: 'kps', graphs: {}, ...(capacity ? { capacity } : {}) } });

/** A Deployment of `replicas` pods requesting `cpu`/`memory` each, zone-spread with the given taints policy. */
function deployment(o: { name?: string; replicas?: number; cpu?: string; memory?: string; taints?: 'Honor' | 'Ignore' | null }): Doc {
  const d = goodDeployment({ name: o.name ?? 'web', replicas: o.replicas ?? 3 });
  const spec = d.spec.template.spec;
  spec.containers[0].resources = {
    requests: { cpu: o.cpu ?? '100m', memory: o.memory ?? '128Mi' },
    limits: { memory: o.memory ?? '128Mi' },
  };
  if (o.taints !== null) {
    spec.topologySpreadConstraints = [
      {
        maxSkew: 1,
        topologyKey: 'topology.kubernetes.io/zone',
        whenUnsatisfiable: 'DoNotSchedule',
        ...(o.taints && o.taints !== 'Ignore' ? { nodeTaintsPolicy: o.taints } : {}),
        labelSelector: { matchLabels: { 'app.kubernetes.io/name': o.name ?? 'web' } },
      },
    ];
  }
  return d;
}

function pdb(spec: Record<string, unknown>, annotations?: Record<string, string>, name = 'web'): Doc {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace: 'shop', ...(annotations ? { annotations } : {}) },
    spec: { ...spec, selector: { matchLabels: { 'app.kubernetes.io/name': name } } },
  };
}

function nodes(
  o: { zones?: number; min?: number; max?: number; autoscaler?: boolean; cpu?: string; memory?: string } = {},
): DeclaredCapacity {
  const zones = Array.from({ length: o.zones ?? 3 }, (_, i) => `zone-${i}`);
  const max = o.max ?? o.min ?? 1;
  return {
    nodes: {
      zones,
      minPerZone: o.min ?? 1,
      maxPerZone: max,
      instanceType: 'test.large',
      capacity: { cpu: '2', memory: '8Gi' },
      allocatable: { cpu: o.cpu ?? '2', memory: o.memory ?? '8Gi' },
      ...(o.autoscaler
        ? {
            autoscaler: {
              name: 'cluster-autoscaler',
              maxNodes: zones.length * max,
              maxCores: zones.length * max * 2,
              maxMemoryGiB: zones.length * max * 8,
            },
          }
        : {}),
    },
    platform: [{ name: 'node-agent', replicas: 1, perNode: true, cpu: '100m', memory: '128Mi' }],
  };
}

describe('drain/spread-honors-taints', () => {
  test('fires on a DoNotSchedule zone spread without nodeTaintsPolicy Honor, naming the field and the fix', () => {
    for (const taints of ['Ignore', undefined] as const) {
      const v = run({ objects: manifests([deployment({ taints })]), environments: facts() });
      expect(v.map((x) => [x.rule, x.field])).toEqual([
        ['drain/spread-honors-taints', 'spec.template.spec.topologySpreadConstraints[0].nodeTaintsPolicy'],
      ]);
      expect(v[0].message).toMatch(/DoNotSchedule with nodeTaintsPolicy unset \(Ignore\).*Expected nodeTaintsPolicy: Honor/);
    }
  });

  test('passes with Honor, and ScheduleAnyway spreads and workloads without spread are left alone', () => {
    const soft = deployment({ name: 'soft' });
    soft.spec.template.spec.topologySpreadConstraints[0].whenUnsatisfiable = 'ScheduleAnyway';
    expect(
      rules({
        objects: manifests([deployment({ taints: 'Honor' }), soft, deployment({ name: 'plain', taints: null })]),
        environments: facts(),
      }),
    ).toEqual([]);
  });
});

describe('drain/pdb-allows-eviction', () => {
  test.each([
    [{ minAvailable: 3 }, 'spec.minAvailable'],
    [{ minAvailable: '100%' }, 'spec.minAvailable'],
    [{ maxUnavailable: 0 }, 'spec.maxUnavailable'],
    [{ maxUnavailable: '0%' }, 'spec.maxUnavailable'],
  ])('fires when %j allows no eviction of 3 replicas', (spec, field) => {
    const v = run({ objects: manifests([deployment({ taints: 'Honor' }), pdb(spec)]), environments: facts() });
    expect(v.map((x) => [x.rule, x.field])).toEqual([['drain/pdb-allows-eviction', field]]);
    expect(v[0].message).toContain('allows no eviction of Deployment shop/web at its minimum 3 replica(s)');
    expect(v[0].message).toContain(DRAIN_BLOCKING_ANNOTATION);
  });

  test("reads the minimum from the workload's HPA: minAvailable 2 blocks at minReplicas 2", () => {
    const d = deployment({ taints: 'Honor' });
    delete d.spec.replicas;
    const hpa = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 6 },
    };
    expect(rules({ objects: manifests([d, hpa, pdb({ minAvailable: 2 })]), environments: facts() })).toEqual(['drain/pdb-allows-eviction']);
    expect(rules({ objects: manifests([d, hpa, pdb({ minAvailable: 1 })]), environments: facts() })).toEqual([]);
  });

  test('a single replica with maxUnavailable 0 blocks a drain: fires, unless annotated as intentionally blocking', () => {
    const one = deployment({ replicas: 1, taints: 'Honor' });
    expect(rules({ objects: manifests([one, pdb({ maxUnavailable: 0 })]), environments: facts() })).toEqual(['drain/pdb-allows-eviction']);
    const annotated = pdb({ maxUnavailable: 0 }, { [DRAIN_BLOCKING_ANNOTATION]: 'primary: promote the replica first (README)' });
    expect(rules({ objects: manifests([one, annotated]), environments: facts() })).toEqual([]);
    // an empty reason is no reason
    expect(
      rules({ objects: manifests([one, pdb({ maxUnavailable: 0 }, { [DRAIN_BLOCKING_ANNOTATION]: ' ' })]), environments: facts() }),
    ).toEqual(['drain/pdb-allows-eviction']);
  });

  test('maxUnavailable 1 and minAvailable replicas-1 pass', () => {
    for (const spec of [{ maxUnavailable: 1 }, { minAvailable: 2 }, { maxUnavailable: '34%' }])
      expect(rules({ objects: manifests([deployment({ taints: 'Honor' }), pdb(spec)]), environments: facts() })).toEqual([]);
  });
});

describe('drain/capacity-after-drain', () => {
  // 3 nodes of 2 CPU, 100m per node for the node agent: 1.9 CPU free each
  test('fires when the pods at minimum fit on the fixed nodes but not with one drained', () => {
    const objects = manifests([deployment({ replicas: 3, cpu: '1200m', taints: 'Honor' })]);
    const v = run({ objects, environments: facts(nodes()) });
    // (at peak, with the rollout's surge pod, the three nodes are short too)
    expect(v.map((x) => x.rule)).toEqual(['drain/capacity-after-drain', 'capacity/peak-fits']);
    expect(v[0].message).toMatch(/take 3 test\.large node\(s\), but with one of the 3 node\(s\) drained only 2 remain \(no autoscaler\)/);
    expect(v[0].message).toContain('cluster.nodes.minPerZone raised so that zones x it >= 4');
  });

  test('passes with room for the evicted pods, or with an autoscaler that may add a node', () => {
    const objects = manifests([deployment({ replicas: 3, cpu: '1200m', taints: 'Honor' })]);
    expect(rules({ objects, environments: facts(nodes({ min: 2 })) })).toEqual([]);
    expect(rules({ objects, environments: facts(nodes({ max: 2, autoscaler: true })) })).toEqual([]);
    expect(
      rules({ objects: manifests([deployment({ replicas: 3, cpu: '600m', taints: 'Honor' })]), environments: facts(nodes()) }),
    ).toEqual([]);
  });
});

describe('capacity rules', () => {
  test('capacity/pod-fits-node fires on a pod larger than a node less its per-node pods', () => {
    const v = run({ objects: manifests([deployment({ replicas: 1, cpu: '1950m', taints: 'Honor' })]), environments: facts(nodes()) });
    expect(v.map((x) => x.rule)).toEqual(['capacity/pod-fits-node']);
    expect(v[0].message).toContain('requests 1.95 CPU / 0.1Gi per pod, more than a test.large node has free (1.9 CPU / 7.9Gi');
  });

  test('capacity/peak-fits fires when HPA maxReplicas outgrows the nodes the autoscaler may add', () => {
    const d = deployment({ cpu: '900m', taints: 'Honor' });
    delete d.spec.replicas;
    const hpa = (max: number) => ({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 3, maxReplicas: max },
    });
    const env = facts(nodes({ max: 2, autoscaler: true })); // 6 nodes, 2 pods of 900m each
    expect(rules({ objects: manifests([d, hpa(6)]), environments: env })).toEqual([]);
    const v = run({ objects: manifests([d, hpa(12)]), environments: env });
    expect(v.map((x) => x.rule)).toEqual(['capacity/peak-fits']);
    expect(v[0].message).toMatch(/take 8 test\.large node\(s\), 9 with one drained; the cluster allows 6 node\(s\) at most/);
    expect(v[0].message).toContain('--max-nodes-total 6');
    expect(v[0].message).toContain('Expected cluster.nodes.maxPerZone >= 3');
  });

  test('capacity/peak-fits fires when the autoscaler limits are below the nodes needed', () => {
    const capped = nodes({ max: 3, autoscaler: true });
    const tight: DeclaredCapacity = {
      ...capped,
      nodes: { ...capped.nodes!, autoscaler: { name: 'ca', maxNodes: 3, maxCores: 6, maxMemoryGiB: 24 } },
    };
    const v = run({ objects: manifests([deployment({ replicas: 6, cpu: '900m', taints: 'Honor' })]), environments: facts(tight) });
    expect(v.map((x) => x.rule)).toEqual(['capacity/peak-fits']);
    expect(v[0].message).toContain('ca --max-nodes-total 3, ca --cores-total max 6, ca --memory-total max 24Gi');
  });

  test('nodesNeeded packs first-fit decreasing on CPU and memory, and refuses a pod that fits no node', () => {
    const free = { cpu: 1000, memory: 1000 };
    expect(
      nodesNeeded(
        [
          { cpu: 600, memory: 100 },
          { cpu: 500, memory: 100 },
          { cpu: 400, memory: 100 },
          { cpu: 500, memory: 100 },
        ],
        free,
      ),
    ).toBe(2);
    expect(
      nodesNeeded(
        [
          { cpu: 100, memory: 700 },
          { cpu: 100, memory: 700 },
        ],
        free,
      ),
    ).toBe(2);
    expect(nodesNeeded([{ cpu: 1001, memory: 1 }], free)).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------
// The proof over the synthesized output
// ---------------------------------------------------------------------------------------------

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'capacity-'));
let input: CheckInput;
beforeAll(() => {
  synthesizeAll(outdir, { recordMetadata: true });
  input = { objects: loadManifests(outdir), environments: loadConstructMetadata(outdir)!.environments };
});
afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

interface Spread {
  readonly maxSkew: number;
  readonly topologyKey: string;
  readonly whenUnsatisfiable: string;
  readonly nodeTaintsPolicy?: string;
}

/**
 * What the scheduler's PodTopologySpread filter does during a drain of the node of zone `drained`
 * on a cluster of one node per zone: the pods start spread evenly, the drained node is cordoned
 * (tainted unschedulable, which no workload tolerates) and its pods are evicted one by one; each
 * goes to a node whose zone keeps every DoNotSchedule constraint's skew (count + 1 - the minimum
 * over the eligible domains: every zone with nodeTaintsPolicy Ignore, the uncordoned ones with
 * Honor) within maxSkew. A pod whose volume is pinned to its zone (a StatefulSet's PVC) has nowhere
 * to go. Returns the pods running once the drain is done.
 */
function drain(replicas: number, zones: number, drained: number, spread: readonly Spread[], zonePinned: boolean): number {
  const count = Array.from({ length: zones }, (_, z) => Math.floor(replicas / zones) + (z < replicas % zones ? 1 : 0));
  const evicted = count[drained];
  count[drained] = 0;
  if (zonePinned) return replicas - evicted;
  for (let i = 0; i < evicted; i++) {
    const candidates = count
      .map((c, z) => ({ c, z }))
      .filter(({ z }) => z !== drained)
      .filter(({ c }) =>
        spread
          .filter((s) => s.whenUnsatisfiable === 'DoNotSchedule')
          .every((s) => {
            const eligible = count.filter((_, z) => s.nodeTaintsPolicy !== 'Honor' || z !== drained);
            return c + 1 - Math.min(...eligible) <= s.maxSkew;
          }),
      )
      .sort((a, b) => a.c - b.c);
    if (candidates.length === 0) continue; // Pending for the whole drain
    count[candidates[0].z]++;
  }
  return count.reduce((a, b) => a + b, 0);
}

/** Every long-running workload of prod with a PDB: its replicas at minimum, spread, PDB and whether its volume pins it to a zone. */
function prodWorkloads(objects: readonly ManifestObject[]) {
  const prod = objects.filter((m) => m.env === 'prod');
  const hpas = prod.filter((m) => m.object.kind === 'HorizontalPodAutoscaler').map((m) => m.object as Doc);
  const pdbs = prod.filter((m) => m.object.kind === 'PodDisruptionBudget').map((m) => m.object as Doc);
  return prod.flatMap((m) => {
    const t = podTemplateOf(m);
    if (!t?.longRunning) return [];
    const o = m.object as Doc;
    const hpa = hpas.find((h) => h.metadata.namespace === o.metadata.namespace && h.spec.scaleTargetRef.name === o.metadata.name);
    const budget = pdbs.find(
      (p) =>
        p.metadata.namespace === o.metadata.namespace &&
        Object.entries(p.spec.selector.matchLabels as Record<string, string>).every(([k, v]) => t.labels[k] === v),
    );
    return [
      {
        name: `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`,
        replicas: (hpa?.spec.minReplicas ?? o.spec.replicas ?? 1) as number,
        spread: t.spec.topologySpreadConstraints ?? [],
        pdb: budget?.spec as { maxUnavailable?: number; minAvailable?: number } | undefined,
        drainBlocking: budget?.metadata.annotations?.[DRAIN_BLOCKING_ANNOTATION] !== undefined,
        zonePinned: o.kind === 'StatefulSet' && (o.spec.volumeClaimTemplates ?? []).length > 0,
      },
    ];
  });
}

describe('the synthesized prod output on a 3-node, 3-zone cluster', () => {
  const zones = () => loadEnvironments().find((e) => e.name === 'prod')!.cluster.nodes!.zones.length;

  test('a drain of any one node keeps every workload with a PDB at its promise: stateless ones back at full replicas, zone-pinned ones at replicas - 1', () => {
    const withPdb = prodWorkloads(input.objects).filter((w) => w.pdb);
    // Only the PostgreSQL primaries block a drain on purpose (until an operator fails over to the standby), and say so.
    expect(withPdb.filter((w) => w.drainBlocking).map((w) => w.name)).toEqual([
      'StatefulSet pagodirecto/postgres',
      'StatefulSet wondernest/postgres',
    ]);
    const workloads = withPdb.filter((w) => !w.drainBlocking);
    expect(workloads.map((w) => w.name)).toEqual(
      expect.arrayContaining([
        'Deployment wondernest/api',
        'Deployment pagodirecto/backend',
        'Deployment ecommerce/gateway',
        'StatefulSet ecommerce/mongodb',
      ]),
    );
    const results = workloads.flatMap((w) => {
      expect(w.pdb).toMatchObject({ maxUnavailable: 1 });
      return Array.from({ length: zones() }, (_, z) => {
        const running = drain(w.replicas, zones(), z, w.spread, w.zonePinned);
        const promise = w.replicas - 1;
        // a zone-pinned pod waits for its node; one per node (replicas <= zones) so the PDB lets the drain finish
        return { name: w.name, zone: z, ok: w.zonePinned ? running >= promise && w.replicas <= zones() : running === w.replicas };
      });
    });
    expect(results.filter((r) => !r.ok)).toEqual([]);
  });

  test('without nodeTaintsPolicy Honor (the earlier output) the evicted api pod stays Pending, and drain/spread-honors-taints fires', () => {
    const api = prodWorkloads(input.objects).find((w) => w.name === 'Deployment wondernest/api')!;
    const ignore = api.spread.map(({ nodeTaintsPolicy: _p, ...s }) => s);
    expect(drain(api.replicas, zones(), 0, ignore, false)).toBe(api.replicas - 1);
    expect(drain(api.replicas, zones(), 0, api.spread, false)).toBe(api.replicas);

    const stripped = input.objects.map((m) => {
      if (m.env !== 'prod' || m.object.kind !== 'Deployment') return m;
      const o = JSON.parse(JSON.stringify(m.object));
      for (const s of o.spec.template.spec.topologySpreadConstraints ?? []) delete s.nodeTaintsPolicy;
      return { ...m, object: o };
    });
    const fired = runChecks({ ...input, objects: stripped }, ['disruption']).violations.filter(
      (v) => v.rule === 'drain/spread-honors-taints',
    );
    expect(fired.map((v) => v.object?.object.metadata?.name)).toEqual(expect.arrayContaining(['api', 'backend', 'gateway', 'frontend']));
  });

  test('the autoscaler limits cover every HPA at maxReplicas plus the platform with a node to spare for a drain', () => {
    const c = environmentCapacity('prod', input);
    const n = c.nodes!;
    expect(n.autoscaler!.name).toBe('cluster-autoscaler');
    expect(n.neededAtPeak! + 1).toBeLessThanOrEqual(n.autoscaler!.maxNodes);
    expect(n.neededAtPeak! + 1).toBeLessThanOrEqual(n.available);
    // the peak is the stacks at HPA max (+ surge) and the platform: more than the minimum, and more than 3 nodes hold
    expect(c.peak.cpu).toBeGreaterThan(c.min.cpu);
    expect(n.neededAtPeak).toBeGreaterThan(3);
    expect(c.groups.map((g) => g.group).sort()).toEqual(['ecommerce', 'pagodirecto', 'platform', 'wondernest']);
    expect(runChecks(input, ['disruption', 'capacity']).violations).toEqual([]);
    expect(formatCapacity(input).join('\n')).toContain(`cluster-autoscaler up to ${n.autoscaler!.maxNodes} nodes`);
  });

  test("capacity/peak-fits fires when a stack's maxReplicas is raised beyond what the autoscaler may add", () => {
    const raised = input.objects.map((m) => {
      if (m.env !== 'prod' || m.object.kind !== 'HorizontalPodAutoscaler' || m.object.metadata?.name !== 'api') return m;
      return { ...m, object: { ...m.object, spec: { ...(m.object.spec as Doc), maxReplicas: 40 } } };
    });
    const v = runChecks({ ...input, objects: raised }, ['capacity']).violations;
    expect(v.map((x) => x.rule)).toEqual(['capacity/peak-fits']);
    const nodes = loadEnvironments().find((e) => e.name === 'prod')!.cluster.nodes!;
    expect(v[0].message).toContain(`the cluster allows ${nodes.zones.length * nodes.maxPerZone} node(s) at most`);
  });

  test('the Cluster Autoscaler release carries the limits the checks used and the IRSA role', () => {
    const prod = loadEnvironments().find((e) => e.name === 'prod')!;
    const ca = platformReleasesFor(prod).find((r) => r.name === 'cluster-autoscaler')!;
    const limits = declaredCapacity(prod).nodes!.autoscaler!;
    const values = ca.values as Doc;
    expect(values.extraArgs).toMatchObject({
      'max-nodes-total': limits.maxNodes,
      'cores-total': `0:${limits.maxCores}`,
      'memory-total': `0:${limits.maxMemoryGiB}`,
    });
    expect(values.rbac.serviceAccount.annotations).toEqual({ 'eks.amazonaws.com/role-arn': prod.cluster.autoscaler!.roleArn });
    expect(values.autoDiscovery).toEqual({ clusterName: prod.cluster.name });
    expect(limits.maxNodes).toBe(prod.cluster.nodes!.zones.length * prod.cluster.nodes!.maxPerZone);
  });
});
