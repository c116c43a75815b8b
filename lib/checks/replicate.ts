/**
 * A synthetic, larger check input for `npm run bench`: the real output copied N times, each copy
 * in its own namespaces, so the checks' cost can be measured against object count.
 */
import { CheckInput, DeclaredCapacity, DeclaredGraph, EnvironmentFacts, KubeObject, ManifestObject } from './types';

/** Every namespace the input names: objects' namespaces, Namespace objects, and the declared graphs' namespaces. */
export function namespacesOf(input: CheckInput): Set<string> {
  const out = new Set<string>();
  for (const m of input.objects) {
    const ns = m.object.metadata?.namespace;
    if (ns) out.add(ns);
    if (m.object.kind === 'Namespace' && m.object.metadata?.name) out.add(m.object.metadata.name);
  }
  for (const facts of Object.values(input.environments)) {
    for (const [key, g] of Object.entries(facts.graphs)) {
      out.add(key);
      out.add(g.namespace);
      out.add(g.dns.namespace);
      for (const e of Object.values(g.externals)) out.add(e.namespace);
    }
  }
  return out;
}

/** A deep copy of a JSON value with every string that is a namespace name renamed (keys are kept). */
function renameStrings<T>(value: T, rename: (s: string) => string): T {
  if (typeof value === 'string') return rename(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => renameStrings(v, rename)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = renameStrings(v, rename);
    return out as T;
  }
  return value;
}

/**
 * The input `copies` times: copy 0 is the input itself, copy j has every namespace `x` (and every
 * string equal to a namespace name, so selectors, references, graphs and labels stay consistent)
 * renamed to `x-c<j>`, and its files under `<env>/c<j>/`. The checks find in each copy what they
 * find in the original.
 */
export function replicateInput(input: CheckInput, copies: number): CheckInput {
  const namespaces = namespacesOf(input);
  const objects: ManifestObject[] = [...input.objects];
  const environments: Record<string, EnvironmentFacts> = { ...input.environments };
  for (let j = 1; j < copies; j++) {
    const rename = (s: string) => (namespaces.has(s) ? `${s}-c${j}` : s);
    for (const m of input.objects) {
      const slash = m.file.indexOf('/');
      objects.push({
        ...m,
        file: slash < 0 ? `c${j}/${m.file}` : `${m.file.slice(0, slash)}/c${j}${m.file.slice(slash)}`,
        object: renameStrings<KubeObject>(m.object, rename),
      });
    }
    for (const [env, facts] of Object.entries(input.environments)) {
      const graphs: Record<string, DeclaredGraph> = { ...environments[env].graphs };
      for (const [ns, g] of Object.entries(facts.graphs)) graphs[rename(ns)] = renameStrings(g, rename);
      const databases = [
        ...(environments[env].databases ?? []),
        ...(facts.databases ?? []).map((d) => ({ ...d, namespace: rename(d.namespace) })),
      ];
      environments[env] = { ...environments[env], graphs, databases };
      if (facts.capacity) environments[env] = { ...environments[env], capacity: scaleCapacity(facts.capacity, j + 1) };
    }
  }
  return { objects, environments };
}

/**
 * The declared cluster of `copies` copies of an environment: nodes, autoscaler limits and
 * platform pods (not the per-node ones) times `copies`, so each copy has the room the original has
 * and the capacity checks find in the copies what they find in the original.
 */
function scaleCapacity(c: DeclaredCapacity, copies: number): DeclaredCapacity {
  const platform = c.platform.map((p) => (p.perNode ? p : { ...p, replicas: p.replicas * copies }));
  if (!c.nodes) return { platform };
  const a = c.nodes.autoscaler;
  return {
    platform,
    nodes: {
      ...c.nodes,
      minPerZone: c.nodes.minPerZone * copies,
      maxPerZone: c.nodes.maxPerZone * copies,
      ...(a
        ? { autoscaler: { ...a, maxNodes: a.maxNodes * copies, maxCores: a.maxCores * copies, maxMemoryGiB: a.maxMemoryGiB * copies } }
        : {}),
    },
  };
}
