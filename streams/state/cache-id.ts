/**
 * Cache identities of typed keys: the stores' caches (write cache, read caches, read-ahead) are
 * keyed by these strings, so a lookup needs no serialisation. Strings, the common case, avoid JSON work.
 */
export function cacheId(key: unknown): string {
  if (typeof key === 'string') return `s${key}`;
  if (typeof key === 'number') return `n${key}`;
  if (Buffer.isBuffer(key)) return `b${key.toString('latin1')}`;
  return `j${JSON.stringify(key)}`;
}

/** The identity of a key's window. */
export function windowCacheId(windowStart: number, key: unknown): string {
  return `${windowStart}@${cacheId(key)}`;
}

/** The window start a `windowCacheId` names. */
export function windowCacheIdStart(id: string): number {
  return Number(id.slice(0, id.indexOf('@')));
}
