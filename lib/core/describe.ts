/**
 * Text for a value `JSON.stringify` cannot show, in the "got <value>" part of an error message:
 * JSON gives nothing for a function or a symbol and throws on a bigint or on an object it cannot
 * serialize (a cycle, a bigint inside). Functions, symbols and bigints print as `String()` prints
 * them; an object prints as its tag (`[object Object]`, `[object Array]`), stated rather than left
 * to whatever its `toString` does.
 */
export function describeUnserializable(value: unknown): string {
  if (typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') return String(value);
  return Object.prototype.toString.call(value);
}
