import { DeclaredGraph } from '../../lib/checks/types';
import { drawnEdges, mermaidBlock, mermaidId, renderServiceGraphMermaid, serviceGraphMarkdown } from '../../lib/output/diagram';

const graph: DeclaredGraph = {
  namespace: 'shop',
  components: {
    web: { podLabels: { app: 'web' }, ports: { http: 8080 } },
    'db-main': { podLabels: { app: 'db' }, ports: { postgres: 5432, metrics: 9187 } },
    'db-backup': { podLabels: { app: 'backup' }, ports: {} },
    'db-admin': { podLabels: { app: 'admin' }, ports: { http: 5050 } },
  },
  externals: {
    'ingress-controller': { namespace: 'traefik', podLabels: { app: 'traefik' } },
    prometheus: { namespace: 'monitoring' },
  },
  dns: { namespace: 'kube-system', podLabels: { 'k8s-app': 'kube-dns' } },
  flows: [
    { from: 'web', to: 'db-main', port: 5432, protocol: 'TCP' },
    { from: 'ingress-controller', to: 'web', port: 8080, protocol: 'TCP' },
    { from: 'prometheus', to: 'db-main', port: 9187, protocol: 'TCP' },
    { from: 'db-backup', to: 'db-main', port: 5432, protocol: 'TCP' },
    { from: 'db-backup', to: 'internet', port: 443, protocol: 'TCP' },
    { from: 'db-admin', to: 'db-main', port: 5432, protocol: 'TCP' },
  ],
};

describe('renderServiceGraphMermaid', () => {
  const text = renderServiceGraphMermaid(graph, { devOnly: ['db-admin'] });

  test('snapshot', () => {
    expect(text).toMatchSnapshot();
  });

  test('is a flowchart LR whose ids are sanitized (no dashes) and labels quoted', () => {
    expect(text.split('\n')[0]).toBe('flowchart LR');
    expect(mermaidId('db-main')).toBe('n_db_main');
    expect(mermaidId('a.b/c')).toMatch(/^[A-Za-z0-9_]+$/);
    for (const line of text.split('\n').filter((l) => l.includes('-->') || l.includes('-.->'))) {
      expect(line).toMatch(/^ {2}n_[A-Za-z0-9_]+ (-->|-\.->)\|"[^"]+"\| n_[A-Za-z0-9_]+$/);
    }
    expect(text).not.toMatch(/\bn_[A-Za-z0-9_]*-/);
  });

  test('draws a peer declared by addresses with its CIDRs, and its edges', () => {
    const withApi: DeclaredGraph = {
      ...graph,
      addresses: { 'kube-apiserver': ['172.18.0.2/32'] },
      flows: [...graph.flows, { from: 'web', to: 'kube-apiserver', port: 6443, protocol: 'TCP' }],
    };
    const t = renderServiceGraphMermaid(withApi);
    expect(t).toContain('n_kube_apiserver[/"kube-apiserver<br/><small>172.18.0.2/32</small>"/]:::external');
    expect(t).toContain('n_web -->|"6443"| n_kube_apiserver');
  });

  test('marks the dev-only component (class devOnly, label) and dashes its edges', () => {
    expect(text).toContain('n_db_admin["db-admin<br/><small>http 5050</small><br/><i>dev only</i>"]:::devOnly');
    expect(text).toContain('n_db_admin -.->|"5432 postgres"| n_db_main');
    expect(text).toContain('n_web -->|"5432 postgres"| n_db_main');
    expect(renderServiceGraphMermaid(graph)).not.toContain(':::devOnly\n');
  });

  test('draws external peers and the internet as distinct shapes, components grouped, edges with port number and name', () => {
    expect(text).toContain('n_ingress_controller(["ingress-controller<br/><small>ns traefik</small>"]):::ingress');
    expect(text).toContain('n_prometheus{{"prometheus<br/><small>ns monitoring</small>"}}:::monitoring');
    expect(text).toContain('n_internet(("internet")):::internet');
    expect(text).toMatch(/subgraph apps\[[^\n]*\n {4}n_db_admin[^\n]*\n {4}n_web/);
    expect(text).toMatch(
      /subgraph stores\[[^\n]*\n {4}n_db_main\[\("db-main<br\/><small>postgres 5432, metrics 9187<\/small>"\)\]:::store/,
    );
    expect(text).toMatch(/subgraph jobs\[[^\n]*\n {4}n_db_backup\[\["db-backup"\]\]:::job/);
    expect(text).toContain('n_prometheus -->|"9187 metrics"| n_db_main');
    expect(text).toContain('n_db_backup -->|"443"| n_internet');
    expect(text).not.toContain('dns');
  });

  test('is deterministic: the order of the declaration does not matter', () => {
    const shuffled: DeclaredGraph = {
      ...graph,
      components: Object.fromEntries(Object.entries(graph.components).reverse()),
      flows: [...graph.flows].reverse(),
    };
    expect(renderServiceGraphMermaid(shuffled, { devOnly: ['db-admin'] })).toBe(text);
    expect(drawnEdges(shuffled)).toEqual(drawnEdges(graph));
  });

  test('rejects a dev-only name that is not a component', () => {
    expect(() => renderServiceGraphMermaid(graph, { devOnly: ['nope'] })).toThrow(/'nope' is not a component/);
  });

  test('the Markdown page holds the diagram in a mermaid block', () => {
    const md = serviceGraphMarkdown('shop (dev)', graph, { devOnly: ['db-admin'] });
    expect(md.startsWith('# shop (dev)\n')).toBe(true);
    expect(mermaidBlock(md)).toBe(text);
  });
});
