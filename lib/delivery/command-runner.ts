import { spawnSync } from 'child_process';

/** Outcome of one command. */
export interface CommandResult {
  /** Exit status; null when the command could not start or was killed. */
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Why the command could not start (e.g. ENOENT). @default - it started */
  readonly error?: string;
}

/** Options of one command. */
export interface RunOptions {
  /** Text written to the command's stdin. @default - none */
  readonly input?: string;
  /**
   * Show the command's output live instead of capturing it (long waits such as `helm --wait`).
   * stdout/stderr of the result are then empty.
   * @default false
   */
  readonly stream?: boolean;
}

/** Runs commands synchronously; injected so the delivery logic can be tested without a cluster. */
export interface CommandRunner {
  run(command: string, args: readonly string[], options?: RunOptions): CommandResult;
}

/** A {@link CommandRunner} over `child_process.spawnSync`. */
export function spawnRunner(options: { readonly cwd?: string; readonly env?: NodeJS.ProcessEnv } = {}): CommandRunner {
  return {
    run(command, args, runOptions = {}) {
      const r = spawnSync(command, [...args], {
        cwd: options.cwd,
        env: options.env ?? process.env,
        input: runOptions.input,
        encoding: 'utf8',
        maxBuffer: 256 * 1024 * 1024,
        stdio: runOptions.stream ? [runOptions.input !== undefined ? 'pipe' : 'ignore', 'inherit', 'inherit'] : ['pipe', 'pipe', 'pipe'],
      });
      return {
        status: r.status,
        stdout: r.stdout ?? '',
        stderr: r.stderr ?? '',
        ...(r.error ? { error: `${(r.error as NodeJS.ErrnoException).code ?? ''} ${r.error.message}`.trim() } : {}),
      };
    },
  };
}

/** A command line for display, each argument quoted when the shell would need it. */
export function formatCommand(command: string, args: readonly string[]): string {
  return [command, ...args].map((a) => (/^[A-Za-z0-9_@%+=:,./^-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Thrown for a delivery problem the user can act on; the message says what to do. */
export class DeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** Thrown for bad command-line arguments; the message ends with the usage text. */
export class UsageError extends DeliveryError {
  constructor(message: string, usage: string) {
    super(`${message}\n\n${usage}`);
    this.name = 'UsageError';
  }
}
