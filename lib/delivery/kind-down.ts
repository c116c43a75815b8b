import { CommandRunner, DeliveryError, formatCommand } from './command-runner';
import { checkDockerDaemon } from './tools';

export interface KindDownOptions {
  readonly clusterName: string;
  readonly tools: { readonly docker: string; readonly kind: string };
  /** Print the command, change nothing. @default false */
  readonly dryRun?: boolean;
}

/**
 * Deletes the kind cluster when `kind get clusters` lists it; does nothing otherwise.
 * @returns whether the cluster was (or, in a dry run, would be) deleted
 * @throws DeliveryError naming the failed command
 */
export function kindDown(
  options: KindDownOptions,
  deps: { readonly runner: CommandRunner; readonly log: (line: string) => void },
): { readonly deleted: boolean } {
  checkDockerDaemon(deps.runner, options.tools.docker);
  const list = deps.runner.run(options.tools.kind, ['get', 'clusters']);
  if (list.status !== 0) {
    throw new DeliveryError(
      `listing kind clusters failed (exit ${list.status ?? 'none'}): ${formatCommand(options.tools.kind, ['get', 'clusters'])}\n${(list.error ?? list.stderr).trim()}`,
    );
  }
  if (
    !list.stdout
      .split('\n')
      .map((l) => l.trim())
      .includes(options.clusterName)
  ) {
    deps.log(`No kind cluster named '${options.clusterName}'; nothing to do.`);
    return { deleted: false };
  }
  const args = ['delete', 'cluster', '--name', options.clusterName];
  if (options.dryRun) {
    deps.log(`would run: ${formatCommand(options.tools.kind, args)}`);
    return { deleted: true };
  }
  deps.log(`$ ${formatCommand(options.tools.kind, args)}`);
  const r = deps.runner.run(options.tools.kind, args, { stream: true });
  if (r.status !== 0) {
    throw new DeliveryError(
      `deleting kind cluster '${options.clusterName}' failed (exit ${r.status ?? 'none'}): ${formatCommand(options.tools.kind, args)}${r.error ? `\n${r.error}` : ''}`,
    );
  }
  deps.log(
    `Deleted kind cluster '${options.clusterName}' and its kube context kind-${options.clusterName}. If you trusted its local CA, remove it from your trust store.`,
  );
  return { deleted: true };
}
