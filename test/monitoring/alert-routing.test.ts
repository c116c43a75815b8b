import { Testing } from 'cdk8s';
import { AlertRouting, AlertRoutingProps } from '../../lib/constructs/monitoring';
import { SchemaCheck } from '../../lib/checks/schema-check';
import { Doc } from '../support/doc';

function render(props: Partial<AlertRoutingProps> = {}) {
  const chart = Testing.chart();
  const routing = new AlertRouting(chart, 'routing', { namespace: 'shop', release: 'kube-prometheus-stack', ...props });
  return { routing, objects: Testing.synth(chart) };
}

const slack = { slack: { channel: '#alerts', webhookUrl: { name: 'alertmanager-slack', key: 'webhook-url' } } };
const email = {
  email: {
    to: 'oncall@example.com',
    from: 'alertmanager@example.com',
    smarthost: 'smtp.example.com:587',
    authUsername: 'alertmanager',
    authPassword: { name: 'smtp', key: 'password' },
  },
};

describe('AlertRouting', () => {
  test('routes by severity, groups, inhibits warnings under a critical alert', () => {
    const { objects } = render({ warning: slack, critical: email });
    expect(objects).toMatchSnapshot();
    const spec = objects[0].spec;
    expect(objects[0].metadata.labels).toEqual({ release: 'kube-prometheus-stack' });
    expect(spec.route.routes.map((r: Doc) => [r.receiver, r.matchers[0].value, r.repeatInterval])).toEqual([
      ['critical', 'critical', '1h'],
      ['warning', 'warning', '12h'],
    ]);
    expect(spec.inhibitRules[0].equal).toEqual(['alertname', 'namespace']);
    expect(spec.receivers.map((r: Doc) => r.name)).toEqual(['blackhole', 'warning', 'critical']);
  });

  test('is valid against the AlertmanagerConfig CRD schema, with no unknown field', () => {
    for (const props of [{}, { warning: slack }, { warning: { webhook: { url: { name: 'hook', key: 'url' } } }, critical: email }]) {
      const violations = new SchemaCheck().run({
        objects: render(props).objects.map((object, index) => ({ env: 'dev', file: 'x', index, object })),
        environments: {},
      });
      expect(violations).toEqual([]);
    }
  });

  test('without receivers every route ends in the blackhole receiver (alerts stay visible in the UI)', () => {
    const spec = render().objects[0].spec;
    expect(spec.receivers).toEqual([{ name: 'blackhole' }]);
    expect(spec.route.routes.every((r: Doc) => r.receiver === 'blackhole')).toBe(true);
  });

  test('critical alerts default to the warning receiver', () => {
    const spec = render({ warning: slack }).objects[0].spec;
    expect(spec.receivers.map((r: Doc) => r.name)).toEqual(['blackhole', 'warning', 'critical']);
    expect(spec.receivers[2].slackConfigs[0].channel).toBe('#alerts');
  });

  test('no secret value is rendered: receivers reference Secret keys', () => {
    const text = JSON.stringify(render({ warning: slack, critical: email }).objects);
    expect(text).toContain('"apiURL":{"key":"webhook-url","name":"alertmanager-slack"}');
    expect(text).not.toMatch(/hooks\.slack\.com|password"?:\s*"[^{]/);
  });

  test('toAlertmanagerYaml mirrors the object in alertmanager.yml form', () => {
    const { routing } = render({ warning: slack });
    const file: Doc = routing.toAlertmanagerYaml(() => 'https://hooks.example.com/x');
    expect(file.route.routes[0]).toEqual({ receiver: 'critical', matchers: ['severity="critical"'], repeat_interval: '1h' });
    expect(file.receivers[1].slack_configs[0]).toMatchObject({
      channel: '#alerts',
      api_url: 'https://hooks.example.com/x',
      send_resolved: true,
    });
  });

  test.each([
    ['a bad duration', { groupWait: 'soon' }, "groupWait must be a duration such as '30s', '5m' or '1h', got \"soon\""],
    ['a bad group label', { groupBy: ['alert-name'] }, 'groupBy[0]'],
    [
      'a receiver with two kinds',
      { warning: { ...slack, ...email } },
      'warning must be exactly one of slack, webhook, email, got "slack+email"',
    ],
    ['a receiver with no kind', { warning: {} }, 'warning must be exactly one of slack, webhook, email, got "nothing"'],
    ['a bad channel', { warning: { slack: { channel: 'alerts', webhookUrl: { name: 's', key: 'k' } } } }, 'warning.slack.channel'],
    ['a bad e-mail', { critical: { email: { ...email.email, to: 'oncall' } } }, 'critical.email.to'],
    ['a bad smarthost', { critical: { email: { ...email.email, smarthost: 'smtp' } } }, 'critical.email.smarthost'],
    ['a password without user', { critical: { email: { ...email.email, authUsername: undefined } } }, 'critical.email.authPassword'],
    ['a secret without key', { warning: { webhook: { url: { name: 'hook', key: '' } } } }, 'warning.webhook.url'],
    ['a bad namespace', { namespace: 'Shop' }, 'namespace'],
  ])('rejects %s', (_what, props, message) => {
    expect(() => render(props as Partial<AlertRoutingProps>)).toThrow(message);
  });
});
