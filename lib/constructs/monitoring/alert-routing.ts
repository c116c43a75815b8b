import { Construct } from 'constructs';
import {
  AlertmanagerConfig,
  AlertmanagerConfigSpecInhibitRulesSourceMatchMatchType,
  AlertmanagerConfigSpecInhibitRulesTargetMatchMatchType,
  AlertmanagerConfigSpecRouteMatchersMatchType,
} from '../../../imports/monitoring.coreos.com';
import { checkLabelValue, checkNamespace, checkObjectName, fail } from './validation';
import { ALERTMANAGER_DURATION_RE, email, hostPort, PROMETHEUS_LABEL_NAME_RE } from '../../core/formats';

/** A key of a Secret in the same namespace (e.g. a Slack webhook URL). */
export interface SecretKey {
  readonly name: string;
  readonly key: string;
}

/** Where a class of alerts is sent. Exactly one of `slack`, `webhook`, `email`. */
export interface AlertReceiver {
  /** Slack incoming webhook. */
  readonly slack?: {
    /** Channel, e.g. `#alerts`. */
    readonly channel: string;
    /** Secret key holding the webhook URL. */
    readonly webhookUrl: SecretKey;
  };
  /** Generic webhook (PagerDuty Events v2 bridge, Opsgenie, a chat relay...). */
  readonly webhook?: {
    /** Secret key holding the URL (URLs often embed tokens). */
    readonly url: SecretKey;
  };
  /** E-mail through an SMTP relay. */
  readonly email?: {
    readonly to: string;
    readonly from: string;
    /** `host:port` of the SMTP relay. */
    readonly smarthost: string;
    /** SMTP user. @default - no authentication */
    readonly authUsername?: string;
    /** Secret key holding the SMTP password. @default - no authentication */
    readonly authPassword?: SecretKey;
  };
}

/** Props for {@link AlertRouting}. */
export interface AlertRoutingProps {
  /** Namespace of the AlertmanagerConfig; the operator limits it to alerts of this namespace. */
  readonly namespace: string;
  /** Object name. @default 'alert-routing' */
  readonly name?: string;
  /** Value of the `release` label (kube-prometheus-stack selects configs by it). */
  readonly release: string;
  /** Extra labels. @default - only `release` */
  readonly labels?: Readonly<Record<string, string>>;
  /** Receiver of `severity=warning` alerts. @default - none: warnings stay visible in the Alertmanager UI only */
  readonly warning?: AlertReceiver;
  /** Receiver of `severity=critical` alerts. @default - the warning receiver */
  readonly critical?: AlertReceiver;
  /** Labels that group alerts into one notification. @default ['alertname', 'namespace'] */
  readonly groupBy?: readonly string[];
  /** Wait before the first notification of a group. @default '30s' */
  readonly groupWait?: string;
  /** Wait before notifying about new alerts of a group. @default '5m' */
  readonly groupInterval?: string;
  /** Re-send interval of a firing critical alert. @default '1h' */
  readonly criticalRepeatInterval?: string;
  /** Re-send interval of a firing warning. @default '12h' */
  readonly warningRepeatInterval?: string;
}

/**
 * A label matcher (`severity="critical"`). The CRD bindings give routes and the two sides of an
 * inhibit rule each their own (equal-valued) match-type enum, hence the parameter.
 */
interface Matcher<T extends string> {
  readonly name: string;
  readonly value: string;
  readonly matchType: T;
}

/** A child route: one severity to one receiver. */
interface SeverityRoute {
  readonly receiver: string;
  readonly matchers: Matcher<AlertmanagerConfigSpecRouteMatchersMatchType>[];
  readonly repeatInterval: string;
}

interface InhibitRule {
  readonly sourceMatch: Matcher<AlertmanagerConfigSpecInhibitRulesSourceMatchMatchType>[];
  readonly targetMatch: Matcher<AlertmanagerConfigSpecInhibitRulesTargetMatchMatchType>[];
  readonly equal: string[];
}

interface SlackConfig {
  readonly channel: string;
  readonly apiUrl: SecretKey;
  readonly sendResolved: boolean;
  readonly title: string;
  readonly text: string;
}

interface WebhookConfig {
  readonly urlSecret: SecretKey;
  readonly sendResolved: boolean;
}

/** SMTP authentication: `receiver()` sets the user and the password secret together, or neither. */
interface EmailConfig {
  readonly to: string;
  readonly from: string;
  readonly smarthost: string;
  readonly sendResolved: boolean;
  readonly authUsername?: string;
  readonly authPassword?: SecretKey;
}

/** A receiver as this construct builds it: a name and exactly one kind of config (none for the null receiver). */
interface Receiver {
  readonly name: string;
  readonly slackConfigs?: SlackConfig[];
  readonly webhookConfigs?: WebhookConfig[];
  readonly emailConfigs?: EmailConfig[];
}

