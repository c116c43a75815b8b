/**
 * Every YAML file `npm run synth` writes (manifests, Argo CD objects, Helm values and Chart.yaml), and
 * what `helm template` renders from each chart with each environment's values, reads the same under
 * YAML 1.1 (PyYAML, go-yaml v2) as under YAML 1.2, with no plain string a YAML 1.1 reader retypes.
 */
import * as fs from 'fs';
import * as path from 'path';
import { STACKS } from '../../charts';
import { helmTemplateRaw } from '../support/helm';
import { listFiles, synthToTemp } from '../support/synth';
import { yaml11Problems } from '../support/yaml11';

const fresh = synthToTemp();
afterAll(() => fs.rmSync(fresh, { recursive: true, force: true }));

// Helm templates hold Go template expressions; they are checked through what `helm template` renders.
const yamlFiles = listFiles(fresh).filter((f) => f.endsWith('.yaml') && !f.split(path.sep).includes('templates'));

test('the synthesized output has manifests, Argo CD files and Helm values files', () => {
  expect(yamlFiles.filter((f) => /^(dev|prod)\//.test(f)).length).toBeGreaterThan(0);
  expect(yamlFiles.filter((f) => f.startsWith('argocd/')).length).toBeGreaterThan(0);
  expect(yamlFiles.filter((f) => /^helm\/[^/]+\/values-prod\.yaml$/.test(f)).length).toBe(STACKS.length);
});

test.each(yamlFiles)('%s reads the same under YAML 1.1 and 1.2', (file) => {
  expect(yaml11Problems(fs.readFileSync(path.join(fresh, file), 'utf8'))).toEqual([]);
});

describe.each(STACKS.map((s) => s.name))('helm template %s', (stack) => {
  test.each(['dev', 'prod'])('with values-%s.yaml reads the same under YAML 1.1 and 1.2', (env) => {
    const r = helmTemplateRaw(path.join(fresh, 'helm', stack), { releaseName: stack, valuesFiles: [`values-${env}.yaml`] });
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout.length).toBeGreaterThan(0);
    expect(yaml11Problems(r.stdout)).toEqual([]);
  });
});
