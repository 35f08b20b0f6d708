import { describe, expect, it } from 'vitest';
import { jsonSerde, type Serde, stringSerde } from '../../../streams/runtime/serdes.js';
import { keyValueStoreSpec } from '../../../streams/runtime/topology.js';
import { MemoryBytesStore } from '../../../streams/state/bytes-store.js';
import { CachedKeyValueStore } from '../../../streams/state/key-value-store.js';

interface Counter {
  n: number;
}

/** JSON, counting how often a value had to be decoded. */
function countingSerde(): Serde<Counter> & { decodes: number } {
  const json = jsonSerde<Counter>();
  const s = {
    decodes: 0,
    serialize: (topic: string, v: Counter) => json.serialize(topic, v),
    deserialize: (topic: string, b: Buffer) => {
      s.decodes++;
      return json.deserialize(topic, b);
    },
  };
  return s;
}

function store(serde: Serde<Counter>, decodedCacheMaxBytes = 1 << 20): CachedKeyValueStore<string, Counter> {
  return new CachedKeyValueStore(
    keyValueStoreSpec<string, Counter>('s', { keySerde: stringSerde, valueSerde: serde, decodedCacheMaxBytes }),
    new MemoryBytesStore(),
  );
}

async function commit(s: CachedKeyValueStore<string, Counter>): Promise<void> {
  await s.prepareCommit();
  await s.applyCommit();
}

describe('decoded-state cache of a key-value store', () => {
  it('serves a value committed earlier without decoding it', async () => {
    const serde = countingSerde();
    const s = store(serde);
    s.put('h', { n: 1 });
    await commit(s);
    for (let i = 2; i < 10; i++) {
      const v = (await s.get('h'))!;
      v.n = i;
      s.put('h', v);
      await commit(s);
    }
    expect(await s.get('h')).toEqual({ n: 9 });
    expect(serde.decodes).toBe(0);
  });

  it('never serves what an aborted commit wrote, nor a mutation that was not put', async () => {
    const serde = countingSerde();
    const s = store(serde);
    s.put('h', { n: 1 });
    await commit(s);
    // mutated and put, then the commit fails
    const a = (await s.get('h'))!;
    a.n = 2;
    s.put('h', a);
    await s.prepareCommit();
    s.abort();
    expect(await s.get('h')).toEqual({ n: 1 });
    // mutated and never put (e.g. the processor threw half-way)
    await commit(s);
    const b = (await s.get('h'))!;
    b.n = 3;
    s.abort();
    expect(await s.get('h')).toEqual({ n: 1 });
    // each of the three reads after a discarded object decoded the committed bytes afresh
    expect(serde.decodes).toBe(3);
  });

  it('stays within its budget and forgets everything on restore', async () => {
    const serde = countingSerde();
    // twice the encoded size (~8 bytes) per kept value: room for about six values
    const s = store(serde, 100);
    for (let i = 0; i < 20; i++) s.put(`h${i}`, { n: i });
    await commit(s);
    for (let i = 0; i < 20; i++) expect(await s.get(`h${i}`)).toEqual({ n: i });
    expect(serde.decodes).toBeGreaterThanOrEqual(14);
    const before = serde.decodes;
    s.put('h19', { n: 19 });
    await commit(s);
    await s.restore([{ key: Buffer.from('h19'), value: Buffer.from('{"n":42}') }]);
    expect(await s.get('h19')).toEqual({ n: 42 });
    expect(serde.decodes).toBe(before + 1);
  });
});
