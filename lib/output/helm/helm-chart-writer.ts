import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, Chart } from 'cdk8s';
import { dnsLabel } from '../../core/formats';
import {
  checkValueAgainstSchema,
  describeBindingTarget,
  HELM_ENVIRONMENT_VALUE,
  HelmBinding,
  HelmValues,
  HelmValueSchema,
} from './helm-values';
import { assignAtPointer, resolveJsonPointer } from './json-pointer';
import { portableStringify } from '../portable-yaml';

/** A synthesized manifest as the writer reads it (apiVersion and kind checked on entry). */
interface ManifestDoc {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
  readonly [field: string]: unknown;
}

/** A node of values.schema.json: a closed object of further nodes, or a leaf schema. */
interface ObjectSchemaNode {
  type: 'object';
  additionalProperties: false;
  required?: string[];
  properties: Record<string, SchemaNode>;
  [keyword: string]: unknown;
}
type SchemaNode = ObjectSchemaNode | Record<string, unknown>;
const isObjectNode = (n: SchemaNode): n is ObjectSchemaNode => n.type === 'object';

/** One environment's synthesis of the stack. */
export interface HelmChartEnvironment {
  /** Environment name, e.g. 'dev'. DNS-1123 label; selects `values-<name>.yaml`. */
  readonly name: string;
  /** The stack's cdk8s Chart as synthesized for this environment. */
  readonly chart: Chart;
}

/** Properties of {@link writeHelmChart}. */
export interface HelmChartWriterProps {
  /** Chart name (DNS-1123 label, at most 53 characters), e.g. 'wondernest'. */
  readonly name: string;
  /** Chart version (SemVer 2), e.g. '1.4.0'. */
  readonly version: string;
  /** Version of the application the chart deploys (Chart.yaml `appVersion`). */
  readonly appVersion: string;
  /** One-line chart description (Chart.yaml `description`). */
  readonly description: string;
  /**
   * Folder the chart is written to, e.g. 'dist/helm/wondernest'. It is deleted
   * and recreated, so it must not exist, be empty, or hold a chart (a
   * `Chart.yaml`) from a previous run.
   */
  readonly outdir: string;
  /** The SAME stack synthesized once per environment, in the order conditionals are emitted. */
  readonly environments: ReadonlyArray<HelmChartEnvironment>;
  /** The environment whose values become `values.yaml`. */
  readonly defaultEnvironment: string;
  /**
   * Content of `templates/NOTES.txt` (may contain Helm template syntax).
   * @default - no NOTES.txt
   */
  readonly notes?: string;
}

/** Kubernetes version range written to Chart.yaml. */
export const HELM_CHART_KUBE_VERSION = '>=1.27.0-0';

// https://semver.org/#is-there-a-suggested-regular-expression-regex-to-check-a-semver-string
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;
// YAML 1.1 output (as cdk8s writes manifests), written by portableStringify: strings any YAML reader would retype ('yes', '0755', '=') are quoted.
const YAML_OPTIONS = { lineWidth: 0, version: '1.1', aliasDuplicateObjects: false } as const;

const HELMIGNORE = `# Patterns to ignore when packaging this chart (helm package).
.DS_Store
.git/
.gitignore
.bzr/
.bzrignore
.hg/
.hgignore
.svn/
*.swp
*.bak
*.tmp
*.orig
*~
.project
.idea/
*.tmproj
.vscode/
`;

/**
 * Writes a parameterized Helm chart for a stack synthesized once per
 * environment, such that `helm template <release> <outdir> -f values-<env>.yaml`
 * renders exactly the objects of that environment's `chart.toJson()`.
 *
 * Fields bound through {@link HelmValues} become `{{ .Values.* }}`
 * expressions. An object rendered to the same template text in every
 * environment is emitted unconditionally; otherwise each variant is wrapped in
 * `{{- if eq .Values.environment "<env>" }}`. Everything is computed and
 * validated before `outdir` is touched.
 *
 * @throws on invalid props, a bound field missing from its object, a value
 *         contradicting its schema, a template not matching, or one value path
 *         bound to different values (or schemas)
 */
