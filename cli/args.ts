/**
 * Command-line parsing: `<command> <env> [flags]`, on node:util parseArgs (strict; no dependency).
 * Every error names the bad argument and what is allowed. Which stacks exist is only known once dist/<env> is read, so stacks are checked later
 * (see manifests.ts); everything else is checked here.
 */
import { parseArgs as parseArgv, ParseArgsConfig } from 'node:util';
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

/** node:util parseArgs' token: an option (with its raw spelling and value), a positional or `--`. */
type Token = NonNullable<ReturnType<typeof parseArgv>['tokens']>[number];

/** The parseArgs option table of a command: its flags (a value or not, repeatable or not) and -h/--help. */
function optionsOf(command: Command): ParseArgsConfig['options'] {
  const options: NonNullable<ParseArgsConfig['options']> = { help: { type: 'boolean', short: 'h' } };
  for (const f of FLAGS[command]) options[f.name] = { type: f.value ? 'string' : 'boolean', multiple: f.repeatable === true };
  return options;
}

/**
 * The first thing wrong with the flags, in argument order, as our message: an unknown flag, a
 * missing value, a value given to a boolean flag, a non-repeatable flag given twice. parseArgs'
 * own messages ("Unknown option '--wait'...") do not say which flags are allowed.
 */
function checkFlags(command: Command, tokens: readonly Token[]): void {
  const seen = new Set<string>();
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    if (token.name === 'help' && (token.rawName === '--help' || token.rawName === '-h')) {
      if (token.inlineValue) throw new UsageError(`${token.rawName} takes no value (got '${token.rawName}=${token.value}')`);
      continue;
    }
    const spec = FLAGS[command].find((f) => f.name === token.name && token.rawName === `--${f.name}`);
    if (!spec) throw new UsageError(`unknown flag '${token.rawName}' for ${command}; allowed: ${flagList(command)}`);
    if (!spec.value) {
      if (token.inlineValue) throw new UsageError(`--${spec.name} takes no value (got '--${spec.name}=${token.value}')`);
    } else if (token.value === undefined || (!token.inlineValue && token.value.startsWith('-') && token.value.length > 1)) {
      // (parseArgs takes the next argument as the value even when it is a flag; strict mode refuses that)
      throw new UsageError(`--${spec.name} needs a value${spec.name === 'dry-run' ? ': write --dry-run=server' : ` (<${spec.value}>)`}`);
    }
    if (seen.has(spec.name) && !spec.repeatable) throw new UsageError(`--${spec.name} given more than once`);
    seen.add(spec.name);
  }
}

/** node:util parseArgs' own errors (by code: under jest they come from another realm, so no instanceof). */
const isParseArgsError = (e: unknown): e is Error & { code: string } =>
  typeof e === 'object' && e !== null && String((e as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS_');

/**
 * Reads a command's flags and positionals with node:util parseArgs (strict). When strict parsing
 * refuses the arguments, they are read again leniently to name the problem as {@link checkFlags} does.
 */
function readFlags(
  command: Command,
  argv: readonly string[],
): { help: boolean; values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] } {
  // (typed as the plain ParseArgsConfig: the option table is built at run time)
  const config = (strict: boolean): ParseArgsConfig => ({
    args: argv,
    options: optionsOf(command),
    allowPositionals: true,
    tokens: true,
    strict,
  });
  try {
    const parsed = parseArgv(config(true));
    if (parsed.values.help === true) return { help: true, values: {}, positionals: [] };
    checkFlags(command, parsed.tokens ?? []);
    return { help: false, values: parsed.values, positionals: parsed.positionals };
  } catch (e) {
    if (!isParseArgsError(e)) throw e;
    const lenient = parseArgv(config(false)).tokens ?? [];
    if (lenient.some((t) => t.kind === 'option' && t.name === 'help' && t.value === undefined))
      return { help: true, values: {}, positionals: [] };
    checkFlags(command, lenient);
    throw new UsageError(`${e.message} (${command} flags: ${flagList(command)})`);
  }
}

/**
 * Parses argv (without `node` and the script).
 * @param environments the environment names that exist (listed in errors)
 * @throws UsageError naming the bad argument and what is allowed
 */
export function parseArgs(argv: readonly string[], environments: readonly string[]): ParsedArgs {
  if (argv.length === 0) throw new UsageError(`missing command; allowed: ${COMMANDS.join(', ')}\n\n${usage(environments)}`);
  const [first, ...rest] = argv;
  if (first === 'help' || first === '--help' || first === '-h') {
    const topic = rest[0];
    return { kind: 'help', text: usage(environments, (COMMANDS as readonly string[]).includes(topic) ? (topic as Command) : undefined) };
  }
  if (!(COMMANDS as readonly string[]).includes(first)) {
    throw new UsageError(`unknown command '${first}'; allowed: ${COMMANDS.join(', ')}`);
  }
  const command = first as Command;
  const { help, values, positionals } = readFlags(command, rest);
  if (help) return { kind: 'help', text: usage(environments, command) };

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

  const one = (name: string): string | undefined => {
    const v = values[name];
    return typeof v === 'string' ? v : undefined;
  };
  const flag = (name: string): boolean => values[name] === true;
  const nonEmpty = (name: string): string | undefined => {
    const v = one(name);
    if (v !== undefined && v.trim() === '') throw new UsageError(`--${name} needs a non-empty value`);
    return v;
  };

  const stackValues = values.stack;
  const stacks = (Array.isArray(stackValues) ? stackValues : []).flatMap((v) => String(v).split(',')).map((s) => s.trim());
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
      force: flag('force'),
      fieldManager,
      forceConflicts: !flag('no-force-conflicts'),
      distDir: nonEmpty('dist'),
    },
  };
}
