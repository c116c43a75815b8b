#!/usr/bin/env node
/*
 * Regenerates the typed CRD bindings in imports/ with `cdk8s import`.
 *
 * The upstream CRD YAML is reference data that lives outside the project
 * (CRD_DIR, default ../shared/crds). Only the generated bindings are
 * committed, so building and testing never needs this script or that folder.
 *
 * Each API group is imported as ONE multi-document file: `cdk8s import` names
 * its output after the API group, so importing two files of one group one by
 * one makes the second overwrite the first.
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const crdDir = path.resolve(root, process.env.CRD_DIR || '../shared/crds');

/** module name -> CRD files (relative to crdDir). Served versions only are used by the library. */
const GROUPS = {
  'monitoring.coreos.com': [
    'prometheus-operator/monitoring.coreos.com_servicemonitors.yaml',
    'prometheus-operator/monitoring.coreos.com_podmonitors.yaml',
    'prometheus-operator/monitoring.coreos.com_prometheusrules.yaml',
    'prometheus-operator/monitoring.coreos.com_alertmanagerconfigs.yaml',
  ],
  'cert-manager.io': [
    'cert-manager/cert-manager.io_certificates.yaml',
    'cert-manager/cert-manager.io_issuers.yaml',
    'cert-manager/cert-manager.io_clusterissuers.yaml',
  ],
  'traefik.io': ['traefik/traefik.io_middlewares.yaml'],
  'external-secrets.io': [
    'external-secrets/external-secrets.io_externalsecrets.yaml',
    'external-secrets/external-secrets.io_secretstores.yaml',
    'external-secrets/external-secrets.io_clustersecretstores.yaml',
  ],
  'generators.external-secrets.io': ['external-secrets/generators.external-secrets.io_passwords.yaml'],
  'argoproj.io': ['argo-cd/application-crd.yaml', 'argo-cd/appproject-crd.yaml'],
};

if (!fs.existsSync(crdDir)) {
  console.error(`CRD folder not found: ${crdDir}. Set CRD_DIR to the folder holding the upstream CRD YAML.`);
  process.exit(2);
}

// `cdk8s import` records every imported file in cdk8s.yaml; those temp paths must not land in the project.
const cdk8sYaml = path.join(root, 'cdk8s.yaml');
const cdk8sYamlBefore = fs.readFileSync(cdk8sYaml, 'utf8');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'crds-'));
const cli = path.join(root, 'node_modules', '.bin', 'cdk8s');
for (const [group, files] of Object.entries(GROUPS)) {
  const docs = files.map((f) => fs.readFileSync(path.join(crdDir, f), 'utf8').replace(/^---\s*\n/, ''));
  const combined = path.join(tmp, `${group}.yaml`);
  fs.writeFileSync(combined, docs.join('\n---\n'));
  console.log(`importing ${group} (${files.length} CRDs)`);
  execFileSync(cli, ['import', combined, '--output', 'imports', '--language', 'typescript', '--no-check-upgrade'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
  });
}
fs.rmSync(tmp, { recursive: true, force: true });
fs.writeFileSync(cdk8sYaml, cdk8sYamlBefore);

// Structural schemas of the same CRDs for the manifest checks (lib/checks): served versions only,
// description texts dropped. Generated data, like the bindings; the checks never read ../shared.
const YAML = require('yaml');
/** @type {Record<string, { scope: string; schema: unknown }>} `<group>/<version>/<kind>` -> scope and structural schema */
const schemas = {};
for (const files of Object.values(GROUPS)) {
  for (const f of files) {
    for (const doc of YAML.parseAllDocuments(fs.readFileSync(path.join(crdDir, f), 'utf8'))) {
      const crd = doc.toJS();
      if (!crd || crd.kind !== 'CustomResourceDefinition') continue;
      for (const v of crd.spec.versions) {
        if (!v.served || !v.schema) continue;
        schemas[`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`] = {
          scope: crd.spec.scope,
          schema: JSON.parse(
            JSON.stringify(v.schema.openAPIV3Schema, (k, val) => (k === 'description' && typeof val === 'string' ? undefined : val)),
          ),
        };
      }
    }
  }
}
const out = path.join(root, 'imports', 'schemas', 'crds.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify({ generatedBy: 'scripts/import-crds.js', kinds: schemas }) + '\n');
console.log(`wrote ${path.relative(root, out)} (${Object.keys(schemas).length} kinds)`);
