import { ApiObject, App } from 'cdk8s';
import { ServiceGraph } from '../service-graph';
import { DeclaredGraph, objectKey } from './types';

/** What a synthesized App knows that its YAML does not: construct paths and declared graphs. */
export interface AppFacts {
  /** Object key -> construct path. */
  readonly resources: Record<string, { path: string }>;
  /** Namespace -> declared service graph. */
  readonly graphs: Record<string, DeclaredGraph>;
}

/** Collects construct paths of every ApiObject and every ServiceGraph declaration of an App. */
export function collectAppFacts(app: App, env: string): AppFacts {
  const resources: Record<string, { path: string }> = {};
  const graphs: Record<string, DeclaredGraph> = {};
  for (const c of app.node.findAll()) {
    if (c instanceof ApiObject) resources[objectKey(env, { kind: c.kind, metadata: { namespace: c.metadata.namespace, name: c.name } })] = { path: c.node.path };
    if (c instanceof ServiceGraph) graphs[c.namespace] = c.toDeclaration();
  }
  return { resources, graphs };
}
