/**
 * Refuses to touch a kube context that is not the environment's cluster: `config/<env>.ts`
 * declares `cluster: { kind, name }`, and the context must match it.
 *
 * - kind: kind names its context and cluster entry `kind-<name>`.
 * - eks: `aws eks update-kubeconfig` names them by the cluster ARN (`arn:aws:eks:<region>:<account>:cluster/<name>`),
 *   eksctl as `<user>@<name>.<region>.eksctl.io`; the API server is on `*.eks.amazonaws.com`.
 *
 * Pure: the caller gives the context as read from the kubeconfig.
 */
import { ContextRefusedError } from './errors';

export interface KubeContextInfo {
  /** Context name. */
  name: string;
  /** Name of the kubeconfig cluster entry the context points to. */
  cluster: string;
  /** API server URL of that cluster entry. */
  server: string;
}

export interface ExpectedCluster {
  /** `kind` or `eks`; any other kind never matches (the check says so). */
  kind: string;
  name: string;
  /** AWS region of an EKS cluster, for `aws eks update-kubeconfig --region`; absent when the config does not say. */
  region?: string;
}

export interface ContextCheck {
  matches: boolean;
  /** Why it matches or not, in words. */
  reason: string;
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function serverHost(server: string): string {
  try {
    return new URL(server).hostname.toLowerCase();
  } catch {
    return '';
  }
}

/** What the context of `expected` looks like, in words (for messages). */
export function expectedDescription(expected: ExpectedCluster): string {
  return expected.kind === 'kind'
    ? `kind cluster '${expected.name}' (context or cluster 'kind-${expected.name}')`
    : `EKS cluster '${expected.name}' (context or cluster such as 'arn:aws:eks:<region>:<account>:cluster/${expected.name}', API server on *.eks.amazonaws.com)`;
}

/** The command that writes an EKS cluster's context into the kubeconfig, with the region when known. */
export function eksUpdateKubeconfig(expected: ExpectedCluster): string {
  return `aws eks update-kubeconfig --name ${expected.name}${expected.region ? ` --region ${expected.region}` : ''}`;
}

/**
 * What to do when there is no kubeconfig at all (`home` is ~/.kube/config): create the kind cluster
 * (which writes its context) or fetch the EKS cluster's context, depending on the environment.
 */
export function missingKubeconfigHint(expected: ExpectedCluster | undefined, home: string): string {
  const how =
    expected?.kind === 'eks'
      ? `Add the context of EKS cluster '${expected.name}' with '${eksUpdateKubeconfig(expected)}' (it writes ${home}),`
      : expected?.kind === 'kind'
        ? `Create the kind cluster '${expected.name}' with 'npm run kind:up' (kind create cluster --config kind-config.yaml, then the platform; it writes ${home}),`
        : `Create the dev cluster with 'kind create cluster --config kind-config.yaml' (it writes ${home}),`;
  return `  ${how}\n  or point to one with --kubeconfig <file> or KUBECONFIG=<file>.`;
}

/** Whether a context points at the expected cluster. */
export function checkContext(ctx: KubeContextInfo, expected: ExpectedCluster): ContextCheck {
  if (expected.kind === 'kind') {
    const want = `kind-${expected.name}`;
    if (ctx.name === want || ctx.cluster === want) return { matches: true, reason: `context '${ctx.name}' is ${want}` };
    return { matches: false, reason: `neither context '${ctx.name}' nor its cluster '${ctx.cluster}' is '${want}'` };
  }
  if (expected.kind === 'eks') {
    const pattern = new RegExp(`(^|[/@])${escape(expected.name)}($|\\.)`);
    const named = [ctx.name, ctx.cluster].find((n) => pattern.test(n));
    if (!named)
      return {
        matches: false,
        reason: `neither context '${ctx.name}' nor its cluster '${ctx.cluster}' names EKS cluster '${expected.name}'`,
      };
    const host = serverHost(ctx.server);
    if (!/\.eks\.amazonaws\.com(\.cn)?$/.test(host)) {
      return {
        matches: false,
        reason: `'${named}' names '${expected.name}' but its API server ${ctx.server || '(none)'} is not an EKS endpoint (*.eks.amazonaws.com)`,
      };
    }
    return { matches: true, reason: `'${named}' is EKS cluster ${expected.name}` };
  }
  return { matches: false, reason: `unknown cluster kind '${expected.kind}' (allowed: kind, eks)` };
}

/**
 * Lets the command go on when the context matches; with `force`, goes on with a warning (returned).
 * @param candidates the kubeconfig's contexts, to suggest the matching ones
 * @throws ContextRefusedError saying which context, which cluster was expected, and how to proceed
 */
export function guardContext(
  ctx: KubeContextInfo,
  expected: ExpectedCluster,
  env: string,
  force: boolean,
  candidates: readonly KubeContextInfo[] = [],
): string | undefined {
  const check = checkContext(ctx, expected);
  if (check.matches) return undefined;
  const what = `kube context '${ctx.name}' (${ctx.server || 'no server'})`;
  if (force) return `warning: ${what} does not match environment '${env}' (${check.reason}); going on because of --force`;
  const matching = candidates.filter((c) => checkContext(c, expected).matches).map((c) => c.name);
  const hint =
    matching.length > 0
      ? `use --context ${matching[0]}${matching.length > 1 ? ` (matching contexts: ${matching.join(', ')})` : ''}`
      : `no context of your kubeconfig matches; ${
          expected.kind === 'kind'
            ? `create the cluster with 'kind create cluster --config kind-config.yaml'`
            : `add it with '${eksUpdateKubeconfig(expected)}'`
        }`;
  throw new ContextRefusedError(
    `refusing to use ${what} for environment '${env}': ${check.reason}.\n  expected: ${expectedDescription(expected)}\n  ${hint}, or pass --force to use '${ctx.name}' anyway`,
  );
}
