import { checkContext, guardContext, KubeContextInfo, missingKubeconfigHint } from '../../cli/context-guard';
import { ContextRefusedError } from '../../cli/errors';

const kindDev = { kind: 'kind', name: 'backends-dev' };
const eksProd = { kind: 'eks', name: 'backends-prod' };
const EKS_SERVER = 'https://0A1B2C3D4E5F.gr7.eu-west-1.eks.amazonaws.com';
const ARN = 'arn:aws:eks:eu-west-1:123456789012:cluster/backends-prod';

const ctx = (name: string, cluster = name, server = 'https://127.0.0.1:40123'): KubeContextInfo => ({ name, cluster, server });

describe('checkContext', () => {
  test('kind: the context or its cluster is kind-<name>', () => {
    expect(checkContext(ctx('kind-backends-dev'), kindDev).matches).toBe(true);
    expect(checkContext(ctx('dev', 'kind-backends-dev'), kindDev).matches).toBe(true);
    expect(checkContext(ctx('kind-backends-dev-2'), kindDev)).toEqual({
      matches: false,
      reason: "neither context 'kind-backends-dev-2' nor its cluster 'kind-backends-dev-2' is 'kind-backends-dev'",
    });
    expect(checkContext(ctx('backends-dev'), kindDev).matches).toBe(false);
  });

  test('eks: the ARN or eksctl name names the cluster, and the server is an EKS endpoint', () => {
    expect(checkContext(ctx(ARN, ARN, EKS_SERVER), eksProd).matches).toBe(true);
    expect(
      checkContext(ctx('admin@backends-prod.eu-west-1.eksctl.io', 'backends-prod.eu-west-1.eksctl.io', EKS_SERVER), eksProd).matches,
    ).toBe(true);
    expect(checkContext(ctx('prod', ARN, EKS_SERVER), eksProd).matches).toBe(true);
  });

  test('eks: a similar name is not the cluster', () => {
    const staging = 'arn:aws:eks:eu-west-1:123456789012:cluster/backends-prod-staging';
    expect(checkContext(ctx(staging, staging, EKS_SERVER), eksProd).matches).toBe(false);
    expect(checkContext(ctx('arn:aws:eks:eu-west-1:1:cluster/old-backends-prod', 'x', EKS_SERVER), eksProd).matches).toBe(false);
  });

  test('eks: the right name on a non-EKS server (a kind cluster called backends-prod) is refused', () => {
    expect(checkContext(ctx('backends-prod', 'backends-prod', 'https://127.0.0.1:6443'), eksProd)).toEqual({
      matches: false,
      reason:
        "'backends-prod' names 'backends-prod' but its API server https://127.0.0.1:6443 is not an EKS endpoint (*.eks.amazonaws.com)",
    });
  });
});

describe('guardContext', () => {
  test('a matching context goes on silently', () => {
    expect(guardContext(ctx('kind-backends-dev'), kindDev, 'dev', false)).toBeUndefined();
  });

  test('a mismatched context is refused, naming the context, the environment, the expected cluster and a matching context', () => {
    const candidates = [ctx('kind-other'), ctx('kind-backends-dev')];
    expect(() => guardContext(ctx('kind-other'), kindDev, 'dev', false, candidates)).toThrow(ContextRefusedError);
    expect(() => guardContext(ctx('kind-other'), kindDev, 'dev', false, candidates)).toThrow(
      "refusing to use kube context 'kind-other' (https://127.0.0.1:40123) for environment 'dev': neither context 'kind-other' nor its cluster 'kind-other' is 'kind-backends-dev'.\n" +
        "  expected: kind cluster 'backends-dev' (context or cluster 'kind-backends-dev')\n" +
        "  use --context kind-backends-dev, or pass --force to use 'kind-other' anyway",
    );
  });

  test('prod against a dev cluster is refused with how to get the EKS context', () => {
    expect(() => guardContext(ctx('kind-backends-dev'), eksProd, 'prod', false, [ctx('kind-backends-dev')])).toThrow(
      "no context of your kubeconfig matches; add it with 'aws eks update-kubeconfig --name backends-prod', or pass --force",
    );
  });

  test('with the region known, the EKS hint names it', () => {
    expect(() => guardContext(ctx('kind-backends-dev'), { ...eksProd, region: 'eu-west-1' }, 'prod', false)).toThrow(
      "add it with 'aws eks update-kubeconfig --name backends-prod --region eu-west-1', or pass --force",
    );
  });

  test('--force goes on with a warning', () => {
    expect(guardContext(ctx('kind-other'), kindDev, 'dev', true)).toBe(
      "warning: kube context 'kind-other' (https://127.0.0.1:40123) does not match environment 'dev' (neither context 'kind-other' nor its cluster 'kind-other' is 'kind-backends-dev'); going on because of --force",
    );
  });
});

describe('missingKubeconfigHint', () => {
  const home = '/home/u/.kube/config';
  test('dev (kind): npm run kind:up, which creates the cluster and writes the kubeconfig', () => {
    expect(missingKubeconfigHint(kindDev, home)).toBe(
      "  Create the kind cluster 'backends-dev' with 'npm run kind:up' (kind create cluster --config kind-config.yaml, then the platform; it writes /home/u/.kube/config),\n" +
        '  or point to one with --kubeconfig <file> or KUBECONFIG=<file>.',
    );
  });

  test('prod (EKS): aws eks update-kubeconfig with the cluster name and region, no word of kind', () => {
    const hint = missingKubeconfigHint({ kind: 'eks', name: 'backends-prod', region: 'eu-west-1' }, home);
    expect(hint).toContain("with 'aws eks update-kubeconfig --name backends-prod --region eu-west-1' (it writes /home/u/.kube/config)");
    expect(hint).not.toContain('kind');
  });

  test('environment unknown: the generic kind hint', () => {
    expect(missingKubeconfigHint(undefined, home)).toContain("'kind create cluster --config kind-config.yaml'");
  });
});
