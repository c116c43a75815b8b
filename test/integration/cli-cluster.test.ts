/**
 * The deploy CLI against a real Kubernetes API server. Runs only when KUBECONFIG_TEST names the
 * kubeconfig of a disposable test cluster (a kind cluster is fine; its current context is used,
 * with --force when that context is not kind-backends-dev). Otherwise the suite is reported as
 * skipped, with the reason in its name: it never passes without having talked to a cluster.
 *
 * What it does: `deploy dev --stack <s> --dry-run=server` (platform + one stack, the API server
 * validates and admits every object it can, nothing is persisted), then `status` and `diff`.
 * KUBECONFIG_TEST_STACK picks the stack (default: the first non-platform stack of dist/dev).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { listStacks, loadManifests, PLATFORM_STACK, selectStacks } from '../../cli/manifests';
import { describeWithVersion, isBuiltInGroup } from '../../cli/objects';
import { isWorkload } from '../../cli/readiness';
import { CliRun, PROJECT_ROOT, runCli } from '../cli/support/run-cli';

const KUBECONFIG = process.env.KUBECONFIG_TEST;
const SKIP_REASON = 'not run: set KUBECONFIG_TEST to a kubeconfig of a disposable test cluster';
const DIST = path.join(PROJECT_ROOT, 'dist');

if (!KUBECONFIG) {
  // Visible in the jest output next to the skipped tests.
  console.warn(`cli-cluster.test.ts: ${SKIP_REASON}`);
}

const suite = KUBECONFIG ? describe : describe.skip;

suite(`deploy CLI against a real API server${KUBECONFIG ? ` (${KUBECONFIG})` : ` (${SKIP_REASON})`}`, () => {
  const stacks = listStacks(DIST, 'dev');
  const stack = process.env.KUBECONFIG_TEST_STACK ?? stacks.find((s) => s !== PLATFORM_STACK)!;
  const objects = loadManifests(DIST, 'dev', selectStacks(stacks, [stack])).map((m) => m.object);
  let dir: string;
  let currentContext: string;
  let forceFlag: string[];
  let dryRun: CliRun;
  let outcomes: Map<string, { status: string; reason: string }>;

  const cli = (...args: string[]): Promise<CliRun> =>
    runCli(args, { cwd: dir, env: { ...process.env, KUBECONFIG: KUBECONFIG! }, timeoutMs: 110_000 });

  beforeAll(async () => {
    if (!fs.existsSync(KUBECONFIG!)) throw new Error(`KUBECONFIG_TEST=${KUBECONFIG}: no such file`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-cluster-'));
    currentContext = String(parse(fs.readFileSync(KUBECONFIG!, 'utf8'))?.['current-context'] ?? '');
    if (!currentContext) throw new Error(`KUBECONFIG_TEST=${KUBECONFIG} has no current-context`);
    forceFlag = currentContext === 'kind-backends-dev' ? [] : ['--force'];
    dryRun = await cli('deploy', 'dev', '--stack', stack, '--dry-run=server', ...forceFlag);
    outcomes = new Map();
    for (const line of dryRun.stdout.split('\n')) {
      const m = /^ {2}(ok|skipped|FAILED)\s+(\S+ \S+ \S+?)(?:: (.*))?$/.exec(line);
      if (m) outcomes.set(m[2], { status: m[1], reason: m[3] ?? '' });
    }
    const counts = [...outcomes.values()].reduce<Record<string, number>>(
      (acc, o) => ({ ...acc, [o.status]: (acc[o.status] ?? 0) + 1 }),
      {},
    );
    console.info(
      `dry run on context ${currentContext}: ${JSON.stringify(counts)}\n${dryRun.stdout
        .split('\n')
        .filter((l) => /^ {2}(FAILED|skipped)/.test(l))
        .join('\n')}`,
    );
  });

  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the context guard refuses the test context unless it is kind-backends-dev or --force is given', async () => {
    const r = await cli('status', 'dev', '--stack', stack);
    if (currentContext === 'kind-backends-dev') {
      expect(r.stderr).not.toContain('refusing');
    } else {
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`error: refusing to use kube context '${currentContext}'`);
    }
  });

  test('the dry run reached the API server and accounted for every object of platform + the stack', () => {
    expect(dryRun.stderr.replace(/^warning: .*going on because of --force\n/m, '')).toBe('');
    expect(dryRun.stdout).toMatch(/^Dry run \(server\): validating \d+ objects in 7 stages to context /m);
    expect([...outcomes.keys()].sort()).toEqual(objects.map(describeWithVersion).sort());
    // Cluster-scoped built-ins (Namespace, StorageClass) can always be validated.
    const ns = objects.find((o) => o.kind === 'Namespace')!;
    expect(outcomes.get(describeWithVersion(ns))).toEqual({ status: 'ok', reason: '' });
  });

  test('no built-in object is refused by the API server; failures are only missing operators (CRDs)', () => {
    const failed = [...outcomes.entries()].filter(([, o]) => o.status === 'FAILED');
    for (const [what, o] of failed) {
      const apiVersion = what.split(' ')[0];
      expect([what, isBuiltInGroup(apiVersion)]).toEqual([what, false]);
      expect([what, o.reason]).toEqual([what, expect.stringMatching(/^the cluster does not serve /)]);
    }
    expect(dryRun.code).toBe(failed.length === 0 ? 0 : 1);
    expect(dryRun.stdout).toMatch(new RegExp(`^dry run: \\d+ accepted by the API server, \\d+ skipped, ${failed.length} failed$`, 'm'));
  });

  test('status lists every workload of the stack, read from the cluster; a dry run persisted nothing', async () => {
    const r = await cli('status', 'dev', '--stack', stack, ...forceFlag);
    expect(r.stdout).toMatch(/^STACK\s+KIND\s+NAMESPACE\/NAME\s+READY\s+STATUS\s+DETAILS$/m);
    const workloads = objects.filter(isWorkload);
    for (const w of workloads) {
      expect(r.stdout).toMatch(
        new RegExp(
          `^${stack}\\s+${w.kind}\\s+${w.metadata.namespace}/${w.metadata.name}\\s+\\S+\\s+(Ready|Progressing|Failed|Missing|Scheduled|Suspended|Unknown)\\b`,
          'm',
        ),
      );
    }
    const namespaceWasMissing = [...outcomes.values()].some(
      (o) => o.status === 'skipped' && /namespace .* does not exist yet/.test(o.reason),
    );
    if (namespaceWasMissing) {
      for (const w of workloads) expect(r.stdout).toMatch(new RegExp(`${w.metadata.namespace}/${w.metadata.name}\\s+-\\s+Missing`));
      expect(r.code).toBe(1);
    }
  });

  test('diff reports creates/changes and only missing-prerequisite errors', async () => {
    const r = await cli('diff', 'dev', '--stack', stack, ...forceFlag);
    expect([0, 1, 2]).toContain(r.code);
    expect(r.stdout).toMatch(/^diff: \d+ to create, \d+ to change, \d+ unchanged/m);
    for (const line of r.stdout.split('\n').filter((l) => l.startsWith('! '))) {
      expect(line).toMatch(/the cluster does not serve|namespace '.*' does not exist and is not part of this deploy/);
    }
  });
});
