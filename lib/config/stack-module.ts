import * as path from 'path';
import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { z } from 'zod';
import { PROJECT_ROOT, sourceDir } from '../core/assets';
import { PlatformConfig } from './platform-schema';

/** What a stack chart receives: its own block of config and the environment's platform settings. */
export interface StackProps<C> {
  readonly config: C;
  readonly platform: PlatformConfig;
}

/** A stack's block of config for one environment, and the file it is written in (for messages). */
export interface StackValues<I> {
  /** Project-relative file the values are written in, e.g. `charts/shop/dev.ts`. */
  readonly file: string;
  readonly values: I;
}

/**
 * Facts the rules every stack follows need (see {@link commonStackRules}); paths are relative
 * to the stack's block.
 */
export interface StackProfileFacts {
  /** Development tools (`<key>.enabled` in the block): allowed in dev profiles only. */
  readonly devTools?: Readonly<Record<string, { readonly enabled: boolean }>>;
  /** Applications (`<key>.standIn` in the block) that may run a public stand-in image in dev. */
  readonly apps?: Readonly<Record<string, { readonly standIn: boolean }>>;
  /** `backups.target` of the block: `s3` in prod; `localstack` needs `localstack.enabled`. */
  readonly backupTarget?: string;
  /** `backups.kmsKeyId` of the block: required with backup target `s3`. */
  readonly backupKmsKeyId?: string;
  /** Whether PostgreSQL point-in-time recovery is on (`backups.postgresPitr.enabled`): it archives to Amazon S3 only. */
  readonly postgresPitrEnabled?: boolean;
  /** `localstack.enabled` of the block. */
  readonly localstackEnabled?: boolean;
  /** `aws` of the block (IRSA roles, Secrets Manager prefix), needed by S3 backups and AWS secrets. */
  readonly aws?: unknown;
}

/** A problem a stack rule found, at a path relative to the stack's block. */
export interface StackRuleIssue {
  readonly path: string;
  readonly value: unknown;
  readonly expected: string;
}

/**
 * A deployable stack as one module (`charts/<name>/index.ts`): its schema, its values per
 * environment, the rules that need the platform, and the chart. Registering it is one line in
 * `charts/stacks.ts`.
 */
export interface StackModule<S extends z.ZodType = z.ZodType> {
  /** Names the output file (`dist/<env>/<name>.k8s.yaml`), the Helm chart and the Argo CD application. */
  readonly name: string;
  readonly description: string;
  /** NOTES.txt shown after `helm install` (Go template over the chart's values). */
  readonly notes: string;
  /** The schema of the stack's block of config. */
  readonly schema: S;
  /** The stack's block per environment name (every environment in config/ needs one). */
  readonly environments: Readonly<Record<string, StackValues<z.input<S>>>>;
  /** Facts for the rules every stack follows (dev tools, stand-ins, backups, AWS). */
  readonly profileFacts: (config: z.output<S>) => StackProfileFacts;
  /** Rules of this stack that need the platform settings. @default - none */
  readonly rules?: (config: z.output<S>, platform: PlatformConfig) => StackRuleIssue[];
  /** The stack's chart for one environment. */
  readonly create: (scope: Construct, id: string, props: StackProps<z.output<S>>) => Chart;
}

/** Defines a stack module (checks the name early; keeps the schema's types). */
export function defineStack<S extends z.ZodType>(module: StackModule<S>): StackModule<S> {
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(module.name)) {
    throw new Error(`stack name '${module.name}': expected a DNS-1123 label (it names files, charts and Argo CD applications)`);
  }
  return module;
}

/** `{ file, values }` for a values file of a stack folder: `stackValues(__dirname, 'dev.ts', dev)`. */
export function stackValues<I>(dir: string, file: string, values: I): StackValues<I> {
  return { file: path.relative(PROJECT_ROOT, path.join(sourceDir(dir), file)), values };
}

/** Rules every stack follows: dev tools, stand-ins and LocalStack only in dev, S3 and AWS wiring in prod. */
export function commonStackRules(facts: StackProfileFacts, platform: PlatformConfig): StackRuleIssue[] {
  const issues: StackRuleIssue[] = [];
  if (platform.profile === 'prod') {
    for (const [tool, cfg] of Object.entries(facts.devTools ?? {})) {
      if (cfg.enabled)
        issues.push({
          path: `${tool}.enabled`,
          value: true,
          expected: `false: ${tool} is a development tool and is not allowed in a prod profile`,
        });
    }
    for (const [app, cfg] of Object.entries(facts.apps ?? {})) {
      if (cfg.standIn) {
        issues.push({
          path: `${app}.standIn`,
          value: true,
          expected: `false: a stand-in image is only allowed in a dev profile; set ${app}.image to the real, pinned application image`,
        });
      }
    }
    if (facts.backupTarget !== undefined && facts.backupTarget !== 's3')
      issues.push({ path: 'backups.target', value: facts.backupTarget, expected: "'s3' in a prod profile" });
  }
  if (facts.postgresPitrEnabled && facts.backupTarget !== 's3')
    issues.push({
      path: 'backups.postgresPitr.enabled',
      value: true,
      expected: `false with backups.target '${facts.backupTarget}': point-in-time recovery archives to Amazon S3 (target 's3') only`,
    });
  if (facts.backupTarget === 's3' && !facts.backupKmsKeyId) {
    issues.push({
      path: 'backups.kmsKeyId',
      value: undefined,
      expected:
        'a KMS key ARN or alias with backups.target s3: backups are uploaded with SSE-KMS and the upload refuses to run without a key',
    });
  }
  if (facts.backupTarget === 'localstack' && !facts.localstackEnabled) {
    issues.push({ path: 'backups.target', value: 'localstack', expected: "'s3', or set localstack.enabled in this stack" });
  }
  if ((facts.backupTarget === 's3' || platform.secrets?.provider === 'aws-secrets-manager') && !facts.aws) {
    issues.push({
      path: 'aws',
      value: undefined,
      expected: 'IRSA role ARNs and a Secrets Manager prefix (needed by backups.target s3 / secrets.provider aws-secrets-manager)',
    });
  }
  return issues;
}
