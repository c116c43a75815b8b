import { z } from 'zod';

/** One configuration problem. */
export interface ConfigIssue {
  /** File the value comes from, e.g. `config/dev.ts`. @default - the ConfigError's source */
  readonly file?: string;
  /** Dotted path of the offending field, e.g. `stacks.wondernest.api.replicas`. */
  readonly path: string;
  /** The value found there. */
  readonly value: unknown;
  /** What is allowed. */
  readonly expected: string;
}

/** Thrown when configuration does not match its schema; lists every problem, one per line. */
export class ConfigError extends Error {
  constructor(
    public readonly source: string,
    public readonly issues: readonly ConfigIssue[],
  ) {
    super(
      `Invalid configuration '${source}' (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n` +
        issues.map((i) => `  - ${i.file ? `${i.file}: ` : ''}${i.path}: got ${describeValue(i.value)}; expected ${i.expected}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/** A value as shown in a message: JSON, shortened; `nothing` for a missing value. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  return json.length > 80 ? json.slice(0, 77) + '...' : json;
}

/** Dotted path of a zod path (`a.b[0].c`). */
export function dottedPath(path: ReadonlyArray<PropertyKey>, prefix = ''): string {
  return path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)),
    prefix,
  );
}

function valueAt(data: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let v = data;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/**
 * The problems of a zod parse as {@link ConfigIssue}s: each names the field's full path (under
 * `prefix`), the value found there (the issue's input when parsed with `reportInput`, else looked
 * up in `data`) and what is allowed. A missing required
 * value reads "a required value: ...", an unknown key is reported once per key.
 */
export function configIssues(error: z.ZodError, data: unknown, prefix = ''): ConfigIssue[] {
  return error.issues.flatMap((iss): ConfigIssue[] => {
    if (iss.code === 'unrecognized_keys') {
      return iss.keys.map((key) => ({
        path: dottedPath([...iss.path, key], prefix),
        value: valueAt(data, [...iss.path, key]),
        expected: iss.message,
      }));
    }
    const value = 'input' in iss ? iss.input : valueAt(data, iss.path);
    const missing = value === undefined && iss.code === 'invalid_type';
    return [{ path: dottedPath(iss.path, prefix), value, expected: missing ? `a required value: ${iss.message}` : iss.message }];
  });
}

/** Parses `data` with `schema`, throwing a {@link ConfigError} that lists every problem. */
export function parseConfig<S extends z.ZodType>(schema: S, data: unknown, source: string): z.output<S> {
  const result = schema.safeParse(data, { reportInput: true });
  if (!result.success) throw new ConfigError(source, configIssues(result.error, data));
  return result.data;
}
