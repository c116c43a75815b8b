import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { dnsLabel } from '../../core/formats';
import {
  checkValueAgainstSchema,
  describeBindingTarget,
  HELM_ENVIRONMENT_VALUE,
  HelmBinding,
  HelmGate,
  HelmValues,
  HelmValueSchema,
} from './helm-values';
import { assignAtPointer, resolveJsonPointer } from './json-pointer';
import {
  BoundExpression,
  DerivedValue,
  deepEqualTemplate as deepEqual,
  derivedSegments,
  isPlainObject,
  mergeEnvironments,
  MergeContext,
  OptionalElement,
  OptionalEntry,
  TemplateNode,
  valueIdentifier,
} from './environment-merge';
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
  /**
   * `chart.toJson()` when the caller already has it (e.g. the objects `app.synth()` just wrote), so
   * the chart is not resolved a second time. Read, never modified.
   * @default - chart.toJson()
   */
  readonly objects?: readonly unknown[];
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
 * One set of templates serves every environment; every difference between
 * the environments is a value (no template branches on the environment name):
 * - fields bound through {@link HelmValues} become `{{ .Values.* }}` expressions;
 * - an object present in only some environments is rendered behind
 *   `<component>.enabled` gates, one per construct on its path whose presence
 *   differs (e.g. `pgadmin.enabled`);
 * - any other field that differs becomes a value named after the object's
 *   construct path and the field (see {@link mergeEnvironments}).
 * So `helm install -f my-staging.yaml` makes a further environment. Objects
 * are matched across environments by construct path. Everything is computed
 * and validated before `outdir` is touched.
 *
 * @throws on invalid props, a bound field missing from its object, a value
 *         contradicting its schema, a template not matching, or one value path
 *         bound to different values (or schemas)
 */
