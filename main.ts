import * as fs from 'fs';
import * as path from 'path';
import { App, Chart, YamlOutputType } from 'cdk8s';
import { loadEnvironments } from './config';
import { STACKS } from './charts';
import { PlatformChart } from './charts/platform';
import { writeHelmChart } from './lib/helm';

/** Synthesizes every environment x stack into `<outdir>/<env>/`, and one Helm chart per stack into `<outdir>/helm/<stack>/`. */
export function synthesizeAll(outdir: string): void {
  const version = (JSON.parse(fs.readFileSync(path.join(__dirname, fs.existsSync(path.join(__dirname, 'package.json')) ? '' : '..', 'package.json'), 'utf8')) as { version: string }).version;
  const envs = loadEnvironments();
  const byStack = new Map<string, Array<{ name: string; chart: Chart }>>();
  for (const env of envs) {
    const app = new App({ outdir: path.join(outdir, env.name), yamlOutputType: YamlOutputType.FILE_PER_CHART });
    new PlatformChart(app, 'platform', { env });
    for (const stack of STACKS) {
      const chart = stack.create(app, stack.name, env);
      byStack.set(stack.name, [...(byStack.get(stack.name) ?? []), { name: env.name, chart }]);
    }
    app.synth();
  }
  for (const stack of STACKS) {
    writeHelmChart({
      name: stack.name,
      version,
      appVersion: version,
      description: stack.description,
      outdir: path.join(outdir, 'helm', stack.name),
      environments: byStack.get(stack.name)!,
      defaultEnvironment: 'prod',
      notes: stack.notes,
    });
  }
}

if (require.main === module) {
  synthesizeAll(process.env.CDK8S_OUTDIR ?? 'dist');
}
