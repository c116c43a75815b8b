import { validate } from '../lib/config-schema';
import { dev } from './dev';
import { prod } from './prod';
import { EnvironmentConfig, environmentSchema } from './schema';

export { EnvironmentConfig, PagoDirectoConfig, WonderNestConfig, environmentSchema } from './schema';

/** Every environment the project synthesizes, validated. */
export const ENVIRONMENTS: Readonly<Record<string, EnvironmentConfig>> = { dev, prod };

/** Validates an environment config (throws a ConfigError listing every problem). */
export function loadEnvironment(config: unknown, source = 'config'): EnvironmentConfig {
  return validate(environmentSchema, config, source);
}

/** All environments, validated. */
export function loadEnvironments(): EnvironmentConfig[] {
  return Object.entries(ENVIRONMENTS).map(([name, cfg]) => loadEnvironment(cfg, `config/${name}.ts`));
}
