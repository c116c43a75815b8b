import * as fs from 'fs';
import * as path from 'path';
import { Chart } from 'cdk8s';
import { ServiceGraph } from '../../constructs/network/service-graph';
import { DeclaredGraph } from '../../checks/types';
import { serviceGraphMarkdown } from './service-graph-mermaid';

export * from './service-graph-mermaid';

/** The declared service graphs of a chart (one per namespace), sorted by namespace. */
export function chartGraphs(chart: Chart): DeclaredGraph[] {
  return chart.node
    .findAll()
    .filter((c): c is ServiceGraph => c instanceof ServiceGraph)
    .map((g) => g.toDeclaration())
    .sort((a, b) => a.namespace.localeCompare(b.namespace));
}

/**
 * Components of `graph` that the reference environment's graph of the same stack and namespace lacks
 * (e.g. pgAdmin in dev but not in prod). None when the environment is the reference or it has no graph.
 */
export function componentsMissingFrom(graph: DeclaredGraph, reference: readonly DeclaredGraph[] | undefined): string[] {
  const ref = reference?.find((g) => g.namespace === graph.namespace);
  if (!ref) return [];
  return Object.keys(graph.components)
    .filter((c) => !(c in ref.components))
    .sort();
}

/**
 * Writes `<outdir>/<env>/<stack>.graph.md` for every stack and environment with a service graph:
 * a Markdown page holding the Mermaid diagram. Components absent from the reference environment
 * (prod) are marked "<env> only".
 */
export function writeServiceGraphDiagrams(
  outdir: string,
  byStack: ReadonlyMap<string, ReadonlyArray<{ name: string; chart: Chart }>>,
  options: { reference: string },
): void {
  for (const [stack, envs] of byStack) {
    const graphsByEnv = new Map(envs.map((e) => [e.name, chartGraphs(e.chart)]));
    const reference = graphsByEnv.get(options.reference);
    for (const { name: env } of envs) {
      const graphs = graphsByEnv.get(env)!;
      if (graphs.length === 0) continue;
      const pages = graphs.map((g) =>
        serviceGraphMarkdown(graphs.length === 1 ? `${stack} (${env})` : `${stack} (${env}), namespace ${g.namespace}`, g, {
          devOnly: env === options.reference ? [] : componentsMissingFrom(g, reference),
          devOnlyLabel: `${env} only`,
        }),
      );
      fs.writeFileSync(path.join(outdir, env, `${stack}.graph.md`), pages.join('\n'));
    }
  }
}
