/**
 * LogShipper (lib/constructs/logging/log-shipper.ts) and its Fluent Bit configuration
 * (lib/constructs/logging/fluent-bit-config.ts): the privileged namespace and its reason, the
 * hardened DaemonSet, RBAC, metrics, the cross-namespace credentials copy, the network graph on
 * both sides, the rendered configuration parsed back and checked (validateShipperConfig, also
 * shown firing on bad configurations), the project's manifest checks over a stack with
 * Elasticsearch and the shipper, and the errors of bad props.
 */
import { App, Chart, Testing } from 'cdk8s';
import { parse, stringify } from 'yaml';
import { IMAGES } from '../../config/images';
import { runChecks } from '../../lib/checks';
import { collectAppFacts } from '../../lib/checks/facts';
import { POD_SECURITY_REASON_ANNOTATION } from '../../lib/checks/pod-security-check';
import { dataStreamName, validateShipperConfig } from '../../lib/constructs/logging/fluent-bit-config';
import { LOG_SHIPPER_PSS_REASON, LogShipper, LogShipperProps, LogShipperTarget } from '../../lib/constructs/logging/log-shipper';
import { ServiceGraph } from '../../lib/constructs/network/service-graph';
import { AppNamespace } from '../../lib/constructs/platform/app-namespace';
import { ElasticsearchCluster } from '../../lib/constructs/search/elasticsearch-cluster';
import { stackLabels } from '../../lib/core/labels';
import { logStorageSteps } from '../../lib/constructs/search/search-requests';
import { manifests } from '../checks/helpers';
import { Doc } from '../support/doc';
import { find } from '../support/synth';

const IMAGE = IMAGES.fluentBit;
const PROMETHEUS = { namespace: 'monitoring', podLabels: { 'app.kubernetes.io/name': 'prometheus' } };
const ES: LogShipperTarget = {
  name: 'elasticsearch',
  host: 'elasticsearch.shop.svc.cluster.local',
  scheme: 'https',
  podLabels: { 'app.kubernetes.io/name': 'elasticsearch', 'app.kubernetes.io/instance': 'shop' },
  ports: { http: 9200, transport: 9300 },
};
const PROPS: LogShipperProps = {
  partOf: 'logging',
  image: IMAGE,
  resources: { cpuRequest: '50m', memoryRequest: '64Mi', memoryLimit: '256Mi' },
  sources: [{ namespace: 'shop', routes: { gateway: 'gateway-logs', backend: 'backend-logs' }, otherDataStream: 'logs' }],
  elasticsearch: {
    cluster: ES,
    namespace: 'shop',
    username: 'log-writer',
    password: { secret: 'log-writer-credentials', key: 'password' },
    tlsIssuer: { name: 'internal-ca', kind: 'Issuer' },
  },
  apiServer: { cidrs: ['172.18.0.0/16'], port: 6443 },
  prometheus: PROMETHEUS,
  release: 'kube-prometheus-stack',
};

function synth(props: LogShipperProps = PROPS) {
  const chart = Testing.chart();
  const shipper = new LogShipper(chart, 'shipper', props);
  const objects: Doc[] = Testing.synth(chart);
  const ds = find(objects, 'DaemonSet', 'log-shipper');
  return { shipper, objects, ds, pod: ds.spec.template.spec, container: ds.spec.template.spec.containers[0] };
}

/** A stack namespace with Elasticsearch (TLS from a namespace CA Issuer) and the shipper that ships its logs. */
function stack() {
  // A stack chart labels every object (part-of, managed-by), as charts/*/chart.ts do.
  const chart = new Chart(Testing.app(), 'test', { labels: stackLabels('shop') });
  new AppNamespace(chart, 'ns', { name: 'shop', labels: { 'app.kubernetes.io/part-of': 'shop', 'app.kubernetes.io/managed-by': 'cdk8s' } });
  const graph = new ServiceGraph(chart, 'graph', { namespace: 'shop', externals: { prometheus: PROMETHEUS } });
  const es = new ElasticsearchCluster(chart, 'es', {
    namespace: 'shop',
    partOf: 'shop',
    image: 'docker.elastic.co/elasticsearch/elasticsearch:9.4.0',
    clusterName: 'ecommerce-dev',
    heap: '512m',
    resources: { cpuRequest: '250m', memoryRequest: '1Gi', memoryLimit: '1Gi' },
    storage: { size: '5Gi', storageClassName: 'standard' },
    security: {
      elasticPassword: { secret: 'elasticsearch-credentials', key: 'elastic-password' },
      tls: { issuer: { name: 'internal-ca', kind: 'Issuer' }, secretName: 'elasticsearch-tls' },
    },
  });
  es.addToGraph(graph);
  const shipper = new LogShipper(chart, 'shipper', { ...PROPS, elasticsearch: { ...PROPS.elasticsearch, cluster: es } });
  shipper.connect(graph);
  const objects: Doc[] = Testing.synth(chart);
  return { chart, graph, es, shipper, objects };
}

