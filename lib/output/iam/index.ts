import * as fs from 'fs';
import * as path from 'path';
import { Chart } from 'cdk8s';
import { IamPolicyDocument, WorkloadAwsAccess } from '../../constructs/workloads/workload-aws-access';

/** Folder of the policies inside `<outdir>/<env>/`. */
export const IAM_POLICY_DIR = 'iam';

/** One workload's IAM policy: where it is written and what it holds. */
export interface WorkloadPolicyFile {
  /** Path relative to `<outdir>/<env>/`: `iam/<stack>-<workload>-policy.json`. */
  readonly file: string;
  readonly policy: IamPolicyDocument;
}

/** The IAM policies of a stack's chart: one per {@link WorkloadAwsAccess} with an IRSA role. */
export function chartPolicies(stack: string, chart: Chart): WorkloadPolicyFile[] {
  const files = WorkloadAwsAccess.all(chart)
    .filter((a) => a.policy !== undefined)
    .map((a) => ({ file: `${IAM_POLICY_DIR}/${stack}-${a.workload}-policy.json`, policy: a.policy! }));
  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(f.file)) throw new Error(`stack '${stack}': two workloads write ${f.file}; expected one WorkloadAwsAccess per workload`);
    seen.add(f.file);
  }
  return files;
}

/**
 * Writes `<outdir>/<env>/iam/<stack>-<workload>-policy.json` for every workload with an IRSA role:
 * the least-privilege policy its role needs, for the IAM tooling that owns the role (Terraform,
 * CloudFormation). A subfolder: the Argo CD applications read only their own files of `<env>/`
 * (non-recursive, filtered), never these.
 */
export function writeIamPolicies(outdir: string, byStack: ReadonlyMap<string, ReadonlyArray<{ name: string; chart: Chart }>>): void {
  for (const [stack, envs] of byStack) {
    for (const { name: env, chart } of envs) {
      for (const f of chartPolicies(stack, chart)) {
        const target = path.join(outdir, env, f.file);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, `${JSON.stringify(f.policy, null, 2)}\n`);
      }
    }
  }
}
