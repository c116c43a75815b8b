import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { Environment } from '../lib/config/environment';
import { StackModule } from '../lib/config/stack-module';
import { applyDataProtection, applySyncWaves } from '../lib/output/argocd';
import * as registered from './stacks';

/** A deployable stack as the writers see it: one Chart per environment, one Helm chart in dist/helm/<name>. */
export interface StackDefinition {
  /** Stack name: names the output file, the Helm chart and the Argo CD application. */
  readonly name: string;
  readonly description: string;
  /** The stack's chart for an environment, with Argo CD sync waves and data protection applied. */
  readonly create: (scope: Construct, id: string, env: Environment) => Chart;
  /** NOTES.txt shown after `helm install`. */
  readonly notes: string;
}

/**
 * Argo CD metadata on every object of a stack: its sync wave (namespace, identities, secrets,
 * config, services, stores, apps) and `Prune=false,Delete=false` on what holds data.
 */
export function forGitOps<T extends Chart>(chart: T): T {
  applySyncWaves(chart);
  applyDataProtection(chart);
  return chart;
}

/** The modules of every registered stack (charts/stacks.ts), in registry order. */
export const STACK_MODULES: readonly StackModule[] = Object.values(registered);

/** A stack module as a {@link StackDefinition}: its chart gets its own block of config and the platform settings. */
export function stackDefinition(module: StackModule): StackDefinition {
  return {
    name: module.name,
    description: module.description,
    notes: module.notes,
    create: (scope, id, env) => {
      const config = env.stacks[module.name];
      if (config === undefined) throw new Error(`environment '${env.name}' has no block for stack '${module.name}'`);
      return forGitOps(module.create(scope, id, { config, platform: env }));
    },
  };
}

/** Every stack the project deploys. Add a stack with one line in charts/stacks.ts. */
export const STACKS: readonly StackDefinition[] = STACK_MODULES.map(stackDefinition);