const knownHostsOf = (objects: readonly Doc[]) =>
  objects
    .filter((o) => o.kind === 'Service')
    .map((s) => ({ host: `${s.metadata.name}.${s.metadata.namespace}.svc.cluster.local`, ports: s.spec.ports.map((p: Doc) => p.port) }));

describe('LogShipper', () => {
  test('snapshot', () => {
    expect(synth().objects).toMatchSnapshot();
  });

  test('its namespace enforces privileged and says why (hostPath, uid 0)', () => {
    const ns = find(synth().objects, 'Namespace', 'logging');
    expect(ns.metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'privileged',
      'pod-security.kubernetes.io/audit': 'privileged',
      'pod-security.kubernetes.io/warn': 'privileged',
    });
    expect(ns.metadata.annotations[POD_SECURITY_REASON_ANNOTATION]).toBe(LOG_SHIPPER_PSS_REASON);
    expect(LOG_SHIPPER_PSS_REASON).toMatch(/hostPath/);
  });

  test('the container is as restricted as reading the logs allows', () => {
    const { pod, container } = synth();
    expect(container.image).toBe(IMAGE);
    expect(container.securityContext).toEqual({
      runAsUser: 0,
      runAsGroup: 0,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    for (const f of ['hostNetwork', 'hostPID', 'hostIPC']) expect(pod[f]).toBeUndefined();
    expect(pod.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    expect(container.ports).toEqual([{ name: 'http', containerPort: 2020, protocol: 'TCP' }]);
  });

  test('the log directories are mounted read-only; only the state directory is writable', () => {
    const { pod, container } = synth();
    const hostPaths = Object.fromEntries(pod.volumes.filter((v: Doc) => v.hostPath).map((v: Doc) => [v.name, v.hostPath]));
    expect(hostPaths).toEqual({
      'var-log-pods': { path: '/var/log/pods', type: 'Directory' },
      'var-log-containers': { path: '/var/log/containers', type: 'Directory' },
      state: { path: '/var/lib/fluent-bit/logging-log-shipper', type: 'DirectoryOrCreate' },
    });
    const mounts = Object.fromEntries(container.volumeMounts.map((m: Doc) => [m.name, m]));
    expect(mounts['var-log-pods']).toEqual({ name: 'var-log-pods', mountPath: '/var/log/pods', readOnly: true });
    expect(mounts['var-log-containers']).toEqual({ name: 'var-log-containers', mountPath: '/var/log/containers', readOnly: true });
    expect(container.volumeMounts.filter((m: Doc) => !m.readOnly).map((m: Doc) => m.name)).toEqual(['state']);
  });

  test('runs on every node: tolerates every taint, node-critical priority, one pod down at a time', () => {
    const { ds, pod } = synth();
    expect(pod.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(pod.priorityClassName).toBe('system-node-critical');
    expect(pod.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    expect(ds.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } });
  });

  test('probes: ready on /api/v1/health, alive on the HTTP server', () => {
    const { container } = synth();
    expect(container.readinessProbe.httpGet).toEqual({ path: '/api/v1/health', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/', port: 'http' });
    expect(container.resources).toEqual({ requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } });
  });

  test('RBAC: get on pods of the watched namespaces and its own, nothing cluster-wide', () => {
    const { objects, pod } = synth();
    expect(objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding')).toEqual([]);
    const podRoles = objects.filter((o) => o.kind === 'Role' && o.rules.some((r: Doc) => r.resources.includes('pods')));
    expect(podRoles.map((r) => [r.metadata.namespace, r.rules])).toEqual([
      ['logging', [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }]],
      ['shop', [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }]],
    ]);
    const bindings = objects.filter((o) => o.kind === 'RoleBinding' && o.subjects[0].name === 'log-shipper');
    expect(bindings.map((b) => b.subjects)).toEqual([
      [{ kind: 'ServiceAccount', name: 'log-shipper', namespace: 'logging' }],
      [{ kind: 'ServiceAccount', name: 'log-shipper', namespace: 'logging' }],
    ]);
    expect(pod.serviceAccountName).toBe('log-shipper');
    expect(pod.automountServiceAccountToken).toBe(true);
  });

  test('metrics: a Service that keeps not-ready pods and a ServiceMonitor on /api/v2/metrics/prometheus', () => {
    const { objects } = synth();
    const svc = find(objects, 'Service', 'log-shipper-metrics');
    expect(svc.spec.publishNotReadyAddresses).toBe(true);
    expect(svc.spec.ports).toEqual([{ name: 'http', port: 2020, targetPort: 'http', protocol: 'TCP' }]);
    const sm = find(objects, 'ServiceMonitor', 'log-shipper');
    expect(sm.metadata.namespace).toBe('logging');
    expect(sm.metadata.labels.release).toBe('kube-prometheus-stack');
    expect(sm.spec.endpoints).toEqual([{ port: 'http', path: '/api/v2/metrics/prometheus', interval: '30s', scrapeTimeout: '10s' }]);
  });

  test('password and CA are copied from the Elasticsearch namespace by a reader that may get those two Secrets only', () => {
    const { objects, container, pod } = synth();
    const cert = find(objects, 'Certificate', 'log-shipper-client-tls');
    expect(cert.metadata.namespace).toBe('shop');
    expect(cert.spec.issuerRef).toEqual({ name: 'internal-ca', kind: 'Issuer', group: 'cert-manager.io' });
    const role = find(objects, 'Role', 'logging-log-shipper-secret-reader');
    expect(role.metadata.namespace).toBe('shop');
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['log-writer-credentials', 'log-shipper-client-tls'], verbs: ['get'] },
    ]);
    const store = find(objects, 'SecretStore', 'log-shipper-shop');
    expect(store.metadata.namespace).toBe('logging');
    expect(store.spec.provider.kubernetes).toMatchObject({
      remoteNamespace: 'shop',
      auth: { serviceAccount: { name: 'log-shipper-secret-reader' } },
    });
    const copy = find(objects, 'ExternalSecret', 'log-shipper-elasticsearch');
    expect(copy.spec.data).toEqual([
      { secretKey: 'password', remoteRef: { key: 'log-writer-credentials', property: 'password' } },
      { secretKey: 'ca.crt', remoteRef: { key: 'log-shipper-client-tls', property: 'ca.crt' } },
    ]);
    expect(container.env).toEqual([
      { name: 'ES_PASSWORD', valueFrom: { secretKeyRef: { name: 'log-shipper-elasticsearch', key: 'password' } } },
    ]);
    expect(pod.volumes.find((v: Doc) => v.name === 'tls').secret).toEqual({
      secretName: 'log-shipper-elasticsearch',
      items: [{ key: 'ca.crt', path: 'ca.crt' }],
      defaultMode: 0o444,
    });
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
  });

  test('plain HTTP: no certificate, no CA in the copy, no TLS in the outputs', () => {
    const { objects, shipper, pod } = synth({
      ...PROPS,
      elasticsearch: { ...PROPS.elasticsearch, cluster: { ...ES, scheme: 'http' }, tlsIssuer: undefined },
    });
    expect(objects.filter((o) => o.kind === 'Certificate')).toEqual([]);
    expect(find(objects, 'ExternalSecret', 'log-shipper-elasticsearch').spec.data.map((d: Doc) => d.secretKey)).toEqual(['password']);
    expect(pod.volumes.map((v: Doc) => v.name)).not.toContain('tls');
    for (const o of parse(shipper.config).pipeline.outputs) expect(o.tls).toBeUndefined();
  });

  test('network: its namespace denies by default; the agent reaches Elasticsearch 9200 and the API server only', () => {
    const { objects } = synth();
    const inLogging = objects.filter((o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === 'logging');
    expect(inLogging.map((p) => p.metadata.name).sort()).toEqual(['allow-dns', 'default-deny', 'log-shipper']);
    const own = find(objects, 'NetworkPolicy', 'log-shipper');
    expect(own.spec.egress).toEqual([
      {
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } }, podSelector: { matchLabels: ES.podLabels } }],
        ports: [{ protocol: 'TCP', port: 9200 }],
      },
      { to: [{ ipBlock: { cidr: '172.18.0.0/16' } }], ports: [{ protocol: 'TCP', port: 6443 }] },
    ]);
    expect(own.spec.ingress).toEqual([
      {
        from: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
            podSelector: { matchLabels: PROMETHEUS.podLabels },
          },
        ],
        ports: [{ protocol: 'TCP', port: 2020 }],
      },
    ]);
  });

  test('connect: Elasticsearch lets the agent in on its HTTP port, from the logging namespace only', () => {
    const { objects } = stack();
    const esPolicy = objects.find(
      (o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === 'shop' && o.metadata.name === 'elasticsearch',
    );
    const fromLogging = esPolicy.spec.ingress.filter(
      (r: Doc) => r.from[0].namespaceSelector?.matchLabels['kubernetes.io/metadata.name'] === 'logging',
    );
    expect(fromLogging).toEqual([
      {
        from: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'logging' } },
            podSelector: { matchLabels: { 'app.kubernetes.io/name': 'log-shipper', 'app.kubernetes.io/instance': 'logging' } },
          },
        ],
        ports: [{ protocol: 'TCP', port: 9200 }],
      },
    ]);
  });

  test("the project's checks pass over a stack with Elasticsearch and the shipper", () => {
    const { chart, objects } = stack();
    const facts = collectAppFacts(chart.node.root as App, 'dev');
    expect(Object.keys(facts.graphs).sort()).toEqual(['logging', 'shop']);
    const result = runChecks(
      {
        objects: manifests(objects),
        environments: { dev: { monitoringRelease: 'kube-prometheus-stack', graphs: facts.graphs, databases: [] } },
      },
      ['schema', 'pod-security', 'best-practices', 'secrets', 'reachability'],
    );
    // Findings on Elasticsearch's own objects belong to its construct (its scripts ConfigMap: see the report of this change).
    const ours = result.violations.filter((v) => v.object?.object.metadata?.name !== 'elasticsearch-scripts');
    expect(ours.map((v) => `${v.rule} ${v.object?.object.kind}/${v.object?.object.metadata?.name}: ${v.message}`)).toEqual([]);
    const logging = result.reachability!.find((r) => r.namespace === 'logging')!;
    expect(logging.flows.filter((f) => f.from === 'log-shipper' && f.to !== 'dns')).toEqual([
      { from: 'log-shipper', to: 'elasticsearch', port: 9200, protocol: 'TCP' },
      { from: 'log-shipper', to: 'kube-apiserver', port: 6443, protocol: 'TCP' },
    ]);
    const shop = result.reachability!.find((r) => r.namespace === 'shop')!;
    // In Elasticsearch's namespace the agent reaches the HTTP port and nothing else.
    expect(shop.flows.filter((f) => f.from === 'log-shipper')).toEqual([
      { from: 'log-shipper', to: 'elasticsearch', port: 9200, protocol: 'TCP' },
    ]);
  });

  test('the pod security check refuses the privileged namespace without its reason', () => {
    const { objects } = synth();
    const broken = objects.map((o) => (o.kind === 'Namespace' ? { ...o, metadata: { ...o.metadata, annotations: {} } } : o));
    const result = runChecks({ objects: manifests(broken), environments: {} }, ['pod-security']);
    expect(result.violations.map((v) => [v.rule, v.field])).toEqual([
      ['pss/namespace-level', `metadata.annotations["${POD_SECURITY_REASON_ANNOTATION}"]`],
    ]);
  });
});

