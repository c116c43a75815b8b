/**
 * Command-line parsing: `<command> <env> [flags]`. Every error names the bad argument and what is
 * allowed. Which stacks exist is only known once dist/<env> is read, so stacks are checked later
 * (see manifests.ts); everything else is checked here.
 */
import { parseDuration } from './duration';
import { UsageError } from './errors';

export const COMMANDS = ['deploy', 'status', 'diff'] as const;
export type Command = (typeof COMMANDS)[number];

export const DEFAULT_TIMEOUT_MS = 5 * 60_000;
export const DEFAULT_FIELD_MANAGER = 'backends-cli';

export interface CliOptions {
  command: Command;
  env: string;
  /** Stacks to act on; empty means every stack of the environment. */
  stacks: string[];
  /** `--dry-run=server`: the API server validates and admits, nothing is persisted. */
  dryRun: boolean;
  /** Per-stage wait limit. */
  timeoutMs: number;
  /** Kube context to use instead of the kubeconfig's current context. */
  context?: string;
  /** Kubeconfig file instead of $KUBECONFIG / ~/.kube/config. */
  kubeconfig?: string;
  /** Use a context that does not match the environment's cluster. */
  force: boolean;
  fieldManager: string;
  /** Server-side apply `force=true`: take over fields another manager changed. */
  forceConflicts: boolean;
  /** Folder holding <env>/<stack>.k8s.yaml; defaults to the project's dist/. */
  distDir?: string;
}

export type ParsedArgs = { kind: 'help'; text: string } | { kind: 'run'; options: CliOptions };

interface FlagSpec {
  name: string;
  /** Placeholder of the value; absent for boolean flags. */
  value?: string;
  repeatable?: boolean;
  help: string;
}

const COMMON_FLAGS: FlagSpec[] = [
  {
    name: 'stack',
    value: 'name',
    repeatable: true,
    help: 'only this stack (repeat or comma-separate for several); the platform stack (cluster-wide prerequisites) is always included',
  },
  { name: 'context', value: 'name', help: "kube context to use (default: the kubeconfig's current context)" },
  { name: 'kubeconfig', value: 'path', help: 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)' },
  { name: 'force', help: "use a context that does not match the environment's cluster" },
  { name: 'dist', value: 'dir', help: "folder with <env>/<stack>.k8s.yaml (default: the project's dist/)" },
];

const FLAGS: Record<Command, FlagSpec[]> = {
  deploy: [
    ...COMMON_FLAGS,
    { name: 'dry-run', value: 'server', help: 'server-side dry run: the API server validates every object, nothing is persisted' },
    { name: 'timeout', value: 'duration', help: 'how long to wait for each stage to become ready (default 5m), e.g. 90s, 10m, 1h' },
    { name: 'field-manager', value: 'name', help: `server-side apply field manager (default ${DEFAULT_FIELD_MANAGER})` },
    { name: 'no-force-conflicts', help: 'fail on fields owned by another manager instead of taking them over' },
  ],
  status: [...COMMON_FLAGS],
  diff: [
    ...COMMON_FLAGS,
    {
      name: 'field-manager',
      value: 'name',
      help: `server-side apply field manager the diff is computed for (default ${DEFAULT_FIELD_MANAGER})`,
    },
  ],
};

const SUMMARY: Record<Command, string> = {
  deploy: 'server-side apply dist/<env> in dependency order and wait for each stage to be ready',
  status: 'table of every workload of dist/<env>: ready/desired and problems (exit 1 when something is not ready)',
  diff: 'what deploy would change on the cluster (exit 0: no changes, 1: changes, 2: error)',
};

const flagList = (command: Command): string => FLAGS[command].map((f) => `--${f.name}`).join(', ');

/** Usage text: the whole CLI, or one command. */
export function usage(environments: readonly string[], command?: Command): string {
  const envs = environments.join('|') || 'env';
  const commands = command ? [command] : [...COMMANDS];
  const lines = ['Usage:'];
  for (const c of commands) lines.push(`  ${`${c} <${envs}> [flags]`.padEnd(28)}${SUMMARY[c]}`);
  for (const c of commands) {
    lines.push('', `${c} flags:`);
    for (const f of FLAGS[c]) {
      const left = `  --${f.name}${f.value ? (f.name === 'dry-run' ? '=server' : ` <${f.value}>`) : ''}`;
      lines.push(`${left.padEnd(30)}${f.help}`);
    }
  }
  lines.push('', 'Exit codes: 0 success, 1 failure or not ready (diff: changes found), 2 bad usage (diff: error).');
  return lines.join('\n');
}

