/**
 * Merges one object as synthesized for several environments into ONE template
 * tree, in which every difference between the environments is a Helm value:
 *
 * - a field that differs (and holds no explicit binding) becomes a value named
 *   after the object's construct path and the field, e.g.
 *   `api.deployment.pod.securityContext`;
 * - a map key or a named list element (`env`, `volumes`, `containers`, ... are
 *   merged by `name`, like Kubernetes' strategic merge) present in only some
 *   environments becomes a value that is `null` where it is absent, and the
 *   template renders it only when it is set;
 * - explicitly bound fields ({@link HelmValues}) stay their expressions; when a
 *   field is bound in some environments and a plain scalar in others, the
 *   binding's value path carries the scalar there too.
 *
 * Whether an object exists at all is decided by the caller (presence gates).
 */
import { HelmValueSchema } from './helm-values';
import { escapePointerToken } from './json-pointer';

/** A field replaced by an explicit binding's expression. */
export class BoundExpression {
  /**
   * @param expression the complete Helm action, e.g. `{{ .Values.api.replicas | toJson }}`
   * @param field for a whole-field binding: its value path and schema (lets other environments' scalars join it)
   */
  public constructor(
    public readonly expression: string,
    public readonly field?: { readonly valuePath: string; readonly schema: HelmValueSchema },
  ) {}
}

/** A scalar position rendered from a derived value: `{{ .Values.<path> | toJson }}`. */
export class DerivedValue {
  public constructor(public readonly path: string) {}
}

/** A map entry rendered only when the derived value at `path` is set. */
export class OptionalEntry {
  public constructor(public readonly path: string) {}
}

/** A list element rendered only when the derived value at `path` is set. */
export class OptionalElement {
  public constructor(public readonly path: string) {}
}

/** A template tree: JSON with the marker classes above at the positions that are values. */
export type TemplateNode = unknown;

/** What the merge needs to know about the object and how to record values. */
export interface MergeContext {
  /** Environment names, aligned with the values passed to {@link mergeEnvironments}. */
  readonly envs: readonly string[];
  /** Value path segments of the object, e.g. ['api', 'deployment']. */
  readonly base: readonly string[];
  /** "Deployment 'api' (wondernest/api/deployment)" for error messages. */
  readonly describe: string;
  /** Records a derived value; returns the (possibly de-duplicated) value path. `null` marks "absent here". */
  readonly derive: (segments: string[], perEnv: ReadonlyMap<string, unknown>, pointer: string) => string;
  /**
   * Records the value of an explicit field binding in an environment where the field is a plain scalar,
   * or `null` where the field is absent (the value becomes nullable).
   */
  readonly extendBinding: (env: string, valuePath: string, schema: HelmValueSchema, value: unknown, pointer: string) => void;
}

/**
 * Merges `values` (one per environment in `ctx.envs`, the same object in each)
 * into one template tree.
 *
 * @throws when a difference cannot be a value because it holds an explicit binding
 */
export function mergeEnvironments(values: readonly unknown[], ctx: MergeContext): TemplateNode {
  return merge(values, ctx, [], '');
}

