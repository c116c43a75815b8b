/**
 * A small declarative schema for environment configuration.
 *
 * One schema gives both the TypeScript type of a config (`Infer<typeof schema>`)
 * and its validation at synth time. Validation collects every problem and reports
 * each as `<path>: got <value>; expected <what is allowed>` so a user can fix a
 * config in one pass. Unknown keys are errors (a typo never silently does nothing).
 */

/** One validation problem. */
export interface SchemaIssue {
  /** Dotted path of the offending field, e.g. `stacks.wondernest.api.replicas`. */
  readonly path: string;
  /** The value found there. */
  readonly value: unknown;
  /** What is allowed. */
  readonly expected: string;
}

/** A schema node: validates a value and carries its TypeScript type as `T`. */
export abstract class Schema<T> {
  /** Phantom member carrying the inferred type. Never set. */
  declare readonly __type: T;
  /** Human description of the allowed values, used in messages. */
  public abstract readonly expected: string;
  /** Appends problems found in `value` (at `path`) to `issues`. */
  public abstract check(value: unknown, path: string, issues: SchemaIssue[]): void;
  /** Marks the field optional in its parent object. */
  public optional(): OptionalSchema<T> {
    return new OptionalSchema(this);
  }
  /** Adds a cross-field rule evaluated only when the value itself is well-formed. */
  public refine(rule: (value: T, path: string) => SchemaIssue[]): Schema<T> {
    return new RefinedSchema(this, rule);
  }
}

/** The TypeScript type a schema describes. */
export type Infer<S> = S extends Schema<infer T> ? T : never;

export class OptionalSchema<T> extends Schema<T | undefined> {
  public readonly expected: string;
  constructor(public readonly inner: Schema<T>) {
    super();
    this.expected = `${inner.expected} (optional)`;
  }
  public check(value: unknown, path: string, issues: SchemaIssue[]): void {
    if (value !== undefined) this.inner.check(value, path, issues);
  }
}

class RefinedSchema<T> extends Schema<T> {
  public readonly expected: string;
  constructor(private readonly inner: Schema<T>, private readonly rule: (value: T, path: string) => SchemaIssue[]) {
    super();
    this.expected = inner.expected;
  }
  public check(value: unknown, path: string, issues: SchemaIssue[]): void {
    const before = issues.length;
    this.inner.check(value, path, issues);
    if (issues.length === before) issues.push(...this.rule(value as T, path));
  }
}

class PredicateSchema<T> extends Schema<T> {
  constructor(public readonly expected: string, private readonly test: (v: unknown) => boolean) {
    super();
  }
  public check(value: unknown, path: string, issues: SchemaIssue[]): void {
    if (!this.test(value)) issues.push({ path, value, expected: this.expected });
  }
}

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends OptionalSchema<unknown> ? K : never }[keyof S];
type RequiredKeys<S extends Shape> = Exclude<keyof S, OptionalKeys<S>>;
export type ObjectType<S extends Shape> = {
  readonly [K in RequiredKeys<S>]: Infer<S[K]>;
} & {
  readonly [K in OptionalKeys<S>]?: Infer<S[K]>;
};

export class ObjectSchema<S extends Shape> extends Schema<ObjectType<S>> {
  public readonly expected: string;
  constructor(public readonly shape: S) {
    super();
    this.expected = `an object with keys ${Object.keys(shape).join(', ')}`;
  }
  public check(value: unknown, path: string, issues: SchemaIssue[]): void {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      issues.push({ path, value, expected: this.expected });
      return;
    }
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!(key in this.shape)) {
        issues.push({ path: join(path, key), value: record[key], expected: `no such key; allowed keys here: ${Object.keys(this.shape).join(', ')}` });
      }
    }
    for (const [key, schema] of Object.entries(this.shape)) {
      const child = record[key];
      if (child === undefined && !(schema instanceof OptionalSchema)) {
        issues.push({ path: join(path, key), value: undefined, expected: `a required value: ${schema.expected}` });
        continue;
      }
      schema.check(child, join(path, key), issues);
    }
  }
}

export class ArraySchema<T> extends Schema<readonly T[]> {
  public readonly expected: string;
  constructor(private readonly item: Schema<T>, private readonly opts: { minItems?: number; unique?: boolean }) {
    super();
    this.expected = `a list of ${item.expected}${opts.minItems ? ` (at least ${opts.minItems})` : ''}`;
  }
  public check(value: unknown, path: string, issues: SchemaIssue[]): void {
    if (!Array.isArray(value)) {
      issues.push({ path, value, expected: this.expected });
      return;
    }
    if (this.opts.minItems !== undefined && value.length < this.opts.minItems) {
      issues.push({ path, value, expected: this.expected });
    }
    if (this.opts.unique && new Set(value.map((v) => JSON.stringify(v))).size !== value.length) {
      issues.push({ path, value, expected: `${this.expected} without duplicates` });
    }
    value.forEach((v, i) => this.item.check(v, `${path}[${i}]`, issues));
  }
}

