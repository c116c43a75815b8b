/*
 * The diagrams synth writes (dist/<env>/<stack>.graph.md) against what the NetworkPolicies allow:
 * every drawn edge is a flow the reachability check computes from the synthesized policies, and
 * every computed flow (cluster DNS aside) is drawn. No per-stack code: a new stack is covered.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CheckInput, loadConstructMetadata, loadManifests } from '../../lib/checks';
import { analyze } from '../../lib/checks/reachability-check';
import { mermaidBlock } from '../../lib/output/diagram';
import { STACKS } from '../../charts';
import { ENVIRONMENTS } from '../../config';
import { synthesizeAll } from '../../main';

const root = path.resolve(__dirname, '..', '..');
const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'diagrams-'));
synthesizeAll(outdir, { recordMetadata: true });
const metadata = loadConstructMetadata(outdir)!;
const input: CheckInput = { objects: loadManifests(outdir), environments: metadata.environments };
const reachability = analyze(input).namespaces;

afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

/** The drawing, read back from the text: node id -> name, the namespaces named in the groups, and the edges. */
function parseDiagram(mermaid: string): { namespaces: string[]; edges: string[]; dashed: string[]; nodes: Map<string, string> } {
  const nodes = new Map<string, string>();
  const namespaces = new Set<string>();
  const raw: Array<[string, string, string, boolean]> = [];
  for (const line of mermaid.split('\n')) {
    const edge = /^ {2}(\w+) (-->|-\.->)\|"(\d+)(\/udp)?(?: [^"]*)?"\| (\w+)$/.exec(line);
    if (edge) {
      raw.push([edge[1], edge[5], `${edge[3]}/${edge[4] ? 'UDP' : 'TCP'}`, edge[2] === '-.->']);
      continue;
    }
    const node = /^ +(n_\w+)[[({/]+"([^"<]+)/.exec(line);
    if (node) nodes.set(node[1], node[2]);
    const group = /^ {2}subgraph \w+\["[^"]*\(ns ([^)]+)\)"\]$/.exec(line);
    if (group) namespaces.add(group[1]);
  }
  const name = (id: string) => {
    const n = nodes.get(id);
    if (n === undefined) throw new Error(`edge names node ${id}, which the diagram does not define`);
    return n;
  };
  const edges = raw.map(([a, b, p]) => `${name(a)} -> ${name(b)}:${p}`).sort();
  const dashed = raw.filter((e) => e[3]).map(([a, b, p]) => `${name(a)} -> ${name(b)}:${p}`);
  return { namespaces: [...namespaces], edges, dashed, nodes };
}

const cases = Object.keys(ENVIRONMENTS).flatMap((env) => STACKS.map((s) => [env, s.name] as const));

describe.each(cases)('dist %s/%s.graph.md', (env, stack) => {
  const file = path.join(outdir, env, `${stack}.graph.md`);
  const mermaid = mermaidBlock(fs.readFileSync(file, 'utf8'))!;
  const drawn = parseDiagram(mermaid);

  test('draws exactly the flows the NetworkPolicies allow (DNS aside)', () => {
    expect(drawn.namespaces).toHaveLength(1);
    const ns = reachability.find((r) => r.env === env && r.namespace === drawn.namespaces[0]);
    expect(ns).toBeDefined();
    const allowed = ns!.flows
      .filter((f) => f.to !== 'dns')
      .map((f) => `${f.from} -> ${f.to}:${f.port}/${f.protocol}`)
      .sort();
    expect(drawn.edges.length).toBeGreaterThan(0);
    expect(drawn.edges).toEqual(allowed);
  });

  test('marks as dev only exactly the components the prod graph of the stack lacks', () => {
    const ns = drawn.namespaces[0];
    const own = Object.keys(metadata.environments[env].graphs[ns].components);
    const prod = Object.keys(metadata.environments.prod.graphs[ns].components);
    const marked = mermaid
      .split('\n')
      .filter((l) => l.endsWith(':::devOnly'))
      .map((l) => drawn.nodes.get(/^ +(n_\w+)/.exec(l)![1]))
      .sort();
    expect(marked).toEqual(own.filter((c) => !prod.includes(c)).sort());
    for (const e of drawn.dashed) expect(marked.some((m) => e.startsWith(`${m} ->`) || e.includes(`-> ${m}:`))).toBe(true);
  });
});

test('the dev diagrams mark the dev-only tools (e.g. pgAdmin, Adminer, LocalStack)', () => {
  const devOnly = (stack: string) =>
    mermaidBlock(fs.readFileSync(path.join(outdir, 'dev', `${stack}.graph.md`), 'utf8'))!
      .split('\n')
      .filter((l) => l.endsWith(':::devOnly')).length;
  expect(STACKS.map((s) => devOnly(s.name)).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
});

test('the README shows the generated ecommerce prod diagram, unchanged', () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const section = /<!-- service-graph: dist\/prod\/ecommerce\.graph\.md -->\n([\s\S]*?)<!-- \/service-graph -->/.exec(readme);
  expect(section).not.toBeNull();
  expect(mermaidBlock(section![1])).toBe(mermaidBlock(fs.readFileSync(path.join(outdir, 'prod', 'ecommerce.graph.md'), 'utf8')));
});

test('the manifest loader reads no diagram (only .yaml/.yml)', () => {
  expect(input.objects.filter((o) => !/\.ya?ml$/.test(o.file))).toEqual([]);
  expect(
    fs
      .readdirSync(path.join(outdir, 'prod'))
      .filter((f) => f.endsWith('.graph.md'))
      .sort(),
  ).toEqual(STACKS.map((s) => `${s.name}.graph.md`).sort());
});
