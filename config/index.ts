import { STACK_MODULES } from '../charts';
import { composeEnvironments, Environment, loadEnvironment as loadWith, PlatformValues } from '../lib/config/environment';
import { PlatformConfigInput } from '../lib/config/platform-schema';
import { StackModule } from '../lib/config/stack-module';
import { dev } from './dev';
import { prod } from './prod';

export type { Environment } from '../lib/config/environment';
/** One validated environment: platform settings and every stack's block. */
export type EnvironmentConfig = Environment;

/** The platform settings of every environment and the file each is written in. */
export const PLATFORMS: Readonly<Record<string, PlatformValues>> = {
  dev: { file: 'config/dev.ts', values: dev },
  prod: { file: 'config/prod.ts', values: prod },
};

/**
 * Every environment as written, not yet validated: the platform settings of `config/<env>.ts`
 * with each registered stack's block for it (`charts/<stack>/<env>.ts`) under `stacks`.
 */
export const ENVIRONMENTS: Readonly<Record<string, PlatformConfigInput & { readonly stacks: Readonly<Record<string, unknown>> }>> =
  Object.fromEntries(
    Object.entries(PLATFORMS).map(([name, platform]) => [
      name,
      { ...platform.values, stacks: Object.fromEntries(STACK_MODULES.map((s) => [s.name, s.environments[name]?.values])) },
    ]),
  );

/** Validates one environment (throws a ConfigError listing every problem). */
export function loadEnvironment(config: unknown, source = 'config'): Environment {
  return loadWith(config, STACK_MODULES, source);
}

/** All environments, composed and validated; the problems of every file are reported together. */
export function loadEnvironments(stacks: readonly StackModule[] = STACK_MODULES): Environment[] {
  return composeEnvironments(PLATFORMS, stacks);
}
