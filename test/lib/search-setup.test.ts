import { Testing } from 'cdk8s';
import { ServiceGraph } from '../../lib/constructs/network/service-graph';
import {
  IndexTemplateBody,
  logIndexTemplate,
  logStorageSteps,
  RoleBody,
  SearchSetupStep,
  UserBody,
  SlmPolicyBody,
} from '../../lib/constructs/search/search-requests';
import { SearchSetup, SearchSetupProps } from '../../lib/constructs/search/search-setup';
import { Doc } from '../support/doc';
import { expectNoSecretValues, expectRestrictedPods } from '../support/stack-assertions';

const elasticsearch = { name: 'elasticsearch', podLabels: { app: 'es' }, ports: { http: 9200, transport: 9300 } };
const kibana = { name: 'kibana', podLabels: { app: 'kibana' }, ports: { http: 5601 } };
const resources = { cpuRequest: '10m', memoryRequest: '16Mi', memoryLimit: '32Mi' };
const IMAGE = 'curlimages/curl:8.11.1';

const steps = logStorageSteps({
  streams: ['gateway-logs', 'backend-logs', 'logs'],
  retentionDays: 30,
  replicas: 1,
  snapshots: { bucket: 'shop-backups', basePath: 'elasticsearch', retentionDays: 30 },
  dataViews: true,
});

function props(overrides: Partial<SearchSetupProps> = {}): SearchSetupProps {
  return {
    namespace: 'shop',
    partOf: 'shop',
    elasticsearch: { url: 'https://elasticsearch:9200', component: elasticsearch, port: 'http' },
    kibana: { url: 'http://kibana:5601', component: kibana, port: 'http' },
    username: 'elastic',
    password: { secret: 'elasticsearch-credentials', key: 'ELASTIC_PASSWORD' },
    caSecret: 'elasticsearch-tls',
    steps,
    image: IMAGE,
    resources,
    ...overrides,
  };
}

function synth(p: SearchSetupProps = props()): { setup: SearchSetup; docs: Doc[]; graph: ServiceGraph } {
  const chart = Testing.chart();
  const graph = new ServiceGraph(chart, 'graph', { namespace: 'shop' });
  graph.addComponent(elasticsearch);
  graph.addComponent(kibana);
  const setup = new SearchSetup(chart, 'search-setup', p);
  setup.addTo(graph);
  return { setup, docs: Testing.synth(chart), graph };
}

