import * as fs from 'fs';
import * as path from 'path';
import { allRules, runChecks } from './index';
import { CONSTRUCT_METADATA_FILE, loadConstructMetadata, loadManifests } from './load';
import { formatReport } from './report';
import { preloadKubernetesModels } from './schema-check';
import { objectKey } from './types';

/* Structural copies of the cdk8s-cli plugin types (cdk8s-cli is a dev tool; the plugin must not import it). */
interface ValidationViolation {
  readonly ruleName: string;
  readonly recommendation: string;
  readonly fix: string;
  readonly violatingResources: ReadonlyArray<{
    readonly resourceName: string;
    readonly locations: readonly string[];
    readonly manifestPath: string;
  }>;
}
interface ValidationContext {
  readonly manifests: readonly string[];
  readonly report: {
    addViolation(v: ValidationViolation): void;
    submit(status: 'success' | 'failure', metadata?: Record<string, string>): void;
  };
  readonly logger: { log(message: string): void };
}

/**
 * cdk8s validation plugin (cdk8s.yaml `validations`): runs the schema, pod security, best-practice,
 * secrets, reachability, connection-budget, drain and capacity checks over the synthesized manifests. A violation fails `cdk8s synth`
 * and the CLI's report names the construct path of the offending object.
 */
export class ManifestChecks {
  constructor(private readonly props: { readonly outdir?: string } = {}) {}

  /**
   * Loads what the first run would load anyway (the kubernetes-models validators). Optional: the
   * checks load it on demand; scripts/cdk8s-synth.js calls it while the app runs, on the idle core.
   */
  public static prepare(): void {
    preloadKubernetesModels();
  }

  /** The cdk8s CLI awaits this; the checks themselves are synchronous. */
  public validate(context: ValidationContext): Promise<void> {
    this.check(context);
    return Promise.resolve();
  }

  private check(context: ValidationContext): void {
    const outdir = path.resolve(this.props.outdir ?? inferOutdir(context.manifests));
    const metadata = loadConstructMetadata(outdir);
    if (!metadata) {
      context.report.addViolation({
        ruleName: 'net/graph',
        recommendation: `${path.join(outdir, CONSTRUCT_METADATA_FILE)} is missing, so the declared service graphs are unknown`,
        fix: 'run synth through the cdk8s CLI (it sets CDK8S_RECORD_CONSTRUCT_METADATA=true) or `npm run check`',
        violatingResources: [],
      });
      context.report.submit('failure');
      return;
    }
    const objects = loadManifests(
      outdir,
      context.manifests.map((m) => path.resolve(m)).filter((m) => fs.existsSync(m)),
    ).map((m) => ({ ...m, constructPath: metadata.resources[objectKey(m.env, m.object)]?.path }));
    const input = { objects, environments: metadata.environments };
    const result = runChecks(input);
    const rules = new Map(allRules().map((r) => [r.id, r]));
    for (const v of result.violations) {
      context.report.addViolation({
        ruleName: v.rule,
        recommendation: v.message,
        fix: rules.get(v.rule)?.description ?? v.rule,
        violatingResources: v.object
          ? [
              {
                resourceName: objectKey(v.object.env, v.object.object),
                locations: [v.field ?? '(object)'],
                manifestPath: path.join(outdir, v.object.file),
              },
            ]
          : [],
      });
    }
    context.logger.log(formatReport(input, result, { matrices: false }));
    context.report.submit(result.violations.length === 0 ? 'success' : 'failure', {
      objects: String(objects.length),
      rules: String(result.rules.length),
    });
  }
}

/**
 * The output folder of the manifests the CLI passes: the folder above them that holds
 * construct-metadata.json, else the shallowest `<outdir>` of `<outdir>/<env>/<file>.yaml`.
 */
export function inferOutdir(manifests: readonly string[]): string {
  const plain = manifests.map((m) => path.resolve(m)).filter((m) => !m.split(path.sep).includes('helm'));
  if (plain.length === 0) throw new Error('ManifestChecks: no manifests to validate; expected <outdir>/<env>/*.yaml from cdk8s synth');
  for (let dir = path.dirname(plain[0]); path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, CONSTRUCT_METADATA_FILE))) return dir;
  }
  return plain.map((m) => path.dirname(path.dirname(m))).sort((a, b) => a.length - b.length)[0];
}
