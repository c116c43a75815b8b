import { ApiObject, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { parseJsonPointer } from './json-pointer';
import { ValueTemplate } from './value-template';

/**
 * JSON-Schema facts about one Helm value. They end up in the chart's
 * `values.schema.json`, which Helm enforces on every `helm template`/`install`
 * (including `--set`), and are checked against the synthesized value when the
 * chart is written.
 */
export interface HelmValueSchema {
  /** JSON-Schema type of the value. */
  readonly type: 'integer' | 'string' | 'boolean' | 'number';
  /**
   * Inclusive lower bound (integer and number only).
   * @default - no lower bound
   */
  readonly minimum?: number;
  /**
   * Inclusive upper bound (integer and number only).
   * @default - no upper bound
   */
  readonly maximum?: number;
  /**
   * Regular expression the value must match (string only). Keep it to the
   * syntax shared by ECMAScript and Go RE2 (no look-around, no back-references)
   * because Helm validates it with Go.
   * @default - any string
   */
  readonly pattern?: string;
  /**
   * The allowed values (string only).
   * @default - any string
   */
  readonly enum?: string[];
  /**
   * Values that are refused although they match `pattern` (string only), e.g.
   * `['latest']` for an image tag; written as `not: { enum: [...] }` because
   * Go's RE2 has no look-ahead.
   * @default - none
   */
  readonly forbidden?: readonly string[];
  /** What the value controls; becomes the schema `description`. */
  readonly description: string;
}

/** One part of a {@link HelmValues.bindTemplate} binding. */
export interface HelmTemplatePart {
  /** Dotted Helm value path, e.g. 'api.image.tag'. */
  readonly path: string;
  /** Schema of that value. Only 'string' and 'integer' parts are supported. */
  readonly schema: HelmValueSchema;
}

/** A whole field of an ApiObject bound to one Helm value ({@link HelmValues.bind}). */
export interface HelmFieldBinding {
  readonly kind: 'field';
  /** The bound object. */
  readonly object: ApiObject;
  /** RFC 6901 pointer of the field in the object's synthesized JSON. */
  readonly pointer: string;
  /** Dotted Helm value path. */
  readonly valuePath: string;
  /** Schema of the value. */
  readonly schema: HelmValueSchema;
  /** The field is a string holding the (integer, number or boolean) value, e.g. an env var: rendered with `toString`. */
  readonly renderAsString: boolean;
}

/** Options of {@link HelmValues.bind}. */
export interface HelmBindOptions {
  /**
   * The field is a string that holds an integer, number or boolean value (an
   * environment variable such as `RETENTION_DAYS: "14"`): the Helm value gets
   * the schema's type, so `--set x=14` works without `--set-string`, and the
   * template renders it back as a string.
   * @default false
   */
  readonly renderAsString?: boolean;
}

/** A string field composed of several Helm values ({@link HelmValues.bindTemplate}). */
export interface HelmTemplateBinding {
  readonly kind: 'template';
  /** The bound object. */
  readonly object: ApiObject;
  /** RFC 6901 pointer of the field in the object's synthesized JSON. */
  readonly pointer: string;
  /** The parsed template, e.g. '{repository}:{tag}'. */
  readonly template: ValueTemplate;
  /** Placeholder name -> value path and schema. */
  readonly parts: Readonly<Record<string, HelmTemplatePart>>;
}

/**
 * A construct whose objects are rendered only when a Helm value says so
 * ({@link HelmValues.gate}). Used only where the construct's presence differs
 * between environments; elsewhere it is ignored.
 */
export interface HelmGate {
  /** The gated construct: every ApiObject below it. */
  readonly construct: IConstruct;
  /** Dotted value path of the gate, e.g. 'pgadmin.enabled' or 'secrets.provider'. */
  readonly valuePath: string;
  /**
   * For a string gate: the value that renders this construct (e.g. 'generated').
   * @default - a boolean gate: rendered when the value is true
   */
  readonly when?: string;
  /** What the value switches; becomes the schema `description`. */
  readonly description: string;
}

/** Options of {@link HelmValues.gate}. */
export interface HelmGateOptions {
  /**
   * Make the gate a string value: the construct is rendered when the value equals this
   * (other constructs gate on the other choices of the same value path).
   * @default - a boolean gate
   */
  readonly when?: string;
  /** What the value switches; becomes the schema `description`. */
  readonly description: string;
}

/** Any binding held by a {@link HelmValues} registry. */
export type HelmBinding = HelmFieldBinding | HelmTemplateBinding;

/** Value paths: dot-separated identifiers, each a letter followed by letters, digits or '_' (Go template field names). */
export const HELM_VALUE_PATH = /^[a-zA-Z][a-zA-Z0-9_]*(\.[a-zA-Z][a-zA-Z0-9_]*)*$/;

/**
 * Top-level value the chart writer reserves for the environment's name
 * (`values-<env>.yaml` sets it; NOTES.txt may show it; no template selects on
 * it); bindings cannot use it.
 */
export const HELM_ENVIRONMENT_VALUE = 'environment';

const TYPES = ['integer', 'string', 'boolean', 'number'];
const REGISTRIES = new WeakMap<Chart, HelmValues>();

/**
 * Registry of Helm value bindings for one cdk8s Chart.
 *
 * Library constructs declare which fields of their ApiObjects are Helm values;
 * `writeHelmChart` later replaces those fields with `{{ .Values.* }}`
 * expressions and collects the synthesized values per environment.
 *
 * @example
 *   const values = HelmValues.of(this);
 *   values.bind(deployment, '/spec/replicas', 'api.replicas',
 *     { type: 'integer', minimum: 0, description: 'API pod count' });
 */
export class HelmValues {
  /**
   * The registry for the cdk8s Chart that contains `scope` (created lazily,
   * one per Chart).
   *
   * @throws if `scope` is not inside a Chart
   */
  public static of(scope: IConstruct): HelmValues {
    const chart = Chart.of(scope);
    let registry = REGISTRIES.get(chart);
    if (!registry) {
      registry = new HelmValues(chart);
      REGISTRIES.set(chart, registry);
    }
    return registry;
  }

  /** The Chart whose objects this registry binds. */
  public readonly chart: Chart;
  private readonly _bindings: HelmBinding[] = [];
  private readonly _gates: HelmGate[] = [];

  private constructor(chart: Chart) {
    this.chart = chart;
  }

  /** All bindings, in the order they were declared. */
  public get bindings(): readonly HelmBinding[] {
    return [...this._bindings];
  }

  /** All gates, in the order they were declared. */
  public get gates(): readonly HelmGate[] {
    return [...this._gates];
  }

  /**
   * Declares which Helm value switches `construct` (all ApiObjects below it) on
   * and off in the chart, for when its presence differs between environments:
   * a boolean (`pgadmin.enabled`) or, with `when`, one choice of a string value
   * (`secrets.provider` = 'generated'). Without a declaration the chart writer
   * derives `<construct path>.enabled`. Constructs sharing a value path must
   * exist in the same environments (boolean) or make one choice per environment.
   *
   * @throws on a bad value path, a construct outside this chart, or a second gate on the construct
   */
  public gate(construct: IConstruct, valuePath: string, options: HelmGateOptions): void {
    const where = `Helm gate of ${construct.node.path}`;
    if (Chart.of(construct) !== this.chart) {
      throw new Error(`${where}: the construct belongs to chart '${Chart.of(construct).node.path}', not to '${this.chart.node.path}'`);
    }
    validateValuePath(valuePath, where);
    if (typeof options?.description !== 'string' || options.description.trim() === '') {
      throw new Error(`${where}: description must be a non-empty string`);
    }
    if (options.when !== undefined && (typeof options.when !== 'string' || options.when === '')) {
      throw new Error(`${where}: when must be a non-empty string, got ${JSON.stringify(options.when)}`);
    }
    if (this._gates.some((g) => g.construct === construct)) {
      throw new Error(`${where}: the construct is already gated; a construct can have one gate`);
    }
    this._gates.push({ construct, valuePath, when: options.when, description: options.description });
  }

  /**
   * Declares that the field at RFC 6901 `pointer` in `obj`'s synthesized JSON
   * (e.g. '/spec/replicas') is the Helm value at dotted `valuePath`
   * (e.g. 'api.replicas'). The field is checked when the chart is written: it
   * must exist and its synthesized value must satisfy `schema`.
   *
   * @throws on a bad pointer, value path or schema, or when the field is already bound
   */
  public bind(obj: ApiObject, pointer: string, valuePath: string, schema: HelmValueSchema, options: HelmBindOptions = {}): void {
    const where = this.checkTarget(obj, pointer);
    validateValuePath(valuePath, where);
    validateSchema(schema, `${where} (value '${valuePath}')`);
    const renderAsString = options.renderAsString ?? false;
    if (renderAsString && schema.type === 'string') {
      throw new Error(`${where} (value '${valuePath}'): renderAsString needs an integer, number or boolean schema, not 'string'`);
    }
    this._bindings.push({ kind: 'field', object: obj, pointer, valuePath, schema, renderAsString });
  }

  /**
   * Declares that the string field at `pointer` in `obj` is composed of
   * several Helm values, e.g. an image: template '{repository}:{tag}' with
   * parts `{ repository: { path: 'api.image.repository', schema }, tag: { path: 'api.image.tag', schema } }`.
   * When the chart is written, the synthesized string is split by the template
   * to obtain each part's value (see {@link ValueTemplate.split}).
   *
   * @throws on a bad pointer, template, part path or schema, or when the field is already bound
   */
  public bindTemplate(obj: ApiObject, pointer: string, template: string, parts: Record<string, HelmTemplatePart>): void {
    const where = this.checkTarget(obj, pointer);
    if (parts === null || typeof parts !== 'object') {
      throw new Error(`${where}: parts must be an object mapping each {placeholder} to { path, schema }`);
    }
    const parsed = ValueTemplate.parse(template, Object.keys(parts));
    for (const [name, part] of Object.entries(parts)) {
      const partWhere = `${where} (template ${JSON.stringify(template)}, part '${name}')`;
      validateValuePath(part?.path, partWhere);
      validateSchema(part.schema, `${partWhere} (value '${part.path}')`);
      if (part.schema.type !== 'string' && part.schema.type !== 'integer') {
        throw new Error(`${partWhere}: schema type '${part.schema.type}' is not supported in a template; use 'string' or 'integer'`);
      }
    }
    this._bindings.push({ kind: 'template', object: obj, pointer, template: parsed, parts: { ...parts } });
  }

  /** Validates obj and pointer and returns a description of the binding target for error messages. */
  private checkTarget(obj: ApiObject, pointer: string): string {
    if (!ApiObject.isApiObject(obj)) {
      throw new Error(`HelmValues: expected an ApiObject to bind, got ${String(obj)}`);
    }
    const where = describeBindingTarget(obj, pointer);
    if (Chart.of(obj) !== this.chart) {
      throw new Error(
        `${where}: the object belongs to chart '${Chart.of(obj).node.path}', not to '${this.chart.node.path}'; ` + 'use HelmValues.of(obj)',
      );
    }
    try {
      parseJsonPointer(pointer);
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message}`, { cause: e });
    }
    for (const b of this._bindings) {
      if (b.object !== obj) continue;
      if (b.pointer === pointer || b.pointer.startsWith(`${pointer}/`) || pointer.startsWith(`${b.pointer}/`)) {
        throw new Error(
          `${where}: overlaps the existing binding of ${describeBindingTarget(obj, b.pointer)}; ` + 'a field can be bound only once',
        );
      }
    }
    return where;
  }
}

/** "Deployment api (construct path) field /spec/replicas" for error messages. */
export function describeBindingTarget(obj: ApiObject, pointer: string): string {
  return `Helm binding of ${obj.kind} '${obj.name}' (${obj.node.path}) field '${pointer}'`;
}

/** @throws if `valuePath` is not a valid dotted value path or uses the reserved 'environment' value */
export function validateValuePath(valuePath: string, where: string): void {
  if (typeof valuePath !== 'string' || !HELM_VALUE_PATH.test(valuePath)) {
    throw new Error(
      `${where}: invalid value path ${JSON.stringify(valuePath)}; ` +
        `expected dot-separated identifiers matching ${HELM_VALUE_PATH} (e.g. 'api.image.tag')`,
    );
  }
  if (valuePath.split('.')[0] === HELM_ENVIRONMENT_VALUE) {
    throw new Error(`${where}: invalid value path '${valuePath}'; '${HELM_ENVIRONMENT_VALUE}' is reserved for the environment name`);
  }
}

/** @throws if `schema` is malformed (unknown type, constraint not applicable to the type, bad pattern...) */
export function validateSchema(schema: HelmValueSchema, where: string): void {
  if (schema === null || typeof schema !== 'object') {
    throw new Error(`${where}: schema must be an object with at least { type, description }`);
  }
  if (!TYPES.includes(schema.type)) {
    throw new Error(`${where}: schema type ${JSON.stringify(schema.type)} is not one of ${TYPES.join(', ')}`);
  }
  if (typeof schema.description !== 'string' || schema.description.trim() === '') {
    throw new Error(`${where}: schema description must be a non-empty string`);
  }
  const numeric = schema.type === 'integer' || schema.type === 'number';
  for (const bound of ['minimum', 'maximum'] as const) {
    const v = schema[bound];
    if (v === undefined) continue;
    if (!numeric) throw new Error(`${where}: schema ${bound} is only allowed for integer and number values, not '${schema.type}'`);
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new Error(`${where}: schema ${bound} must be a finite number, got ${JSON.stringify(v)}`);
  }
  if (schema.minimum !== undefined && schema.maximum !== undefined && schema.minimum > schema.maximum) {
    throw new Error(`${where}: schema minimum ${schema.minimum} is greater than maximum ${schema.maximum}`);
  }
  if (schema.pattern !== undefined) {
    if (schema.type !== 'string') throw new Error(`${where}: schema pattern is only allowed for string values, not '${schema.type}'`);
    try {
      new RegExp(schema.pattern);
    } catch (e) {
      throw new Error(
        `${where}: schema pattern ${JSON.stringify(schema.pattern)} is not a valid regular expression: ${(e as Error).message}`,
        { cause: e },
      );
    }
  }
  if (schema.enum !== undefined) {
    if (schema.type !== 'string') throw new Error(`${where}: schema enum is only allowed for string values, not '${schema.type}'`);
    if (!Array.isArray(schema.enum) || schema.enum.length === 0 || schema.enum.some((e) => typeof e !== 'string')) {
      throw new Error(`${where}: schema enum must be a non-empty array of strings, got ${JSON.stringify(schema.enum)}`);
    }
  }
  if (schema.forbidden !== undefined) {
    if (schema.type !== 'string') throw new Error(`${where}: schema forbidden is only allowed for string values, not '${schema.type}'`);
    if (!Array.isArray(schema.forbidden) || schema.forbidden.length === 0 || schema.forbidden.some((e) => typeof e !== 'string')) {
      throw new Error(`${where}: schema forbidden must be a non-empty array of strings, got ${JSON.stringify(schema.forbidden)}`);
    }
  }
}

/**
 * Checks a synthesized value against its schema.
 *
 * @returns a description of the violation, or `undefined` when the value conforms
 */
export function checkValueAgainstSchema(value: unknown, schema: HelmValueSchema): string | undefined {
  const shown = JSON.stringify(value) ?? String(value);
  switch (schema.type) {
    case 'integer':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) return `${shown} is not an integer`;
      break;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return `${shown} is not a number`;
      break;
    case 'boolean':
      if (typeof value !== 'boolean') return `${shown} is not a boolean`;
      return undefined;
    case 'string':
      if (typeof value !== 'string') return `${shown} is not a string`;
      break;
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) return `${shown} is less than the minimum ${schema.minimum}`;
    if (schema.maximum !== undefined && value > schema.maximum) return `${shown} is greater than the maximum ${schema.maximum}`;
  }
  if (typeof value === 'string') {
    if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value))
      return `${shown} does not match the pattern ${schema.pattern}`;
    if (schema.enum !== undefined && !schema.enum.includes(value))
      return `${shown} is not one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`;
    if (schema.forbidden?.includes(value))
      return `${shown} is not allowed (forbidden: ${schema.forbidden.map((e) => JSON.stringify(e)).join(', ')})`;
  }
  return undefined;
}
