import { Testing } from 'cdk8s';
import { analyzeReachability, DeclaredGraph, formatMatrix } from '../../lib/checks';
import { replicateInput } from '../../lib/checks/replicate';
import { ServiceGraph } from '../../lib/constructs/network/service-graph';
import { goodDeployment, manifests, mutate, namespace, rulesOf } from './helpers';
import { Doc } from '../support/doc';

/** A small stack: ingress -> web -> db, web -> internet:443, Prometheus -> web metrics, plus its NetworkPolicies. */
function stack(options: { dbMembersTalk?: boolean } = {}) {
  const chart = Testing.chart();
  const graph = new ServiceGraph(chart, 'graph', {
    namespace: 'shop',
    externals: {
      'ingress-controller': { namespace: 'traefik', podLabels: { 'app.kubernetes.io/name': 'traefik' } },
      prometheus: { namespace: 'monitoring' },
    },
  });
  graph.addComponent({
    name: 'web',
    podLabels: { 'app.kubernetes.io/name': 'web' },
    ports: { http: 8080, metrics: 9090 },
    metricsPorts: ['metrics'],
  });
  graph.addComponent({ name: 'db', podLabels: { 'app.kubernetes.io/name': 'db' }, ports: { postgres: 5432 } });
  graph.allow('ingress-controller', 'web', 'http');
  graph.allow('web', 'db', 'postgres');
  graph.allowInternet('web', 443);
  if (options.dbMembersTalk) graph.allow('db', 'db', 'postgres');
  const policies = Testing.synth(chart);
  const web = mutate(goodDeployment({ name: 'web' }), (d) => {
    d.spec.template.spec.containers[0].ports.push({ name: 'metrics', containerPort: 9090 });
  });
  const db = mutate(goodDeployment({ name: 'db' }), (d) => {
    d.spec.template.spec.containers[0].ports = [{ name: 'postgres', containerPort: 5432 }];
  });
  return { objects: [namespace(), ...policies, web, db], graph: graph.toDeclaration() };
}

function run(objects: Doc[], graphs?: Record<string, DeclaredGraph>) {
  const s = stack();
  return analyzeReachability({
    objects: manifests(objects),
    environments: { dev: { monitoringRelease: 'x', graphs: graphs ?? { shop: s.graph } } },
  });
}

const policy = (objects: Doc[], name: string): Doc => objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === name);