export function writeHelmChart(props: HelmChartWriterProps): void {
  validateProps(props);
  const synthesized = props.environments.map((env) => env.chart.toJson() as unknown[]);
  const sentinelPrefix = chooseSentinelPrefix(synthesized);
  const envs = props.environments.map((env, i) => renderEnvironment(env, synthesized[i], sentinelPrefix));
  const schemas = mergeSchemas(envs);

  const files = new Map<string, string>();
  files.set('Chart.yaml', chartYaml(props));
  files.set('.helmignore', HELMIGNORE);
  const defaultEnv = envs.find((e) => e.name === props.defaultEnvironment)!;
  files.set('values.yaml', valuesHeader(props, defaultEnv.name, true) + portableStringify(valuesObject(defaultEnv), YAML_OPTIONS));
  for (const env of envs) {
    files.set(`values-${env.name}.yaml`, valuesHeader(props, env.name, false) + portableStringify(valuesObject(env), YAML_OPTIONS));
  }
  files.set('values.schema.json', `${JSON.stringify(valuesSchema(props, envs, schemas), undefined, 2)}\n`);
  for (const [file, text] of templateFiles(envs)) {
    files.set(`templates/${file}`, text);
  }
  if (props.notes !== undefined) {
    files.set('templates/NOTES.txt', props.notes.endsWith('\n') ? props.notes : `${props.notes}\n`);
  }

  prepareOutdir(props.outdir);
  for (const [file, text] of files) {
    const target = path.join(props.outdir, file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, text);
  }
}

// ---------------------------------------------------------------------------
// Per-environment rendering

/** One synthesized value of an environment, with where it was bound (for error messages). */
interface ValueRecord {
  readonly value: unknown;
  readonly schema: HelmValueSchema;
  readonly where: string;
}

/** One object of an environment, with its templated YAML text. */
interface RenderedObject {
  readonly key: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  readonly text: string;
}

interface RenderedEnvironment {
  readonly name: string;
  readonly objects: RenderedObject[];
  /** value path -> value, in binding order. */
  readonly values: Map<string, ValueRecord>;
}