function merge(vals: readonly unknown[], ctx: MergeContext, segments: string[], pointer: string): TemplateNode {
  if (vals.every((v) => deepEqualTemplate(v, vals[0]))) return vals[0];
  const bound = joinBinding(vals, ctx, pointer);
  if (bound) return bound;
  const hasBinding = vals.some(containsBinding);

  if (vals.every(isPlainObject)) {
    const objs = vals;
    const keys = orderedUnion(objs.map((o) => Object.keys(o)));
    if (keys) {
      const common = keys.filter((k) => objs.every((o) => Object.prototype.hasOwnProperty.call(o, k)));
      if (common.length > 0 || hasBinding) {
        const out: Record<string, unknown> = {};
        for (const key of keys) {
          const childPointer = `${pointer}/${escapePointerToken(key)}`;
          const children = objs.map((o) => (Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined));
          if (common.includes(key)) {
            out[key] = merge(children, ctx, [...segments, key], childPointer);
          } else {
            out[key] = new OptionalEntry(optional(children, ctx, [...segments, key], childPointer));
          }
        }
        return out;
      }
    }
  }

  if (vals.every(Array.isArray)) {
    const arrays = vals as ReadonlyArray<readonly unknown[]>;
    const named = mergeNamed(arrays, ctx, segments, pointer);
    if (named) return named;
    if (!hasBinding) return new DerivedValue(derive(vals, ctx, segments, pointer));
    if (arrays.every((a) => a.length === arrays[0].length)) {
      return arrays[0].map((_, i) =>
        merge(
          arrays.map((a) => a[i]),
          ctx,
          [...segments, `i${i}`],
          `${pointer}/${i}`,
        ),
      );
    }
  }

  if (!hasBinding) return new DerivedValue(derive(vals, ctx, segments, pointer));
  throw new Error(
    `Helm chart: field '${pointer || '/'}' of ${ctx.describe} differs in shape between environments ` +
      `${ctx.envs.map((e) => `'${e}'`).join(', ')} and holds a Helm value binding, so it can be neither one value nor ` +
      'merged field by field; bind the whole field, or keep its shape the same in every environment',
  );
}

/** Lists whose elements are all objects with unique string `name`s, merged by name (at least one name in common). */
function mergeNamed(
  arrays: ReadonlyArray<readonly unknown[]>,
  ctx: MergeContext,
  segments: string[],
  pointer: string,
): TemplateNode[] | undefined {
  const names: string[][] = [];
  for (const a of arrays) {
    if (a.length === 0) return undefined;
    const list: string[] = [];
    for (const e of a) {
      if (!isPlainObject(e) || typeof e.name !== 'string' || list.includes(e.name)) return undefined;
      list.push(e.name);
    }
    names.push(list);
  }
  const order = orderedUnion(names);
  if (!order) return undefined;
  const byName = arrays.map((a) => new Map((a as Array<Record<string, unknown>>).map((e) => [e.name as string, e])));
  const common = order.filter((n) => byName.every((m) => m.has(n)));
  if (common.length === 0) return undefined;
  return order.map((name) => {
    const elements = byName.map((m) => m.get(name));
    const at = arrays[0].findIndex((e) => isPlainObject(e) && e.name === name);
    const childPointer = `${pointer}/${at >= 0 ? at : `[name=${name}]`}`;
    if (common.includes(name)) return merge(elements, ctx, [...segments, name], childPointer);
    return new OptionalElement(optional(elements, ctx, [...segments, name], childPointer));
  });
}

/** A key or element present in only some environments: a derived value, null where absent. */
function optional(children: readonly unknown[], ctx: MergeContext, segments: string[], pointer: string): string {
  // A whole-field binding present in only some environments: its value is null in the others.
  const present = children.filter((c) => c !== undefined);
  const first = present[0];
  if (
    first instanceof BoundExpression &&
    first.field &&
    present.every((c) => c instanceof BoundExpression && c.expression === first.expression)
  ) {
    children.forEach((c, i) => {
      if (c === undefined) ctx.extendBinding(ctx.envs[i], first.field!.valuePath, first.field!.schema, null, pointer);
    });
    return first.field.valuePath;
  }
  if (children.some(containsBinding)) {
    throw new Error(
      `Helm chart: '${pointer}' of ${ctx.describe} exists only in some environments and holds a Helm value binding; ` +
        'an optional field cannot carry a binding: keep it in every environment or drop the binding',
    );
  }
  return derive(
    children.map((c) => (c === undefined ? null : c)),
    ctx,
    segments,
    pointer,
  );
}

