import { ApiObject, App } from 'cdk8s';
import { PostgresDatabase } from '../constructs/data/postgres-database';
import { ServiceGraph } from '../constructs/network/service-graph';
import { DeclaredDatabase, DeclaredGraph, KubeObject, objectKey } from './types';

/** What a synthesized App knows that its YAML does not: construct paths and declared graphs. */
export interface AppFacts {
  /** Object key -> construct path. */
  readonly resources: Record<string, { path: string }>;
  /** Namespace -> declared service graph. */
  readonly graphs: Record<string, DeclaredGraph>;
  /** Declared database connection budgets. */
  readonly databases: DeclaredDatabase[];
}

/** Collects construct paths of every ApiObject, every ServiceGraph declaration and every PostgresDatabase's connection budget of an App. */
export function collectAppFacts(app: App, env: string): AppFacts {
  const resources: Record<string, { path: string }> = {};
  const graphs: Record<string, DeclaredGraph> = {};
  const databases: DeclaredDatabase[] = [];
  for (const c of app.node.findAll()) {
    // the key comes from the rendered object: JSON patches may change it (e.g. a cluster-scoped kind drops the chart's namespace)
    if (c instanceof ApiObject) resources[objectKey(env, c.toJson() as KubeObject)] = { path: c.node.path };
    if (c instanceof ServiceGraph) graphs[c.namespace] = c.toDeclaration();
    if (c instanceof PostgresDatabase) databases.push(c.connectionBudget());
  }
  return { resources, graphs, databases };
}
