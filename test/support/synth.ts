import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { EnvironmentConfig, ENVIRONMENTS, loadEnvironment } from '../../config';
import { ConfigError } from '../../lib/config/config-error';
import { STACKS } from '../../charts';
import { synthesizeAll } from '../../main';
import { Doc } from './doc';

/** A deep copy of an environment config, for tests that change values (also to ones the schema rejects). */
export function envConfig(name: 'dev' | 'prod'): Doc {
  return JSON.parse(JSON.stringify(ENVIRONMENTS[name]));
}

/** Synthesizes one stack for an environment config and returns its objects. */
export function synthStack(stack: string, env: EnvironmentConfig): Doc[] {
  const def = STACKS.find((s) => s.name === stack);
  if (!def) throw new Error(`no stack ${stack}`);
  const app = Testing.app();
  return Testing.synth(def.create(app, stack, env));
}

/** Runs the whole project into a temporary folder and returns the folder. */
export function synthToTemp(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-'));
  synthesizeAll(dir);
  return dir;
}

/** Every file under a folder, relative, sorted. */
export function listFiles(dir: string, base = dir): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => {
      const p = path.join(dir, e.name);
      return e.isDirectory() ? listFiles(p, base) : [path.relative(base, p)];
    })
    .sort();
}

/** Finds one object by kind and name. */
export function find(objects: readonly Doc[], kind: string, name: string): Doc {
  const o = objects.find((x) => x.kind === kind && x.metadata?.name === name);
  if (!o) throw new Error(`${kind}/${name} not found among ${objects.map((x) => `${x.kind}/${x.metadata?.name}`).join(', ')}`);
  return o;
}

/** Pod specs of every workload (Deployment, StatefulSet, CronJob, Job, DaemonSet). */
export function podSpecs(objects: readonly Doc[]): Array<{ owner: string; spec: Doc }> {
  return objects.flatMap((o) => {
    const spec =
      o.kind === 'CronJob'
        ? o.spec.jobTemplate.spec.template.spec
        : ['Deployment', 'StatefulSet', 'Job', 'DaemonSet'].includes(o.kind)
          ? o.spec.template.spec
          : undefined;
    return spec ? [{ owner: `${o.kind}/${o.metadata.name}`, spec }] : [];
  });
}

/** Validates a config and returns the error message; throws when the config is accepted or fails otherwise. */
export function configProblems(cfg: unknown): string {
  try {
    loadEnvironment(cfg, 'test');
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.message;
  }
  throw new Error('config was accepted');
}