export function writeHelmChart(props: HelmChartWriterProps): void {
  validateProps(props);
  const synthesized = props.environments.map((env) => env.objects ?? (env.chart.toJson() as unknown[]));
  const sentinelPrefix = chooseSentinelPrefix(synthesized);
  const envs = props.environments.map((env, i) => renderEnvironment(env, synthesized[i]));
  const merged = mergeEnvironmentsOfChart(envs);
  const schemas = mergeSchemas(envs);
  checkValueTree(schemas, merged.implicit);

  const files = new Map<string, string>();
  files.set('Chart.yaml', chartYaml(props));
  files.set('.helmignore', HELMIGNORE);
  const defaultEnv = envs.find((e) => e.name === props.defaultEnvironment)!;
  files.set(
    'values.yaml',
    valuesHeader(props, defaultEnv.name, true) + portableStringify(valuesObject(defaultEnv, merged.implicit), YAML_OPTIONS),
  );
  for (const env of envs) {
    files.set(
      `values-${env.name}.yaml`,
      valuesHeader(props, env.name, false) + portableStringify(valuesObject(env, merged.implicit), YAML_OPTIONS),
    );
  }
  files.set(
    'values.schema.json',
    `${JSON.stringify(valuesSchema(props, envs, schemas, merged.implicit, merged.nullable), undefined, 2)}\n`,
  );
  for (const [file, text] of templateFiles(merged, sentinelPrefix)) {
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

/** One object of an environment: its JSON with bound fields replaced by {@link BoundExpression}s. */
interface EnvironmentObject {
  readonly constructPath: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  readonly doc: ManifestDoc;
}

interface RenderedEnvironment {
  readonly name: string;
  /** Construct path of the chart; the paths below are relative to it (chart ids may differ per environment). */
  readonly chartPath: string;
  /** construct path -> object, in synthesis order. */
  readonly objects: Map<string, EnvironmentObject>;
  /** Every construct path of the chart's tree in this environment. */
  readonly constructs: ReadonlySet<string>;
  /** value path -> value, in binding order. */
  readonly values: Map<string, ValueRecord>;
  /** construct path -> its declared gate ({@link HelmValues.gate}). */
  readonly gates: ReadonlyMap<string, HelmGate>;
  /** Records a value (explicit binding), checking it against its schema and earlier records. */
  readonly record: (valuePath: string, value: unknown, schema: HelmValueSchema, where: string) => void;
}

function renderEnvironment(env: HelmChartEnvironment, docs: readonly unknown[]): RenderedEnvironment {
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

  const keyOfObject = new Map<ApiObject, string>();
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
    assignAtPointer(resolveJsonPointer(working.get(key), binding.pointer)!, expression);
  }

  // Objects are matched across environments by construct path (a name may carry a content hash).
  // (Matched by apiVersion/kind/name; the namespace only breaks ties, as cluster-scoped objects drop the chart's.)
  const pathsOfName = new Map<string, ApiObject[]>();
  const constructs = new Set<string>();
  const chartPath = env.chart.node.path;
  const relative = (c: IConstruct) => c.node.path.slice(chartPath.length + 1);
  for (const c of env.chart.node.findAll()) {
    if (c !== env.chart) constructs.add(relative(c));
    if (ApiObject.isApiObject(c)) {
      const k = JSON.stringify([c.apiVersion, c.kind, c.name]);
      pathsOfName.set(k, [...(pathsOfName.get(k) ?? []), c]);
    }
  }
  const objects = new Map<string, EnvironmentObject>();
  for (const doc of working.values()) {
    const candidates = pathsOfName.get(JSON.stringify([doc.apiVersion, doc.kind, doc.metadata?.name ?? ''])) ?? [];
    const match = candidates.length === 1 ? candidates[0] : candidates.find((c) => c.metadata.namespace === doc.metadata?.namespace);
    const constructPath = match ? relative(match) : undefined;
    if (constructPath === undefined) {
      throw new Error(`Environment '${env.name}': no construct of chart '${env.chart.node.path}' synthesizes ${describeDoc(doc)}`);
    }
    objects.set(constructPath, { constructPath, kind: doc.kind, name: doc.metadata?.name ?? '', namespace: doc.metadata?.namespace, doc });
  }
  const gates = new Map(HelmValues.of(env.chart).gates.map((g) => [relative(g.construct), g]));
  return { name: env.name, chartPath, objects, constructs, values, gates, record };
}

/** Validates the synthesized value of one binding, records its value(s) and returns the Helm expression replacing the field. */
function bindingExpression(
  binding: HelmBinding,
  value: unknown,
  where: string,
  envName: string,
  record: (valuePath: string, value: unknown, schema: HelmValueSchema, where: string) => void,
): BoundExpression {
  if (binding.kind === 'field') {
    if (binding.renderAsString) {
      const parsed = parseStringField(value, binding.schema);
      if (parsed === undefined) {
        throw new Error(
          `${where} in environment '${envName}': the synthesized value ${JSON.stringify(value)} is not a ${binding.schema.type} ` +
            'written as a string (the binding renders the value with toString)',
        );
      }
      record(binding.valuePath, parsed, binding.schema, where);
      const ref = valueRef(binding.valuePath);
      return new BoundExpression(`{{ ${binding.schema.type === 'integer' ? `int64 ${ref}` : ref} | toString | toJson }}`);
    }
    record(binding.valuePath, value, binding.schema, where);
    return new BoundExpression(`{{ ${valueRef(binding.valuePath)} | toJson }}`, { valuePath: binding.valuePath, schema: binding.schema });
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
  return new BoundExpression(`{{ ${printf} | toJson }}`);
}

/** The typed value of a string field bound with `renderAsString` (canonical integers, numbers, booleans), or undefined. */
function parseStringField(value: unknown, schema: HelmValueSchema): unknown {
  if (typeof value !== 'string') return undefined;
  switch (schema.type) {
    case 'integer':
      return /^-?(0|[1-9][0-9]*)$/.test(value) && Number.isSafeInteger(Number(value)) ? Number(value) : undefined;
    case 'number':
      return value.trim() !== '' && Number.isFinite(Number(value)) && String(Number(value)) === value ? Number(value) : undefined;
    case 'boolean':
      return value === 'true' ? true : value === 'false' ? false : undefined;
    default:
      return value;
  }
}

function valueRef(valuePath: string): string {
  return `.Values.${valuePath}`;
}

/** `index .Values "a" "b"`: a lookup that yields nil (no error, also under --strict) when the last key is absent. */
function valueIndex(valuePath: string): string {
  return `index .Values ${valuePath
    .split('.')
    .map((s) => JSON.stringify(s))
    .join(' ')}`;
}

// ---------------------------------------------------------------------------
// Merging the environments: presence gates and derived values

/** A value that is not an explicit binding: a presence gate or a derived difference. */
interface ImplicitValue {
  readonly schema: Record<string, unknown>;
  /** env -> value (absent: the value does not apply in that environment). */
  readonly perEnv: Map<string, unknown>;
  /** Owner, to tell a repeated registration from a clash. */
  readonly owner: string;
}

interface MergedObject {
  readonly constructPath: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  /** Template conditions of the presence gates (all must hold), outermost first. */
  readonly conditions: string[];
  readonly tree: TemplateNode;
  /** Value path segments of the object (its construct path below the chart). */
  readonly base: string[];
  /** True when the object's name differs between environments. */
  readonly nameVaries: boolean;
  /** Construct path below the chart, e.g. 'mongodb/init-job' (names the template file when the name varies). */
  readonly relativePath: string;
}

interface MergedChart {
  readonly objects: MergedObject[];
  readonly implicit: Map<string, ImplicitValue>;
  /** Explicit value paths that are null (field left out) in some environment. */
  readonly nullable: ReadonlySet<string>;
}

/** Value path segments of a construct: its path below the chart, without cdk8s' trailing 'Resource'. */
function constructSegments(constructPath: string): string[] {
  const below = constructPath.split('/');
  if (below.length > 1 && below[below.length - 1] === 'Resource') below.pop();
  return below.map(valueIdentifier);
}

function mergeEnvironmentsOfChart(envs: RenderedEnvironment[]): MergedChart {
  // Construct paths are relative to the chart; messages show them under the first environment's chart.
  const full = (constructPath: string) => `${envs[0].chartPath}/${constructPath}`;
  const implicit = new Map<string, ImplicitValue>();
  const nullable = new Set<string>();
  const claim = (segments: string[], owner: string, schema: Record<string, unknown>): string => {
    const stem = segments.join('.');
    for (let n = 1; ; n++) {
      const candidate = n === 1 ? stem : `${stem}${n}`;
      const taken = implicit.get(candidate);
      if (!taken) {
        implicit.set(candidate, { schema, perEnv: new Map(), owner });
        return candidate;
      }
      if (taken.owner === owner) return candidate;
    }
  };

  // Presence gates: declared (HelmValues.gate) or derived (<construct path>.enabled); their values are
  // computed once every object is merged, from which governed constructs exist in each environment.
  const declared = new Map<string, HelmGate>();
  for (const env of envs) {
    for (const [constructPath, gate] of env.gates) {
      const prev = declared.get(constructPath);
      if (prev && (prev.valuePath !== gate.valuePath || prev.when !== gate.when)) {
        throw new Error(
          `Helm gate of ${full(constructPath)}: '${prev.valuePath}'${prev.when ? ` = '${prev.when}'` : ''} in one environment but ` +
            `'${gate.valuePath}'${gate.when ? ` = '${gate.when}'` : ''} in environment '${env.name}'; a construct has one gate`,
        );
      }
      declared.set(constructPath, gate);
    }
  }
  const gateUses = new Map<string, { description: string; governed: Map<string, string | undefined> }>();
  const useGate = (constructPath: string): string => {
    const gate = declared.get(constructPath);
    const valuePath = gate?.valuePath ?? [...constructSegments(constructPath), 'enabled'].join('.');
    const description = gate?.description ?? `Renders ${constructPath} (the objects of that component)`;
    claim(valuePath.split('.'), `gate:${valuePath}`, { type: 'boolean', description });
    const use = gateUses.get(valuePath) ?? { description, governed: new Map<string, string | undefined>() };
    use.governed.set(constructPath, gate?.when);
    gateUses.set(valuePath, use);
    return gate?.when === undefined ? valueRef(valuePath) : `eq ${valueRef(valuePath)} ${JSON.stringify(gate.when)}`;
  };
  const resolveGates = () => {
    for (const [valuePath, use] of gateUses) {
      const whens = [...new Set(use.governed.values())];
      const isString = whens.some((w) => w !== undefined);
      if (isString && whens.includes(undefined)) {
        throw new Error(
          `Helm gate '${valuePath}' is a boolean for some constructs and a string choice for others: ${[...use.governed.keys()].map(full).join(', ')}`,
        );
      }
      const perEnv = new Map<string, unknown>();
      for (const env of envs) {
        const existing = [...use.governed].filter(([c]) => env.constructs.has(c));
        if (!isString) {
          if (existing.length > 0 && existing.length < use.governed.size) {
            const missing = [...use.governed.keys()].filter((c) => !env.constructs.has(c)).map(full);
            throw new Error(
              `Helm gate '${valuePath}' governs ${[...use.governed.keys()].map(full).join(', ')}, but in environment '${env.name}' ` +
                `${missing.join(', ')} do(es) not exist while the others do; gated constructs must exist together`,
            );
          }
          perEnv.set(env.name, existing.length > 0);
          continue;
        }
        const chosen = [...new Set(existing.map(([, w]) => w))];
        if (chosen.length !== 1) {
          throw new Error(
            `Helm gate '${valuePath}' needs one choice in environment '${env.name}', but ` +
              (chosen.length === 0
                ? `none of its constructs (${[...use.governed.keys()].map(full).join(', ')}) exists there`
                : `constructs choosing ${chosen.map((c) => `'${c}'`).join(' and ')} both exist there`),
          );
        }
        perEnv.set(env.name, chosen[0]);
      }
      const schema = isString
        ? { type: 'string', enum: (whens as string[]).sort(), description: use.description }
        : { type: 'boolean', description: use.description };
      implicit.set(valuePath, { schema, perEnv, owner: `gate:${valuePath}` });
    }
  };

  const order = mergeOrder(envs.map((env) => [...env.objects.keys()]));
  const objects: MergedObject[] = [];
  for (const constructPath of order) {
    const present = envs.filter((env) => env.objects.has(constructPath));
    const first = present[0].objects.get(constructPath)!;
    const describe = `${first.kind} '${first.name}' (${full(constructPath)})`;
    const base = constructSegments(constructPath);

    // Presence: one boolean gate per construct on the way down whose presence narrows the environments.
    const conditions: string[] = [];
    if (present.length < envs.length) {
      const parts = constructPath.split('/');
      let current = envs;
      for (let depth = 1; depth <= parts.length; depth++) {
        const ancestor = parts.slice(0, depth).join('/');
        const having = current.filter((env) => env.constructs.has(ancestor));
        if (having.length === current.length) continue;
        conditions.push(useGate(ancestor));
        current = having;
      }
    }

    const ctx: MergeContext = {
      envs: present.map((e) => e.name),
      base,
      describe,
      derive: (segments, perEnv, pointer) => {
        const observed = new Set<string>();
        for (const v of perEnv.values()) observed.add(jsonType(v));
        const types = [...observed].sort();
        const path = claim(derivedSegments(base, segments), `${constructPath}#${pointer}`, {
          type: types.length === 1 ? types[0] : types,
          description: `Differs between environments: '${pointer}' of ${describe}`,
        });
        const value = implicit.get(path)!;
        for (const [env, v] of perEnv) value.perEnv.set(env, v);
        return path;
      },
      extendBinding: (envName, valuePath, schema, value, pointer) => {
        const env = envs.find((e) => e.name === envName)!;
        if (value !== null) {
          env.record(valuePath, value, schema, `field '${pointer}' of ${describe}`);
          return;
        }
        nullable.add(valuePath);
        const prev = env.values.get(valuePath);
        if (prev && prev.value !== null) {
          throw new Error(
            `Conflicting values for '${valuePath}' in environment '${envName}': ${JSON.stringify(prev.value)} at ${prev.where}, ` +
              `but the field '${pointer}' of ${describe} is absent there`,
          );
        }
        if (!prev) env.values.set(valuePath, { value: null, schema, where: `field '${pointer}' of ${describe} (absent)` });
      },
    };
    const docs = present.map((env) => env.objects.get(constructPath)!.doc);
    const tree = mergeEnvironments(docs, ctx);
    const nameVaries = present.some((env) => env.objects.get(constructPath)!.name !== first.name);
    objects.push({
      constructPath: full(constructPath),
      relativePath: constructPath,
      kind: first.kind,
      name: first.name,
      namespace: first.namespace,
      conditions,
      tree,
      base,
      nameVaries,
    });
  }
  resolveGates();
  return { objects, implicit, nullable };
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** The YAML text of one merged object: derived and bound fields as Helm actions, optional entries behind `if`s. */
function renderTemplate(object: MergedObject, sentinelPrefix: string): string {
  const scalars = new Map<string, string>();
  const entries = new Map<string, { key: string; path: string }>();
  const elements = new Map<string, string>();
  let counter = 0;
  const toDoc = (node: TemplateNode): unknown => {
    if (node instanceof BoundExpression) {
      const s = `${sentinelPrefix}${counter++}x`;
      scalars.set(s, node.expression);
      return s;
    }
    if (node instanceof DerivedValue) {
      const s = `${sentinelPrefix}${counter++}x`;
      scalars.set(s, `{{ ${valueRef(node.path)} | toJson }}`);
      return s;
    }
    if (node instanceof OptionalElement) {
      const id = String(counter++);
      elements.set(id, node.path);
      return `${sentinelPrefix}${id}e`;
    }
    if (Array.isArray(node)) return node.map(toDoc);
    if (isPlainObject(node)) {
      const out: Record<string, unknown> = {};
      // Optional entries go last, so a list element never starts with one (its '- ' would vanish with it).
      for (const [k, v] of Object.entries(node)) if (!(v instanceof OptionalEntry)) out[k] = toDoc(v);
      for (const [k, v] of Object.entries(node)) {
        if (v instanceof OptionalEntry) {
          const id = String(counter++);
          entries.set(id, { key: k, path: v.path });
          out[`${sentinelPrefix}${id}k`] = `${sentinelPrefix}${id}v`;
        }
      }
      return out;
    }
    return node;
  };
  let text = portableStringify(toDoc(object.tree), YAML_OPTIONS);
  // Literal '{{' in the manifests (e.g. alert templates) must reach the output verbatim.
  text = text.replace(/\{\{/g, '{{ "{{" }}');
  const isSet = (path: string) => `ne (toJson (${valueIndex(path)})) "null"`;
  text = text.replace(new RegExp(`^( *)${sentinelPrefix}(\\d+)k: ${sentinelPrefix}\\2v$`, 'gm'), (_m, indent: string, id: string) => {
    const { key, path } = entries.get(id)!;
    entries.delete(id);
    return `{{- if ${isSet(path)} }}\n${indent}${JSON.stringify(key)}: {{ ${valueIndex(path)} | toJson }}\n{{- end }}`;
  });
  text = text.replace(new RegExp(`^( *)- ${sentinelPrefix}(\\d+)e$`, 'gm'), (_m, indent: string, id: string) => {
    const path = elements.get(id)!;
    elements.delete(id);
    return `{{- if ${isSet(path)} }}\n${indent}- {{ ${valueIndex(path)} | toJson }}\n{{- end }}`;
  });
  text = text.replace(new RegExp(`(["']?)(${sentinelPrefix}\\d+x)\\1`, 'g'), (match, _quote: string, sentinel: string) => {
    const expression = scalars.get(sentinel);
    if (expression === undefined) throw new Error(`internal error: unknown Helm sentinel ${match}`);
    scalars.delete(sentinel);
    return expression;
  });
  const left = [...scalars.keys(), ...[...entries.keys()].map((id) => `${id}k`), ...[...elements.keys()].map((id) => `${id}e`)];
  if (left.length > 0 || text.includes(sentinelPrefix)) {
    throw new Error(`internal error: Helm sentinels of ${object.constructPath} not replaced in the YAML output: ${left.join(', ')}`);
  }
  if (object.conditions.length === 0) return text;
  const gate = object.conditions.length === 1 ? object.conditions[0] : `and ${object.conditions.map((c) => `(${c})`).join(' ')}`;
  return `{{- if ${gate} }}\n${text.replace(/\n+$/, '')}\n{{- end }}\n`;
}

// ---------------------------------------------------------------------------
// Values, schema

interface SchemaRecord {
  readonly schema: HelmValueSchema;
  readonly where: string;
  readonly env: string;
}

/** Checks that each explicit value path has one schema across environments. */
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
  return merged;
}

/** Every value path is a leaf or a parent, never both; explicit and implicit values never share a path. */
function checkValueTree(schemas: Map<string, SchemaRecord>, implicit: Map<string, ImplicitValue>): void {
  const describe = (p: string) => {
    const explicit = schemas.get(p);
    return explicit ? `${explicit.where} (environment '${explicit.env}')` : `${implicit.get(p)!.schema.description as string}`;
  };
  for (const p of implicit.keys()) {
    if (schemas.has(p)) {
      throw new Error(`Value path '${p}' is bound at ${describe(p)} and also derived from an environment difference; rename the binding`);
    }
  }
  const paths = [...schemas.keys(), ...implicit.keys()].sort();
  for (const parent of paths) {
    const child = paths.find((p) => p.startsWith(`${parent}.`));
    if (child) {
      throw new Error(
        `Value path '${parent}' is a value at ${describe(parent)}, but '${child}' at ${describe(child)} makes it an object; ` +
          'a value path cannot be both',
      );
    }
  }
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

/** The value paths that apply in `env`, with their values. */
function envValues(env: RenderedEnvironment, implicit: Map<string, ImplicitValue>): Map<string, unknown> {
  const result = new Map<string, unknown>();
  for (const [p, rec] of env.values) result.set(p, rec.value);
  for (const [p, v] of implicit) if (v.perEnv.has(env.name)) result.set(p, v.perEnv.get(env.name));
  return result;
}

/** The complete values of one environment: `environment` first, then every value with keys sorted. */
function valuesObject(env: RenderedEnvironment, implicit: Map<string, ImplicitValue>): Record<string, unknown> {
  const result: Record<string, unknown> = { [HELM_ENVIRONMENT_VALUE]: env.name };
  const values = envValues(env, implicit);
  for (const valuePath of [...values.keys()].sort(comparePaths)) setPath(result, valuePath, values.get(valuePath));
  return result;
}

function valuesHeader(props: HelmChartWriterProps, envName: string, isDefault: boolean): string {
  const lines = isDefault
    ? [
        `Default values of the ${props.name} chart: the '${envName}' environment.`,
        'Another environment: -f values-<env>.yaml, or your own file (copy one and change what differs), e.g.',
        `  helm template ${props.name} . -f values-${envName}.yaml`,
      ]
    : [
        `Values of the ${props.name} chart for the '${envName}' environment (complete; overrides values.yaml).`,
        `  helm template ${props.name} . -f values-${envName}.yaml`,
      ];
  lines.push(
    'Every difference between the environments is a value here: <component>.enabled switches a component on or off,',
    'other values are the fields that differ; null means "not set" (the field is left out).',
    'Generated from the cdk8s stacks by writeHelmChart (lib/output/helm); do not edit, regenerate instead.',
  );
  return `${lines.map((l) => `# ${l}`).join('\n')}\n`;
}

function leafSchema(schema: HelmValueSchema): Record<string, unknown> {
  const leaf: Record<string, unknown> = { type: schema.type, description: schema.description };
  if (schema.minimum !== undefined) leaf.minimum = schema.minimum;
  if (schema.maximum !== undefined) leaf.maximum = schema.maximum;
  if (schema.pattern !== undefined) leaf.pattern = schema.pattern;
  if (schema.enum !== undefined) leaf.enum = [...schema.enum];
  if (schema.forbidden !== undefined) leaf.not = { enum: [...schema.forbidden] };
  return leaf;
}

/** JSON Schema (draft-07) of the values: closed objects at every level; required = keys present in every environment. */
function valuesSchema(
  props: HelmChartWriterProps,
  envs: RenderedEnvironment[],
  schemas: Map<string, SchemaRecord>,
  implicit: Map<string, ImplicitValue>,
  nullable: ReadonlySet<string>,
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
    pattern: dnsLabel.pattern,
    description: `Name of the environment these values describe (${envs.map((e) => e.name).join(', ')}, or your own); shown in NOTES.txt, selects nothing.`,
  };
  root.required?.push(HELM_ENVIRONMENT_VALUE);

  // A null value is left out when Helm merges a values file over values.yaml, so only non-null values are required.
  const perEnv = envs.map((env) => [...envValues(env, implicit)].filter(([, v]) => v !== null).map(([p]) => p));
  const presentEverywhere = (prefix: string) => perEnv.every((paths) => paths.some((p) => p === prefix || p.startsWith(`${prefix}.`)));
  const leaf = (valuePath: string) => {
    const explicit = schemas.get(valuePath);
    if (!explicit) return { ...implicit.get(valuePath)!.schema };
    const schema = leafSchema(explicit.schema);
    // null = the field is left out (it is absent in some environment)
    return nullable.has(valuePath) ? { ...schema, type: [explicit.schema.type, 'null'] } : schema;
  };
  for (const valuePath of [...schemas.keys(), ...implicit.keys()].sort(comparePaths)) {
    const segments = valuePath.split('.');
    let node: SchemaNode = root;
    segments.forEach((segment, i) => {
      // value paths never continue below a leaf (checkValueTree)
      const parent = node as ObjectSchemaNode;
      const prefix = segments.slice(0, i + 1).join('.');
      if (!(segment in parent.properties)) {
        parent.properties[segment] = i === segments.length - 1 ? leaf(valuePath) : objectNode();
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
function templateFiles(merged: MergedChart, sentinelPrefix: string): Map<string, string> {
  // File names: <kind>-<name> (<kind>-<construct path> when the name differs per environment, e.g. a
  // content hash); colliding ones get the namespace, then a counter.
  const base = new Map(
    merged.objects.map((o) => {
      const name = o.nameVaries ? o.relativePath.replace(/\//g, '-') : o.name;
      return [o, `${sanitizeFileComponent(o.kind)}-${sanitizeFileComponent(name)}`];
    }),
  );
  const baseCount = new Map<string, number>();
  for (const b of base.values()) baseCount.set(b, (baseCount.get(b) ?? 0) + 1);
  const used = new Set<string>();
  const files = new Map<string, string>();
  for (const o of merged.objects) {
    let candidate = base.get(o)!;
    if (baseCount.get(candidate)! > 1) candidate += `-${sanitizeFileComponent(o.namespace ?? 'cluster')}`;
    let file = candidate;
    for (let n = 2; used.has(file) || (baseCount.has(file) && file !== base.get(o)); n++) file = `${candidate}-${n}`;
    used.add(file);
    files.set(`${file}.yaml`, renderTemplate(o, sentinelPrefix));
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
