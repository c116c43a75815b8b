import { loadEnvironment } from '../config';
import { configProblems, envConfig, synthStack, find } from './support/synth';
import { STACKS } from '../charts';
import { Doc } from './support/doc';

const problems = configProblems;

describe('monitoring.alerting config', () => {
  test('a receiver needs exactly one kind', () => {
    const cfg = envConfig('prod');
    cfg.monitoring.alerting.warning = { slack: { channel: '#a' }, webhook: {} };
    expect(problems(cfg)).toContain('monitoring.alerting.warning: got "slack+webhook"; expected exactly one of slack, webhook, email');
    cfg.monitoring.alerting.warning = {};
    expect(problems(cfg)).toContain('monitoring.alerting.warning: got "{}"; expected exactly one of slack, webhook, email');
  });

  test('bad channel, e-mail and smarthost name the field', () => {
    const cfg = envConfig('prod');
    cfg.monitoring.alerting.warning = { slack: { channel: 'alerts' } };
    cfg.monitoring.alerting.critical = { email: { to: 'oncall', from: 'am@example.com', smarthost: 'smtp' } };
    const msg = problems(cfg);
    expect(msg).toContain('monitoring.alerting.warning.slack.channel: got "alerts"');
    expect(msg).toContain('monitoring.alerting.critical.email.to: got "oncall"');
    expect(msg).toContain('monitoring.alerting.critical.email.smarthost: got "smtp"');
  });

  test('receivers need AWS Secrets Manager: generated secrets cannot hold a webhook URL', () => {
    const cfg = envConfig('dev');
    cfg.monitoring.alerting.warning = { slack: { channel: '#alerts' } };
    expect(problems(cfg)).toContain(
      'monitoring.alerting.warning: got {"slack":{"channel":"#alerts"}}; expected no receiver, or secrets.provider \'aws-secrets-manager\'',
    );
  });
});

describe('every stack routes its alerts', () => {
  test.each(STACKS.map((s) => s.name))('%s: dev has only the blackhole receiver and no receivers Secret', (stack) => {
    const objects = synthStack(stack, loadEnvironment(envConfig('dev')));
    const routing = find(objects, 'AlertmanagerConfig', 'alert-routing');
    expect(routing.spec.receivers).toEqual([{ name: 'blackhole' }]);
    expect(routing.metadata.labels.release).toBe('kube-prometheus-stack');
    expect(objects.some((o) => o.metadata?.name === 'alertmanager-receivers')).toBe(false);
  });

  test.each(STACKS.map((s) => s.name))('%s: prod sends warnings and critical alerts to Slack with URLs from Secrets Manager', (stack) => {
    const objects = synthStack(stack, loadEnvironment(envConfig('prod')));
    const routing = find(objects, 'AlertmanagerConfig', 'alert-routing');
    expect(routing.spec.receivers.map((r: Doc) => [r.name, r.slackConfigs?.[0].channel, r.slackConfigs?.[0].apiURL])).toEqual([
      ['blackhole', undefined, undefined],
      ['warning', '#backend-alerts', { name: 'alertmanager-receivers', key: 'WARNING_SLACK_WEBHOOK_URL' }],
      ['critical', '#backend-oncall', { name: 'alertmanager-receivers', key: 'CRITICAL_SLACK_WEBHOOK_URL' }],
    ]);
    const es = find(objects, 'ExternalSecret', 'alertmanager-receivers');
    expect(es.spec.data.map((d: Doc) => d.secretKey).sort()).toEqual(['CRITICAL_SLACK_WEBHOOK_URL', 'WARNING_SLACK_WEBHOOK_URL']);
  });

  test('an e-mail receiver with authentication reads its SMTP password from the Secret', () => {
    const cfg = envConfig('prod');
    cfg.monitoring.alerting.critical = {
      email: { to: 'oncall@example.com', from: 'am@example.com', smarthost: 'smtp.example.com:587', authUsername: 'am' },
    };
    const routing = find(synthStack('wondernest', loadEnvironment(cfg)), 'AlertmanagerConfig', 'alert-routing');
    expect(routing.spec.receivers[2].emailConfigs[0].authPassword).toEqual({
      name: 'alertmanager-receivers',
      key: 'CRITICAL_SMTP_PASSWORD',
    });
  });
});
