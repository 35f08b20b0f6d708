/**
 * Watches a windowed-aggregation output topic with read_committed and says when every input
 * record is reflected in visible output: for each (key, window start) it keeps the latest count,
 * and the run is complete when those counts add up to the number of input records. This works the
 * same whether an engine emits every update (Quix `.current()`), cache-compacted updates (Kafka
 * Streams) or one final result per window, and needs no end marker in the input.
 */
import { randomUUID } from 'node:crypto';
import { benchKafka, deleteGroups } from './kafka.js';

export interface WindowedOutput {
  key: string;
  start: number;
  count: number;
  mean: number;
}

export interface WatchResult {
  /** Epoch ms when the first output record became visible. */
  firstVisibleAt: number | undefined;
  /** Epoch ms when the counts reached the input total; undefined on timeout. */
  completeAt: number | undefined;
  outputRecords: number;
  countedRecords: number;
  windows: number;
}

export interface OutputWatcher {
  /** Resolves on completion or at the deadline. */
  done: Promise<WatchResult>;
  stop(): Promise<void>;
}

function parse(value: Buffer | null): WindowedOutput | undefined {
  if (!value) return undefined;
  try {
    const v = JSON.parse(value.toString('utf8')) as Partial<WindowedOutput>;
    if (typeof v.key !== 'string' || typeof v.start !== 'number' || typeof v.count !== 'number') return undefined;
    return v as WindowedOutput;
  } catch {
    return undefined;
  }
}

export async function watchOutput(
  brokers: string[],
  topic: string,
  expected: number,
  timeoutMs: number,
  stallMs = 120_000,
): Promise<OutputWatcher> {
  const groupId = `${topic}.watch.${randomUUID().slice(0, 6)}`;
  const consumer = benchKafka(brokers, 'bench-watcher').consumer({
    groupId,
    readUncommitted: false,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  // Wait for the group join (the broker delays a new group's first join by up to 3 s), so the
  // engine under test never finishes before the watcher can see it.
  const joined = new Promise<void>((resolve) => {
    const off = consumer.on(consumer.events.GROUP_JOIN, () => {
      off();
      resolve();
    });
  });
  const latest = new Map<string, number>();
  const result: WatchResult = {
    firstVisibleAt: undefined,
    completeAt: undefined,
    outputRecords: 0,
    countedRecords: 0,
    windows: 0,
  };
  let total = 0;
  let finish: (r: WatchResult) => void = () => {};
  const done = new Promise<WatchResult>((resolve) => {
    finish = resolve;
  });
  const timer = setTimeout(() => finish({ ...result, countedRecords: total, windows: latest.size }), timeoutMs);
  // No new output for this long means the engine is stuck (or dropped records): give up early.
  let lastOutputAt = Date.now();
  const stall = setInterval(() => {
    if (Date.now() - lastOutputAt > stallMs) finish({ ...result, countedRecords: total, windows: latest.size });
  }, 1_000);
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      const now = Date.now();
      lastOutputAt = now;
      result.firstVisibleAt ??= now;
      for (const m of batch.messages) {
        result.outputRecords++;
        const v = parse(m.value);
        if (!v) continue;
        const id = `${v.key}@${v.start}`;
        total += v.count - (latest.get(id) ?? 0);
        latest.set(id, v.count);
      }
      if (total >= expected && result.completeAt === undefined) {
        result.completeAt = now;
        clearTimeout(timer);
        clearInterval(stall);
        finish({ ...result, countedRecords: total, windows: latest.size });
      }
    },
  });
  await joined;
  return {
    done,
    stop: async () => {
      clearTimeout(timer);
      clearInterval(stall);
      await consumer.disconnect();
      await deleteGroups(brokers, [groupId]);
    },
  };
}
