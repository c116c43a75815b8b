/**
 * Runs the CLI as a user does: a separate node process on cli/main.ts (through ts-node, so the
 * source under test, not a possibly stale build), where @kubernetes/client-node is loaded by a
 * real dynamic import.
 */
import { execFile } from 'child_process';
import * as path from 'path';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..', '..');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * @param env the child's whole environment besides PATH (HOME defaults to `cwd`, so no ~/.kube/config leaks in)
 */
export function runCli(args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['-r', require.resolve('ts-node/register/transpile-only'), path.join(PROJECT_ROOT, 'cli', 'main.ts'), ...args],
      {
        cwd: options.cwd,
        env: { PATH: process.env.PATH, HOME: options.cwd, TS_NODE_PROJECT: path.join(PROJECT_ROOT, 'tsconfig.json'), ...options.env },
        timeout: options.timeoutMs ?? 50_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}