describe('SearchSetup', () => {
  test('snapshot', () => {
    expect(synth().docs.filter((d) => d.kind !== 'NetworkPolicy')).toMatchSnapshot();
  });

  test('the plan applies ILM before templates, the repository before SLM, then data views', () => {
    expect(synth().setup.plan).toEqual([
      'put es /_ilm/policy/logs-30d ilm-policy.logs-30d.json',
      'put es /_index_template/gateway-logs index-template.gateway-logs.json',
      'put es /_index_template/backend-logs index-template.backend-logs.json',
      'put es /_index_template/logs index-template.logs.json',
      'put es /_snapshot/log-snapshots snapshot-repository.log-snapshots.json',
      'put es /_slm/policy/daily-logs slm-policy.daily-logs.json',
      'create kibana /api/data_views/data_view gateway-logs.json',
      'create kibana /api/data_views/data_view backend-logs.json',
      'create kibana /api/data_views/data_view logs.json',
    ]);
  });

  test('the ConfigMap holds the script, the plan and each body as JSON', () => {
    const cm = synth().docs.find((d) => d.kind === 'ConfigMap')!;
    const data = cm.data as Record<string, string>;
    expect(Object.keys(data).sort()).toEqual(
      [
        'search-setup.sh',
        'plan',
        'ilm-policy.logs-30d.json',
        'index-template.gateway-logs.json',
        'index-template.backend-logs.json',
        'index-template.logs.json',
        'snapshot-repository.log-snapshots.json',
        'slm-policy.daily-logs.json',
        'gateway-logs.json',
        'backend-logs.json',
        'logs.json',
      ].sort(),
    );
    expect(JSON.parse(data['ilm-policy.logs-30d.json'])).toMatchObject({
      policy: { phases: { hot: { actions: { rollover: { max_age: '1d' } } }, delete: { min_age: '30d', actions: { delete: {} } } } },
    });
    expect(JSON.parse(data['index-template.logs.json'])).toMatchObject({
      index_patterns: ['logs-*'],
      data_stream: {},
      priority: 200,
      template: { settings: { 'index.lifecycle.name': 'logs-30d', number_of_replicas: 1 } },
    });
    expect(JSON.parse(data['slm-policy.daily-logs.json'])).toEqual({
      schedule: '0 30 1 * * ?',
      name: '<logs-{now/d}>',
      repository: 'log-snapshots',
      config: { indices: ['gateway-logs-*', 'backend-logs-*', 'logs-*'], include_global_state: false, ignore_unavailable: true },
      retention: { expire_after: '30d', min_count: 3, max_count: 60 },
    });
    expect(JSON.parse(data['logs.json'])).toEqual({
      data_view: { id: 'logs', title: 'logs-*', name: 'logs-*', timeFieldName: '@timestamp' },
      override: false,
    });
  });

  test('restricted pod, password from the Secret, CA mounted, no secret values', () => {
    const { docs } = synth();
    expectRestrictedPods(docs, 1);
    expectNoSecretValues(docs);
    const job = docs.find((d) => d.kind === 'Job')!;
    const pod = (
      job.spec as { template: { spec: { containers: Array<{ env: Array<{ name: string; value?: string; valueFrom?: unknown }> }> } } }
    ).template.spec;
    const env = Object.fromEntries(pod.containers[0].env.map((e) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toMatchObject({
      ES_URL: 'https://elasticsearch:9200',
      KIBANA_URL: 'http://kibana:5601',
      ES_USERNAME: 'elastic',
      CA_FILE: '/etc/search-ca/ca.crt',
      ES_PASSWORD: { secretKeyRef: { name: 'elasticsearch-credentials', key: 'ELASTIC_PASSWORD' } },
    });
    expect(job.metadata.annotations).toMatchObject({ 'argocd.argoproj.io/hook': 'Sync' });
  });

  test('the Job name changes with what it does', () => {
    const a = synth().setup.jobName;
    const b = synth(props({ steps: logStorageSteps({ streams: ['logs'], retentionDays: 7, replicas: 0 }) })).setup.jobName;
    expect(a).toMatch(/^search-setup-[0-9a-f]{8}$/);
    expect(b).not.toEqual(a);
    expect(synth().setup.jobName).toEqual(a);
  });

  test('addTo lets the Job reach Elasticsearch and Kibana only', () => {
    const { graph } = synth();
    expect(graph.flows.filter((f) => f.from === 'search-setup')).toEqual([
      { from: 'search-setup', to: 'elasticsearch', port: 9200, protocol: 'TCP' },
      { from: 'search-setup', to: 'kibana', port: 5601, protocol: 'TCP' },
    ]);
  });

  const role: SearchSetupStep = {
    kind: 'role',
    name: 'log-writer',
    body: { indices: [{ names: ['logs-*'], privileges: ['create_doc', 'auto_configure'] }] },
  };
  const user: SearchSetupStep = {
    kind: 'user',
    name: 'log-shipper',
    body: { roles: ['log-writer'] },
    password: { secret: 'users', key: 'SHIPPER' },
  };
  const kibanaSystem: SearchSetupStep = { kind: 'password', name: 'kibana_system', password: { secret: 'users', key: 'KIBANA' } };

  test('users and passwords: bodies without the password, each password from its Secret by an env variable the plan names', () => {
    const { setup, docs } = synth(props({ steps: [role, user, kibanaSystem, ...steps] }));
    expect(setup.plan.slice(0, 3)).toEqual([
      'put es /_security/role/log-writer role.log-writer.json',
      'putpw es /_security/user/log-shipper user.log-shipper.json PASSWORD_LOG_SHIPPER',
      'putpw es /_security/user/kibana_system/_password password.kibana_system.json PASSWORD_KIBANA_SYSTEM',
    ]);
    const data = setup.configMap.toJson().data as Record<string, string>;
    expect(JSON.parse(data['user.log-shipper.json'])).toEqual({ roles: ['log-writer'] });
    expect(JSON.parse(data['password.kibana_system.json'])).toEqual({});
    const env = (docs.find((d) => d.kind === 'Job')!.spec.template.spec.containers[0].env as Doc[]).filter((e) =>
      (e.name as string).startsWith('PASSWORD_'),
    );
    expect(env).toEqual([
      { name: 'PASSWORD_KIBANA_SYSTEM', valueFrom: { secretKeyRef: { name: 'users', key: 'KIBANA' } } },
      { name: 'PASSWORD_LOG_SHIPPER', valueFrom: { secretKeyRef: { name: 'users', key: 'SHIPPER' } } },
    ]);
    expectNoSecretValues(docs);
  });

  const template = (name: string, lifecycle: string): SearchSetupStep => ({
    kind: 'index-template',
    name,
    body: logIndexTemplate({ patterns: [`${name}-*`], lifecycle, priority: 200, shards: 1, replicas: 0 }),
  });
  test.each<[string, Partial<SearchSetupProps>, RegExp]>([
    ['bad name', { name: 'Search_Setup' }, /name 'Search_Setup'; expected a DNS-1035 label/],
    ['floating image', { image: 'curlimages/curl:latest' }, /image 'curlimages\/curl:latest'/],
    [
      'url with a path',
      { elasticsearch: { url: 'https://es:9200/x', component: elasticsearch, port: 'http' } },
      /elasticsearch.url 'https:\/\/es:9200\/x' is invalid/,
    ],
    ['user without password', { password: undefined }, /username 'elastic' without a password/],
    ['no steps', { steps: [] }, /steps is empty/],
    [
      'template before its policy',
      { steps: [template('app-logs', 'logs-7d')] },
      /steps\[0\]: index template 'app-logs' uses ILM policy 'logs-7d', which no earlier step declares/,
    ],
    [
      'SLM before its repository',
      { steps: steps.filter((s) => s.kind === 'slm-policy') },
      /steps\[0\]: SLM policy 'daily-logs' writes to repository 'log-snapshots', which no earlier step declares/,
    ],
    ['data view without Kibana', { kibana: undefined }, /steps\[6\] is a data view but kibana is not set/],
    [
      'uppercase ES name',
      { steps: [{ kind: 'ilm-policy', name: 'Logs', body: steps[0].kind === 'ilm-policy' ? steps[0].body : { policy: { phases: {} } } }] },
      /steps\[0\].name 'Logs' is invalid/,
    ],
    ['duplicate', { steps: [steps[0], steps[0]] }, /steps\[1\]: ilm-policy 'logs-30d' is already steps\[0\]/],
    [
      'a user before its role',
      { steps: [user, role] },
      /steps\[0\]: user 'log-shipper' has role 'log-writer', which no earlier step declares/,
    ],
    ['a user twice', { steps: [role, user, user] }, /steps\[2\]: user 'log-shipper' is already steps\[1\]/],
    ['a user name with a space', { steps: [{ ...kibanaSystem, name: 'kibana system' }] }, /steps\[0\].name 'kibana system' is invalid/],
    [
      'a password without a Secret key',
      { steps: [{ ...kibanaSystem, password: { secret: 'users', key: '' } }] },
      /steps\[0\].password.key ''; expected/,
    ],
  ])('refuses %s', (_case, overrides, message) => {
    expect(() => synth(props(overrides))).toThrow(message);
  });
});

describe('request bodies are typed by the official client', () => {
  test('a field the API does not have fails tsc', () => {
    const bad: IndexTemplateBody = {
      index_patterns: ['x-*'],
      // @ts-expect-error -- `index_pattern` is not a field of PUT _index_template (the API's is index_patterns)
      index_pattern: ['x-*'],
    };
    const wrongType: Partial<SlmPolicyBody> = {
      // @ts-expect-error -- retention.max_count is an integer, not a string
      retention: { expire_after: '30d', min_count: 1, max_count: 'ten' },
    };
    const badRole: RoleBody = {
      // @ts-expect-error -- `index` is not a field of PUT _security/role (the API's is `indices`)
      index: [{ names: ['x'], privileges: ['read'] }],
    };
    // @ts-expect-error -- a user body needs `roles` (an empty list for none)
    const noRoles: UserBody = { full_name: 'x' };
    expect([bad.index_patterns, wrongType.retention?.expire_after, Object.keys(badRole), noRoles.full_name]).toEqual([
      ['x-*'],
      '30d',
      ['index'],
      'x',
    ]);
  });
});
