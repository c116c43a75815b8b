/** Errors the CLI reports to the user as a message (no stack trace), with the exit code to use. */

/** Base class: a problem the user can act on. `exitCode` is what the process exits with. */
export class CliError extends Error {
  constructor(
    message: string,
    public readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Bad command line (unknown flag, bad value, unknown environment or stack): exit code 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}

/** The kube context does not belong to the environment's cluster and --force was not given. */
export class ContextRefusedError extends CliError {
  constructor(message: string) {
    super(message, 1);
    this.name = 'ContextRefusedError';
  }
}
