import { z } from 'zod';
import { ConfigError, ConfigIssue, configIssues } from './config-error';
import { PlatformConfig, PlatformConfigInput, platformSchema } from './platform-schema';
import { commonStackRules, StackModule } from './stack-module';

/** One environment: its platform settings and every registered stack's block, validated. */
export type Environment = PlatformConfig & { readonly stacks: Readonly<Record<string, unknown>> };

/** The platform settings of one environment (`config/<env>.ts`) and the file they are written in. */
export interface PlatformValues {
  readonly file: string;
  readonly values: PlatformConfigInput;
}

/** Where each part of an environment comes from, for messages. @default - one source for all */
export interface EnvironmentSources {
  readonly platform: string;
  readonly stacks: Readonly<Record<string, string>>;
}

function issuesOf(schema: z.ZodType, data: unknown, prefix: string, file: string | undefined): { issues: ConfigIssue[]; value?: unknown } {
  const result = schema.safeParse(data, { reportInput: true });
  if (!result.success) return { issues: configIssues(result.error, data, prefix).map((i) => ({ ...i, file })) };
  return { issues: [], value: result.data };
}

/**
 * Validates one environment (`{ ...platform, stacks: { <name>: block } }`) against the platform
 * schema, each stack module's schema and rules; returns it or the list of every problem.
 */
export function checkEnvironment(
  data: unknown,
  stacks: readonly StackModule[],
  sources?: EnvironmentSources,
): { environment?: Environment; issues: ConfigIssue[] } {
  const record = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
  const { stacks: stackData, ...platformData } = record;
  const platform = issuesOf(platformSchema, platformData, '', sources?.platform);
  const issues = [...platform.issues];
  const blocks = (typeof stackData === 'object' && stackData !== null ? stackData : {}) as Record<string, unknown>;
  const names = stacks.map((s) => s.name);
  if (typeof stackData !== 'object' || stackData === null)
    issues.push({
      file: sources?.platform,
      path: 'stacks',
      value: stackData,
      expected: `an object with the blocks of ${names.join(', ')}`,
    });
  for (const key of Object.keys(blocks)) {
    if (!names.includes(key))
      issues.push({
        file: sources?.platform,
        path: `stacks.${key}`,
        value: blocks[key],
        expected: `no such stack; registered stacks (charts/stacks.ts): ${names.join(', ')}`,
      });
  }
  const parsed: Record<string, unknown> = {};
  for (const stack of stacks) {
    const file = sources?.stacks[stack.name] ?? sources?.platform;
    const prefix = `stacks.${stack.name}`;
    if (blocks[stack.name] === undefined) {
      issues.push({
        file,
        path: prefix,
        value: undefined,
        expected: `a required value: the ${stack.name} stack's block for this environment (environments of charts/${stack.name}/index.ts)`,
      });
      continue;
    }
    const result = issuesOf(stack.schema, blocks[stack.name], prefix, file);
    issues.push(...result.issues);
    if (result.value === undefined) continue;
    // The rules every stack follows read only profile and secrets.provider: run them on the
    // platform as written even when another platform field is wrong, so one run shows everything.
    const ruleIssues = commonStackRules(stack.profileFacts(result.value), (platform.value ?? platformData) as PlatformConfig);
    if (platform.value !== undefined) ruleIssues.push(...(stack.rules?.(result.value, platform.value as PlatformConfig) ?? []));
    issues.push(...ruleIssues.map((i) => ({ file, path: `${prefix}.${i.path}`, value: i.value, expected: i.expected })));
    parsed[stack.name] = result.value;
  }
  if (issues.length > 0) return { issues };
  return { environment: { ...(platform.value as PlatformConfig), stacks: parsed }, issues };
}

/** Validates one environment, throwing a {@link ConfigError} listing every problem. */
export function loadEnvironment(data: unknown, stacks: readonly StackModule[], source = 'config'): Environment {
  const { environment, issues } = checkEnvironment(data, stacks);
  if (!environment) throw new ConfigError(source, issues);
  return environment;
}

/**
 * Composes and validates every environment: the platform settings of `config/<env>.ts` and each
 * stack's block for that environment (`charts/<stack>/<env>.ts`). Problems of every file of every
 * environment are collected and thrown together, each naming its file.
 */
export function composeEnvironments(platforms: Readonly<Record<string, PlatformValues>>, stacks: readonly StackModule[]): Environment[] {
  const issues: ConfigIssue[] = [];
  const environments: Environment[] = [];
  for (const [name, platform] of Object.entries(platforms)) {
    const blocks: Record<string, unknown> = {};
    const files: Record<string, string> = {};
    for (const stack of stacks) {
      const values = stack.environments[name];
      blocks[stack.name] = values?.values;
      files[stack.name] = values?.file ?? `charts/${stack.name}/index.ts`;
    }
    const result = checkEnvironment({ ...platform.values, stacks: blocks }, stacks, { platform: platform.file, stacks: files });
    // In a stack's own values file the field is named as written there (`api.replicas`).
    const relative = (i: ConfigIssue): ConfigIssue => {
      const stack = stacks.find((st) => i.file === files[st.name] && i.file !== platform.file && i.path.startsWith(`stacks.${st.name}.`));
      return stack ? { ...i, path: i.path.slice(`stacks.${stack.name}.`.length) } : i;
    };
    issues.push(...result.issues.map((i) => relative(i.file ? i : { ...i, file: platform.file })));
    if (result.environment) environments.push(result.environment);
  }
  if (issues.length > 0) throw new ConfigError(`environments ${Object.keys(platforms).join(', ')}`, issues);
  return environments;
}

/** A stack's validated block of an environment, typed by its module. */
export function stackConfig<S extends z.ZodType>(env: Environment, module: StackModule<S>): z.output<S> {
  if (!(module.name in env.stacks)) throw new Error(`environment '${env.name}' has no block for stack '${module.name}'`);
  return env.stacks[module.name] as z.output<S>;
}
