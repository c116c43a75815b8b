import { Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { DeclaredGraph } from '../../checks/types';
import { HelmValues } from '../../output/helm';

/** A pod group inside the stack's namespace that takes part in the graph. */
export interface GraphComponent {
  /** Component name (unique in the graph). */
  readonly name: string;
  /** Labels that select exactly this component's pods. */
  readonly podLabels: Readonly<Record<string, string>>;
  /** Named ports the component listens on. */
  readonly ports: Readonly<Record<string, number>>;
  /** Names of `ports` that Prometheus scrapes. @default - none */
  readonly metricsPorts?: readonly string[];
}

/** Pods outside the namespace, selected by namespace name and pod labels. */
export interface ExternalPeer {
  /** Namespace the pods run in. */
  readonly namespace: string;
  /** Labels of the pods. @default - every pod of the namespace */
  readonly podLabels?: Readonly<Record<string, string>>;
}

/** One allowed connection. */
export interface Flow {
  /** Source component or external peer name. */
  readonly from: string;
  /** Destination component, external peer name, or `internet`. */
  readonly to: string;
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP';
}

export interface ServiceGraphProps {
  /** Namespace of the stack. */
  readonly namespace: string;
  /** Where cluster DNS runs. @default kube-system pods labelled k8s-app=kube-dns */
  readonly dns?: ExternalPeer;
  /** External peers by name, e.g. `ingress-controller`, `prometheus`. */
  readonly externals?: Readonly<Record<string, ExternalPeer>>;
  /** Name of the external peer that scrapes metrics ports. @default 'prometheus' when present in `externals` */
  readonly scraper?: string;
  /** CIDRs that count as "inside" and are excluded from internet egress. @default RFC 1918 ranges and link-local */
  readonly privateCidrs?: readonly string[];
}

const INTERNET = 'internet';
const IPV4_CIDR = /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/;

/**
 * The stack's service graph: which pod talks to which on what port.
 *
 * Renders a namespace-wide default deny (ingress and egress), DNS egress for
 * every pod, and one NetworkPolicy per component holding exactly its declared
 * inbound and outbound flows. Metrics ports are opened to the scraper.
 */
/** `pg-admin` -> `pgAdmin`: a component name as a Helm value key. */
function helmKey(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export class ServiceGraph extends Construct {
  public readonly namespace: string;
  private readonly components = new Map<string, GraphComponent>();
  private readonly externals: Record<string, ExternalPeer>;
  /** Peers outside the pod network, by name: IPv4 CIDRs (e.g. the API server's endpoints). */
  private readonly addresses = new Map<string, readonly string[]>();
  private readonly flowList: Flow[] = [];
  private readonly privateCidrs: readonly string[];
  private readonly scraper?: string;
  private readonly dns: ExternalPeer;

  constructor(scope: Construct, id: string, props: ServiceGraphProps) {
    super(scope, id);
    this.namespace = props.namespace;
    this.externals = { ...(props.externals ?? {}) };
    this.privateCidrs = props.privateCidrs ?? ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16'];
    this.scraper = props.scraper ?? ('prometheus' in this.externals ? 'prometheus' : undefined);
    if (this.scraper && !(this.scraper in this.externals)) {
      throw new Error(
        `ServiceGraph.scraper: got '${this.scraper}'; expected one of the external peers: ${Object.keys(this.externals).join(', ') || '(none)'}`,
      );
    }
    const dns = (this.dns = props.dns ?? { namespace: 'kube-system', podLabels: { 'k8s-app': 'kube-dns' } });

    new k8s.KubeNetworkPolicy(this, 'default-deny', {
      metadata: { name: 'default-deny', namespace: this.namespace },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    });
    new k8s.KubeNetworkPolicy(this, 'allow-dns', {
      metadata: { name: 'allow-dns', namespace: this.namespace },
      spec: {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [
          {
            to: [peerSelector(dns)],
            ports: [
              { protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) },
              { protocol: 'TCP', port: k8s.IntOrString.fromNumber(53) },
            ],
          },
        ],
      },
    });
  }

  /** Every declared flow (metrics scrapes included), sorted. */
  public get flows(): readonly Flow[] {
    return [...this.flowList].sort((a, b) => `${a.from}>${a.to}:${a.port}`.localeCompare(`${b.from}>${b.to}:${b.port}`));
  }

  /**
   * The graph as data: components, external peers, DNS and flows. The manifest checks
   * (lib/checks) compare it with what the rendered NetworkPolicies really allow.
   */
  public toDeclaration(): DeclaredGraph {
    const components: Record<string, { podLabels: Record<string, string>; ports: Record<string, number> }> = {};
    for (const [name, c] of this.components) components[name] = { podLabels: { ...c.podLabels }, ports: { ...c.ports } };
    return {
      namespace: this.namespace,
      components,
      externals: Object.fromEntries(Object.entries(this.externals).map(([name, p]) => [name, copyPeer(p)])),
      ...(this.addresses.size ? { addresses: Object.fromEntries([...this.addresses].map(([name, cidrs]) => [name, [...cidrs]])) } : {}),
      dns: copyPeer(this.dns),
      flows: this.flows.map((f) => ({ ...f })),
    };
  }

  /** Component names in the graph. */
  public get componentNames(): readonly string[] {
    return [...this.components.keys()];
  }

  /**
   * Adds an external peer after construction: pods of another namespace that a construct brings
   * (e.g. a node agent in its own namespace that calls a component of this one). Flows to or from
   * it are declared with {@link allow} like those of the peers given to the constructor.
   */
  public addExternal(name: string, peer: ExternalPeer): void {
    if (this.isTaken(name)) {
      throw new Error(`ServiceGraph.addExternal: '${name}' is already in the graph; expected a name unused by components and peers`);
    }
    if (!peer.namespace || peer.namespace === this.namespace) {
      throw new Error(
        `ServiceGraph.addExternal: '${name}' namespace '${peer.namespace}'; expected another namespace than the graph's own ('${this.namespace}'): pods of this namespace are components`,
      );
    }
    this.externals[name] = copyPeer(peer);
  }

  /**
   * Adds a peer outside the pod network by its addresses (IPv4 CIDRs), e.g. the API server's
   * endpoints: NetworkPolicies see them after the `kubernetes` Service's address is translated.
   * Flows to or from it are declared with {@link allow} (with a port number) and rendered as ipBlock peers.
   */
  public addAddresses(name: string, cidrs: readonly string[]): void {
    if (this.isTaken(name)) {
      throw new Error(`ServiceGraph.addAddresses: '${name}' is already in the graph; expected a name unused by components and peers`);
    }
    if (cidrs.length === 0) throw new Error(`ServiceGraph.addAddresses: '${name}' has no CIDRs; expected at least one`);
    for (const c of cidrs) {
      if (!IPV4_CIDR.test(c) || c.split(/[./]/).some((n, i) => Number(n) > (i === 4 ? 32 : 255)))
        throw new Error(`ServiceGraph.addAddresses: '${name}' CIDR '${c}'; expected an IPv4 CIDR such as '172.18.0.0/16'`);
    }
    this.addresses.set(name, [...cidrs]);
  }

  /** Adds a component and renders its NetworkPolicy. Its metrics ports are opened to the scraper. */
  public addComponent(component: GraphComponent): GraphComponent {
    if (this.isTaken(component.name)) {
      throw new Error(`ServiceGraph: component '${component.name}' is already in the graph; expected unique names`);
    }
    if (Object.keys(component.podLabels).length === 0) {
      throw new Error(`ServiceGraph: component '${component.name}' has no podLabels; expected labels that select only its pods`);
    }
    this.components.set(component.name, component);
    for (const m of component.metricsPorts ?? []) {
      if (!this.scraper)
        throw new Error(
          `ServiceGraph: component '${component.name}' exposes metrics port '${m}' but the graph has no scraper peer; add 'prometheus' to externals`,
        );
      this.allow(this.scraper, component.name, m);
    }

    const policy = new k8s.KubeNetworkPolicy(this, `policy-${component.name}`, {
      metadata: { name: component.name, namespace: this.namespace },
      spec: {
        podSelector: { matchLabels: { ...component.podLabels } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: Lazy.any({ produce: () => this.ingressRules(component.name) }) as unknown as k8s.NetworkPolicyIngressRule[],
        egress: Lazy.any({ produce: () => this.egressRules(component.name) }) as unknown as k8s.NetworkPolicyEgressRule[],
      },
    });
    // Where a component exists in some environments only, its policy follows the component's Helm switch
    // (the same `<component>.enabled` the chart derives for a construct of that name).
    HelmValues.of(this).gate(policy, `${helmKey(component.name)}.enabled`, {
      description: `Renders the component '${component.name}' (its objects and its NetworkPolicy)`,
    });
    return component;
  }

  /**
   * Allows `from` to open connections to `to` on a port.
   * @param from component or external peer name
   * @param to component or external peer name
   * @param port a named port of `to` (components) or a port number
   */
  public allow(from: string | GraphComponent, to: string | GraphComponent, port: string | number, protocol: 'TCP' | 'UDP' = 'TCP'): void {
    const src = typeof from === 'string' ? from : from.name;
    const dst = typeof to === 'string' ? to : to.name;
    this.assertKnown(src, 'from');
    this.assertKnown(dst, 'to');
    if (!this.components.has(src) && !this.components.has(dst)) {
      throw new Error(
        `ServiceGraph.allow: '${src}' -> '${dst}' connects two external peers; expected at least one component of this namespace`,
      );
    }
    let portNumber: number;
    if (typeof port === 'number') {
      portNumber = port;
    } else {
      const target = this.components.get(dst);
      const found = target?.ports[port];
      if (found === undefined) {
        throw new Error(
          `ServiceGraph.allow: '${src}' -> '${dst}' port '${port}' is unknown; expected one of: ${Object.keys(target?.ports ?? {}).join(', ') || '(a port number for external peers)'}`,
        );
      }
      portNumber = found;
    }
    if (!Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65535) {
      throw new Error(`ServiceGraph.allow: '${src}' -> '${dst}' port ${portNumber}; expected an integer between 1 and 65535`);
    }
    if (!this.flowList.some((f) => f.from === src && f.to === dst && f.port === portNumber && f.protocol === protocol)) {
      this.flowList.push({ from: src, to: dst, port: portNumber, protocol });
    }
  }

  /** Allows a component to reach addresses outside the cluster's private ranges (e.g. AWS APIs) on a port. */
  public allowInternet(from: string | GraphComponent, port: number): void {
    const src = typeof from === 'string' ? from : from.name;
    if (!this.components.has(src)) throw new Error(`ServiceGraph.allowInternet: '${src}' is not a component of this graph`);
    // Once per component and port, like allow(): two uses of the same egress (S3 and Sentry over HTTPS) are one rule.
    if (!this.flowList.some((f) => f.from === src && f.to === INTERNET && f.port === port && f.protocol === 'TCP')) {
      this.flowList.push({ from: src, to: INTERNET, port, protocol: 'TCP' });
    }
  }

  private isTaken(name: string): boolean {
    return this.components.has(name) || name in this.externals || this.addresses.has(name) || name === INTERNET;
  }

  private assertKnown(name: string, field: string): void {
    if (!this.isTaken(name)) {
      throw new Error(
        `ServiceGraph.allow: ${field} '${name}' is unknown; expected a component (${[...this.components.keys()].join(', ')}) or external peer (${Object.keys(this.externals).join(', ')})`,
      );
    }
  }

  private selectorFor(name: string): k8s.NetworkPolicyPeer {
    const c = this.components.get(name);
    if (c) return { podSelector: { matchLabels: { ...c.podLabels } } };
    return peerSelector(this.externals[name]);
  }

  /** Peers of a rule: a component or external peer's selector, or one ipBlock per CIDR of an address peer. */
  private peersFor(name: string): k8s.NetworkPolicyPeer[] {
    const cidrs = this.addresses.get(name);
    return cidrs ? cidrs.map((cidr) => ({ ipBlock: { cidr } })) : [this.selectorFor(name)];
  }

  private ingressRules(name: string): k8s.NetworkPolicyIngressRule[] {
    return this.flows
      .filter((f) => f.to === name)
      .map((f) => ({
        from: this.peersFor(f.from),
        ports: [{ protocol: f.protocol, port: k8s.IntOrString.fromNumber(f.port) }],
      }));
  }

  private egressRules(name: string): k8s.NetworkPolicyEgressRule[] {
    return this.flows
      .filter((f) => f.from === name && this.components.has(f.from))
      .map((f) => ({
        to: f.to === INTERNET ? [{ ipBlock: { cidr: '0.0.0.0/0', except: [...this.privateCidrs] } }] : this.peersFor(f.to),
        ports: [{ protocol: f.protocol, port: k8s.IntOrString.fromNumber(f.port) }],
      }));
  }
}

/** A copy of a peer that shares no object with the graph (the JSON-data copy `toDeclaration` hands out). */
function copyPeer(p: ExternalPeer): ExternalPeer {
  return p.podLabels ? { namespace: p.namespace, podLabels: { ...p.podLabels } } : { namespace: p.namespace };
}

function peerSelector(peer: ExternalPeer): k8s.NetworkPolicyPeer {
  return {
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': peer.namespace } },
    ...(peer.podLabels ? { podSelector: { matchLabels: { ...peer.podLabels } } } : { podSelector: {} }),
  };
}
