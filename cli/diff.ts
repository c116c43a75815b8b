/**
 * Field-level differences between the live object and what it would become. The "would become"
 * side is the server's answer to a dry-run server-side apply of the desired object (as
 * `kubectl diff` does), so defaults, admission and field ownership are the server's own; here the
 * two are compared, ignoring what the server manages (status, resourceVersion, managedFields...).
 * Pure.
 */
import { KubeObject } from './objects';

export type ChangeType = 'added' | 'removed' | 'changed';

export interface Change {
  /** `spec.template.spec.containers[api].image`: list items with a unique `name` are shown by name. */
  path: string;
  type: ChangeType;
  from?: unknown;
  to?: unknown;
}

/** Top-level and metadata fields the server owns; they change on every write and mean nothing. */
const IGNORED_METADATA = new Set([
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'managedFields',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
]);
const IGNORED_ANNOTATIONS = new Set(['deployment.kubernetes.io/revision', 'kubectl.kubernetes.io/last-applied-configuration']);

/** A copy without the server-managed fields. */
export function withoutServerFields(obj: KubeObject): Record<string, unknown> {
  const { status: _status, metadata, ...rest } = obj;
  const meta: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(metadata ?? {})) {
    if (!IGNORED_METADATA.has(k)) meta[k] = v;
  }
  if (meta.annotations && typeof meta.annotations === 'object') {
    const annotations = Object.fromEntries(
      Object.entries(meta.annotations as Record<string, string>).filter(([k]) => !IGNORED_ANNOTATIONS.has(k)),
    );
    if (Object.keys(annotations).length > 0) meta.annotations = annotations;
    else delete meta.annotations;
  }
  return { ...rest, metadata: meta };
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

function isEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => isEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => isEqual(a[k], b[k]));
  }
  return false;
}

/** Lists whose items all have a distinct string `name` are compared by name, others by index. */
function namedItems(list: unknown[]): Map<string, unknown> | undefined {
  if (list.length === 0) return undefined;
  const map = new Map<string, unknown>();
  for (const item of list) {
    if (!isObject(item) || typeof item.name !== 'string' || map.has(item.name)) return undefined;
    map.set(item.name, item);
  }
  return map;
}

const join = (path: string, key: string): string => {
  const safe = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : JSON.stringify(key);
  return path ? (safe === key ? `${path}.${key}` : `${path}[${safe}]`) : safe;
};

function walk(path: string, from: unknown, to: unknown, out: Change[]): void {
  if (isEqual(from, to)) return;
  if (from === undefined) {
    out.push({ path, type: 'added', to });
    return;
  }
  if (to === undefined) {
    out.push({ path, type: 'removed', from });
    return;
  }
  if (isObject(from) && isObject(to)) {
    const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
    for (const k of keys) walk(join(path, k), from[k], to[k], out);
    return;
  }
  if (Array.isArray(from) && Array.isArray(to)) {
    const a = namedItems(from);
    const b = namedItems(to);
    if (a && b) {
      const names = [...new Set([...a.keys(), ...b.keys()])];
      for (const n of names) walk(`${path}[${n}]`, a.get(n), b.get(n), out);
      const orderFrom = from.map((x) => (x as { name: string }).name).filter((n) => b.has(n));
      const orderTo = to.map((x) => (x as { name: string }).name).filter((n) => a.has(n));
      if (!isEqual(orderFrom, orderTo)) out.push({ path, type: 'changed', from: orderFrom, to: orderTo });
      return;
    }
    const n = Math.max(from.length, to.length);
    for (let i = 0; i < n; i++) walk(`${path}[${i}]`, from[i], to[i], out);
    return;
  }
  out.push({ path, type: 'changed', from, to });
}

/**
 * The changes that turn `live` into `predicted`, server-managed fields ignored.
 * `live` undefined means the object does not exist: one `added` change at the root.
 */
export function diffObjects(live: KubeObject | undefined, predicted: KubeObject): Change[] {
  const to = withoutServerFields(predicted);
  if (!live) return [{ path: '', type: 'added', to }];
  const out: Change[] = [];
  walk('', withoutServerFields(live), to, out);
  return out;
}

const REDACTED = '<redacted>';

/** Secret values never reach the terminal. */
function redact(kind: string, path: string, value: unknown): unknown {
  if (kind !== 'Secret' || value === undefined) return value;
  const hide = (v: unknown): unknown => (isObject(v) ? Object.fromEntries(Object.keys(v).map((k) => [k, REDACTED])) : REDACTED);
  if (/^(data|stringData)(\.|\[|$)/.test(path)) return hide(value);
  if (path === '' && isObject(value)) {
    const copy: Record<string, unknown> = { ...value };
    for (const k of ['data', 'stringData']) if (copy[k] !== undefined) copy[k] = hide(copy[k]);
    return copy;
  }
  return value;
}

function show(value: unknown, max = 120): string {
  const text = value === undefined ? '<none>' : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/** One line per change: `  ~ spec.replicas: 1 -> 3`, `  + metadata.labels.tier: "api"`, `  - spec.paused: true`. */
export function formatChanges(kind: string, changes: readonly Change[], indent = '    '): string[] {
  return changes.map((c) => {
    const from = redact(kind, c.path, c.from);
    const to = redact(kind, c.path, c.to);
    switch (c.type) {
      case 'added':
        return `${indent}+ ${c.path}: ${show(to)}`;
      case 'removed':
        return `${indent}- ${c.path}: ${show(from)}`;
      default:
        return `${indent}~ ${c.path}: ${show(from)} -> ${show(to)}`;
    }
  });
}
