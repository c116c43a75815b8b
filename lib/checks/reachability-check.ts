import type { INetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer';
import type { INetworkPolicyPort } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPort';
import { matchesSelector, podTemplates } from './pod-specs';
import { Check, CheckInput, DeclaredGraph, isKind, ManifestObject, ManifestObjectOf, objectsOf, RuleInfo, Violation } from './types';

type NetworkPolicyObject = ManifestObjectOf<'NetworkPolicy'>;

export const REACHABILITY_RULES: readonly RuleInfo[] = [
  {
    id: 'net/graph',
    family: 'reachability',
    description: 'every namespace with pods declares a service graph whose components select pods',
  },
  {
    id: 'net/extra-flow',
    family: 'reachability',
    description: 'no connection the NetworkPolicies allow that the service graph does not declare',
  },
  { id: 'net/missing-flow', family: 'reachability', description: 'every declared connection is allowed by the NetworkPolicies' },
  { id: 'net/dns', family: 'reachability', description: 'every pod may resolve names (cluster DNS on 53/UDP and 53/TCP)' },
];

/** Address used for "outside the cluster" and for pods when evaluating ipBlock peers. */
const INTERNET_IP = '203.0.113.10';
const POD_IP = '10.244.1.10';
/** Port number standing for "a port nobody declared": allowed only by a rule without ports. */
const ANY_PORT = 0;

/** A set of pods (or the internet) that takes part in the computation. */
interface Group {
  readonly id: string;
  readonly namespace?: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Named container ports (name -> port) and the port/protocol list. */
  readonly namedPorts: Readonly<Record<string, number>>;
  readonly ports: ReadonlyArray<{ port: number; protocol: string }>;
  readonly internet?: boolean;
  readonly external?: boolean;
  /** Probe address of a peer declared by addresses (ipBlock peers match it; no selector does). */
  readonly ip?: string;
  readonly owner?: ManifestObject;
}

/** One computed connection. `port` 0 means "any port". */
export interface ComputedFlow {
  readonly from: string;
  readonly to: string;
  readonly port: number;
  readonly protocol: string;
}

/** Reachability of one namespace: its groups and every allowed connection touching it. */
export interface NamespaceReachability {
  readonly env: string;
  readonly namespace: string;
  /** Sources (rows) and destinations (columns) in display order. */
  readonly sources: readonly string[];
  readonly destinations: readonly string[];
  readonly flows: readonly ComputedFlow[];
}

/**
 * Computes, from NetworkPolicies, namespaces and pod labels, who may reach whom on which port,
 * and compares it with each stack's declared service graph.
 */
export class ReachabilityCheck implements Check {
  public readonly family = 'reachability' as const;
  public readonly rules = REACHABILITY_RULES;

  public run(input: CheckInput): Violation[] {
    return analyze(input).violations;
  }
}

/** Computes the reachability of every namespace with a declared graph, and the violations. */
export function analyze(input: CheckInput): { violations: Violation[]; namespaces: NamespaceReachability[] } {
  const violations: Violation[] = [];
  const namespaces: NamespaceReachability[] = [];
  const envs = [...new Set(input.objects.map((m) => m.env))];
  for (const env of envs) {
    const objects = input.objects.filter((m) => m.env === env);
    const graphs = input.environments[env]?.graphs ?? {};
    const nsLabels = new Map<string, Record<string, string>>();
    for (const m of objects) {
      const name = m.object.metadata?.name;
      if (isKind(m.object, 'Namespace') && name !== undefined)
        nsLabels.set(name, { ...(m.object.metadata?.labels ?? {}), 'kubernetes.io/metadata.name': name });
    }
    const policies = objectsOf(objects, 'NetworkPolicy');
    const templates = podTemplates(objects);
    // Indexes by namespace (in output order), so the work per namespace does not grow with the others.
    const templatesByNs = groupBy(templates, (t) => t.owner.object.metadata?.namespace);
    const context: PolicyContext = {
      policiesByNs: groupBy(policies, (p) => p.object.metadata?.namespace),
      portSpecs: policyPortSpecs(policies),
      selecting: new Map(),
    };

    for (const ns of [...templatesByNs.keys()].sort()) {
      if (!graphs[String(ns)]) {
        const first = templatesByNs.get(ns)![0];
        violations.push({
          rule: 'net/graph',
          object: first.owner,
          message: `namespace ${ns} (${env}) runs pods but declares no service graph; expected a ServiceGraph (default deny + declared flows) for it`,
        });
      }
    }

    for (const [ns, graph] of Object.entries(graphs)) {
      const groups: Group[] = [];
      for (const t of templatesByNs.get(ns) ?? []) {
        const matches = Object.entries(graph.components).filter(([, c]) => matchesSelector({ matchLabels: c.podLabels }, t.labels));
        if (matches.length > 1) {
          violations.push({
            rule: 'net/graph',
            object: t.owner,
            message: `pods match several components (${matches.map(([n]) => n).join(', ')}); expected component labels that select only one workload`,
          });
        }
        const id = matches.length === 1 ? matches[0][0] : `${t.owner.object.kind}/${t.owner.object.metadata?.name}`;
        const namedPorts: Record<string, number> = {};
        const ports: Array<{ port: number; protocol: string }> = [];
        for (const c of [...(t.spec.containers ?? []), ...(t.spec.initContainers ?? [])]) {
          for (const p of c.ports ?? []) {
            if (p.name) namedPorts[p.name] = p.containerPort;
            ports.push({ port: p.containerPort, protocol: p.protocol ?? 'TCP' });
          }
        }
        const existing = groups.find((g) => g.id === id);
        if (existing) {
          Object.assign(existing.namedPorts as Record<string, number>, namedPorts);
          (existing.ports as Array<{ port: number; protocol: string }>).push(...ports);
        } else {
          groups.push({ id, namespace: ns, labels: t.labels, namedPorts, ports, owner: t.owner });
        }
      }
      for (const name of Object.keys(graph.components)) {
        if (!groups.some((g) => g.id === name)) {
          violations.push({
            rule: 'net/graph',
            message: `[${env}] namespace ${ns}: component '${name}' selects no pod template in the output; expected its podLabels to match a workload`,
          });
        }
      }
      const peers: Group[] = [
        ...Object.entries(graph.externals).map(([name, e]) => ({
          id: name,
          namespace: e.namespace,
          labels: e.podLabels ?? {},
          namedPorts: {},
          ports: [],
          external: true,
        })),
        {
          id: 'dns',
          namespace: graph.dns.namespace,
          labels: graph.dns.podLabels ?? {},
          namedPorts: {},
          ports: [
            { port: 53, protocol: 'UDP' },
            { port: 53, protocol: 'TCP' },
          ],
          external: true,
        },
        ...Object.entries(graph.addresses ?? {}).map(([name, cidrs]) => ({
          id: name,
          labels: {},
          namedPorts: {},
          ports: [],
          external: true,
          ip: probeAddress(cidrs[0]),
        })),
        { id: 'internet', labels: {}, namedPorts: {}, ports: [], internet: true },
      ];
      const nsLabelsOf = (g: Group) =>
        g.namespace ? (nsLabels.get(g.namespace) ?? { 'kubernetes.io/metadata.name': g.namespace }) : undefined;
      const flows: ComputedFlow[] = [];
      const all = [...groups, ...peers];
      for (const src of all) {
        for (const dst of all) {
          // A group to itself is a real flow (members of a replica set or cluster talking to each other); a peer to itself is not ours.
          if ((src === dst && !groups.includes(src)) || src.internet) continue;
          if (!groups.includes(src) && !groups.includes(dst)) continue;
          for (const { port, protocol } of candidatePorts(src, dst, context.portSpecs)) {
            if (allowed(src, dst, port, protocol, context, nsLabelsOf)) flows.push({ from: src.id, to: dst.id, port, protocol });
          }
        }
      }
      const rows = [...groups.map((g) => g.id), ...peers.filter((p) => !p.internet && flows.some((f) => f.from === p.id)).map((p) => p.id)];
      const cols = all.filter((g) => flows.some((f) => f.to === g.id)).map((g) => g.id);
      namespaces.push({ env, namespace: ns, sources: unique(rows), destinations: unique(cols), flows });
      violations.push(...compare(env, ns, graph, groups, flows));
    }
  }
  return { violations, namespaces };
}

function unique(list: readonly string[]): string[] {
  return [...new Set(list)];
}

/** The items by key, each list in input order; the keys in order of first appearance. */
function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

/** What {@link direction} and {@link candidatePorts} need of an environment's NetworkPolicies, computed once. */
interface PolicyContext {
  /** NetworkPolicies by namespace, in output order. */
  readonly policiesByNs: ReadonlyMap<string | undefined, readonly NetworkPolicyObject[]>;
  /** The distinct port entries of every rule of every policy, in first-appearance order. */
  readonly portSpecs: ReadonlyArray<{ readonly port: number | string; readonly protocol: string }>;
  /** Per group and policy type: the policies that select its pods (filled on first use). */
  readonly selecting: Map<Group, Map<'Ingress' | 'Egress', readonly NetworkPolicyObject[]>>;
}

/** Every `ports[].port` of every ingress and egress rule, without repeats (a repeat adds no candidate port). */
function policyPortSpecs(policies: readonly NetworkPolicyObject[]): Array<{ port: number | string; protocol: string }> {
  const seen = new Set<string>();
  const out: Array<{ port: number | string; protocol: string }> = [];
  for (const pol of policies) {
    for (const dir of ['ingress', 'egress'] as const) {
      for (const rule of pol.object.spec?.[dir] ?? []) {
        for (const p of rule.ports ?? []) {
          if (typeof p.port !== 'number' && typeof p.port !== 'string') continue;
          const protocol = p.protocol ?? 'TCP';
          const key = `${typeof p.port}:${p.port}/${protocol}`;
          if (seen.has(key)) continue;
          seen.add(key);
          out.push({ port: p.port, protocol });
        }
      }
    }
  }
  return out;
}

function compare(env: string, ns: string, graph: DeclaredGraph, groups: Group[], flows: ComputedFlow[]): Violation[] {
  const out: Violation[] = [];
  const key = (f: { from: string; to: string; port: number; protocol: string }) =>
    `${f.from} -> ${f.to}:${f.port === ANY_PORT ? 'any' : f.port}/${f.protocol}`;
  const declared = new Set(graph.flows.map(key));
  const computed = new Set(flows.map(key));
  const owner = (name: string) => groups.find((g) => g.id === name)?.owner;
  for (const f of flows) {
    if (f.to === 'dns' && f.port === 53) continue;
    if (!declared.has(key(f))) {
      out.push({
        rule: 'net/extra-flow',
        object: owner(f.to) ?? owner(f.from),
        message: `[${env}] ${ns}: NetworkPolicies allow ${key(f)}, which the service graph does not declare; expected only declared flows`,
      });
    }
  }
  for (const f of graph.flows) {
    if (!computed.has(key(f))) {
      out.push({
        rule: 'net/missing-flow',
        object: owner(f.from) ?? owner(f.to),
        message: `[${env}] ${ns}: the service graph declares ${key(f)} but the NetworkPolicies do not allow it`,
      });
    }
  }
  for (const g of groups) {
    for (const protocol of ['UDP', 'TCP']) {
      if (!computed.has(key({ from: g.id, to: 'dns', port: 53, protocol }))) {
        out.push({
          rule: 'net/dns',
          object: g.owner,
          message: `[${env}] ${ns}: ${g.id} cannot reach cluster DNS on 53/${protocol}; expected DNS egress for every pod`,
        });
      }
    }
  }
  return out;
}

/** Ports worth testing from src to dst: dst's container ports, every port any policy names, and "any". */
function candidatePorts(src: Group, dst: Group, portSpecs: PolicyContext['portSpecs']): Array<{ port: number; protocol: string }> {
  const out = new Map<string, { port: number; protocol: string }>();
  const add = (port: number, protocol: string) => out.set(`${port}/${protocol}`, { port, protocol });
  for (const p of dst.ports) add(p.port, p.protocol);
  for (const p of portSpecs) {
    const n = typeof p.port === 'number' ? p.port : (dst.namedPorts[p.port] ?? src.namedPorts[p.port]);
    if (n !== undefined) add(n, p.protocol);
  }
  add(ANY_PORT, 'TCP');
  return [...out.values()];
}

type NsLabels = (g: Group) => Record<string, string> | undefined;

function allowed(src: Group, dst: Group, port: number, protocol: string, context: PolicyContext, nsLabelsOf: NsLabels): boolean {
  return (
    direction('Egress', src, dst, port, protocol, context, nsLabelsOf) &&
    direction('Ingress', dst, src, port, protocol, context, nsLabelsOf)
  );
}

/** Whether `subject`'s policies of one direction allow the connection with `peer` (subject = source for Egress, destination for Ingress). */
function direction(
  type: 'Ingress' | 'Egress',
  subject: Group,
  peer: Group,
  port: number,
  protocol: string,
  context: PolicyContext,
  nsLabelsOf: NsLabels,
): boolean {
  if (subject.internet || subject.external || !subject.namespace) return true; // not governed by the policies in this output
  const selecting = selectingPolicies(type, subject, context);
  if (selecting.length === 0) return true;
  const dst = type === 'Egress' ? peer : subject;
  for (const p of selecting) {
    const policyNamespace = p.object.metadata?.namespace;
    const rules =
      type === 'Egress'
        ? (p.object.spec?.egress ?? []).map((r) => ({ peers: r.to, ports: r.ports }))
        : (p.object.spec?.ingress ?? []).map((r) => ({ peers: r.from, ports: r.ports }));
    for (const rule of rules) {
      const peers = rule.peers;
      const peerOk = !peers || peers.length === 0 || peers.some((x) => peerMatches(x, peer, policyNamespace, nsLabelsOf));
      if (peerOk && portMatches(rule.ports, port, protocol, dst)) return true;
    }
  }
  return false;
}

/** The policies of `subject`'s namespace of one type that select its pods, in output order (remembered per group). */
function selectingPolicies(type: 'Ingress' | 'Egress', subject: Group, context: PolicyContext): readonly NetworkPolicyObject[] {
  let byType = context.selecting.get(subject);
  if (!byType) {
    byType = new Map();
    context.selecting.set(subject, byType);
  }
  let selecting = byType.get(type);
  if (!selecting) {
    selecting = (context.policiesByNs.get(subject.namespace) ?? []).filter((p) => {
      const o = p.object;
      const types = o.spec?.policyTypes ?? (o.spec?.egress ? ['Ingress', 'Egress'] : ['Ingress']);
      return types.includes(type) && matchesSelector(o.spec?.podSelector ?? {}, subject.labels);
    });
    byType.set(type, selecting);
  }
  return selecting;
}

function peerMatches(peer: INetworkPolicyPeer, g: Group, policyNamespace: string | undefined, nsLabelsOf: NsLabels): boolean {
  if (peer.ipBlock) return cidrMatches(peer.ipBlock, g.ip ?? (g.internet ? INTERNET_IP : POD_IP));
  if (g.internet || g.ip !== undefined) return false;
  if (peer.namespaceSelector) {
    const labels = nsLabelsOf(g);
    if (!labels || !matchesSelector(peer.namespaceSelector, labels)) return false;
  } else if (g.namespace !== policyNamespace) {
    return false;
  }
  return peer.podSelector ? matchesSelector(peer.podSelector, g.labels) : true;
}

function portMatches(ports: readonly INetworkPolicyPort[] | undefined, port: number, protocol: string, dst: Group): boolean {
  if (!ports || ports.length === 0) return true;
  if (port === ANY_PORT) return false;
  return ports.some((p) => {
    if ((p.protocol ?? 'TCP') !== protocol) return false;
    if (p.port === undefined) return true;
    const n = typeof p.port === 'number' ? p.port : dst.namedPorts[p.port];
    if (n === undefined) return false;
    return p.endPort ? port >= n && port <= p.endPort : port === n;
  });
}

/** An address inside an IPv4 CIDR that stands for it: the first host address (the address itself for a /32 or /31). */
function probeAddress(cidr: string): string {
  const [base, bits] = cidr.split('/');
  const n = Number(bits);
  const mask = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
  const first = ((ipToInt(base) & mask) >>> 0) + (n >= 31 ? 0 : 1);
  return [24, 16, 8, 0].map((shift) => (first >>> shift) & 255).join('.');
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

/** inCidr per probe address and block (the probes are two fixed addresses, the blocks few). */
const cidrCache = new Map<string, boolean>();
function inCidr(ip: string, cidr: string): boolean {
  const key = `${ip} ${cidr}`;
  let hit = cidrCache.get(key);
  if (hit === undefined) {
    hit = computeInCidr(ip, cidr);
    if (cidrCache.size < 10000) cidrCache.set(key, hit);
  }
  return hit;
}

function computeInCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const n = Number(bits);
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(base)) return false; // IPv6 blocks never match the IPv4 probes
  const mask = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
  return (ipToInt(ip) & mask) >>> 0 === (ipToInt(base) & mask) >>> 0;
}

