// Message ids are unsigned 64-bit integers written as decimal strings. They are never
// turned into Numbers (which lose precision above 2^53): compared as BigInt, kept as text.

const DECIMAL = /^[0-9]{1,20}$/;

/** Whether `value` is a message id string as the node sends them. */
export function isId(value) {
  return typeof value === 'string' && DECIMAL.test(value);
}

/** -1, 0 or 1 as `a` is below, equal to or above `b` (both id strings). */
export function compareIds(a, b) {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The larger of two ids; either may be null. */
export function maxId(a, b) {
  if (a == null) return b ?? null;
  if (b == null) return a;
  return compareIds(a, b) >= 0 ? a : b;
}