function renderEnvironment(env: HelmChartEnvironment, docs: readonly unknown[], sentinelPrefix: string): RenderedEnvironment {
  const originals = new Map<string, ManifestDoc>();
  const working = new Map<string, ManifestDoc>();
  docs.forEach((raw, i) => {
    const candidate = raw as Partial<ManifestDoc> | null;
    if (
      candidate === null ||
      typeof candidate !== 'object' ||
      typeof candidate.kind !== 'string' ||
      typeof candidate.apiVersion !== 'string'
    ) {
      throw new Error(
        `Environment '${env.name}': document #${i} of chart '${env.chart.node.path}' is not a Kubernetes object (no apiVersion/kind)`,
      );
    }
    const doc = candidate as ManifestDoc;
    const key = identityKey(doc);
    if (originals.has(key)) {
      throw new Error(
        `Environment '${env.name}': chart '${env.chart.node.path}' synthesizes ${describeDoc(doc)} twice; ` +
          'objects must be unique by apiVersion/kind/namespace/name',
      );
    }
    originals.set(key, JSON.parse(JSON.stringify(doc)) as ManifestDoc);
    working.set(key, JSON.parse(JSON.stringify(doc)) as ManifestDoc);
  });

  const values = new Map<string, ValueRecord>();
  const sentinels = new Map<string, string>();
  const keyOfObject = new Map<ApiObject, string>();
  const record = (valuePath: string, value: unknown, schema: HelmValueSchema, where: string) => {
    const fail = checkValueAgainstSchema(value, schema);
    if (fail) {
      throw new Error(`${where} in environment '${env.name}': value '${valuePath}' = ${fail} (schema: ${JSON.stringify(schema)})`);
    }
    const prev = values.get(valuePath);
    if (prev && !deepEqual(prev.value, value)) {
      throw new Error(
        `Conflicting values for '${valuePath}' in environment '${env.name}': ${JSON.stringify(prev.value)} at ${prev.where}, ` +
          `but ${JSON.stringify(value)} at ${where}; one value path must carry one value per environment`,
      );
    }
    if (prev && !deepEqual(prev.schema, schema)) {
      throw new Error(
        `Conflicting schemas for '${valuePath}' in environment '${env.name}': ${JSON.stringify(prev.schema)} at ${prev.where}, ` +
          `but ${JSON.stringify(schema)} at ${where}`,
      );
    }
    if (!prev) values.set(valuePath, { value, schema, where });
  };

  for (const binding of HelmValues.of(env.chart).bindings) {
    const where = describeBindingTarget(binding.object, binding.pointer);
    let key = keyOfObject.get(binding.object);
    if (key === undefined) {
      key = identityKey(binding.object.toJson() as ManifestDoc);
      keyOfObject.set(binding.object, key);
    }
    const original = originals.get(key);
    if (!original) {
      throw new Error(
        `${where} in environment '${env.name}': the object is not part of chart '${env.chart.node.path}'s synthesized output`,
      );
    }
    const target = resolveJsonPointer(original, binding.pointer);
    if (!target) {
      throw new Error(
        `${where} in environment '${env.name}': pointer '${binding.pointer}' does not exist in the synthesized ` +
          `${describeDoc(original)}`,
      );
    }
    const expression = bindingExpression(binding, target.value, where, env.name, record);
    // the working copy is a clone of the original, where the pointer resolved
    const slot = resolveJsonPointer(working.get(key), binding.pointer)!;
    const sentinel = `${sentinelPrefix}${sentinels.size}x`;
    assignAtPointer(slot, sentinel);
    sentinels.set(sentinel, expression);
  }

  const objects = [...working.entries()].map(([key, doc]) => {
    let text = portableStringify(doc, YAML_OPTIONS);
    // Literal '{{' in the manifests (e.g. alert templates) must reach the output verbatim.
    text = text.replace(/\{\{/g, '{{ "{{" }}');
    text = text.replace(new RegExp(`(["']?)(${sentinelPrefix}\\d+x)\\1`, 'g'), (match, _quote: string, sentinel: string) => {
      const expression = sentinels.get(sentinel);
      if (expression === undefined) throw new Error(`internal error: unknown Helm sentinel ${match}`);
      sentinels.delete(sentinel);
      return expression;
    });
    return { key, kind: doc.kind, name: doc.metadata?.name ?? '', namespace: doc.metadata?.namespace, text };
  });
  if (sentinels.size > 0) {
    throw new Error(`internal error: Helm sentinels not found in the YAML output: ${[...sentinels.keys()].join(', ')}`);
  }
  return { name: env.name, objects, values };
}

/** Validates the synthesized value of one binding, records its value(s) and returns the Helm expression replacing the field. */
function bindingExpression(
  binding: HelmBinding,
  value: unknown,
  where: string,
  envName: string,
  record: (valuePath: string, value: unknown, schema: HelmValueSchema, where: string) => void,
): string {
  if (binding.kind === 'field') {
    record(binding.valuePath, value, binding.schema, where);
    return `{{ ${valueRef(binding.valuePath)} | toJson }}`;
  }
  const template = binding.template.template;
  if (typeof value !== 'string') {
    throw new Error(
      `${where} in environment '${envName}': template ${JSON.stringify(template)} needs a string field, ` +
        `but the synthesized value is ${JSON.stringify(value)}`,
    );
  }
  const texts = binding.template.split(value);
  if (!texts) {
    throw new Error(
      `${where} in environment '${envName}': synthesized value ${JSON.stringify(value)} does not match ` +
        `template ${JSON.stringify(template)}`,
    );
  }
  for (const [name, text] of Object.entries(texts)) {
    const part = binding.parts[name];
    let partValue: string | number = text;
    if (part.schema.type === 'integer') {
      partValue = Number(text);
      if (!/^-?(0|[1-9][0-9]*)$/.test(text) || !Number.isSafeInteger(partValue)) {
        throw new Error(
          `${where} in environment '${envName}': part '${name}' of ${JSON.stringify(value)} (template ` +
            `${JSON.stringify(template)}) is ${JSON.stringify(text)}, which is not an integer written in canonical form`,
        );
      }
    }
    record(part.path, partValue, part.schema, `${where} (template part '${name}')`);
  }
  const printf = binding.template.toPrintf((name) => {
    const part = binding.parts[name];
    return part.schema.type === 'integer' ? `(toString (int64 ${valueRef(part.path)}))` : `(toString ${valueRef(part.path)})`;
  });
  return `{{ ${printf} | toJson }}`;
}

function valueRef(valuePath: string): string {
  return `.Values.${valuePath}`;
}

// ---------------------------------------------------------------------------
// Values, schema

interface SchemaRecord {
  readonly schema: HelmValueSchema;
  readonly where: string;
  readonly env: string;
}

/** Checks that each value path has one schema across environments and is never both a value and a parent of values. */
function mergeSchemas(envs: RenderedEnvironment[]): Map<string, SchemaRecord> {
  const merged = new Map<string, SchemaRecord>();
  for (const env of envs) {
    for (const [valuePath, rec] of env.values) {
      const prev = merged.get(valuePath);
      if (!prev) {
        merged.set(valuePath, { schema: rec.schema, where: rec.where, env: env.name });
      } else if (!deepEqual(prev.schema, rec.schema)) {
        throw new Error(
          `Conflicting schemas for '${valuePath}': ${JSON.stringify(prev.schema)} at ${prev.where} in environment ` +
            `'${prev.env}', but ${JSON.stringify(rec.schema)} at ${rec.where} in environment '${env.name}'`,
        );
      }
    }
  }
  const paths = [...merged.keys()].sort();
  for (const parent of paths) {
    const child = paths.find((p) => p.startsWith(`${parent}.`));
    if (child) {
      const a = merged.get(parent)!;
      const b = merged.get(child)!;
      throw new Error(
        `Value path '${parent}' is bound as a value at ${a.where} (environment '${a.env}'), but '${child}' ` +
          `at ${b.where} (environment '${b.env}') makes it an object; a value path cannot be both`,
      );
    }
  }
  return merged;
}

/** Sorts value paths segment by segment (code-unit order), so nested keys come out sorted. */
function comparePaths(a: string, b: string): number {
  const sa = a.split('.');
  const sb = b.split('.');
  for (let i = 0; i < Math.min(sa.length, sb.length); i++) {
    if (sa[i] !== sb[i]) return sa[i] < sb[i] ? -1 : 1;
  }
  return sa.length - sb.length;
}

/** Sets `a.b.c` in nested objects, creating the objects on the way (value paths never cross a leaf). */
function setPath(target: Record<string, unknown>, valuePath: string, value: unknown): void {
  const segments = valuePath.split('.');
  let node = target;
  for (const segment of segments.slice(0, -1)) {
    node = (node[segment] ??= {}) as Record<string, unknown>;
  }
  node[segments[segments.length - 1]] = value;
}

/** The complete values of one environment: `environment` first, then the bound values with keys sorted. */
function valuesObject(env: RenderedEnvironment): Record<string, unknown> {
  const result: Record<string, unknown> = { [HELM_ENVIRONMENT_VALUE]: env.name };
  for (const valuePath of [...env.values.keys()].sort(comparePaths)) {
    setPath(result, valuePath, env.values.get(valuePath)!.value);
  }
  return result;
}

function valuesHeader(props: HelmChartWriterProps, envName: string, isDefault: boolean): string {
  const lines = isDefault
    ? [
        `Default values of the ${props.name} chart: the '${envName}' environment.`,
        'Select another environment with -f values-<env>.yaml, e.g.',
        `  helm template ${props.name} . -f values-${envName}.yaml`,
      ]
    : [
        `Values of the ${props.name} chart for the '${envName}' environment (complete; overrides values.yaml).`,
        `  helm template ${props.name} . -f values-${envName}.yaml`,
      ];
  lines.push('Generated from the cdk8s stacks by writeHelmChart (lib/helm); do not edit, regenerate instead.');
  return `${lines.map((l) => `# ${l}`).join('\n')}\n`;
}

function leafSchema(schema: HelmValueSchema): Record<string, unknown> {
  const leaf: Record<string, unknown> = { type: schema.type, description: schema.description };
  if (schema.minimum !== undefined) leaf.minimum = schema.minimum;
  if (schema.maximum !== undefined) leaf.maximum = schema.maximum;
  if (schema.pattern !== undefined) leaf.pattern = schema.pattern;
  if (schema.enum !== undefined) leaf.enum = [...schema.enum];
  return leaf;
}

/** JSON Schema (draft-07) of the values: closed objects at every level; required = keys present in every environment. */
function valuesSchema(
  props: HelmChartWriterProps,
  envs: RenderedEnvironment[],
  schemas: Map<string, SchemaRecord>,
): Record<string, unknown> {
  const objectNode = (): ObjectSchemaNode => ({
    type: 'object',
    additionalProperties: false,
    required: [],
    properties: {},
  });
  const root: ObjectSchemaNode = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: `Values of the ${props.name} Helm chart`,
    ...objectNode(),
  };
  root.properties[HELM_ENVIRONMENT_VALUE] = {
    type: 'string',
    enum: envs.map((e) => e.name),
    description: 'Environment to render; selects the objects and object variants of that environment (set by values-<env>.yaml).',
  };
  root.required?.push(HELM_ENVIRONMENT_VALUE);

  const presentEverywhere = (prefix: string) =>
    envs.every((env) => [...env.values.keys()].some((p) => p === prefix || p.startsWith(`${prefix}.`)));
  for (const valuePath of [...schemas.keys()].sort(comparePaths)) {
    const segments = valuePath.split('.');
    let node: SchemaNode = root;
    segments.forEach((segment, i) => {
      // value paths never continue below a leaf (checked when the values were bound)
      const parent = node as ObjectSchemaNode;
      const prefix = segments.slice(0, i + 1).join('.');
      if (!(segment in parent.properties)) {
        parent.properties[segment] = i === segments.length - 1 ? leafSchema(schemas.get(valuePath)!.schema) : objectNode();
        if (presentEverywhere(prefix)) parent.required?.push(segment);
      }
      node = parent.properties[segment];
    });
  }
  dropEmptyRequired(root);
  return root;
}

/** Removes `required: []` from object nodes whose keys are all optional. */
function dropEmptyRequired(node: SchemaNode): void {
  if (!isObjectNode(node)) return;
  if (node.required?.length === 0) delete node.required;
  for (const child of Object.values(node.properties)) dropEmptyRequired(child);
}

// ---------------------------------------------------------------------------
// Templates

/** Stable merge of the environments' object orders: an object first seen in a later environment goes right after its predecessor there. */
function mergeOrder(lists: string[][]): string[] {
  const merged: string[] = [];
  for (const list of lists) {
    let previous = -1;
    for (const key of list) {
      const at = merged.indexOf(key);
      if (at >= 0) {
        previous = at;
      } else {
        merged.splice(previous + 1, 0, key);
        previous += 1;
      }
    }
  }
  return merged;
}

function sanitizeFileComponent(s: string): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9.-]+/g, '-')
      .replace(/^[-.]+|-+$/g, '') || 'unnamed'
  );
}