function cidrMatches(block: { readonly cidr: string; readonly except?: readonly string[] }, ip: string): boolean {
  return inCidr(ip, block.cidr) && !(block.except ?? []).some((e) => inCidr(ip, e));
}

/** Renders a reachability matrix: rows are sources, columns destinations, cells the allowed ports. */
export function formatMatrix(r: NamespaceReachability, maxWidth = 160): string {
  const cell = (from: string, to: string) => {
    const ports = r.flows.filter((f) => f.from === from && f.to === to);
    if (ports.length === 0) return '.';
    const byPort = new Map<number, string[]>();
    for (const f of ports) byPort.set(f.port, [...(byPort.get(f.port) ?? []), f.protocol]);
    return [...byPort.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([p, protos]) => `${p === ANY_PORT ? 'ANY' : p}${protos.includes('UDP') ? (protos.includes('TCP') ? '' : '/udp') : ''}`)
      .join(',');
  };
  const cols = r.destinations;
  const rowHead = Math.max(9, ...r.sources.map((s) => s.length));
  const widths = cols.map((c) => Math.max(c.length, ...r.sources.map((s) => cell(s, c).length)));
  const line = (first: string, cells: readonly string[]) =>
    `${first.padEnd(rowHead)}  ${cells.map((c, i) => c.padEnd(widths[i])).join('  ')}`.trimEnd().slice(0, maxWidth);
  return [
    line('from\\to', cols),
    ...r.sources.map((s) =>
      line(
        s,
        cols.map((c) => cell(s, c)),
      ),
    ),
  ].join('\n');
}