export class RecordSchema<T> extends Schema<Readonly<Record<string, T>>> {
  public readonly expected: string;
  constructor(private readonly key: Schema<string>, private readonly item: Schema<T>) {
    super();
    this.expected = `a map of ${key.expected} to ${item.expected}`;
  }
  public check(value: unknown, path: string, issues: SchemaIssue[]): void {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      issues.push({ path, value, expected: this.expected });
      return;
    }
    for (const [k, v] of Object.entries(value)) {
      this.key.check(k, join(path, k), issues);
      this.item.check(v, join(path, k), issues);
    }
  }
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const HOSTNAME = /^(?=.{1,253}$)(\*\.)?[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$/;
// repository[:tag][@sha256:digest]; a tag or a digest is required (images are pinned).
const IMAGE = /^(?<repo>[a-z0-9]+([._-][a-z0-9]+)*(\.[a-z0-9-]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*)(:(?<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(@sha256:[a-f0-9]{64})?$/;
const MEMORY = /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/;
const CPU = /^([0-9]+m|[0-9]+(\.[0-9]{1,3})?)$/;
const DURATION = /^[0-9]+(s|m|h)$/;

/** Parses a Kubernetes memory quantity into bytes. */
export function memoryBytes(q: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q);
  if (!m) throw new Error(`not a memory quantity: '${q}'`);
  const mult: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };
  return Number(m[1]) * mult[m[2] ?? ''];
}

/** Parses a Kubernetes CPU quantity into millicores. */
export function cpuMillis(q: string): number {
  return q.endsWith('m') ? Number(q.slice(0, -1)) : Math.round(Number(q) * 1000);
}

/** True when a five-field cron expression is valid (numbers, ranges, lists, steps, `*`, month/day names). */
export function isValidCron(expr: unknown): boolean {
  if (typeof expr !== 'string') return false;
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5) return false;
  const names = [[], [], [], ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'], ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']];
  const bounds: Array<[number, number]> = [[0, 59], [0, 23], [1, 31], [1, 12], [0, 7]];
  return fields.every((field, i) => field.split(',').every((part) => {
    const [range, step, extra] = part.split('/');
    if (extra !== undefined) return false;
    if (step !== undefined && !/^[1-9][0-9]*$/.test(step)) return false;
    if (range === '*') return true;
    const toNum = (s: string): number => {
      const idx = (names[i] as string[]).indexOf(s.toLowerCase());
      if (idx >= 0) return i === 3 ? idx + 1 : idx;
      return /^[0-9]+$/.test(s) ? Number(s) : NaN;
    };
    const ends = range.split('-');
    if (ends.length > 2) return false;
    const nums = ends.map(toNum);
    if (nums.some((n) => Number.isNaN(n) || n < bounds[i][0] || n > bounds[i][1])) return false;
    return nums.length === 1 || nums[0] <= nums[1];
  }));
}

/** Splits `repo:tag` (tag required unless a digest is given). */
export function parseImage(image: string): { repository: string; tag: string } {
  const m = IMAGE.exec(image);
  if (!m?.groups) throw new Error(`not an image reference: '${image}'`);
  return { repository: m.groups.repo, tag: m.groups.tag ?? '' };
}

