import { DNS_LABEL_RE, duration } from '../core/formats';
import { UsageError } from './command-runner';

/** Arguments of `npm run kind:up`. */
export interface KindUpArgs {
  /** Environment to bring up (its cluster.kind must be `kind`). */
  readonly env: string;
  /** Longest wait for a Helm release, rollout or readiness condition, e.g. `10m`. */
  readonly timeout: string;
  /** Print what would change without changing anything. */
  readonly dryRun: boolean;
  /** Take over fields another field manager owns (server-side apply `--force-conflicts`). */
  readonly forceConflicts: boolean;
  readonly help: boolean;
}

/** Arguments of `npm run kind:down`. */
export interface KindDownArgs {
  readonly env: string;
  readonly dryRun: boolean;
  readonly help: boolean;
}

export const KIND_UP_USAGE = `Usage: npm run kind:up -- [--env dev] [--timeout 10m] [--dry-run] [--force-conflicts]

Creates the local kind cluster from kind-config.yaml if it does not exist, installs the pinned
platform charts (config/platform-charts.ts) with Helm, applies dist/<env> server-side in dependency
order (platform, then each stack by sync wave), waits until everything is ready and prints the URLs.
Running it again changes nothing when nothing changed.

  --env <name>        environment to bring up (default: dev; its cluster.kind must be 'kind')
  --timeout <dur>     longest wait for a release, rollout or readiness (default: 10m; s, m or h)
  --dry-run           print the commands that would change something, change nothing
  --force-conflicts   take over fields owned by another field manager when applying
  -h, --help          show this help`;

export const KIND_DOWN_USAGE = `Usage: npm run kind:down -- [--env dev] [--dry-run]

Deletes the local kind cluster named in kind-config.yaml (its nodes, volumes and kube context).

  --env <name>   environment whose cluster to delete (default: dev)
  --dry-run      print the command, change nothing
  -h, --help     show this help`;

/** A {@link duration} helm and kubectl can parse (Go's time.ParseDuration: no day unit). */
const isGoDuration = (v: string): boolean => duration.test(v) && !v.endsWith('d');

/** Parses `kind:up` arguments. @throws UsageError naming the bad argument */
export function parseKindUpArgs(argv: readonly string[]): KindUpArgs {
  let env = 'dev';
  let timeout = '10m';
  let dryRun = false;
  let forceConflicts = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = splitFlag(argv[i]);
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag}: missing value`, KIND_UP_USAGE);
      return v;
    };
    switch (flag) {
      case '--env':
        env = checkEnv(value(), KIND_UP_USAGE);
        break;
      case '--timeout': {
        timeout = value();
        if (!isGoDuration(timeout))
          throw new UsageError(`--timeout: got '${timeout}'; expected a duration such as '90s', '10m' or '1h'`, KIND_UP_USAGE);
        break;
      }
      case '--dry-run':
        dryRun = noValue(flag, inline, KIND_UP_USAGE);
        break;
      case '--force-conflicts':
        forceConflicts = noValue(flag, inline, KIND_UP_USAGE);
        break;
      case '-h':
      case '--help':
        help = true;
        break;
      default:
        throw new UsageError(`unknown argument '${argv[i]}'`, KIND_UP_USAGE);
    }
  }
  return { env, timeout, dryRun, forceConflicts, help };
}

/** Parses `kind:down` arguments. @throws UsageError naming the bad argument */
export function parseKindDownArgs(argv: readonly string[]): KindDownArgs {
  let env = 'dev';
  let dryRun = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = splitFlag(argv[i]);
    switch (flag) {
      case '--env': {
        const v = inline ?? argv[++i];
        if (v === undefined || v.startsWith('--')) throw new UsageError('--env: missing value', KIND_DOWN_USAGE);
        env = checkEnv(v, KIND_DOWN_USAGE);
        break;
      }
      case '--dry-run':
        dryRun = noValue(flag, inline, KIND_DOWN_USAGE);
        break;
      case '-h':
      case '--help':
        help = true;
        break;
      default:
        throw new UsageError(`unknown argument '${argv[i]}'`, KIND_DOWN_USAGE);
    }
  }
  return { env, dryRun, help };
}

function splitFlag(arg: string): [string, string | undefined] {
  const eq = arg.indexOf('=');
  return arg.startsWith('--') && eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
}

function noValue(flag: string, inline: string | undefined, usage: string): true {
  if (inline !== undefined) throw new UsageError(`${flag} takes no value (got '${inline}')`, usage);
  return true;
}

function checkEnv(v: string, usage: string): string {
  // the regex of formats.dnsLabel: its test()'s `is string` guard would make `v` never in the message
  if (!DNS_LABEL_RE.test(v)) throw new UsageError(`--env: got '${v}'; expected an environment name such as 'dev'`, usage);
  return v;
}
