/**
 * A small validator for the structural OpenAPI v3 schemas of CustomResourceDefinitions.
 *
 * Unlike a plain JSON-schema validator it treats every field a schema does not declare as an
 * error (what `kubectl apply --validate=strict` and server-side field validation report), unless
 * the schema says `x-kubernetes-preserve-unknown-fields` or has `additionalProperties`.
 * CEL rules (`x-kubernetes-validations`) are not evaluated.
 */
import type { IJSONSchemaProps } from 'kubernetes-models/apiextensions.k8s.io/v1/JSONSchemaProps';

/**
 * A CRD's structural schema: kubernetes-models' JSONSchemaProps, with the fields its generator
 * leaves untyped (JSONSchemaPropsOrBool, JSONSchemaPropsOrArray, JSON) spelled out as CRDs use them.
 */
export interface OpenApiSchema extends Omit<
  IJSONSchemaProps,
  'items' | 'additionalProperties' | 'enum' | 'properties' | 'allOf' | 'anyOf' | 'oneOf'
> {
  readonly items?: OpenApiSchema;
  readonly additionalProperties?: OpenApiSchema | boolean;
  readonly enum?: readonly unknown[];
  readonly properties?: Readonly<Record<string, OpenApiSchema>>;
  readonly allOf?: readonly OpenApiSchema[];
  readonly anyOf?: readonly OpenApiSchema[];
  readonly oneOf?: readonly OpenApiSchema[];
}

/** One schema problem at a JSON path. */
export interface SchemaError {
  /** Path in dotted/bracket form, e.g. `spec.endpoints[0].port`. */
  readonly path: string;
  readonly keyword: 'unknown-field' | 'type' | 'required' | 'enum' | 'range' | 'pattern' | 'length' | 'one-of';
  readonly message: string;
}

/** Appends a property to a path. */
export function joinPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  if (!isIdentifier(key)) return `${path}[${JSON.stringify(key)}]`;
  return path ? `${path}.${key}` : key;
}

/** Whether a key can follow a dot; remembered per key (the checks join every key of every object). */
const identifiers = new Map<string, boolean>();
function isIdentifier(key: string): boolean {
  let ok = identifiers.get(key);
  if (ok === undefined) {
    ok = /^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(key);
    if (identifiers.size < 100000) identifiers.set(key, ok);
  }
  return ok;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/**
 * Validates `value` against `schema`, appending problems to `errors`.
 * @param ignoreRoot property names at the root that are validated elsewhere (e.g. `metadata`)
 */
export function validateOpenApi(
  value: unknown,
  schema: OpenApiSchema | undefined,
  path: string,
  errors: SchemaError[],
  ignoreRoot: readonly string[] = [],
): void {
  if (!schema || typeof schema !== 'object') return;
  if (value === null && schema.nullable) return;
  const actual = typeOf(value);

  if (schema['x-kubernetes-int-or-string']) {
    if (actual !== 'integer' && actual !== 'string')
      errors.push({ path, keyword: 'type', message: `got ${show(value)} (${actual}); expected an integer or a string` });
    return;
  }
  if (schema.type) {
    const ok = schema.type === actual || (schema.type === 'number' && actual === 'integer');
    if (!ok) {
      errors.push({ path, keyword: 'type', message: `got ${show(value)} (${actual}); expected ${schema.type}` });
      return;
    }
  }
  if (schema.enum && !schema.enum.some((e) => e === value)) {
    errors.push({ path, keyword: 'enum', message: `got ${show(value)}; expected one of ${schema.enum.map(show).join(', ')}` });
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum)
      errors.push({ path, keyword: 'range', message: `got ${value}; expected >= ${schema.minimum}` });
    if (schema.maximum !== undefined && value > schema.maximum)
      errors.push({ path, keyword: 'range', message: `got ${value}; expected <= ${schema.maximum}` });
  }
  if (typeof value === 'string') {
    if (schema.pattern && !safeRegExp(schema.pattern)?.test(value))
      errors.push({ path, keyword: 'pattern', message: `got ${show(value)}; expected to match ${schema.pattern}` });
    if (schema.maxLength !== undefined && value.length > schema.maxLength)
      errors.push({ path, keyword: 'length', message: `got ${value.length} characters; expected at most ${schema.maxLength}` });
    if (schema.minLength !== undefined && value.length < schema.minLength)
      errors.push({ path, keyword: 'length', message: `got ${value.length} characters; expected at least ${schema.minLength}` });
  }
  if (Array.isArray(value)) {
    if (schema.maxItems !== undefined && value.length > schema.maxItems)
      errors.push({ path, keyword: 'length', message: `got ${value.length} items; expected at most ${schema.maxItems}` });
    if (schema.minItems !== undefined && value.length < schema.minItems)
      errors.push({ path, keyword: 'length', message: `got ${value.length} items; expected at least ${schema.minItems}` });
    if (schema.items) value.forEach((item, i) => validateOpenApi(item, schema.items, joinPath(path, i), errors));
  }
  if (actual === 'object') {
    const obj = value as Record<string, unknown>;
    for (const r of schema.required ?? []) {
      if (obj[r] === undefined && !ignoreRoot.includes(r))
        errors.push({ path: joinPath(path, r), keyword: 'required', message: `missing required field '${r}'` });
    }
    const props = schema.properties ?? {};
    for (const [k, v] of Object.entries(obj)) {
      if (ignoreRoot.includes(k)) continue;
      if (props[k]) {
        validateOpenApi(v, props[k], joinPath(path, k), errors);
      } else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
        validateOpenApi(v, schema.additionalProperties, joinPath(path, k), errors);
      } else if (
        !schema['x-kubernetes-preserve-unknown-fields'] &&
        schema.additionalProperties !== true &&
        (schema.properties || schema.type === 'object')
      ) {
        const known = Object.keys(props);
        errors.push({
          path: joinPath(path, k),
          keyword: 'unknown-field',
          message: `unknown field '${k}'; expected one of: ${known.length ? known.join(', ') : '(no fields)'}`,
        });
      }
    }
  }
  for (const sub of schema.allOf ?? []) validateOpenApi(value, sub, path, errors);
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) {
    const matching = branches.filter((b) => {
      const e: SchemaError[] = [];
      validateOpenApi(value, { ...b, 'x-kubernetes-preserve-unknown-fields': true }, path, e);
      return e.length === 0;
    }).length;
    if (schema.anyOf && matching === 0)
      errors.push({ path, keyword: 'one-of', message: 'matches none of the allowed alternatives (anyOf)' });
    if (schema.oneOf && matching !== 1)
      errors.push({ path, keyword: 'one-of', message: `matches ${matching} of the alternatives; expected exactly one (oneOf)` });
  }
}

const regexCache = new Map<string, RegExp | undefined>();
function safeRegExp(p: string): RegExp | undefined {
  if (!regexCache.has(p)) {
    try {
      regexCache.set(p, new RegExp(p, 'u'));
    } catch {
      regexCache.set(p, undefined);
    }
  }
  return regexCache.get(p);
}
