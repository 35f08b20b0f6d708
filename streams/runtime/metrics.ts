/**
 * Prometheus metrics of the streams runtime (prom-client). Each StreamsApp owns a registry so
 * several apps in one process (tests, benches) never collide; `serveMetrics` exposes it.
 */
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DeadLetterReason } from './dead-letter.js';
import type { TaskMetricsSink } from './task-io.js';

export class StreamsMetrics {
  readonly registry = new Registry();
  readonly recordsIn: Counter<'processor'>;
  readonly recordsOut: Counter<'processor'>;
  readonly commitLatency: Histogram<'guarantee'>;
  readonly commits: Counter<'result'>;
  readonly recordsProduced: Counter<'topic'>;
  readonly decisions: Counter<'topic' | 'decision' | 'outcome'>;
  readonly consumerLag: Gauge<'topic' | 'partition'>;
  readonly restored: Counter<'store'>;
  readonly restoreRemaining: Gauge<'store' | 'task'>;
  readonly late: Counter;
  readonly deadLettered: Counter<'reason'>;
  readonly punctuationFailures: Counter<'processor'>;
  readonly fatalErrors: Counter;
  /**
   * Per-record counts are kept as plain numbers and added to the counters when they are read
   * (prom-client's `collect` hook runs on every `get()` and scrape): a labelled `inc()` per record
   * per node cost 6-12% of the runtime's CPU in the windowed benchmark.
   */
  private readonly pendingIn = new Map<string, number>();
  private readonly pendingOut = new Map<string, number>();

  constructor(applicationId: string) {
    this.registry.setDefaultLabels({ application: applicationId });
    const registers = [this.registry];
    this.recordsIn = new Counter({
      name: 'foreshadow_streams_records_in_total',
      help: 'Records received per topology node',
      labelNames: ['processor'],
      registers,
      collect: () => StreamsMetrics.flush(this.pendingIn, this.recordsIn),
    });
    this.recordsOut = new Counter({
      name: 'foreshadow_streams_records_out_total',
      help: 'Records forwarded per processor',
      labelNames: ['processor'],
      registers,
      collect: () => StreamsMetrics.flush(this.pendingOut, this.recordsOut),
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
    this.recordsProduced = new Counter({
      name: 'foreshadow_streams_records_produced_total',
      help: 'Output records committed per topic (changelogs excluded): e.g. shadow commands decided',
      labelNames: ['topic'],
      registers,
    });
    this.decisions = new Counter({
      name: 'foreshadow_decisions_total',
      help: 'Decisions committed by a processor (shadow creates, promotions, retirements, held, suppressed, advised, …), by output topic, decision and outcome',
      labelNames: ['topic', 'decision', 'outcome'],
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
    this.punctuationFailures = new Counter({
      name: 'foreshadow_streams_punctuation_failures_total',
      help: 'Punctuator runs that threw and were let go by the processing error handler (logged; nothing to dead-letter)',
      labelNames: ['processor'],
      registers,
    });
    this.fatalErrors = new Counter({
      name: 'foreshadow_streams_fatal_errors_total',
      help: 'Errors the app stopped on for good (its owner restarts it)',
      registers,
    });
  }

  private static flush(pending: Map<string, number>, counter: Counter<'processor'>): void {
    for (const [processor, n] of pending) if (n > 0) counter.inc({ processor }, n);
    pending.clear();
  }

  taskSink(): TaskMetricsSink {
    const bump = (m: Map<string, number>, p: string): void => {
      m.set(p, (m.get(p) ?? 0) + 1);
    };
    return {
      recordIn: (p) => bump(this.pendingIn, p),
      recordOut: (p) => bump(this.pendingOut, p),
      late: () => this.late.inc(),
      deadLetter: (reason: DeadLetterReason) => this.deadLettered.inc({ reason }),
      punctuationFailed: (processor: string) => this.punctuationFailures.inc({ processor }),
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