/** template file name -> content, one file per object, in merged object order. */
function templateFiles(envs: RenderedEnvironment[]): Map<string, string> {
  const order = mergeOrder(envs.map((env) => env.objects.map((o) => o.key)));
  const info = new Map<string, RenderedObject>();
  for (const env of envs) for (const o of env.objects) if (!info.has(o.key)) info.set(o.key, o);

  // File names: <kind>-<name>; colliding ones get the namespace, then a counter.
  const base = new Map(
    order.map((key) => {
      const o = info.get(key)!;
      return [key, `${sanitizeFileComponent(o.kind)}-${sanitizeFileComponent(o.name)}`];
    }),
  );
  const baseCount = new Map<string, number>();
  for (const b of base.values()) baseCount.set(b, (baseCount.get(b) ?? 0) + 1);
  const used = new Set<string>();
  const files = new Map<string, string>();
  for (const key of order) {
    const o = info.get(key)!;
    let candidate = base.get(key)!;
    if (baseCount.get(candidate)! > 1) candidate += `-${sanitizeFileComponent(o.namespace ?? 'cluster')}`;
    let file = candidate;
    for (let n = 2; used.has(file) || (baseCount.has(file) && file !== base.get(key)); n++) file = `${candidate}-${n}`;
    used.add(file);

    const variants: Array<{ envs: string[]; text: string }> = [];
    for (const env of envs) {
      const obj = env.objects.find((x) => x.key === key);
      if (!obj) continue;
      const same = variants.find((v) => v.text === obj.text);
      if (same) same.envs.push(env.name);
      else variants.push({ envs: [env.name], text: obj.text });
    }
    let content: string;
    if (variants.length === 1 && variants[0].envs.length === envs.length) {
      content = variants[0].text;
    } else {
      const blocks = variants.map((v, i) => {
        const conditions = v.envs.map((e) => `eq .Values.${HELM_ENVIRONMENT_VALUE} ${JSON.stringify(e)}`);
        const condition = conditions.length === 1 ? conditions[0] : `or ${conditions.map((c) => `(${c})`).join(' ')}`;
        return `{{- ${i === 0 ? 'if' : 'else if'} ${condition} }}\n${v.text.replace(/\n+$/, '')}\n`;
      });
      content = `${blocks.join('')}{{- end }}\n`;
    }
    files.set(`${file}.yaml`, content);
  }
  return files;
}

