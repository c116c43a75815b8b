#!/usr/bin/env node
/*
 * Writes imports/schemas/kubernetes.json: the field tables of the built-in Kubernetes kinds
 * (API 1.34, from @kubernetes/client-node's generated models), used by lib/checks to reject
 * unknown fields and wrong types. Required fields, enums and formats come from kubernetes-models.
 * Regenerate after bumping @kubernetes/client-node: `npm run import`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const models = await import('@kubernetes/client-node');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'node_modules/@kubernetes/client-node/package.json'), 'utf8'));

/** The built-in kinds the checks accept (apiVersion -> kinds). Extend when a stack emits a new one. */
const KINDS = {
  v1: [
    'Namespace',
    'ConfigMap',
    'Secret',
    'Service',
    'ServiceAccount',
    'PersistentVolumeClaim',
    'PersistentVolume',
    'Pod',
    'Endpoints',
    'LimitRange',
    'ResourceQuota',
  ],
  'apps/v1': ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'],
  'batch/v1': ['Job', 'CronJob'],
  'autoscaling/v2': ['HorizontalPodAutoscaler'],
  'policy/v1': ['PodDisruptionBudget'],
  'networking.k8s.io/v1': ['NetworkPolicy', 'Ingress', 'IngressClass'],
  'rbac.authorization.k8s.io/v1': ['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'],
  'storage.k8s.io/v1': ['StorageClass'],
  'scheduling.k8s.io/v1': ['PriorityClass'],
  'apiextensions.k8s.io/v1': ['CustomResourceDefinition'],
  'admissionregistration.k8s.io/v1': ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration'],
};

/** @type {Record<string, Record<string, string>>} model -> field -> type, as lib/checks/schema-check.ts reads it */
const types = {};
/** @type {Record<string, string>} `<apiVersion>/<kind>` -> model */
const kinds = {};
/**
 * The generated model classes carry their field table as a static attributeTypeMap.
 * @typedef {{ attributeTypeMap?: ReadonlyArray<{ baseName: string; type: string; format: string }> }} ModelClass
 */
const modelsByName = /** @type {Record<string, ModelClass | undefined>} */ (/** @type {unknown} */ (models));
/** @param {string} name a client-node model such as `V1Deployment` */
function visit(name) {
  if (types[name] !== undefined) return;
  const cls = modelsByName[name];
  if (!cls || !Array.isArray(cls.attributeTypeMap)) throw new Error(`no model ${name} in @kubernetes/client-node`);
  types[name] = {};
  for (const a of cls.attributeTypeMap) {
    types[name][a.baseName] = a.format ? `${a.type}|${a.format}` : a.type;
    for (const ref of a.type.match(/\b[A-Z][A-Za-z0-9]+\b/g) ?? []) {
      if (!['Array', 'Date', 'IntOrString'].includes(ref) && modelsByName[ref]?.attributeTypeMap) visit(ref);
    }
  }
}
for (const [apiVersion, list] of Object.entries(KINDS)) {
  const version = apiVersion.split('/').pop() ?? apiVersion;
  for (const kind of list) {
    const model = `${version[0].toUpperCase()}${version.slice(1)}${kind}`;
    visit(model);
    kinds[`${apiVersion}/${kind}`] = model;
  }
}
const out = path.join(root, 'imports', 'schemas', 'kubernetes.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(
  out,
  JSON.stringify({ generatedBy: `scripts/import-k8s-schemas.mjs from @kubernetes/client-node ${pkg.version}`, kinds, types }) + '\n',
);
console.log(`wrote ${path.relative(root, out)} (${Object.keys(kinds).length} kinds, ${Object.keys(types).length} types)`);