/**
 * The AlertmanagerConfig spec this construct renders: the subset of the CRD's (all-optional)
 * `AlertmanagerConfigSpec` it fills, with every field it sets required, so that
 * {@link AlertRouting.toAlertmanagerYaml} reads it without guessing.
 */
interface RoutingSpec {
  readonly route: {
    readonly receiver: string;
    readonly groupBy: string[];
    readonly groupWait: string;
    readonly groupInterval: string;
    readonly repeatInterval: string;
    readonly routes: SeverityRoute[];
  };
  readonly receivers: Receiver[];
  readonly inhibitRules: InhibitRule[];
}

/**
 * The `alertmanager.yml` form of a {@link RoutingSpec} (snake_case keys, matchers as strings, secrets
 * resolved). A fresh object per call, the caller's to change (tests break it on purpose).
 */
export interface AlertmanagerYaml {
  route: {
    receiver: string;
    group_by: string[];
    group_wait: string;
    group_interval: string;
    repeat_interval: string;
    routes: { receiver: string; matchers: string[]; repeat_interval: string }[];
  };
  inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[];
  receivers: {
    name: string;
    slack_configs?: {
      channel: string;
      api_url: string;
      send_resolved: boolean;
      title: string;
      text: string;
    }[];
    webhook_configs?: { url: string; send_resolved: boolean }[];
    email_configs?: {
      to: string;
      from: string;
      smarthost: string;
      auth_username?: string;
      auth_password?: string;
      send_resolved: boolean;
    }[];
  }[];
}

const DURATION = ALERTMANAGER_DURATION_RE;
const LABEL_NAME = PROMETHEUS_LABEL_NAME_RE;
const NULL_RECEIVER = 'blackhole';
const EQ = AlertmanagerConfigSpecRouteMatchersMatchType.VALUE_EQUALS;
const SOURCE_EQ = AlertmanagerConfigSpecInhibitRulesSourceMatchMatchType.VALUE_EQUALS;
const TARGET_EQ = AlertmanagerConfigSpecInhibitRulesTargetMatchMatchType.VALUE_EQUALS;

/**
 * Routes a namespace's alerts by severity: critical alerts to the critical receiver (re-sent
 * hourly), warnings to the warning receiver (twice a day), grouped by alert and namespace; a
 * firing critical alert silences the warning of the same name. Renders a Prometheus Operator
 * `AlertmanagerConfig` (v1alpha1); {@link AlertRouting.toAlertmanagerYaml} gives the equivalent
 * `alertmanager.yml` for `amtool check-config`.
 */
export class AlertRouting extends Construct {
  public readonly name: string;
  private readonly spec: RoutingSpec;

  constructor(scope: Construct, id: string, props: AlertRoutingProps) {
    super(scope, id);
    const where = `AlertRouting '${id}'`;
    this.name = props.name ?? 'alert-routing';
    checkNamespace(where, 'namespace', props.namespace);
    checkObjectName(where, 'name', this.name);
    checkLabelValue(where, 'release', props.release);
    const groupBy = [...(props.groupBy ?? ['alertname', 'namespace'])];
    groupBy.forEach((l, i) => {
      if (!LABEL_NAME.test(l)) fail(where, `groupBy[${i}]`, l, 'a Prometheus label name');
    });
    const durations = {
      groupWait: props.groupWait ?? '30s',
      groupInterval: props.groupInterval ?? '5m',
      criticalRepeatInterval: props.criticalRepeatInterval ?? '1h',
      warningRepeatInterval: props.warningRepeatInterval ?? '12h',
    };
    for (const [field, v] of Object.entries(durations))
      if (!DURATION.test(v)) fail(where, field, v, "a duration such as '30s', '5m' or '1h'");

    const receivers: Receiver[] = [{ name: NULL_RECEIVER }];
    const warning = props.warning ? receiver(where, 'warning', props.warning) : undefined;
    const critical = props.critical ? receiver(where, 'critical', props.critical) : warning ? { ...warning, name: 'critical' } : undefined;
    if (warning) receivers.push(warning);
    if (critical) receivers.push(critical);

    this.spec = {
      route: {
        receiver: NULL_RECEIVER,
        groupBy,
        groupWait: durations.groupWait,
        groupInterval: durations.groupInterval,
        repeatInterval: durations.warningRepeatInterval,
        routes: [
          {
            receiver: critical?.name ?? NULL_RECEIVER,
            matchers: [{ name: 'severity', value: 'critical', matchType: EQ }],
            repeatInterval: durations.criticalRepeatInterval,
          },
          {
            receiver: warning?.name ?? NULL_RECEIVER,
            matchers: [{ name: 'severity', value: 'warning', matchType: EQ }],
            repeatInterval: durations.warningRepeatInterval,
          },
        ],
      },
      receivers,
      inhibitRules: [
        {
          sourceMatch: [{ name: 'severity', value: 'critical', matchType: SOURCE_EQ }],
          targetMatch: [{ name: 'severity', value: 'warning', matchType: TARGET_EQ }],
          equal: ['alertname', 'namespace'],
        },
      ],
    };
    new AlertmanagerConfig(this, 'Resource', {
      metadata: { name: this.name, namespace: props.namespace, labels: { ...props.labels, release: props.release } },
      spec: this.spec,
    });
  }

