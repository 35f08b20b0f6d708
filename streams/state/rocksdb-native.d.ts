/** Types for the parts of rocksdb-native (which ships none) that the RocksDB store uses. */
declare module 'rocksdb-native' {
  interface RocksDBReadBatch {
    get(key: Buffer): Promise<Buffer | null>;
    flush(): Promise<void>;
    tryFlush(): void;
  }
  interface RocksDBWriteBatch {
    put(key: Buffer, value: Buffer): void;
    delete(key: Buffer): void;
    deleteRange(start: Buffer, end: Buffer): void;
    flush(): Promise<void>;
  }
  interface RocksDBEntry {
    key: Buffer;
    value: Buffer;
  }
  class RocksDB {
    constructor(path: string, options?: Record<string, unknown>);
    ready(): Promise<void>;
    close(options?: { force?: boolean }): Promise<void>;
    read(options?: Record<string, unknown>): RocksDBReadBatch;
    write(options?: Record<string, unknown>): RocksDBWriteBatch;
    iterator(
      range: { gte?: Buffer; lt?: Buffer },
      options?: { capacity?: number; reverse?: boolean; limit?: number; values?: boolean },
    ): AsyncIterable<RocksDBEntry>;
  }
  export = RocksDB;
}
