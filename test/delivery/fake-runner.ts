import { CommandResult, CommandRunner, RunOptions } from '../../lib/delivery';

/** One recorded call. */
export interface Call {
  readonly command: string;
  readonly args: readonly string[];
  readonly input?: string;
  /** `command args...` with the tool's base name, for readable assertions. */
  readonly line: string;
}

/** Answers a call; undefined falls through to the default (success, empty output). */
export type Responder = (call: Call) => Partial<CommandResult> | undefined;

/** A CommandRunner that records every call and answers from a list of responders. */
export class FakeRunner implements CommandRunner {
  public readonly calls: Call[] = [];
  private readonly responders: Responder[] = [];

  /** Adds a responder (later ones win). */
  public on(responder: Responder): this {
    this.responders.unshift(responder);
    return this;
  }

  public run(command: string, args: readonly string[], options: RunOptions = {}): CommandResult {
    const call: Call = { command, args, input: options.input, line: [command.split('/').pop(), ...args].join(' ') };
    this.calls.push(call);
    for (const r of this.responders) {
      const out = r(call);
      if (out) return { status: 0, stdout: '', stderr: '', ...out };
    }
    return { status: 0, stdout: '', stderr: '' };
  }

  /** Lines of the calls matching a pattern. */
  public lines(pattern?: RegExp): string[] {
    return this.calls.map((c) => c.line).filter((l) => !pattern || pattern.test(l));
  }
}
