/**
 * Prometheus metrics of the streams runtime (prom-client). Each StreamsApp owns a registry so
 * several apps in one process (tests, benches) never collide; `serveMetrics` exposes it.
 */
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DeadLetterReason, TaskMetricsSink } from './task.js';

export class StreamsMetrics {
  readonly registry = new Registry();
  readonly recordsIn: Counter<'processor'>;
  readonly recordsOut: Counter<'processor'>;
  readonly commitLatency: Histogram<'guarantee'>;
  readonly commits: Counter<'result'>;
  readonly consumerLag: Gauge<'topic' | 'partition'>;
  readonly restored: Counter<'store'>;
  readonly restoreRemaining: Gauge<'store' | 'task'>;
  readonly late: Counter;
  readonly deadLettered: Counter<'reason'>;

  constructor(applicationId: string) {
    this.registry.setDefaultLabels({ application: applicationId });
    const registers = [this.registry];
    this.recordsIn = new Counter({
      name: 'foreshadow_streams_records_in_total',
      help: 'Records received per topology node',
      labelNames: ['processor'],
      registers,
    });
    this.recordsOut = new Counter({
      name: 'foreshadow_streams_records_out_total',
      help: 'Records forwarded per processor',
      labelNames: ['processor'],
      registers,
    });
    this.commitLatency = new Histogram({
      name: 'foreshadow_streams_commit_seconds',
      help: 'Duration of a task commit (outputs + changelog + offsets)',
      labelNames: ['guarantee'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.commits = new Counter({
      name: 'foreshadow_streams_commits_total',
      help: 'Task commits by result',
      labelNames: ['result'],
      registers,
    });
    this.consumerLag = new Gauge({
      name: 'foreshadow_streams_consumer_lag',
      help: 'Records between the last fetched offset and the partition end',
      labelNames: ['topic', 'partition'],
      registers,
    });
    this.restored = new Counter({
      name: 'foreshadow_streams_restored_records_total',
      help: 'Changelog records applied while restoring stores',
      labelNames: ['store'],
      registers,
    });
    this.restoreRemaining = new Gauge({
      name: 'foreshadow_streams_restore_remaining_records',
      help: 'Changelog records still to restore',
      labelNames: ['store', 'task'],
      registers,
    });
    this.late = new Counter({
      name: 'foreshadow_streams_late_records_total',
      help: 'Records beyond window grace, sent to the late topic',
      registers,
    });
    this.deadLettered = new Counter({
      name: 'foreshadow_streams_dead_letters_total',
      help: 'Records sent to a dead-letter topic',
      labelNames: ['reason'],
      registers,
    });
  }

  taskSink(): TaskMetricsSink {
    // Labelled children are cached: resolving labels on every record costs more than the count.
    const ins = new Map<string, { inc(): void }>();
    const outs = new Map<string, { inc(): void }>();
    const child = (m: Map<string, { inc(): void }>, c: Counter<'processor'>, p: string): { inc(): void } => {
      let x = m.get(p);
      if (!x) {
        x = c.labels({ processor: p });
        m.set(p, x);
      }
      return x;
    };
    return {
      recordIn: (p) => child(ins, this.recordsIn, p).inc(),
      recordOut: (p) => child(outs, this.recordsOut, p).inc(),
      late: () => this.late.inc(),
      deadLetter: (reason: DeadLetterReason) => this.deadLettered.inc({ reason }),
    };
  }
}

/** Serve `/metrics` on `port` (0 picks a free one); resolves with the listening server. */
export async function serveMetrics(registry: Registry, port: number, host = '0.0.0.0'): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    registry
      .metrics()
      .then((body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body))
      .catch((err: unknown) => res.writeHead(500).end(String(err)));
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return server;
}
