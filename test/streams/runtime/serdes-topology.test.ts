import { describe, expect, it } from 'vitest';
import { windowedSerde } from '../../../streams/runtime/dsl/dsl-serdes.js';
import { bytesSerde, jsonSerde, numberSerde, stringSerde } from '../../../streams/runtime/serdes.js';
import { keyValueStoreSpec, Topology, windowStoreSpec } from '../../../streams/runtime/topology.js';

describe('serdes', () => {
  it('round-trip strings, JSON, bytes, numbers and windowed keys', async () => {
    expect(stringSerde.deserialize('t', stringSerde.serialize('t', 'hé') as Buffer)).toBe('hé');
    const json = jsonSerde<{ a: number[] }>();
    expect(json.deserialize('t', json.serialize('t', { a: [1, 2] }) as Buffer)).toEqual({ a: [1, 2] });
    expect(bytesSerde.deserialize('t', Buffer.from([1, 2]))).toEqual(Buffer.from([1, 2]));
    expect(numberSerde.deserialize('t', numberSerde.serialize('t', -42) as Buffer)).toBe(-42);
    const w = windowedSerde(stringSerde);
    expect(await w.deserialize('t', await w.serialize('t', { key: 'k', start: -5, end: 10 }))).toEqual({
      key: 'k',
      start: -5,
      end: 10,
    });
  });

  it('reject invalid input so the record is dead-lettered instead of silently mangled', () => {
    expect(() => stringSerde.deserialize('t', Buffer.from([0xff, 0xfe]))).toThrow();
    expect(() => jsonSerde().deserialize('t', Buffer.from('{nope'))).toThrow();
    const validated = jsonSerde<number>((v) => {
      if (typeof v !== 'number') throw new Error('not a number');
      return v;
    });
    expect(() => validated.deserialize('t', Buffer.from('"x"'))).toThrow(/not a number/);
    expect(() => numberSerde.deserialize('t', Buffer.from([1]))).toThrow(/8 bytes/);
  });
});

describe('Topology', () => {
  const src = { keySerde: stringSerde, valueSerde: stringSerde };

  it('describes the graph and names internal topics from the application id', () => {
    const t = new Topology('app-1')
      .addSource({ name: 'in', topics: ['a', 'b'], ...src })
      .addProcessor('p', () => ({ process: () => undefined }), ['in'])
      .addStateStore(keyValueStoreSpec('st', src), ['p'])
      .addSink({ name: 'out', topic: 'c', ...src }, ['p']);
    expect(t.sourceTopics()).toEqual(['a', 'b']);
    expect(t.changelogTopic('st')).toBe('app-1-st-changelog');
    expect(t.lateTopic()).toBe('app-1.late');
    expect(t.describe()).toContain('processor p stores(st) -> out');
  });

  it('rejects duplicate names, unknown parents, double-read topics and bad store names', () => {
    const t = new Topology('app-2').addSource({ name: 'in', topics: ['a'], ...src });
    expect(() => t.addSource({ name: 'in', topics: ['x'], ...src })).toThrow(/already exists/);
    expect(() => t.addSource({ name: 'in2', topics: ['a'], ...src })).toThrow(/read by sources/);
    expect(() => t.addProcessor('p', () => ({ process: () => undefined }), ['nope'])).toThrow(/unknown parent/);
    expect(() => keyValueStoreSpec('bad name', src)).toThrow(/store name/);
    expect(() => windowStoreSpec('w', { ...src, windowSizeMs: 10, retentionMs: 5 })).toThrow(/retention/);
    expect(() => new Topology('bad id!')).toThrow(/application id/);
  });
});
