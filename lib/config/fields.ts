import { z } from 'zod';
import * as formats from '../core/formats';

/**
 * zod field builders for configuration schemas. Every builder carries the sentence a user sees
 * when a value is wrong ("expected ..."), taken from lib/core/formats where a format exists, so
 * config, constructs and checks describe a value the same way.
 */

/**
 * A string in one of the project's formats. The failure aborts the enclosing object's
 * refinements, so a cross-field rule never sees a malformed value.
 */
export function format(f: formats.Format): z.ZodString {
  return z.string({ error: f.expected }).refine((v) => f.test(v), { error: f.expected, abort: true });
}

export const dnsLabel = (): z.ZodString => format(formats.dnsLabel);
export const dnsSubdomain = (): z.ZodString => format(formats.dnsSubdomain);
export const hostname = (): z.ZodString => format(formats.hostname);
/** A pinned image reference: `repo:tag` or `repo@sha256:...`, never `latest`. */
export const image = (): z.ZodString => format(formats.pinnedImage);
export const memory = (): z.ZodString => format(formats.memory);
export const cpu = (): z.ZodString => format(formats.cpu);
export const cron = (): z.ZodString => format(formats.cron);
export const duration = (): z.ZodString => format(formats.duration);
export const url = (): z.ZodString => format(formats.url);
export const cidr = (): z.ZodString => format(formats.cidr);
export const vpcCidr = (): z.ZodString => format(formats.vpcCidr);
export const email = (): z.ZodString => format(formats.email);
export const origin = (): z.ZodString => format(formats.origin);
export const awsRegion = (): z.ZodString => format(formats.awsRegion);
export const iamRoleArn = (): z.ZodString => format(formats.iamRoleArn);
export const kmsKeyId = (): z.ZodString => format(formats.kmsKeyId);
export const awsMessagingName = (): z.ZodString => format(formats.awsMessagingName);
export const sesIdentity = (): z.ZodString => format(formats.sesIdentity);
export const s3Bucket = (): z.ZodString => format(formats.s3Bucket);
export const pgIdentifier = (): z.ZodString => format(formats.pgIdentifier);
export const labelKey = (): z.ZodString => format(formats.labelKey);
export const labelValue = (): z.ZodString => format(formats.labelValue);

/** A string matching `pattern`, described by `expected` in messages. */
export function pattern(re: RegExp, expected: string): z.ZodString {
  return z.string({ error: expected }).refine((v) => re.test(v), { error: expected, abort: true });
}

/** An integer in an optional range; the message states the range. */
export function int(opts: { readonly min?: number; readonly max?: number } = {}): z.ZodNumber {
  const range = [opts.min !== undefined ? `>= ${opts.min}` : '', opts.max !== undefined ? `<= ${opts.max}` : '']
    .filter(Boolean)
    .join(' and ');
  const expected = `an integer${range ? ' ' + range : ''}`;
  let schema = z.number({ error: expected }).int({ error: expected });
  if (opts.min !== undefined) schema = schema.min(opts.min, { error: expected });
  if (opts.max !== undefined) schema = schema.max(opts.max, { error: expected });
  return schema;
}

export const boolean = (): z.ZodBoolean => z.boolean({ error: 'true or false' });

/** One of a fixed set of strings. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T): z.ZodEnum<{ [K in T[number]]: K }> {
  return z.enum(values, { error: `one of ${values.map((v) => `'${v}'`).join(', ')}` });
}

/** A string, number or boolean (e.g. a postgresql.conf setting). */
export const scalar = (): z.ZodUnion<[z.ZodString, z.ZodNumber, z.ZodBoolean]> =>
  z.union([z.string(), z.number().finite(), z.boolean()], { error: 'a string, number or boolean' });

/**
 * A strict object: an unknown key is an error naming the keys allowed there (a typo never
 * silently does nothing).
 */
export function object<S extends z.ZodRawShape>(shape: S): z.ZodObject<S, z.core.$strict> {
  const keys = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (iss) => (iss.code === 'unrecognized_keys' ? `no such key; allowed keys here: ${keys}` : `an object with keys ${keys}`),
  });
}

/** A list, optionally with a minimum length and without duplicates. */
export function list<T extends z.ZodType>(
  item: T,
  opts: { readonly minItems?: number; readonly unique?: boolean } = {},
): z.ZodType<Array<z.output<T>>, Array<z.input<T>>> {
  const expected = `a list${opts.minItems ? ` of at least ${opts.minItems}` : ''}`;
  let schema: z.ZodType<Array<z.output<T>>, Array<z.input<T>>> = z.array(item, { error: expected });
  if (opts.minItems !== undefined) schema = (schema as z.ZodArray<T>).min(opts.minItems, { error: expected });
  if (opts.unique)
    schema = schema.refine((v) => new Set(v.map((x) => JSON.stringify(x))).size === v.length, { error: `${expected} without duplicates` });
  return schema;
}

/** A map from keys in a format to values. */
export function record<K extends z.ZodString, V extends z.ZodType>(key: K, value: V): z.ZodRecord<K, V> {
  return z.record(key, value, { error: 'a map' });
}
