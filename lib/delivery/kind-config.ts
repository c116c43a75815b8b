import { parse } from 'yaml';
import { dnsLabel } from '../core/formats';

/** What the bootstrap needs to know about kind-config.yaml. */
export interface KindClusterConfig {
  /** Cluster name (`name:`); the kube context is `kind-<name>`. */
  readonly name: string;
  readonly nodes: ReadonlyArray<{
    readonly role: 'control-plane' | 'worker';
    readonly labels: Readonly<Record<string, string>>;
    readonly portMappings: ReadonlyArray<{
      readonly containerPort: number;
      readonly hostPort: number;
      readonly protocol: string;
      readonly listenAddress?: string;
    }>;
  }>;
}

/** How the ingress controller is expected to be exposed (config/platform-charts.ts KIND_INGRESS). */
export interface KindIngressExpectation {
  readonly nodeLabel: { readonly key: string; readonly value: string };
  readonly httpNodePort: number;
  readonly httpsNodePort: number;
  readonly hostHttpPort: number;
  readonly hostHttpsPort: number;
}

/**
 * Parses a kind cluster configuration.
 * @throws naming the file and the field when it is not a kind `Cluster` with a name and nodes
 */
export function parseKindConfig(text: string, file = 'kind-config.yaml'): KindClusterConfig {
  let parsed: unknown;
  try {
    parsed = parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid YAML: ${(e as Error).message}`, { cause: e });
  }
  // kind's own config format (kind.x-k8s.io/v1alpha4 Cluster): no typed model in our dependencies, read field by field.
  const doc = (parsed ?? {}) as RawKindConfig;
  if (doc.kind !== 'Cluster' || !(typeof doc.apiVersion === 'string' && doc.apiVersion.startsWith('kind.x-k8s.io/'))) {
    throw new Error(
      `${file}: got kind ${JSON.stringify(doc.kind)} apiVersion ${JSON.stringify(doc.apiVersion)}; expected kind: Cluster, apiVersion: kind.x-k8s.io/v1alpha4`,
    );
  }
  const name = doc.name;
  if (!dnsLabel.test(name)) {
    throw new Error(`${file}: name: got ${JSON.stringify(doc.name)}; expected the cluster name, ${dnsLabel.expected}`);
  }
  const nodes: readonly RawKindNode[] = Array.isArray(doc.nodes) ? doc.nodes : [];
  if (nodes.length === 0) throw new Error(`${file}: nodes: got ${JSON.stringify(doc.nodes)}; expected at least one node`);
  return {
    name,
    nodes: nodes.map((n, i) => {
      const role = n?.role;
      if (role !== 'control-plane' && role !== 'worker')
        throw new Error(`${file}: nodes[${i}].role: got ${JSON.stringify(role)}; expected 'control-plane' or 'worker'`);
      return {
        role,
        labels: Object.fromEntries(Object.entries(n.labels ?? {}).map(([k, v]) => [k, String(v)])),
        portMappings: (n.extraPortMappings ?? []).map((m) => ({
          containerPort: Number(m.containerPort),
          hostPort: Number(m.hostPort),
          protocol: scalarText(m.protocol ?? 'TCP'),
          ...(m.listenAddress !== undefined ? { listenAddress: scalarText(m.listenAddress) } : {}),
        })),
      };
    }),
  };
}

/** A YAML scalar as text (`TCP`, `127.0.0.1`); anything else as JSON. */
function scalarText(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}

/** kind-config.yaml as parsed: every field may be missing or of the wrong type. */
interface RawKindConfig {
  readonly kind?: unknown;
  readonly apiVersion?: unknown;
  readonly name?: unknown;
  readonly nodes?: unknown;
}
interface RawKindNode {
  readonly role?: unknown;
  readonly labels?: Readonly<Record<string, unknown>>;
  readonly extraPortMappings?: ReadonlyArray<Readonly<Record<'containerPort' | 'hostPort' | 'protocol' | 'listenAddress', unknown>>>;
}

/**
 * Checks a kind configuration against what the bootstrap installs: the cluster name of the
 * environment, host ports 80/443 mapped to the ingress controller's NodePorts on the node labelled
 * for the ingress, and at least two workers in different zones (to exercise PDBs and spreading).
 * @returns the problems, each naming the field, the value and what is expected (empty when it matches)
 */
export function kindConfigProblems(
  config: KindClusterConfig,
  expected: { readonly clusterName: string; readonly ingress: KindIngressExpectation },
  file = 'kind-config.yaml',
): string[] {
  const problems: string[] = [];
  if (config.name !== expected.clusterName) {
    problems.push(`${file}: name: got '${config.name}'; expected '${expected.clusterName}' (cluster.name of the environment)`);
  }
  const { key, value } = expected.ingress.nodeLabel;
  const ingressNodes = config.nodes.filter((n) => n.labels[key] === value);
  if (ingressNodes.length !== 1) {
    problems.push(
      `${file}: nodes labelled ${key}=${value}: got ${ingressNodes.length}; expected exactly one (the ingress controller is pinned to it)`,
    );
  } else {
    const maps = ingressNodes[0].portMappings;
    for (const [host, node] of [
      [expected.ingress.hostHttpPort, expected.ingress.httpNodePort],
      [expected.ingress.hostHttpsPort, expected.ingress.httpsNodePort],
    ] as const) {
      if (!maps.some((m) => m.hostPort === host && m.containerPort === node && m.protocol.toUpperCase() === 'TCP')) {
        problems.push(
          `${file}: extraPortMappings of the ${key}=${value} node: got ${JSON.stringify(maps.map((m) => `${m.hostPort}->${m.containerPort}/${m.protocol}`))}; expected host port ${host} -> containerPort ${node}/TCP (the Traefik NodePort)`,
        );
      }
    }
  }
  const workers = config.nodes.filter((n) => n.role === 'worker');
  const zones = new Set(workers.map((n) => n.labels['topology.kubernetes.io/zone']).filter(Boolean));
  if (workers.length < 2 || zones.size < 2) {
    problems.push(
      `${file}: workers: got ${workers.length} in zones ${JSON.stringify([...zones])}; expected at least 2 workers labelled topology.kubernetes.io/zone with 2 different zones (PDBs and spreading)`,
    );
  }
  return problems;
}
