/**
 * The CLI as a user runs it: a separate node process (cli/main.ts through ts-node), the real
 * @kubernetes/client-node loaded by dynamic import, a real kubeconfig file (token auth), against
 * an HTTP API server backed by the in-memory fake cluster, on the committed dist/dev manifests.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { listStacks, loadManifests } from '../../cli/manifests';
import { FakeCluster } from './support/fake-cluster';
import { FakeApiServer, startFakeApiServer } from './support/fake-api-server';
import { PROJECT_ROOT, runCli } from './support/run-cli';

jest.setTimeout(120_000);

const DIST = path.join(PROJECT_ROOT, 'dist');
let dir: string;
let server: FakeApiServer;
let cluster: FakeCluster;

function kubeconfig(file: string, server: string, current: string): void {
  fs.writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: kind-backends-dev',
      `  cluster: {server: "${server}", insecure-skip-tls-verify: true}`,
      '- name: kind-scratch',
      `  cluster: {server: "${server}", insecure-skip-tls-verify: true}`,
      'users:',
      '- name: dev',
      '  user: {token: t0ken}',
      'contexts:',
      '- name: kind-backends-dev',
      '  context: {cluster: kind-backends-dev, user: dev}',
      '- name: kind-scratch',
      '  context: {cluster: kind-scratch, user: dev}',
      `current-context: ${current}`,
      '',
    ].join('\n'),
  );
}

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { cwd: dir, env });

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-process-'));
  cluster = new FakeCluster({ namespaces: ['default', 'kube-system', 'cert-manager'] });
  server = await startFakeApiServer(cluster, { token: 't0ken' });
  kubeconfig(path.join(dir, 'dev.yaml'), server.url, 'kind-backends-dev');
  kubeconfig(path.join(dir, 'scratch.yaml'), server.url, 'kind-scratch');
});

afterAll(async () => {
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('no kubeconfig: a clear error, exit 1; dev points at npm run kind:up', async () => {
  const r = await cli(['deploy', 'dev', '--dry-run=server']);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('error: no kubeconfig: KUBECONFIG is not set and');
  expect(r.stderr).toContain(
    "Create the kind cluster 'backends-dev' with 'npm run kind:up' (kind create cluster --config kind-config.yaml",
  );
});

test('no kubeconfig for prod (EKS): deploy and diff point at aws eks update-kubeconfig with the name and region of config/prod.ts', async () => {
  const deployRun = await cli(['deploy', 'prod', '--dry-run=server']);
  const diffRun = await cli(['diff', 'prod']);
  expect([deployRun.code, diffRun.code]).toEqual([1, 2]);
  for (const r of [deployRun, diffRun]) {
    expect(r.stderr).toContain('error: no kubeconfig: KUBECONFIG is not set and');
    expect(r.stderr).toContain("with 'aws eks update-kubeconfig --name backends-prod --region eu-west-1'");
    expect(r.stderr).not.toContain('kind');
  }
});

test('a kubeconfig whose current context is another cluster: refused, nothing sent', async () => {
  const r = await cli(['deploy', 'dev', '--dry-run=server'], { KUBECONFIG: path.join(dir, 'scratch.yaml') });
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("error: refusing to use kube context 'kind-scratch'");
  expect(r.stderr).toContain('use --context kind-backends-dev');
  expect(server.requests).toEqual([]);
});

test('KUBECONFIG with several files, as kubectl: missing ones ignored, first current-context wins, duplicates merged', async () => {
  const files = [path.join(dir, 'missing.yaml'), path.join(dir, 'scratch.yaml'), path.join(dir, 'dev.yaml')].join(path.delimiter);
  const refused = await cli(['status', 'dev'], { KUBECONFIG: files });
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain("refusing to use kube context 'kind-scratch'");
  const chosen = await cli(['status', 'dev', '--context', 'kind-backends-dev'], { KUBECONFIG: files });
  expect(chosen.stderr).toBe('');
  expect(chosen.stdout).toContain(`context kind-backends-dev (${server.url})`);
});

test('deploy dev --dry-run=server, then deploy, status and diff through the real client-node', async () => {
  const expected = loadManifests(DIST, 'dev', listStacks(DIST, 'dev')).length;

  const dry = await cli(['deploy', 'dev', '--dry-run=server', '--context', 'kind-backends-dev'], {
    KUBECONFIG: path.join(dir, 'scratch.yaml'),
  });
  expect([dry.code, dry.stderr]).toEqual([0, '']);
  expect(dry.stdout).toContain(`Dry run (server): validating ${expected} objects in 7 stages to context kind-backends-dev (${server.url})`);
  expect(dry.stdout).toMatch(/dry run: \d+ accepted by the API server, \d+ skipped, 0 failed/);
  expect(
    server.requests
      .filter((r) => r.method === 'PATCH')
      .every((r) => r.query.dryRun === 'All' && r.query.fieldManager === 'backends-cli' && r.authorization === 'Bearer t0ken'),
  ).toBe(true);

  const real = await cli(['deploy', 'dev', '--kubeconfig', 'dev.yaml', '--timeout', '30s']);
  expect([real.code, real.stderr]).toEqual([0, '']);
  expect(real.stdout).toContain(`deployed ${expected} objects; every stage is ready`);

  const status = await cli(['status', 'dev', '--stack', 'wondernest'], { KUBECONFIG: path.join(dir, 'dev.yaml') });
  expect([status.code, status.stderr]).toEqual([0, '']);
  expect(status.stdout).toMatch(/wondernest\s+StatefulSet\s+wondernest\/postgres\s+1\/1\s+Ready/);
  expect(status.stdout).toMatch(/wondernest\s+CronJob\s+wondernest\/postgres-restore\s+-\s+Suspended/);

  const diff = await cli(['diff', 'dev'], { KUBECONFIG: path.join(dir, 'dev.yaml') });
  expect([diff.code, diff.stderr]).toEqual([0, '']);
  expect(diff.stdout).toContain(`diff: 0 to create, 0 to change, ${expected} unchanged`);
});
