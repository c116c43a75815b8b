/**
 * Entry point: `node scripts/cli.js <deploy|status|diff> <env> [flags]` (what `npm run deploy|status|diff`
 * runs): it compiles build/ only when a source changed, then requires this file and calls {@link main}.
 * `node build/cli/main.js ...` works too (the `require.main` check at the end).
 *
 * Reads the committed manifests of dist/<env>, checks the kube context against the environment's
 * cluster (config/<env>.ts `cluster`), then deploys, reports status or diffs.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ENVIRONMENTS } from '../config';
import { CliOptions, parseArgs } from './args';
import { Cluster } from './cluster';
import { ExpectedCluster, guardContext, KubeContextInfo } from './context-guard';
import { deploy, systemClock, Clock } from './deploy';
import { diffPlan } from './diff-command';
import { CliError, UsageError } from './errors';
import { ConnectOptions } from './kube';
import { listStacks, loadManifests, selectStacks } from './manifests';
import { planDeployment } from './plan';
import { OutputStream, ProgressPrinter } from './progress';
import { collectStatus, formatStatusTable, HEALTHY_STATES } from './status';

export interface ConnectedCluster {
  cluster: Cluster;
  context: KubeContextInfo;
  contexts: KubeContextInfo[];
  source: string;
}

export interface MainDeps {
  stdout: OutputStream;
  stderr: OutputStream;
  /** Environment name -> expected cluster. */
  environments: () => Record<string, ExpectedCluster>;
  connect: (options: ConnectOptions) => Promise<ConnectedCluster>;
  /** Folder holding <env>/<stack>.k8s.yaml when --dist is not given. */
  defaultDistDir: string;
  cwd: string;
  clock: Clock;
  pollIntervalMs?: number;
}

/** The project root: the nearest folder above this file with a package.json (works from cli/ and build/cli/). */
export function projectRoot(start: string = __dirname): string {
  let dir = start;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return start;
    dir = parent;
  }
}

/**
 * The expected cluster of every environment. Only `cluster` is read (and checked): the CLI deploys
 * the committed dist/, so a half-edited stack setting elsewhere in config/ must not stop `status`.
 * An EKS cluster's region (for the `aws eks update-kubeconfig` hint) is `secrets.awsRegion`, the
 * only AWS region of the platform settings (`cluster` has none); it is left out when not a string.
 * @throws CliError naming the environment whose `cluster` is malformed
 */
export function expectedClusters(
  envs: Readonly<Record<string, { cluster?: unknown; secrets?: unknown }>>,
): Record<string, ExpectedCluster> {
  const out: Record<string, ExpectedCluster> = {};
  for (const [name, env] of Object.entries(envs)) {
    const c = env?.cluster as Partial<ExpectedCluster> | undefined;
    if (!c || (c.kind !== 'kind' && c.kind !== 'eks') || typeof c.name !== 'string' || !c.name) {
      throw new CliError(`config/${name}.ts: cluster must be { kind: 'kind' | 'eks', name: <cluster name> } (got ${JSON.stringify(c)})`);
    }
    const region = (env.secrets as { awsRegion?: unknown } | undefined)?.awsRegion;
    out[name] =
      c.kind === 'eks' && typeof region === 'string' && region ? { kind: c.kind, name: c.name, region } : { kind: c.kind, name: c.name };
  }
  return out;
}

function defaultDeps(): MainDeps {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    environments: () => expectedClusters(ENVIRONMENTS),
    // Loaded lazily: only commands that talk to a cluster pay for client-node.
    connect: async (options) => (await import('./kube')).connect(options),
    defaultDistDir: path.join(projectRoot(), 'dist'),
    cwd: process.cwd(),
    clock: systemClock,
  };
}

async function runCommand(options: CliOptions, expected: ExpectedCluster, deps: MainDeps): Promise<number> {
  const out = (line: string): void => {
    deps.stdout.write(`${line}\n`);
  };
  const distDir = options.distDir ? path.resolve(deps.cwd, options.distDir) : deps.defaultDistDir;
  const stacks = selectStacks(listStacks(distDir, options.env), options.stacks);
  const items = loadManifests(distDir, options.env, stacks);
  const plan = options.command === 'status' ? undefined : planDeployment(items);

  const connection = await deps.connect({
    kubeconfig: options.kubeconfig ? path.resolve(deps.cwd, options.kubeconfig) : undefined,
    context: options.context,
    cluster: expected,
  });
  const warning = guardContext(connection.context, expected, options.env, options.force, connection.contexts);
  if (warning) deps.stderr.write(`${warning}\n`);

  const scope = `environment ${options.env} (stacks: ${stacks.join(', ')}), ${connection.cluster.description}`;
  switch (options.command) {
    case 'deploy': {
      const printer = new ProgressPrinter(deps.stdout, () => deps.clock.now());
      const report = await deploy(
        plan!,
        connection.cluster,
        {
          dryRun: options.dryRun,
          timeoutMs: options.timeoutMs,
          fieldManager: options.fieldManager,
          forceConflicts: options.forceConflicts,
          pollIntervalMs: deps.pollIntervalMs,
        },
        printer,
        deps.clock,
      );
      return report.ok ? 0 : 1;
    }
    case 'status': {
      out(`Status of ${scope}`);
      const rows = await collectStatus(items, connection.cluster, deps.clock.now());
      for (const line of formatStatusTable(rows)) out(line);
      return rows.every((r) => HEALTHY_STATES.has(r.state)) ? 0 : 1;
    }
    case 'diff': {
      out(`Diff of ${scope} (field manager ${options.fieldManager})`);
      const result = await diffPlan(plan!, connection.cluster, {
        fieldManager: options.fieldManager,
        forceConflicts: options.forceConflicts,
      });
      for (const line of result.lines) out(line);
      return result.exitCode;
    }
  }
}

/** Runs the CLI; returns the exit code (never throws). */
export async function main(argv: readonly string[], overrides: Partial<MainDeps> = {}): Promise<number> {
  const deps: MainDeps = { ...defaultDeps(), ...overrides };
  const fail = (message: string, code: number): number => {
    deps.stderr.write(`error: ${message}\n`);
    return code;
  };
  let environments: Record<string, ExpectedCluster>;
  try {
    environments = deps.environments();
  } catch (e) {
    return fail((e as Error).message, 1);
  }
  let command: string | undefined;
  try {
    const parsed = parseArgs(argv, Object.keys(environments));
    if (parsed.kind === 'help') {
      deps.stdout.write(`${parsed.text}\n`);
      return 0;
    }
    command = parsed.options.command;
    return await runCommand(parsed.options, environments[parsed.options.env], deps);
  } catch (e) {
    // diff: errors are exit code 2 (1 means "there are changes").
    const errorCode = (c: number): number => (command === 'diff' ? 2 : c);
    if (e instanceof UsageError) return fail(`${e.message}\n(run with --help for usage)`, 2);
    if (e instanceof CliError) return fail(e.message, errorCode(e.exitCode));
    const message = e instanceof Error ? e.message : String(e);
    return fail(message, errorCode(1));
  }
}

if (require.main === module) {
  // main() reports every error itself and resolves to the exit code.
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
