/**
 * Foreshadow's own program in the windowed-aggregation comparison, run as a child process like the
 * Kafka Streams and Quix programs so each engine is timed and its peak RSS read the same way:
 * per-key tumbling 60 s windows by event time (JSON field "ts"), count and mean of "value", every
 * update written as {"key","start","count","mean"} (emit 'on-update', as the peers do).
 *
 * Usage: foreshadow-peer.ts bootstrap input output applicationId eos|alos commitIntervalMs stateDir
 * Exits 3 with "NOT_AVAILABLE: <reason>" while the runtime's Kafka runner does not exist.
 */

import { parseFlagsOrExit } from '../../cli/args.js';
import { jsonSerde, stringSerde } from '../../streams/runtime/serdes.js';
import { StreamsBuilder } from '../../streams/runtime/streams-builder.js';
import { TimeWindows } from '../../streams/windows/windows.js';
import { probeRuntime } from './foreshadow-runtime.js';
import type { WindowedOutput } from './output-watcher.js';
import type { PeerSample } from './payload.js';

interface MeanAggregate {
  count: number;
  sum: number;
}

async function main(): Promise<void> {
  const usage = 'usage: foreshadow-peer.ts bootstrap input output applicationId eos|alos commitIntervalMs stateDir';
  const args = parseFlagsOrExit(process.argv.slice(2), {
    command: 'foreshadow-peer',
    usage,
    options: {},
    positionals: true,
  });
  const [bootstrap, input, output, applicationId, guarantee, commitMs, stateDir, extra] = args.positionals;
  if (!bootstrap || !input || !output || !applicationId || !guarantee || !commitMs || !stateDir || extra) {
    console.error(usage);
    process.exit(2);
  }
  const runtime = await probeRuntime();
  if (!runtime.ok) {
    console.log(`NOT_AVAILABLE: ${runtime.reason}`);
    process.exit(3);
  }
  // The runtime reads its connection from the environment (streams/runtime/config.ts).
  process.env.KAFKA_BROKERS = bootstrap;
  process.env.FORESHADOW_STATE_DIR = stateDir;

  const b = new StreamsBuilder(applicationId);
  b.stream<string, PeerSample>(input, {
    keySerde: stringSerde,
    valueSerde: jsonSerde<PeerSample>(),
    timestampExtractor: (r) => r.value.ts,
  })
    .groupByKey()
    .windowedBy(TimeWindows.of({ sizeMs: 60_000 }))
    .aggregate<MeanAggregate>({
      storeName: 'window-mean',
      initializer: () => ({ count: 0, sum: 0 }),
      aggregator: (_key, sample, agg) => ({ count: agg.count + 1, sum: agg.sum + sample.value }),
      valueSerde: jsonSerde<MeanAggregate>(),
      emit: 'on-update',
    })
    .map((wk, agg) => ({
      key: `${wk.key}@${wk.start}`,
      value: { key: wk.key, start: wk.start, count: agg.count, mean: agg.sum / agg.count } satisfies WindowedOutput,
    }))
    .to(output, { keySerde: stringSerde, valueSerde: jsonSerde<WindowedOutput>() });

  const app = new runtime.value(b.build(), {
    guarantee: guarantee === 'eos' ? 'exactly-once' : 'at-least-once',
    commitIntervalMs: Number(commitMs),
  });
  const stop = (): void => {
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  console.log(`STARTING ${Date.now()}`);
  await app.start();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