describe('Fluent Bit configuration', () => {
  const config = () => parse(synth().shipper.config);

  test('one tail input per namespace with the CRI parser and a position db on the node', () => {
    expect(config().pipeline.inputs).toEqual([
      expect.objectContaining({
        name: 'tail',
        tag: 'kube.shop.*',
        path: '/var/log/containers/*_shop_*.log',
        'multiline.parser': 'cri',
        db: '/var/fluent-bit/state/tail-shop.db',
        'storage.type': 'filesystem',
      }),
    ]);
    expect(config().service).toMatchObject({
      http_server: 'on',
      http_port: 2020,
      health_check: 'on',
      'storage.path': '/var/fluent-bit/state/storage',
    });
  });

  test('kubernetes metadata, then routes by app label to the seed-named data streams, the rest to logs-<namespace>', () => {
    const { filters, outputs } = config().pipeline;
    expect(filters[0]).toMatchObject({
      name: 'kubernetes',
      match: 'kube.shop.*',
      kube_tag_prefix: 'kube.shop.var.log.containers.',
      merge_log: 'on',
    });
    expect(filters.slice(1).map((f: Doc) => [f.name, f.match, f.rule])).toEqual([
      ['rewrite_tag', 'kube.shop.*', "$kubernetes['labels']['app.kubernetes.io/name'] ^gateway$ routed.shop.gateway-logs false"],
      ['rewrite_tag', 'kube.shop.*', "$kubernetes['labels']['app.kubernetes.io/name'] ^backend$ routed.shop.backend-logs false"],
    ]);
    expect(outputs.map((o: Doc) => [o.match, o.index])).toEqual([
      ['routed.shop.gateway-logs', 'gateway-logs-shop'],
      ['routed.shop.backend-logs', 'backend-logs-shop'],
      ['kube.shop.*', 'logs-shop'],
    ]);
    for (const o of outputs)
      expect(o).toMatchObject({
        name: 'es',
        host: 'elasticsearch.shop.svc.cluster.local',
        port: 9200,
        write_operation: 'create',
        suppress_type_name: 'on',
        http_user: 'log-writer',
        http_passwd: '${ES_PASSWORD}',
        tls: 'on',
        'tls.verify': 'on',
        'tls.ca_file': '/fluent-bit/tls/ca.crt',
        retry_limit: 30,
        'storage.total_limit_size': '256M',
      });
  });

  test('is sound: parsers, routing and hosts checked against the Services of the stack and the setup Job’s templates', () => {
    const { shipper, objects } = stack();
    const templates = logStorageSteps({ streams: ['gateway-logs', 'backend-logs', 'logs'], retentionDays: 7, replicas: 0 }).flatMap((s) =>
      s.kind === 'index-template' ? [...(s.body.index_patterns as string[])] : [],
    );
    expect(templates).toEqual(['gateway-logs-*', 'backend-logs-*', 'logs-*']);
    expect(validateShipperConfig(shipper.config, knownHostsOf(objects), { indexPatterns: templates })).toEqual([]);
    expect(shipper.dataStreams).toEqual(['gateway-logs-shop', 'backend-logs-shop', 'logs-shop']);
    expect(dataStreamName('logs', 'shop')).toBe('logs-shop');
  });

  describe('validateShipperConfig fires on', () => {
    const HOSTS = [{ host: 'elasticsearch.shop.svc.cluster.local', ports: [9200] }];
    const edit = (change: (c: Doc) => void): string => {
      const c = config();
      change(c);
      return stringify(c);
    };
    test.each<[string, (c: Doc) => void, RegExp]>([
      ['an input without a parser', (c) => delete c.pipeline.inputs[0]['multiline.parser'], /input\[0\] 'tail-shop' has no parser/],
      [
        'an unknown multiline parser',
        (c) => (c.pipeline.inputs[0]['multiline.parser'] = 'containerd'),
        /multiline.parser 'containerd' is unknown/,
      ],
      ['an unknown parser', (c) => (c.pipeline.inputs[0].parser = 'json5'), /parser 'json5' is unknown/],
      [
        'an unknown host',
        (c) => (c.pipeline.outputs[0].host = 'elasticsearch.other.svc.cluster.local'),
        /host 'elasticsearch.other.svc.cluster.local' is not a Service of the stack/,
      ],
      [
        'a wrong port',
        (c) => (c.pipeline.outputs[2].port = 9300),
        /port 9300 of 'elasticsearch.shop.svc.cluster.local'; expected one of 9200/,
      ],
      [
        'a filter matching no tag',
        (c) => (c.pipeline.filters[0].match = 'kube.shpo.*'),
        /filter\[0\] 'kubernetes-shop': match 'kube.shpo.\*' matches no input's tag/,
      ],
      [
        'an output matching no tag',
        (c) => (c.pipeline.outputs[0].match = 'routed.shop.gateway'),
        /output\[0\] 'shop-gateway-logs': match 'routed.shop.gateway' matches no tag/,
      ],
      ['a route whose records reach no output', (c) => c.pipeline.outputs.splice(1, 1), /tag 'routed.shop.backend-logs' reaches no output/],
      [
        'records shipped twice',
        (c) => (c.pipeline.outputs[2].match = '*'),
        /is matched by output\[.\] '.*' and output\[2\] 'shop-logs'; expected exactly one/,
      ],
      ['a literal password', (c) => (c.pipeline.outputs[0].http_passwd = 'hunter2'), /http_passwd is a literal/],
      ['index instead of create', (c) => (c.pipeline.outputs[0].write_operation = 'index'), /write_operation 'index'; expected 'create'/],
      ['TLS without a CA file', (c) => delete c.pipeline.outputs[0]['tls.ca_file'], /tls on without tls.ca_file/],
      ['TLS without verification', (c) => (c.pipeline.outputs[0]['tls.verify'] = 'off'), /tls.verify is off/],
      ['dated indices', (c) => (c.pipeline.outputs[0].logstash_format = 'on'), /logstash_format on writes dated indices/],
      ['no outputs', (c) => (c.pipeline.outputs = []), /pipeline.outputs is empty/],
      [
        'a malformed rewrite rule',
        (c) => (c.pipeline.filters[1].rule = 'app ^gateway$'),
        /rule 'app \^gateway\$'; expected 'KEY REGEX NEW_TAG KEEP'/,
      ],
    ])('%s', (_, change, message) => {
      const problems = validateShipperConfig(edit(change), HOSTS);
      expect(problems.join('\n')).toMatch(message);
    });

    test('an index no template matches', () => {
      expect(validateShipperConfig(synth().shipper.config, HOSTS, { indexPatterns: ['gateway-logs-*', 'logs-*'] })).toEqual([
        "output[1] 'shop-backend-logs': index 'backend-logs-shop' matches no index template (gateway-logs-*, logs-*); expected a data stream a template makes",
      ]);
    });

    test('a parser the configuration declares is known', () => {
      const text = edit((c) => {
        c.parsers = [{ name: 'app-json', format: 'json' }];
        delete c.pipeline.inputs[0]['multiline.parser'];
        c.pipeline.inputs[0].parser = 'app-json';
      });
      expect(validateShipperConfig(text, HOSTS)).toEqual([]);
    });

    test('text that is not YAML', () => {
      expect(validateShipperConfig('pipeline: [', HOSTS)[0]).toMatch(/^configuration is not YAML/);
    });
  });
});