function derive(vals: readonly unknown[], ctx: MergeContext, segments: string[], pointer: string): string {
  const perEnv = new Map<string, unknown>();
  vals.forEach((v, i) => perEnv.set(ctx.envs[i], v));
  return ctx.derive(segments, perEnv, pointer);
}

/** A field bound in some environments and a plain scalar in the others: the binding carries the scalars too. */
function joinBinding(vals: readonly unknown[], ctx: MergeContext, pointer: string): BoundExpression | undefined {
  const bindings = vals.filter((v): v is BoundExpression => v instanceof BoundExpression);
  if (bindings.length === 0) return undefined;
  const first = bindings[0];
  if (!first.field || bindings.some((b) => b.expression !== first.expression)) return undefined;
  const scalars = vals.filter((v) => !(v instanceof BoundExpression));
  if (scalars.some((v) => v === undefined || (typeof v === 'object' && v !== null))) return undefined;
  vals.forEach((v, i) => {
    if (!(v instanceof BoundExpression)) ctx.extendBinding(ctx.envs[i], first.field!.valuePath, first.field!.schema, v, pointer);
  });
  return first;
}

/**
 * The union of several key orders that keeps each list's order (each list's
 * keys appear in the union in the same relative order), or undefined when the
 * orders contradict each other.
 */
function orderedUnion(lists: readonly string[][]): string[] | undefined {
  const merged: string[] = [];
  for (const list of lists) {
    let previous = -1;
    for (const key of list) {
      const at = merged.indexOf(key);
      if (at >= 0) {
        if (at < previous) return undefined;
        previous = at;
      } else {
        merged.splice(previous + 1, 0, key);
        previous += 1;
      }
    }
  }
  return lists.every((list) => merged.filter((k) => list.includes(k)).every((k, i) => list[i] === k)) ? merged : undefined;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

function containsBinding(v: unknown): boolean {
  if (v instanceof BoundExpression) return true;
  if (Array.isArray(v)) return v.some(containsBinding);
  if (isPlainObject(v)) return Object.values(v).some(containsBinding);
  return false;
}

/** Deep equality of template trees (bound expressions compare by their text). */
export function deepEqualTemplate(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof BoundExpression || b instanceof BoundExpression) {
    return a instanceof BoundExpression && b instanceof BoundExpression && a.expression === b.expression;
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqualTemplate(ra[k], rb[k]));
}

/** Pod-template prefixes shortened in derived value names (the Helm-chart convention: `pod.securityContext`). */
const NAME_REWRITES: ReadonlyArray<readonly [readonly string[], string]> = [
  [['spec', 'jobTemplate', 'spec', 'template', 'spec'], 'pod'],
  [['spec', 'jobTemplate', 'spec', 'template', 'metadata'], 'podMetadata'],
  [['spec', 'template', 'spec'], 'pod'],
  [['spec', 'template', 'metadata'], 'podMetadata'],
];

/**
 * The value path segments of a derived value: the object's base, then the
 * field's segments with pod-template prefixes shortened, each made a Helm
 * identifier (`checksum/config` -> `checksumConfig`, `10-init.sh` -> `v10InitSh`).
 */
export function derivedSegments(base: readonly string[], segments: readonly string[]): string[] {
  let field = [...segments];
  for (const [prefix, short] of NAME_REWRITES) {
    if (prefix.every((s, i) => field[i] === s)) {
      field = [short, ...field.slice(prefix.length)];
      break;
    }
  }
  return [...base, ...field].map(valueIdentifier);
}

/** Makes a Helm value key usable as `.Values.a.b`: letters, digits and '_', starting with a letter. */
export function valueIdentifier(segment: string): string {
  const parts = segment.split(/[^A-Za-z0-9_]+/).filter((p) => p !== '');
  let id = parts.map((p, i) => (i === 0 ? p : p[0].toUpperCase() + p.slice(1))).join('');
  if (!/^[A-Za-z]/.test(id)) id = `v${id}`;
  return id;
}
