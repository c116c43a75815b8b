/**
 * elasticsearchRules (lib/constructs/monitoring/elasticsearch-rules.ts) under the REAL promtool:
 * `check rules`, and `test rules` scenarios over series shaped like elasticsearch_exporter 1.9's
 * (three nodes, each with its own exporter sidecar reporting the cluster's health, its own node's
 * filesystem and, with --es.indices, every index) in which every alert fires (honouring its `for`)
 * and stays silent on healthy series, including broken series of another namespace and job; the
 * panels' queries parse.
 */
import { elasticsearchPanels } from '../../lib/constructs/monitoring/elasticsearch-panels';
import { elasticsearchRules } from '../../lib/constructs/monitoring/elasticsearch-rules';
import { coverage, Promtool, Scenario } from '../support/promtool-scenarios';

const NS = 'shop';
const JOB = 'elasticsearch';
const PODS = ['elasticsearch-0', 'elasticsearch-1', 'elasticsearch-2'];
const GB = 1e9;
const STREAMS = '(gateway|backend)-logs-.+';
const index = (stream: string, generation = 1) => `.ds-${stream}-shop-2026.12.06-00000${generation}`;

type Override = (name: string, pod: string, extra?: string) => string | undefined;

/** A healthy green cluster of `namespace`/`job`: disks half full, gateway and backend logs arriving, the quiet `logs` stream flat. */
function cluster(namespace = NS, job = JOB, over: Override = () => undefined): Record<string, string> {
  const series: Record<string, string> = {};
  const put = (name: string, pod: string, labels: string, value: string, extra?: string) => {
    const v = over(name, pod, extra) ?? value;
    if (v !== '') series[`${name}{namespace="${namespace}",job="${job}",pod="${pod}"${labels}}`] = v;
  };
  for (const pod of PODS) {
    put('up', pod, '', '1x40');
    for (const color of ['green', 'yellow', 'red'])
      put('elasticsearch_cluster_health_status', pod, `,cluster="shop",color="${color}"`, color === 'green' ? '1x40' : '0x40', color);
    const node = `,cluster="shop",name="${pod}",mount="/usr/share/elasticsearch/data (/dev/sdb)",path="/usr/share/elasticsearch/data"`;
    put('elasticsearch_filesystem_data_available_bytes', pod, node, `${50 * GB}x40`);
    put('elasticsearch_filesystem_data_size_bytes', pod, node, `${100 * GB}x40`);
    for (const stream of ['gateway-logs', 'backend-logs', 'logs'])
      put(
        'elasticsearch_indices_docs_primary',
        pod,
        `,cluster="shop",index="${index(stream)}"`,
        stream === 'logs' ? '10x40' : '0+100x40',
        stream,
      );
  }
  return series;
}

/** Another stack's cluster and another job of this namespace, broken in every way. */
const badNeighbours: Record<string, string> = {
  ...cluster('other', JOB, (name, _pod, extra) =>
    name === 'up'
      ? '0x40'
      : name === 'elasticsearch_cluster_health_status'
        ? extra === 'red'
          ? '1x40'
          : '0x40'
        : name === 'elasticsearch_filesystem_data_available_bytes'
          ? `${1 * GB}x40`
          : name === 'elasticsearch_indices_docs_primary'
            ? '5x40'
            : undefined,
  ),
  ...cluster(NS, 'catalog-elasticsearch', (name, _pod, extra) =>
    name === 'up' ? '0x40' : name === 'elasticsearch_cluster_health_status' ? (extra === 'yellow' ? '1x40' : '0x40') : undefined,
  ),
};

const ALERTS = [
  'ElasticsearchClusterNotGreen',
  'ElasticsearchClusterRed',
  'ElasticsearchDiskWatermarkNear',
  'ElasticsearchExporterDown',
  'LogShippingStopped',
] as const;
const me = { namespace: NS, job: JOB };
const silent = (at: string, ...alerts: string[]) => alerts.map((alert) => ({ at, alert, fires: [] }));