/** Schema builders. */
export const s = {
  object: <S extends Shape>(shape: S): ObjectSchema<S> => new ObjectSchema(shape),
  array: <T>(item: Schema<T>, opts: { minItems?: number; unique?: boolean } = {}): ArraySchema<T> => new ArraySchema(item, opts),
  record: <T>(key: Schema<string>, item: Schema<T>): RecordSchema<T> => new RecordSchema(key, item),
  /** A string, number or boolean (e.g. a postgresql.conf setting). */
  scalar: (): Schema<string | number | boolean> => new PredicateSchema('a string, number or boolean', (v) => ['string', 'number', 'boolean'].includes(typeof v) && (typeof v !== 'number' || Number.isFinite(v))),
  boolean: (): Schema<boolean> => new PredicateSchema('true or false', (v) => typeof v === 'boolean'),
  int: (opts: { min?: number; max?: number } = {}): Schema<number> => {
    const range = [opts.min !== undefined ? `>= ${opts.min}` : '', opts.max !== undefined ? `<= ${opts.max}` : ''].filter(Boolean).join(' and ');
    return new PredicateSchema(`an integer${range ? ' ' + range : ''}`, (v) =>
      typeof v === 'number' && Number.isInteger(v) && (opts.min === undefined || v >= opts.min) && (opts.max === undefined || v <= opts.max));
  },
  string: (opts: { pattern?: RegExp; description?: string; minLength?: number } = {}): Schema<string> =>
    new PredicateSchema(opts.description ?? (opts.pattern ? `a string matching ${opts.pattern}` : 'a string'), (v) =>
      typeof v === 'string' && v.length >= (opts.minLength ?? 0) && (!opts.pattern || opts.pattern.test(v))),
  enum: <T extends string>(values: readonly T[]): Schema<T> =>
    new PredicateSchema(`one of ${values.map((x) => `'${x}'`).join(', ')}`, (v) => typeof v === 'string' && (values as readonly string[]).includes(v)),
  /** A DNS-1123 label: lowercase alphanumerics and '-', at most 63 characters. */
  dnsLabel: (): Schema<string> => new PredicateSchema('a DNS-1123 label (lowercase letters, digits and \'-\', 1-63 characters, starting and ending alphanumeric)', (v) => typeof v === 'string' && DNS_LABEL.test(v)),
  /** A fully qualified host name such as `api.example.com`. */
  hostname: (): Schema<string> => new PredicateSchema('a fully qualified DNS host name such as api.example.com (lowercase, at least two labels)', (v) => typeof v === 'string' && HOSTNAME.test(v)),
  /** A pinned image reference: `repo:tag` or `repo@sha256:...`, never `latest`. */
  image: (): Schema<string> => new PredicateSchema("an image reference pinned to a version, like 'postgres:15.13' or 'repo@sha256:<digest>' (not 'latest', not untagged)", (v) => {
    if (typeof v !== 'string') return false;
    const m = IMAGE.exec(v);
    if (!m?.groups) return false;
    const pinnedByDigest = v.includes('@sha256:');
    return pinnedByDigest || (m.groups.tag !== undefined && m.groups.tag !== 'latest');
  }),
  memory: (): Schema<string> => new PredicateSchema("a memory quantity such as '256Mi', '1Gi' or '512M'", (v) => typeof v === 'string' && MEMORY.test(v) && memoryBytes(v) > 0),
  cpu: (): Schema<string> => new PredicateSchema("a CPU quantity such as '250m' or '1.5'", (v) => typeof v === 'string' && CPU.test(v) && cpuMillis(v) > 0),
  cron: (): Schema<string> => new PredicateSchema("a five-field cron expression such as '0 2 * * *' (minute hour day-of-month month day-of-week)", isValidCron),
  duration: (): Schema<string> => new PredicateSchema("a duration such as '30s', '5m' or '1h'", (v) => typeof v === 'string' && DURATION.test(v)),
  url: (): Schema<string> => new PredicateSchema('an http(s) URL without credentials, such as https://example.com', (v) => {
    if (typeof v !== 'string') return false;
    try {
      const u = new URL(v);
      return (u.protocol === 'https:' || u.protocol === 'http:') && !u.username && !u.password;
    } catch {
      return false;
    }
  }),
  cidr: (): Schema<string> => new PredicateSchema("an IPv4 or IPv6 CIDR such as '10.0.0.0/8'", (v) => typeof v === 'string' && isCidr(v)),
  email: (): Schema<string> => new PredicateSchema('an e-mail address such as ops@example.com', (v) => typeof v === 'string' && /^[^@\s]+@[a-z0-9.-]+\.[a-z]{2,}$/i.test(v)),
  /** A browser origin: scheme, host and optional port, no path. */
  origin: (): Schema<string> => new PredicateSchema("an origin such as 'https://app.example.com' (scheme, host, optional port, no path)", (v) => typeof v === 'string' && /^https?:\/\/[a-z0-9.-]+(:[0-9]{1,5})?$/.test(v)),
  awsRegion: (): Schema<string> => new PredicateSchema("an AWS region such as 'eu-west-1'", (v) => typeof v === 'string' && /^[a-z]{2}(-gov)?-[a-z]+-[0-9]$/.test(v)),
  /** An AWS IAM role ARN (for IRSA). */
  iamRoleArn: (): Schema<string> => new PredicateSchema("an IAM role ARN such as 'arn:aws:iam::123456789012:role/name'", (v) => typeof v === 'string' && /^arn:aws[a-z-]*:iam::[0-9]{12}:role\/[\w+=,.@\/-]{1,512}$/.test(v)),
};

function isCidr(v: string): boolean {
  const [ip, bits, extra] = v.split('/');
  if (extra !== undefined || bits === undefined || !/^[0-9]{1,3}$/.test(bits)) return false;
  if (ip.includes(':')) return /^[0-9a-f:]+$/i.test(ip) && Number(bits) <= 128;
  const octets = ip.split('.');
  return octets.length === 4 && octets.every((o) => /^[0-9]{1,3}$/.test(o) && Number(o) <= 255) && Number(bits) <= 32;
}

/** Thrown when a configuration does not match its schema. Lists every problem. */
export class ConfigError extends Error {
  constructor(public readonly source: string, public readonly issues: readonly SchemaIssue[]) {
    super(`Invalid configuration '${source}' (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n` +
      issues.map((i) => `  - ${i.path}: got ${describe(i.value)}; expected ${i.expected}`).join('\n'));
    this.name = 'ConfigError';
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  return json.length > 80 ? json.slice(0, 77) + '...' : json;
}

/** Validates `value` against `schema`, throwing a {@link ConfigError} that lists every problem. */
export function validate<T>(schema: Schema<T>, value: unknown, source: string): T {
  const issues: SchemaIssue[] = [];
  schema.check(value, '', issues);
  if (issues.length > 0) throw new ConfigError(source, issues);
  return value as T;
}
