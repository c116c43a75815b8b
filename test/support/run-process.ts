/** A child process run to its end asynchronously (servers in the test process keep answering), for script tests. */
import { spawn } from 'child_process';

export interface Run {
  readonly status: number | null;
  /** stdout and stderr, interleaved as they came. */
  readonly output: string;
}

/** Runs `command` with exactly `env`; killed after `timeoutMs` (status null). */
export function runProcess(command: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 150_000): Promise<Run> {
  return new Promise<Run>((resolve, reject) => {
    const child = spawn(command, [...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, output });
    });
  });
}

/** The output of a run that exited 0; otherwise throws with its status and output. */
export function expectSuccess(r: Run): string {
  if (r.status !== 0) throw new Error(`exited ${r.status}\n${r.output}`);
  return r.output;
}