const rules = elasticsearchRules({ namespace: NS, job: JOB, alertPrefix: '', shippedStreams: STREAMS });
const scenarios: Scenario[] = [
  {
    name: 'a healthy cluster with broken neighbours stays silent',
    series: { ...cluster(), ...badNeighbours },
    checks: [...silent('10m', ...ALERTS), ...silent('35m', ...ALERTS)],
  },
  {
    name: 'yellow (a replica unassigned): not green after 5m, not red',
    series: {
      ...cluster(NS, JOB, (name, _pod, color) =>
        name === 'elasticsearch_cluster_health_status' ? (color === 'yellow' ? '1x40' : '0x40') : undefined,
      ),
      ...badNeighbours,
    },
    checks: [
      ...silent('4m', 'ElasticsearchClusterNotGreen'),
      { at: '10m', alert: 'ElasticsearchClusterNotGreen', fires: [{ ...me, cluster: 'shop' }] },
      ...silent('10m', 'ElasticsearchClusterRed'),
    ],
  },
  {
    name: 'red (a primary unassigned) from minute 10: red after 2m',
    series: {
      ...cluster(NS, JOB, (name, _pod, color) =>
        name === 'elasticsearch_cluster_health_status'
          ? color === 'green'
            ? '1x9 0x30'
            : color === 'red'
              ? '0x9 1x30'
              : '0x40'
          : undefined,
      ),
      ...badNeighbours,
    },
    checks: [
      ...silent('11m', 'ElasticsearchClusterRed'),
      { at: '13m', alert: 'ElasticsearchClusterRed', fires: [{ ...me, cluster: 'shop' }] },
      { at: '16m', alert: 'ElasticsearchClusterNotGreen', fires: [{ ...me, cluster: 'shop' }] },
    ],
  },
  {
    name: "one node's data disk 83% used: the watermark alert for that node after 10m; 78% stays silent",
    series: {
      ...cluster(NS, JOB, (name, pod) =>
        name === 'elasticsearch_filesystem_data_available_bytes'
          ? pod === 'elasticsearch-1'
            ? `${17 * GB}x40`
            : pod === 'elasticsearch-2'
              ? `${22 * GB}x40`
              : undefined
          : undefined,
      ),
      ...badNeighbours,
    },
    checks: [
      ...silent('9m', 'ElasticsearchDiskWatermarkNear'),
      { at: '12m', alert: 'ElasticsearchDiskWatermarkNear', fires: [{ ...me, name: 'elasticsearch-1' }] },
    ],
  },
  {
    name: "one node's exporter down: after 5m",
    series: { ...cluster(NS, JOB, (name, pod) => (name === 'up' && pod === 'elasticsearch-2' ? '0x40' : undefined)), ...badNeighbours },
    checks: [...silent('4m', 'ElasticsearchExporterDown'), { at: '7m', alert: 'ElasticsearchExporterDown', fires: [me] }],
  },
  {
    name: 'not scraped at all: the exporter alert, from absent()',
    series: { ...cluster(NS, JOB, (name) => (name === 'up' ? '' : undefined)), ...badNeighbours },
    checks: [{ at: '7m', alert: 'ElasticsearchExporterDown', fires: [me] }],
  },
  {
    name: 'gateway and backend logs stop at minute 10: fires once 15 minutes pass without a document',
    series: {
      ...cluster(NS, JOB, (name, _pod, stream) =>
        name === 'elasticsearch_indices_docs_primary' && stream !== 'logs' ? '0+100x10 1000x30' : undefined,
      ),
      ...badNeighbours,
    },
    checks: [...silent('20m', 'LogShippingStopped'), { at: '28m', alert: 'LogShippingStopped', fires: [me] }],
  },
  {
    name: 'a rollover at minute 20 (the old backing index stops, the new one grows) stays silent',
    series: {
      ...Object.fromEntries(
        Object.entries(cluster()).filter(([s]) => !s.startsWith('elasticsearch_indices_docs_primary') || s.includes('index=".ds-logs-')),
      ),
      ...Object.fromEntries(
        PODS.flatMap((pod) =>
          ['gateway-logs', 'backend-logs'].flatMap((stream) => [
            [
              `elasticsearch_indices_docs_primary{namespace="${NS}",job="${JOB}",pod="${pod}",cluster="shop",index="${index(stream, 1)}"}`,
              '0+100x20 2000x20',
            ],
            [
              `elasticsearch_indices_docs_primary{namespace="${NS}",job="${JOB}",pod="${pod}",cluster="shop",index="${index(stream, 2)}"}`,
              '_x21 100+100x19',
            ],
          ]),
        ),
      ),
      ...badNeighbours,
    },
    checks: silent('38m', 'LogShippingStopped'),
  },
];

let promtool: Promtool;
beforeAll(() => {
  promtool = new Promtool();
});
afterAll(() => promtool?.dispose());

describe('elasticsearchRules', () => {
  test('builds the five alerts', () => {
    expect(rules.map((r) => r.alert)).toEqual([...ALERTS]);
    expect(elasticsearchRules({ namespace: NS, job: JOB, alertPrefix: 'Shop' }).map((r) => r.alert)).toEqual([
      'ShopElasticsearchClusterNotGreen',
      'ShopElasticsearchClusterRed',
      'ShopElasticsearchDiskWatermarkNear',
      'ShopElasticsearchExporterDown',
    ]);
  });

  test('promtool check rules', () => {
    expect(promtool.checkRules('elasticsearch', rules)).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  test('every alert fires in one scenario and is silent in another', () => {
    const { fired, silent: quiet } = coverage(scenarios);
    expect(ALERTS.filter((a) => !fired.has(a))).toEqual([]);
    expect(ALERTS.filter((a) => !quiet.has(a))).toEqual([]);
  });

  test.each(scenarios.map((s) => [s.name, s] as const))('%s', (_name, scenario) => {
    promtool.testScenario('elasticsearch', rules, scenario);
  });

  test('the panel queries parse', () => {
    const exprs = elasticsearchPanels({ job: JOB }).flatMap((p) => p.exprs.map((e) => e.expr.split('$namespace').join(NS)));
    expect(promtool.checkExpressions('elasticsearch-panels', exprs)).toContain('SUCCESS');
  });

  test.each<[string, Parameters<typeof elasticsearchRules>[0], RegExp]>([
    ['a ratio above 1', { namespace: NS, job: JOB, alertPrefix: '', diskUsedRatio: 85 }, /diskUsedRatio/],
    [
      'a broken stream pattern',
      { namespace: NS, job: JOB, alertPrefix: '', shippedStreams: '(gateway' },
      /shippedStreams must be a regular expression/,
    ],
    [
      'zero minutes',
      { namespace: NS, job: JOB, alertPrefix: '', shippingStalledMinutes: 0 },
      /shippingStalledMinutes must be an integer >= 1, got 0/,
    ],
  ])('refuses %s', (_case, props, message) => {
    expect(() => elasticsearchRules(props)).toThrow(message);
  });
});