// ---------------------------------------------------------------------------
// Helpers

function identityKey(doc: ManifestDoc): string {
  return JSON.stringify([doc.apiVersion, doc.kind, doc.metadata?.namespace ?? '', doc.metadata?.name ?? '']);
}

function describeDoc(doc: ManifestDoc): string {
  const ns = doc.metadata?.namespace ? `${doc.metadata.namespace}/` : '';
  return `${doc.apiVersion} ${doc.kind} '${ns}${doc.metadata?.name ?? ''}'`;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(ra[k], rb[k]));
}

/** A prefix for sentinel strings that occurs nowhere in the synthesized manifests. */
function chooseSentinelPrefix(synthesized: unknown[]): string {
  const text = JSON.stringify(synthesized);
  for (;;) {
    const prefix = `helmvalue${randomBytes(6).toString('hex')}x`;
    if (!text.includes(prefix)) return prefix;
  }
}

function chartYaml(props: HelmChartWriterProps): string {
  return portableStringify(
    {
      apiVersion: 'v2',
      name: props.name,
      description: props.description,
      type: 'application',
      version: props.version,
      appVersion: props.appVersion,
      kubeVersion: HELM_CHART_KUBE_VERSION,
    },
    YAML_OPTIONS,
  );
}

function validateProps(props: HelmChartWriterProps): void {
  const bad = (field: string, value: unknown, allowed: string) => {
    throw new Error(`writeHelmChart: invalid ${field} ${JSON.stringify(value)}; ${allowed}`);
  };
  if (!(dnsLabel.test(props.name) && props.name.length <= 53)) {
    bad('name', props.name, "expected a DNS-1123 label of at most 53 characters (lower-case letters, digits, '-')");
  }
  if (typeof props.version !== 'string' || !SEMVER.test(props.version)) {
    bad('version', props.version, "expected a SemVer 2 version such as '1.2.3' or '1.2.3-rc.1'");
  }
  if (typeof props.appVersion !== 'string' || props.appVersion.trim() === '')
    bad('appVersion', props.appVersion, 'expected a non-empty string');
  if (typeof props.description !== 'string' || props.description.trim() === '')
    bad('description', props.description, 'expected a non-empty string');
  if (typeof props.outdir !== 'string' || props.outdir.trim() === '') bad('outdir', props.outdir, 'expected a folder path');
  if (props.notes !== undefined && typeof props.notes !== 'string') bad('notes', props.notes, 'expected a string');
  if (!Array.isArray(props.environments) || props.environments.length === 0) {
    bad('environments', props.environments, 'expected at least one { name, chart }');
  }
  const names: string[] = [];
  for (const env of props.environments) {
    if (!dnsLabel.test(env?.name)) {
      bad('environment name', env?.name, `expected ${dnsLabel.expected}`);
    }
    if (names.includes(env.name)) bad('environment name', env.name, 'environment names must be unique');
    if (!Chart.isChart(env.chart)) bad(`chart of environment '${env.name}'`, String(env.chart), 'expected a cdk8s Chart');
    names.push(env.name);
  }
  if (!names.includes(props.defaultEnvironment)) {
    bad('defaultEnvironment', props.defaultEnvironment, `expected one of the environments: ${names.map((n) => `'${n}'`).join(', ')}`);
  }
}

/** Deletes `outdir` (refusing anything that does not look like a previous chart) and recreates it. */
function prepareOutdir(outdir: string): void {
  const resolved = path.resolve(outdir);
  if (fs.existsSync(resolved)) {
    const stat = fs.statSync(resolved);
    if (!stat.isDirectory()) {
      throw new Error(`writeHelmChart: outdir '${outdir}' exists and is not a folder`);
    }
    const entries = fs.readdirSync(resolved);
    if (entries.length > 0 && !entries.includes('Chart.yaml')) {
      throw new Error(
        `writeHelmChart: refusing to delete outdir '${outdir}': it is not empty and holds no Chart.yaml; ` +
          'point outdir at a dedicated folder such as dist/helm/<name>',
      );
    }
    fs.rmSync(resolved, { recursive: true, force: true });
  }
  fs.mkdirSync(path.join(resolved, 'templates'), { recursive: true });
}
