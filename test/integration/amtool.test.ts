/**
 * Runs the REAL amtool (`amtool check-config`) on the alertmanager.yml equivalent of every
 * AlertRouting variant, and shows amtool refusing broken ones. Fails (never skips) when amtool
 * is missing: run scripts/install-prom-tools.sh.
 */
import { spawnSync } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import * as YAML from 'yaml';
import { AlertmanagerYaml, AlertRouting, AlertRoutingProps } from '../../lib/constructs/monitoring';
import { STACKS } from '../../charts';
import { ENVIRONMENTS, loadEnvironment } from '../../config';
import { findTool } from '../support/tools';

let amtool: string;
let dir: string;

beforeAll(() => {
  amtool = findTool(
    'amtool',
    'Install it with `scripts/install-prom-tools.sh` (puts promtool and amtool into .tools/bin), or set AMTOOL=/path/to/amtool.',
  );
  dir = mkdtempSync(path.join(tmpdir(), 'amtool-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The operator inlines secret values into the generated config; tests use placeholder URLs and passwords. */
const secrets = (ref: { name: string; key: string }) =>
  /url/i.test(ref.key) ? `https://hooks.example.com/${ref.name}` : 'placeholder-password';

function configFile(props: Partial<AlertRoutingProps>, edit?: (file: AlertmanagerYaml) => void): string {
  const routing = new AlertRouting(Testing.chart(), 'routing', { namespace: 'shop', release: 'kube-prometheus-stack', ...props });
  const file = routing.toAlertmanagerYaml(secrets);
  edit?.(file);
  const p = path.join(dir, `alertmanager-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(p, YAML.stringify(file));
  return p;
}

function check(file: string) {
  const r = spawnSync(amtool, ['check-config', file], { encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

const slack = { slack: { channel: '#alerts', webhookUrl: { name: 'alertmanager-slack', key: 'webhook-url' } } };
const webhook = { webhook: { url: { name: 'pager', key: 'url' } } };
const email = {
  email: {
    to: 'oncall@example.com',
    from: 'alertmanager@example.com',
    smarthost: 'smtp.example.com:587',
    authUsername: 'am',
    authPassword: { name: 'smtp', key: 'password' },
  },
};

describe('amtool check-config on AlertRouting output', () => {
  test.each([
    ['no receivers (blackhole)', {}],
    ['slack for everything', { warning: slack }],
    ['slack warnings, webhook critical', { warning: slack, critical: webhook }],
    ['e-mail critical only', { critical: email }],
  ])('%s passes', (_what, props) => {
    const r = check(configFile(props));
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  test('a route to an unknown receiver is refused', () => {
    const r = check(
      configFile({ warning: slack }, (f) => {
        f.route.routes[0].receiver = 'pagerduty';
      }),
    );
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('undefined receiver "pagerduty"');
  });

  test('a malformed matcher is refused', () => {
    const r = check(
      configFile({}, (f) => {
        f.inhibit_rules[0].source_matchers = ['severity=~"(critical"'];
      }),
    );
    expect(r.status).not.toBe(0);
  });
});

describe('amtool check-config on every stack and environment the project synthesizes', () => {
  const cases = Object.keys(ENVIRONMENTS).flatMap((env) => STACKS.map((stack) => [env, stack.name] as const));
  test.each(cases)('%s/%s', (env, stackName) => {
    const chart = STACKS.find((x) => x.name === stackName)!.create(Testing.app(), stackName, loadEnvironment(ENVIRONMENTS[env], env));
    const routings = chart.node.findAll().filter((c): c is AlertRouting => c instanceof AlertRouting);
    expect(routings.length).toBe(1);
    const p = path.join(dir, `${env}-${stackName}.yml`);
    writeFileSync(p, YAML.stringify(routings[0].toAlertmanagerYaml(secrets)));
    const r = check(p);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });
});