describe('reachability check', () => {
  test('the policies of a ServiceGraph allow exactly its declared flows plus DNS', () => {
    const { objects } = stack();
    const r = run(objects);
    expect(r.violations).toEqual([]);
    const flows = r.namespaces[0].flows.map((f) => `${f.from}>${f.to}:${f.port}/${f.protocol}`).sort();
    expect(flows).toEqual([
      'db>dns:53/TCP',
      'db>dns:53/UDP',
      'ingress-controller>web:8080/TCP',
      'prometheus>web:9090/TCP',
      'web>db:5432/TCP',
      'web>dns:53/TCP',
      'web>dns:53/UDP',
      'web>internet:443/TCP',
    ]);
  });

  test('the matrix shows sources, destinations and ports', () => {
    const m = formatMatrix(run(stack().objects).namespaces[0]);
    expect(m.split('\n')[0]).toMatch(/^from\\to\s+web\s+db\s+dns\s+internet$/);
    expect(m).toMatch(/\nweb\s+\.\s+5432\s+53\s+443/);
    expect(m).toMatch(/\ningress-controller\s+8080/);
  });

  test('an extra allowed connection is reported (a rule opening the database to every namespace)', () => {
    const { objects } = stack();
    const open = mutate(objects, (list) => {
      policy(list, 'db').spec.ingress.push({ from: [{ namespaceSelector: {} }] });
    });
    const r = run(open);
    expect(rulesOf(r.violations)).toEqual(['net/extra-flow']);
    expect(r.violations.map((v) => v.message)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('ingress-controller -> db:any/TCP'),
        expect.stringContaining('prometheus -> db:5432/TCP'),
      ]),
    );
  });

  test('the egress side still protects: opening db to its own namespace adds nothing web cannot already do', () => {
    const { objects } = stack();
    const open = mutate(objects, (list) => {
      policy(list, 'db').spec.ingress.push({ from: [{ podSelector: {} }] });
    });
    expect(run(open).violations).toEqual([]);
  });

  test('members of one workload talking to each other (a replica set) are a flow: declared and allowed passes, not allowed fails', () => {
    const s = stack({ dbMembersTalk: true });
    const r = run(s.objects, { shop: s.graph });
    expect(r.violations).toEqual([]);
    expect(r.namespaces[0].flows).toEqual(expect.arrayContaining([{ from: 'db', to: 'db', port: 5432, protocol: 'TCP' }]));
    const closed = mutate(s.objects, (list) => {
      policy(list, 'db').spec.egress = policy(list, 'db').spec.egress.filter((e: Doc) => e.ports?.[0]?.port !== 5432);
    });
    expect(run(closed, { shop: s.graph }).violations).toEqual([
      expect.objectContaining({ rule: 'net/missing-flow', message: expect.stringContaining('db -> db:5432/TCP') }),
    ]);
    // Undeclared, the same policies are an extra flow.
    expect(rulesOf(run(s.objects).violations)).toEqual(['net/extra-flow']);
  });

  test('a peer declared by addresses (the API server): declared and allowed passes; not declared is extra; not allowed is missing', () => {
    const chart = Testing.chart();
    const graph = new ServiceGraph(chart, 'graph', { namespace: 'shop' });
    graph.addComponent({ name: 'web', podLabels: { 'app.kubernetes.io/name': 'web' }, ports: { http: 8080 } });
    graph.addAddresses('kube-apiserver', ['172.18.0.2/32']);
    graph.allow('web', 'kube-apiserver', 6443);
    const objects = [namespace(), ...Testing.synth(chart), goodDeployment({ name: 'web' })];
    const graphs = { shop: graph.toDeclaration() };
    const declared = run(objects, graphs);
    expect(declared.violations).toEqual([]);
    expect(declared.namespaces[0].flows).toContainEqual({ from: 'web', to: 'kube-apiserver', port: 6443, protocol: 'TCP' });

    // The same policies with a graph that does not declare the flow: the ipBlock rule is an extra flow.
    const undeclared = { shop: { ...graphs.shop, flows: graphs.shop.flows.filter((f) => f.to !== 'kube-apiserver') } };
    expect(run(objects, undeclared).violations.map((v) => v.message)).toEqual([
      expect.stringContaining('NetworkPolicies allow web -> kube-apiserver:6443/TCP, which the service graph does not declare'),
    ]);
    // The rule pointing elsewhere: the declared flow is missing.
    const elsewhere = mutate(objects, (list) => {
      policy(list, 'web').spec.egress[0].to = [{ ipBlock: { cidr: '172.18.0.99/32' } }];
    });
    expect(run(elsewhere, graphs).violations.map((v) => v.message)).toEqual([
      expect.stringContaining('the service graph declares web -> kube-apiserver:6443/TCP but the NetworkPolicies do not allow it'),
    ]);
  });

  test('a missing allowed connection is reported', () => {
    const { objects } = stack();
    const closed = mutate(objects, (list) => {
      policy(list, 'db').spec.ingress = [];
    });
    expect(run(closed).violations).toEqual([
      expect.objectContaining({ rule: 'net/missing-flow', message: expect.stringContaining('web -> db:5432/TCP') }),
    ]);
  });

  test('removing default deny exposes everything', () => {
    const { objects } = stack();
    const noDeny = objects.filter((o) => !(o.kind === 'NetworkPolicy' && ['default-deny', 'db'].includes(o.metadata.name)));
    const r = run(noDeny);
    expect(r.violations.filter((v) => v.rule === 'net/extra-flow').map((v) => v.message)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('ingress-controller -> db:5432/TCP'),
        expect.stringContaining('prometheus -> db:any/TCP'),
      ]),
    );
    // allow-dns still selects db for egress, so db itself cannot leave: DNS only
    expect(r.violations.some((v) => v.message.includes('db -> internet'))).toBe(false);
  });

  test('pods without DNS egress are reported', () => {
    const { objects } = stack();
    const noDns = objects.filter((o) => !(o.kind === 'NetworkPolicy' && o.metadata.name === 'allow-dns'));
    expect(rulesOf(run(noDns).violations)).toEqual(['net/dns']);
  });

  test('internet egress honours ipBlock excepts', () => {
    const { objects } = stack();
    const privateToo = mutate(objects, (list) => {
      delete policy(list, 'web').spec.egress.find((e: Doc) => e.to[0].ipBlock).to[0].ipBlock.except;
    });
    // 0.0.0.0/0 without excepts also matches pod addresses: web may now reach pods of other namespaces on 443
    // (not db: db's own ingress policy still admits web on 5432 only)
    const r = run(privateToo);
    expect(rulesOf(r.violations)).toEqual(['net/extra-flow']);
    expect(r.violations.map((v) => v.message)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('web -> prometheus:443/TCP'),
        expect.stringContaining('web -> ingress-controller:443/TCP'),
      ]),
    );
    expect(r.violations.some((v) => v.message.includes('web -> db:443'))).toBe(false);
  });

  test('a namespace with pods but no declared graph, and a component without pods, are reported', () => {
    const { objects, graph } = stack();
    const stray = goodDeployment({ name: 'worker', namespace: 'jobs' });
    const r = run([...objects, namespace('jobs'), stray], {
      shop: { ...graph, components: { ...graph.components, cache: { podLabels: { 'app.kubernetes.io/name': 'cache' }, ports: {} } } },
    });
    expect(r.violations.map((v) => v.message)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('namespace jobs (dev) runs pods but declares no service graph'),
        expect.stringContaining("component 'cache' selects no pod template"),
      ]),
    );
  });

  test('a workload outside the graph gets no flows but DNS, and any flow it gets is extra', () => {
    const { objects } = stack();
    const stray = goodDeployment({ name: 'stray' });
    expect(run([...objects, stray]).violations).toEqual([]);
    const allowAll = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'stray', namespace: 'shop' },
      spec: { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'stray' } }, policyTypes: ['Egress'], egress: [{}] },
    };
    const r = run([...objects, stray, allowAll]);
    expect(r.violations.map((v) => v.message)).toEqual(
      expect.arrayContaining([expect.stringContaining('Deployment/stray -> internet:any/TCP')]),
    );
  });

  /* The check indexes policies and pod templates by namespace and computes each namespace alone: what one namespace finds must not depend on the others. */
  test('namespaces are computed alone: a copy of the stack in other namespaces finds the same, and a fault in one copy stays in it', () => {
    const s = stack();
    const faulty = mutate(s.objects, (list) => {
      policy(list, 'db').spec.ingress = [];
    });
    const single = run(faulty, { shop: s.graph });
    const copy = replicateInput(
      { objects: manifests(s.objects), environments: { dev: { monitoringRelease: 'x', graphs: { shop: s.graph } } } },
      2,
    );
    const renamed = copy.objects.slice(s.objects.length);
    const both = analyzeReachability({
      objects: [...manifests(faulty), ...renamed],
      environments: { dev: { monitoringRelease: 'x', graphs: { shop: s.graph, 'shop-c1': copy.environments.dev.graphs['shop-c1'] } } },
    });
    expect(both.violations.map((v) => v.message)).toEqual(single.violations.map((v) => v.message));
    expect(both.namespaces.map((n) => n.namespace)).toEqual(['shop', 'shop-c1']);
    expect(both.namespaces[0]).toEqual(single.namespaces[0]);
    expect(both.namespaces[1].flows).toEqual(run(s.objects).namespaces[0].flows);
  });

  test('ports any policy of the environment names are probed in every namespace (also with repeated port entries)', () => {
    const { objects } = stack();
    const noDeny = objects.filter((o) => !(o.kind === 'NetworkPolicy' && ['default-deny', 'db'].includes(o.metadata.name)));
    const elsewhere: Doc = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'other', namespace: 'other' },
      spec: {
        podSelector: {},
        ingress: [{ ports: [{ port: 7777 }, { port: 7777 }, { port: 'http' }] }, { ports: [{ port: 7777, protocol: 'UDP' }] }],
      },
    };
    const flows = run([...noDeny, elsewhere]).namespaces[0].flows.filter((f) => f.from === 'ingress-controller' && f.to === 'db');
    // db's container port, then every policy port in output order (the other namespace's last), then "any"
    expect(flows.map((f) => `${f.port}/${f.protocol}`)).toEqual([
      '5432/TCP',
      '53/UDP',
      '53/TCP',
      '8080/TCP',
      '9090/TCP',
      '443/TCP',
      '7777/TCP',
      '7777/UDP',
      '0/TCP',
    ]);
  });
});
