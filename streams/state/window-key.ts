/**
 * Byte keys of window stores: the window start (8 bytes, sign-flipped big-endian so byte order is
 * numeric order), then the key bytes. Windows order by start first, so retention is one range deletion.
 */
const SIGN = 2n ** 63n;

export function encodeWindowKey(start: number, keyBytes: Buffer): Buffer {
  const b = Buffer.allocUnsafe(8 + keyBytes.length);
  b.writeBigUInt64BE(BigInt(start) + SIGN, 0);
  keyBytes.copy(b, 8);
  return b;
}

export function decodeWindowKey(b: Buffer): { start: number; keyBytes: Buffer } {
  return { start: Number(b.readBigUInt64BE(0) - SIGN), keyBytes: b.subarray(8) };
}

/** The smallest byte key of windows starting at `start`: a range bound. */
export function windowStartBound(start: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64BE(BigInt(start) + SIGN, 0);
  return b;
}
