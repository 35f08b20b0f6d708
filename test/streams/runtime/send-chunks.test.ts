import type { Message } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { chunkMessages, messageBytes } from '../../../streams/runtime/send-chunks.js';

const msg = (i: number, valueBytes: number): Message => ({
  key: Buffer.from(`k${i}`),
  value: Buffer.alloc(valueBytes, 1),
});

describe('chunkMessages', () => {
  it('keeps every produce call under the byte budget (a 100 MB commit never becomes one batch)', () => {
    // 1 000 changelog records of 100 KB each: one sendBatch of these exceeds message.max.bytes.
    const changelog = Array.from({ length: 1_000 }, (_, i) => msg(i, 100_000));
    const byTopic = new Map([['app-store-changelog', changelog]]);
    const chunks = [...chunkMessages(byTopic, { maxMessages: 500, maxBytes: 768 * 1024 })];
    for (const c of chunks) {
      const bytes = c.flatMap((t) => t.messages).reduce((s, m) => s + messageBytes(m), 0);
      expect(bytes).toBeLessThanOrEqual(768 * 1024);
    }
    // Order and completeness: concatenating the chunks gives back the input.
    const out = chunks.flatMap((c) => c.flatMap((t) => t.messages));
    expect(out).toEqual(changelog);
    expect(chunks.length).toBe(Math.ceil(1_000 / 7));
  });

  it('bounds messages per call and never repeats a topic within one call', () => {
    const byTopic = new Map([
      ['out', Array.from({ length: 1_200 }, (_, i) => msg(i, 10))],
      ['changelog', Array.from({ length: 300 }, (_, i) => msg(i, 10))],
    ]);
    const chunks = [...chunkMessages(byTopic, { maxMessages: 500, maxBytes: 10_000_000 })];
    expect(chunks.map((c) => c.reduce((s, t) => s + t.messages.length, 0))).toEqual([500, 500, 500]);
    for (const c of chunks) expect(new Set(c.map((t) => t.topic)).size).toBe(c.length);
    expect(chunks[2]!.map((t) => t.topic)).toEqual(['out', 'changelog']);
  });

  it('sends a single oversized message alone rather than dropping or looping on it', () => {
    const byTopic = new Map([['t', [msg(0, 10), msg(1, 2_000_000), msg(2, 10)]]]);
    const chunks = [...chunkMessages(byTopic, { maxMessages: 500, maxBytes: 768 * 1024 })];
    expect(chunks.map((c) => c[0]!.messages.length)).toEqual([1, 1, 1]);
  });

  it('counts headers in the estimate', () => {
    expect(messageBytes({ key: 'a', value: 'b', headers: { 'x-dlq-error': 'e'.repeat(1000) } })).toBeGreaterThan(1000);
  });
});
