/**
 * Format detection for records on metrics.raw: the bytes decide, the key is only a hint.
 * - Confluent wire format (magic byte 0, 4-byte schema id): Avro HostSample, decoded by the given
 *   registry decoder;
 * - JSON: an array of value lists = collectd write_kafka; an object with `resourceMetrics` = OTLP
 *   JSON (Collector kafka exporter, otlp_json); an object with `host` = Foreshadow JSON;
 * - anything else that is UTF-8 text: InfluxDB line protocol (Telegraf).
 */
import { isRetriable } from '../../runtime/errors.js';
import { parseCollectd } from './parse-collectd.js';
import { parseInflux } from './parse-influx.js';
import { parseJsonSample } from './parse-json.js';
import { parseOtlpJson } from './parse-otlp.js';
import { IngestRejection, type ParsedSample } from './types.js';

/** Decodes a Confluent-framed Avro value (registry lookup of the schema id). */
export type AvroDecoder = (data: Buffer) => Promise<unknown>;

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function isConfluentAvro(data: Buffer): boolean {
  return data.length > 5 && data[0] === 0;
}

/** Parses JSON or text formats (everything but Avro) synchronously. */
export function parseText(data: Buffer, now: number): ParsedSample[] {
  let text: string;
  try {
    text = utf8.decode(data);
  } catch {
    throw new IngestRejection('not UTF-8 text and not Confluent Avro: unrecognised format');
  }
  const trimmed = text.trim();
  if (trimmed === '') throw new IngestRejection('empty record');
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch (err: unknown) {
      throw new IngestRejection(`malformed JSON: ${err instanceof Error ? err.message : String(err)}`, 'json');
    }
    if (Array.isArray(json)) return parseCollectd(json);
    if (json !== null && typeof json === 'object' && 'resourceMetrics' in json) return parseOtlpJson(json);
    return [parseJsonSample(json, 'json')];
  }
  return parseInflux(trimmed, now);
}

export async function parseRaw(data: Buffer, now: number, decodeAvro?: AvroDecoder): Promise<ParsedSample[]> {
  if (isConfluentAvro(data)) {
    if (!decodeAvro) throw new IngestRejection('Avro record but no schema registry configured', 'avro');
    let decoded: unknown;
    try {
      decoded = await decodeAvro(data);
    } catch (err: unknown) {
      // Registry unreachable: retried by the runtime, not a verdict on the record.
      if (isRetriable(err)) throw err;
      throw new IngestRejection(`Avro decode failed: ${err instanceof Error ? err.message : String(err)}`, 'avro');
    }
    return [parseJsonSample(decoded, 'avro')];
  }
  return parseText(data, now);
}