describe('LogShipper props', () => {
  test.each<[string, Partial<LogShipperProps>, RegExp]>([
    [
      'an unpinned image',
      { image: 'cr.fluentbit.io/fluent/fluent-bit:latest' },
      /image 'cr.fluentbit.io\/fluent\/fluent-bit:latest'; expected an image reference pinned/,
    ],
    ['an untagged image', { image: 'cr.fluentbit.io/fluent/fluent-bit' }, /image .*; expected an image reference pinned/],
    ['no sources', { sources: [] }, /sources is empty; expected at least one namespace/],
    ['a bad namespace name', { namespace: 'Logging' }, /namespace 'Logging'; expected/],
    [
      'a bad source namespace',
      { sources: [{ namespace: 'shop_1', routes: {}, otherDataStream: 'logs' }] },
      /sources\[0\].namespace 'shop_1'; expected/,
    ],
    ['its own namespace as a source', { sources: [{ namespace: 'logging', routes: {}, otherDataStream: 'logs' }] }, /is the shipper's own/],
    ['a namespace twice', { sources: [PROPS.sources[0], PROPS.sources[0]] }, /sources\[1\].namespace 'shop' is listed twice/],
    [
      'a duplicate data stream',
      { sources: [{ namespace: 'shop', routes: { gateway: 'logs' }, otherDataStream: 'logs' }] },
      /sends two routes to data stream 'logs-shop'/,
    ],
    [
      'an upper-case data stream',
      { sources: [{ namespace: 'shop', routes: { gateway: 'Gateway' }, otherDataStream: 'logs' }] },
      /routes\['gateway'\] 'Gateway'; expected a data stream family/,
    ],
    ['a bad app label', { appLabel: 'app name' }, /appLabel 'app name'; expected a label key/],
    [
      'https without an issuer',
      { elasticsearch: { ...PROPS.elasticsearch, tlsIssuer: undefined } },
      /elasticsearch.tlsIssuer is unset while the cluster serves https/,
    ],
    [
      'a host outside the given namespace',
      { elasticsearch: { ...PROPS.elasticsearch, namespace: 'search' } },
      /elasticsearch.cluster.host 'elasticsearch.shop.svc.cluster.local'; expected 'elasticsearch.search.svc.cluster.local'/,
    ],
    ['no API server address', { apiServer: { cidrs: [], port: 6443 } }, /apiServer.cidrs is empty/],
    [
      'a bad API server CIDR',
      { apiServer: { cidrs: ['172.18.0.0'], port: 6443 } },
      /apiServer.cidrs\[0\] '172.18.0.0'; expected an IPv4 CIDR/,
    ],
    [
      'an IPv6 API server CIDR',
      { apiServer: { cidrs: ['fd00::/8'], port: 443 } },
      /apiServer.cidrs\[0\] 'fd00::\/8'; expected an IPv4 CIDR/,
    ],
    ['a bad buffer limit', { outputBufferLimit: '256MB' }, /outputBufferLimit '256MB'; expected a Fluent Bit size/],
    [
      'a state path under /var/log',
      { stateHostPath: '/var/log/fluent-bit' },
      /stateHostPath '\/var\/log\/fluent-bit'; expected an absolute node path outside \/var\/log/,
    ],
    [
      'a memory limit below the request',
      { resources: { cpuRequest: '50m', memoryRequest: '256Mi', memoryLimit: '64Mi' } },
      /memoryLimit: got '64Mi'; expected a value >= memoryRequest/,
    ],
  ])('throws on %s', (_, change, message) => {
    expect(() => synth({ ...PROPS, ...change })).toThrow(message);
  });
});

describe('ServiceGraph.addAddresses', () => {
  test('a peer by IPv4 CIDRs: declared, rendered as ipBlock peers', () => {
    const chart = Testing.chart();
    const graph = new ServiceGraph(chart, 'graph', { namespace: 'shop' });
    graph.addComponent({ name: 'agent', podLabels: { app: 'agent' }, ports: {} });
    graph.addAddresses('kube-apiserver', ['172.18.0.2/32', '172.18.0.3/32']);
    graph.allow('agent', 'kube-apiserver', 6443);
    expect(graph.toDeclaration().addresses).toEqual({ 'kube-apiserver': ['172.18.0.2/32', '172.18.0.3/32'] });
    const policy = find(Testing.synth(chart), 'NetworkPolicy', 'agent');
    expect(policy.spec.egress).toEqual([
      { to: [{ ipBlock: { cidr: '172.18.0.2/32' } }, { ipBlock: { cidr: '172.18.0.3/32' } }], ports: [{ protocol: 'TCP', port: 6443 }] },
    ]);
  });

  test('refuses a name in use, no CIDR and a bad CIDR', () => {
    const graph = new ServiceGraph(Testing.chart(), 'graph', { namespace: 'shop', externals: { prometheus: PROMETHEUS } });
    expect(() => graph.addAddresses('prometheus', ['10.0.0.0/8'])).toThrow(/'prometheus' is already in the graph/);
    expect(() => graph.addAddresses('api', [])).toThrow(/'api' has no CIDRs/);
    expect(() => graph.addAddresses('api', ['10.0.0.0/33'])).toThrow(/CIDR '10.0.0.0\/33'; expected an IPv4 CIDR/);
    expect(() => graph.addAddresses('api', ['fd00::/8'])).toThrow(/CIDR 'fd00::\/8'; expected an IPv4 CIDR/);
  });
});

describe('ServiceGraph.addExternal', () => {
  test('adds a peer of another namespace that flows can name', () => {
    const graph = new ServiceGraph(Testing.chart(), 'graph', { namespace: 'shop' });
    graph.addComponent({ name: 'api', podLabels: { app: 'api' }, ports: { http: 8080 } });
    graph.addExternal('agent', { namespace: 'logging', podLabels: { app: 'agent' } });
    graph.allow('agent', 'api', 'http');
    expect(graph.toDeclaration().externals.agent).toEqual({ namespace: 'logging', podLabels: { app: 'agent' } });
    expect(graph.flows).toEqual([{ from: 'agent', to: 'api', port: 8080, protocol: 'TCP' }]);
  });

  test('refuses a name in use and a peer of the graph’s own namespace', () => {
    const graph = new ServiceGraph(Testing.chart(), 'graph', { namespace: 'shop', externals: { prometheus: PROMETHEUS } });
    expect(() => graph.addExternal('prometheus', { namespace: 'logging' })).toThrow(/'prometheus' is already in the graph/);
    expect(() => graph.addExternal('agent', { namespace: 'shop' })).toThrow(/namespace 'shop'; expected another namespace/);
  });
});