/**
 * Parses argv (without `node` and the script).
 * @param environments the environment names that exist (listed in errors)
 * @throws UsageError naming the bad argument and what is allowed
 */
export function parseArgs(argv: readonly string[], environments: readonly string[]): ParsedArgs {
  const args = [...argv];
  if (args.length === 0) throw new UsageError(`missing command; allowed: ${COMMANDS.join(', ')}\n\n${usage(environments)}`);
  const first = args.shift()!;
  if (first === 'help' || first === '--help' || first === '-h') {
    const topic = args[0];
    return { kind: 'help', text: usage(environments, (COMMANDS as readonly string[]).includes(topic) ? (topic as Command) : undefined) };
  }
  if (!(COMMANDS as readonly string[]).includes(first)) {
    throw new UsageError(`unknown command '${first}'; allowed: ${COMMANDS.join(', ')}`);
  }
  const command = first as Command;
  const specs = FLAGS[command];
  const values = new Map<string, string[]>();
  const positionals: string[] = [];

  while (args.length > 0) {
    const arg = args.shift()!;
    if (arg === '--help' || arg === '-h') return { kind: 'help', text: usage(environments, command) };
    if (arg === '--') {
      positionals.push(...args.splice(0));
      break;
    }
    if (!arg.startsWith('-')) {
      positionals.push(arg);
      continue;
    }
    if (!arg.startsWith('--')) {
      throw new UsageError(`unknown flag '${arg}' for ${command}; allowed: ${flagList(command)}`);
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = specs.find((f) => f.name === name);
    if (!spec) throw new UsageError(`unknown flag '--${name}' for ${command}; allowed: ${flagList(command)}`);
    let value: string;
    if (!spec.value) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value (got '${arg}')`);
      value = 'true';
    } else if (eq >= 0) {
      value = arg.slice(eq + 1);
    } else {
      if (args.length === 0 || args[0].startsWith('--')) {
        throw new UsageError(`--${name} needs a value${name === 'dry-run' ? ': write --dry-run=server' : ` (<${spec.value}>)`}`);
      }
      value = args.shift()!;
    }
    const previous = values.get(name) ?? [];
    if (previous.length > 0 && !spec.repeatable) throw new UsageError(`--${name} given more than once`);
    values.set(name, [...previous, value]);
  }

  if (positionals.length === 0) {
    throw new UsageError(`missing <env> for ${command}; allowed: ${environments.join(', ')}`);
  }
  if (positionals.length > 1) {
    throw new UsageError(`unexpected argument '${positionals[1]}' for ${command}; usage: ${command} <env> [flags]`);
  }
  const env = positionals[0];
  if (!environments.includes(env)) {
    throw new UsageError(`unknown environment '${env}'; allowed: ${environments.join(', ')}`);
  }

  const one = (name: string): string | undefined => values.get(name)?.[0];
  const nonEmpty = (name: string): string | undefined => {
    const v = one(name);
    if (v !== undefined && v.trim() === '') throw new UsageError(`--${name} needs a non-empty value`);
    return v;
  };

  const stacks = (values.get('stack') ?? []).flatMap((v) => v.split(',')).map((s) => s.trim());
  if (stacks.some((s) => s === '')) throw new UsageError('--stack needs a stack name (got an empty one)');

  const dryRunValue = one('dry-run');
  if (dryRunValue !== undefined && dryRunValue !== 'server') {
    throw new UsageError(
      `--dry-run: got '${dryRunValue}'; allowed: server (a client-side dry run cannot check anything against the cluster)`,
    );
  }

  let timeoutMs = DEFAULT_TIMEOUT_MS;
  const timeout = one('timeout');
  if (timeout !== undefined) {
    try {
      timeoutMs = parseDuration(timeout);
    } catch (e) {
      throw new UsageError(`--timeout: ${(e as Error).message}`);
    }
  }

  const fieldManager = nonEmpty('field-manager') ?? DEFAULT_FIELD_MANAGER;
  if (fieldManager.length > 128 || !/^[\x21-\x7e]+$/.test(fieldManager)) {
    throw new UsageError(`--field-manager: got '${fieldManager}'; expected at most 128 printable characters without spaces`);
  }

  return {
    kind: 'run',
    options: {
      command,
      env,
      stacks: [...new Set(stacks)],
      dryRun: dryRunValue === 'server',
      timeoutMs,
      context: nonEmpty('context'),
      kubeconfig: nonEmpty('kubeconfig'),
      force: one('force') === 'true',
      fieldManager,
      forceConflicts: one('no-force-conflicts') !== 'true',
      distDir: nonEmpty('dist'),
    },
  };
}