  /**
   * The `alertmanager.yml` the operator would generate from this object (secret values resolved
   * by `secret`), for `amtool check-config`.
   */
  public toAlertmanagerYaml(secret: (ref: SecretKey) => string): AlertmanagerYaml {
    const s = this.spec;
    const matcher = (m: Matcher<string>) => `${m.name}${m.matchType}${JSON.stringify(m.value)}`;
    return {
      route: {
        receiver: s.route.receiver,
        group_by: [...s.route.groupBy],
        group_wait: s.route.groupWait,
        group_interval: s.route.groupInterval,
        repeat_interval: s.route.repeatInterval,
        routes: s.route.routes.map((r) => ({
          receiver: r.receiver,
          matchers: r.matchers.map(matcher),
          repeat_interval: r.repeatInterval,
        })),
      },
      inhibit_rules: s.inhibitRules.map((r) => ({
        source_matchers: r.sourceMatch.map(matcher),
        target_matchers: r.targetMatch.map(matcher),
        equal: [...r.equal],
      })),
      receivers: s.receivers.map((r) => ({
        name: r.name,
        ...(r.slackConfigs
          ? {
              slack_configs: r.slackConfigs.map((c) => ({
                channel: c.channel,
                api_url: secret(c.apiUrl),
                send_resolved: c.sendResolved,
                title: c.title,
                text: c.text,
              })),
            }
          : {}),
        ...(r.webhookConfigs
          ? { webhook_configs: r.webhookConfigs.map((c) => ({ url: secret(c.urlSecret), send_resolved: c.sendResolved })) }
          : {}),
        ...(r.emailConfigs
          ? {
              email_configs: r.emailConfigs.map((c) => ({
                to: c.to,
                from: c.from,
                smarthost: c.smarthost,
                ...(c.authUsername && c.authPassword ? { auth_username: c.authUsername, auth_password: secret(c.authPassword) } : {}),
                send_resolved: c.sendResolved,
              })),
            }
          : {}),
      })),
    };
  }
}

function receiver(where: string, name: 'warning' | 'critical', r: AlertReceiver): Receiver {
  const kinds = (['slack', 'webhook', 'email'] as const).filter((k) => r[k] !== undefined);
  if (kinds.length !== 1) fail(where, name, kinds.length ? kinds.join('+') : 'nothing', 'exactly one of slack, webhook, email');
  const ref = (field: string, s: SecretKey | undefined): SecretKey => {
    if (!s || !s.name || !s.key) fail(where, `${name}.${field}`, s, 'a Secret key {name, key} in the same namespace');
    checkObjectName(where, `${name}.${field}.name`, s.name);
    return { name: s.name, key: s.key };
  };
  if (r.slack) {
    if (!/^[#@][^\s]+$/.test(r.slack.channel ?? ''))
      fail(where, `${name}.slack.channel`, r.slack.channel, "a channel such as '#alerts' or '@oncall'");
    return {
      name,
      slackConfigs: [
        {
          channel: r.slack.channel,
          apiUrl: ref('slack.webhookUrl', r.slack.webhookUrl),
          sendResolved: true,
          title: '[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} ({{ .CommonLabels.namespace }})',
          text: '{{ range .Alerts }}{{ .Annotations.summary }}\n{{ end }}',
        },
      ],
    };
  }
  if (r.webhook) return { name, webhookConfigs: [{ urlSecret: ref('webhook.url', r.webhook.url), sendResolved: true }] };
  const e = r.email!;
  if (!email.test(e.to ?? '')) fail(where, `${name}.email.to`, e.to, 'an e-mail address');
  if (!email.test(e.from ?? '')) fail(where, `${name}.email.from`, e.from, 'an e-mail address');
  if (!hostPort.test(e.smarthost ?? '')) fail(where, `${name}.email.smarthost`, e.smarthost, "host:port, e.g. 'smtp.example.com:587'");
  if ((e.authUsername === undefined) !== (e.authPassword === undefined))
    fail(where, `${name}.email.authPassword`, e.authPassword, 'set together with authUsername (or neither)');
  return {
    name,
    emailConfigs: [
      {
        to: e.to,
        from: e.from,
        smarthost: e.smarthost,
        sendResolved: true,
        ...(e.authUsername ? { authUsername: e.authUsername, authPassword: ref('email.authPassword', e.authPassword) } : {}),
      },
    ],
  };
}
