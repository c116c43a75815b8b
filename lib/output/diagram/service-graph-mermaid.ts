import { DeclaredGraph } from '../../checks/types';

/** Options of {@link renderServiceGraphMermaid}. */
export interface MermaidOptions {
  /** Components drawn as "only here" (dashed border, e.g. present in dev but not in prod). @default - none */
  readonly devOnly?: readonly string[];
  /** Text added to those components' boxes. @default 'dev only' */
  readonly devOnlyLabel?: string;
}

/** One drawn edge: a declared flow (DNS is not part of the declaration's flows, so never drawn). */
export interface DrawnEdge {
  readonly from: string;
  readonly to: string;
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP';
}

const INTERNET = 'internet';

/** Mermaid node id of a graph name: letters, digits and underscores only (a prefix keeps ids clear of Mermaid keywords such as `end`). */
export function mermaidId(name: string): string {
  return `n_${name.replace(/[^A-Za-z0-9]/g, (c) => (c === '-' ? '_' : `x${c.charCodeAt(0).toString(16)}`))}`;
}

/** Text inside a quoted Mermaid label: double quotes and angle brackets are written as entities. */
function label(text: string): string {
  return text.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
}

type Kind = 'app' | 'store' | 'job';

/**
 * The kind of a component, from the graph alone: a component without ports is a job (backups, restores,
 * init and setup jobs); one with ports that only receives from components of the namespace (and opens no
 * connection to another component or the internet) is a store; everything else is an app.
 */
function kindOf(graph: DeclaredGraph, name: string): Kind {
  if (Object.keys(graph.components[name].ports).length === 0) return 'job';
  const out = graph.flows.some((f) => f.from === name && f.to !== name);
  const usedByComponent = graph.flows.some((f) => f.to === name && f.from !== name && f.from in graph.components);
  return !out && usedByComponent ? 'store' : 'app';
}

/** The flows the diagram draws, sorted: exactly the declaration's flows. */
export function drawnEdges(graph: DeclaredGraph): DrawnEdge[] {
  return [...graph.flows]
    .map((f) => ({ from: f.from, to: f.to, port: f.port, protocol: f.protocol }))
    .sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to) || a.port - b.port || a.protocol.localeCompare(b.protocol));
}

/**
 * Renders a declared service graph as a Mermaid `flowchart LR`: external peers (ingress controller,
 * Prometheus, other peers) and the internet as distinct shapes, components grouped into apps, stores
 * and jobs, one edge per declared flow labelled with the port number and the destination's port name.
 * Cluster DNS (open to every pod) is left out. Output is sorted, so the same declaration gives the same text.
 */
export function renderServiceGraphMermaid(graph: DeclaredGraph, options: MermaidOptions = {}): string {
  const devOnly = new Set(options.devOnly ?? []);
  for (const name of devOnly) {
    if (!(name in graph.components)) throw new Error(`renderServiceGraphMermaid: devOnly '${name}' is not a component of the graph`);
  }
  const devOnlyLabel = options.devOnlyLabel ?? 'dev only';
  const lines: string[] = ['flowchart LR'];
  const components = Object.keys(graph.components).sort();
  const usesInternet = graph.flows.some((f) => f.to === INTERNET);

  for (const name of Object.keys(graph.externals).sort()) {
    const peer = graph.externals[name];
    const text = `${label(name)}<br/><small>ns ${label(peer.namespace)}</small>`;
    const id = mermaidId(name);
    if (name === 'ingress-controller') lines.push(`  ${id}(["${text}"]):::ingress`);
    else if (name === 'prometheus') lines.push(`  ${id}{{"${text}"}}:::monitoring`);
    else lines.push(`  ${id}[/"${text}"/]:::external`);
  }
  for (const [name, cidrs] of Object.entries(graph.addresses ?? {}).sort((a, b) => a[0].localeCompare(b[0])))
    lines.push(`  ${mermaidId(name)}[/"${label(name)}<br/><small>${cidrs.map(label).join(', ')}</small>"/]:::external`);
  if (usesInternet) lines.push(`  ${mermaidId(INTERNET)}(("${INTERNET}")):::internet`);

  const groups: Array<[Kind, string]> = [
    ['app', 'apps'],
    ['store', 'stores'],
    ['job', 'jobs'],
  ];
  for (const [kind, title] of groups) {
    const members = components.filter((c) => kindOf(graph, c) === kind);
    if (members.length === 0) continue;
    lines.push(`  subgraph ${kind}s["${title} (ns ${label(graph.namespace)})"]`);
    for (const name of members) {
      const ports = Object.entries(graph.components[name].ports)
        .sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))
        .map(([p, n]) => `${label(p)} ${n}`);
      const text = [
        label(name),
        ...(ports.length ? [`<small>${ports.join(', ')}</small>`] : []),
        ...(devOnly.has(name) ? [`<i>${label(devOnlyLabel)}</i>`] : []),
      ];
      const shape = kind === 'store' ? ['[("', '")]'] : kind === 'job' ? ['[["', '"]]'] : ['["', '"]'];
      lines.push(`    ${mermaidId(name)}${shape[0]}${text.join('<br/>')}${shape[1]}:::${devOnly.has(name) ? 'devOnly' : kind}`);
    }
    lines.push('  end');
  }

  for (const e of drawnEdges(graph)) {
    const portName = Object.entries(graph.components[e.to]?.ports ?? {})
      .filter(([, n]) => n === e.port)
      .map(([p]) => p)
      .sort()[0];
    const text = `${e.port}${e.protocol === 'UDP' ? '/udp' : ''}${portName ? ` ${portName}` : ''}`;
    const arrow = devOnly.has(e.from) || devOnly.has(e.to) ? '-.->' : '-->';
    lines.push(`  ${mermaidId(e.from)} ${arrow}|"${label(text)}"| ${mermaidId(e.to)}`);
  }

  lines.push(
    '  classDef ingress fill:#e3f2fd,stroke:#1565c0',
    '  classDef monitoring fill:#fff3e0,stroke:#ef6c00',
    '  classDef external fill:#f5f5f5,stroke:#616161',
    '  classDef internet fill:#ede7f6,stroke:#4527a0',
    '  classDef app fill:#e8f5e9,stroke:#2e7d32',
    '  classDef store fill:#fffde7,stroke:#f9a825',
    '  classDef job fill:#fce4ec,stroke:#ad1457',
    '  classDef devOnly fill:#fafafa,stroke:#9e9e9e,stroke-dasharray:5 5',
  );
  return `${lines.join('\n')}\n`;
}

/** A Markdown page holding the diagram in a ```mermaid block (GitHub renders it). */
export function serviceGraphMarkdown(title: string, graph: DeclaredGraph, options: MermaidOptions = {}): string {
  const devOnly = [...(options.devOnly ?? [])].sort();
  return [
    `# ${title}`,
    '',
    '<!-- Generated by `npm run synth` from the ServiceGraph declaration that also renders the NetworkPolicies. Do not edit. -->',
    '',
    'Edges are the allowed connections (port number and port name). Cluster DNS (53/UDP, 53/TCP) is open to every pod and not drawn.' +
      (devOnly.length ? ` Dashed: ${options.devOnlyLabel ?? 'dev only'} (${devOnly.join(', ')}).` : ''),
    '',
    '```mermaid',
    renderServiceGraphMermaid(graph, options).trimEnd(),
    '```',
    '',
  ].join('\n');
}

/** The text of the first ```mermaid block of a Markdown text (for tests comparing a README with the generated file). */
export function mermaidBlock(markdown: string): string | undefined {
  return /```mermaid\n([\s\S]*?)```/.exec(markdown)?.[1];
}
