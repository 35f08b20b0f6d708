/**
 * Metric ingest, in two steps around a repartition by host:
 *   metrics.raw (any agent format, key = host or absent)
 *     -> metric-parse: detect the format, parse, validate (stateless), key by host
 *     -> <app>-parsed-repartition (JSON ParsedSample, key = host)
 *     -> metric-ingest: counters -> rates, aggregation, final range checks
 *     -> metrics.samples (canonical Avro HostSample, key = host).
 * The repartition matters because agents rarely key by host (Telegraf, collectd and the OTel
 * Collector default to no key): counter state must live on the task that owns the host.
 *
 * Store `metric-ingest-counters` (key = host): the last reading of every cumulative counter of the
 * host, so counters become per-second rates across records and across restarts.
 * Time: samples keep the agent's timestamp; the wall clock only judges "in the future" / "too old".
 * Rejections (unparseable, no host, NaN, negative utilisation, future timestamps...) are thrown as
 * VALIDATION_FAILED, which the runtime writes to metrics.raw.dlq with the reason in x-dlq-error;
 * the rare rejection only visible after rate conversion lands in the repartition topic's .dlq.
 * The counter store is only written once the whole record has passed.
 */
import type { HostSample } from '../../../schemas/records/host-sample.js';
import { ForeshadowError } from '../../runtime/errors.js';
import type { Processor, ProcessorContext } from '../../runtime/processor.js';
import { StreamRecord } from '../../runtime/record.js';
import type { KeyValueStore } from '../../state/store.js';
import { COUNTER_STORE } from './names.js';
import { type CounterState, normaliseSample, validateParsed } from './normalise.js';
import { type MetricIngestOptions, metricIngestOptions } from './options.js';
import { type AvroDecoder, parseRaw } from './parse-raw.js';
import { IngestRejection, type ParsedSample } from './types.js';

/** Step 1: raw bytes -> validated ParsedSamples keyed by host. Stateless. */
export class MetricParseProcessor implements Processor<Buffer | null, Buffer, string, ParsedSample> {
  private ctx!: ProcessorContext<string, ParsedSample>;
  private readonly opts: MetricIngestOptions;

  constructor(
    options: Partial<MetricIngestOptions> = {},
    private readonly decodeAvro?: AvroDecoder,
  ) {
    this.opts = metricIngestOptions(options);
  }

  init(ctx: ProcessorContext<string, ParsedSample>): void {
    this.ctx = ctx;
  }

  async process(record: StreamRecord<Buffer | null, Buffer>): Promise<void> {
    if (record.value === null || record.value === undefined)
      throw reject(new IngestRejection('empty record (no value)'));
    const now = this.ctx.wallClockTime();
    let parsed: ParsedSample[];
    try {
      parsed = await parseRaw(record.value, now, this.decodeAvro);
      for (const p of parsed) {
        // A record without a host in its payload may still be keyed by host (plain agents).
        if (p.host === '' && record.key !== null && record.key.length > 0) p.host = record.key.toString('utf8');
        validateParsed(p, now, this.opts);
      }
    } catch (err: unknown) {
      if (err instanceof IngestRejection) throw reject(err);
      throw err;
    }
    // Forward only once the whole record passed: a record is accepted or rejected as a unit.
    for (const p of parsed) this.ctx.forward(new StreamRecord(p.host, p, p.timestamp));
  }
}

/** Step 2: ParsedSample (key = host) -> HostSample, with the host's counter state. */
export class MetricIngestProcessor implements Processor<string, ParsedSample, string, HostSample> {
  private ctx!: ProcessorContext<string, HostSample>;
  private counters!: KeyValueStore<string, CounterState>;
  private readonly opts: MetricIngestOptions;

  constructor(options: Partial<MetricIngestOptions> = {}) {
    this.opts = metricIngestOptions(options);
  }

  init(ctx: ProcessorContext<string, HostSample>): void {
    this.ctx = ctx;
    this.counters = ctx.getKeyValueStore<string, CounterState>(COUNTER_STORE);
  }

  async process(record: StreamRecord<string, ParsedSample>): Promise<void> {
    const parsed = record.value;
    const counters = (await this.counters.get(parsed.host)) ?? {};
    let result: ReturnType<typeof normaliseSample>;
    try {
      result = normaliseSample(parsed, counters, this.ctx.wallClockTime(), this.opts);
    } catch (err: unknown) {
      if (err instanceof IngestRejection) throw reject(err);
      throw err;
    }
    this.counters.put(parsed.host, result.counters);
    // A first counter reading yields no rate yet: nothing to publish for that record.
    if (Object.keys(result.sample.metrics).length > 0) {
      this.ctx.forward(new StreamRecord(parsed.host, result.sample, result.sample.timestamp));
    }
  }
}

function reject(err: IngestRejection): ForeshadowError {
  return new ForeshadowError('VALIDATION_FAILED', `rejected ${err.format ?? 'raw'} record: ${err.reason}`, {
    cause: err,
    context: { reason: err.reason, format: err.format ?? 'unknown' },
  });
}
