/**
 * `foreshadow dag-svg --region R [--input file.json] [--out file.svg]`: renders a region's
 * dependency DAG as SVG. With --input, the file holds a DAG document (docs/dag-format.md) or a
 * DependencyDag record whose `dag` field holds one; without it, the latest DAG of the region is
 * read from region.dependencies (Avro through the registry). Without --out the SVG goes to stdout.
 */
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import type { DependencyDag } from '../../schemas/records/dependency-dag.js';
import { DEPENDENCIES_TOPIC } from '../../streams/catalogue.js';
import { DAG_FORMAT, type DagDocument } from '../../streams/processors/dependency-map/dag.js';
import { renderDagSvg } from '../../streams/processors/dependency-map/svg.js';
import { loadConnection } from '../../streams/runtime/config.js';
import { ForeshadowError } from '../../streams/runtime/errors.js';
import { createKafka } from '../../streams/runtime/kafka-client.js';
import { avroSerde } from '../../streams/runtime/serdes.js';
import { numberFlag, parseFlags } from '../args.js';
import type { CliCommand } from '../command.js';

export interface DagSvgArgs {
  region?: string;
  input?: string;
  out?: string;
  topic: string;
  timeoutMs: number;
}

const FLAGS = {
  command: 'dag-svg',
  usage: 'usage: foreshadow dag-svg --region R [--input file.json] [--out file.svg] [--topic T] [--timeout-ms N]',
  options: {
    region: { type: 'string' },
    input: { type: 'string' },
    out: { type: 'string' },
    topic: { type: 'string' },
    'timeout-ms': { type: 'string' },
  },
} as const;

/** Throws UsageError on an unknown flag or a flag without its value. */
export function parseDagSvgArgs(args: readonly string[]): DagSvgArgs {
  const { values } = parseFlags(args, FLAGS);
  return {
    ...(values.region === undefined ? {} : { region: values.region }),
    ...(values.input === undefined ? {} : { input: values.input }),
    ...(values.out === undefined ? {} : { out: values.out }),
    topic: values.topic ?? DEPENDENCIES_TOPIC,
    timeoutMs: numberFlag(values['timeout-ms'], 'timeout-ms', FLAGS, { min: 1, integer: true }) ?? 15_000,
  };
}

function isDag(v: unknown): v is DagDocument {
  return typeof v === 'object' && v !== null && (v as { format?: unknown }).format === DAG_FORMAT;
}

/** A DAG document from JSON text: the document itself, a DependencyDag record, or a list of either. */
export function dagFromJson(text: string, region?: string): DagDocument {
  const parsed: unknown = JSON.parse(text);
  const candidates: unknown[] = Array.isArray(parsed) ? parsed : [parsed];
  const docs = candidates.map((c) => {
    if (isDag(c)) return c;
    if (typeof c === 'object' && c !== null && typeof (c as { dag?: unknown }).dag === 'string') {
      const inner: unknown = JSON.parse((c as { dag: string }).dag);
      if (isDag(inner)) return inner;
    }
    throw new ForeshadowError('VALIDATION_FAILED', `not a ${DAG_FORMAT} document or DependencyDag record`);
  });
  const matching = docs.filter((d) => region === undefined || d.region === region);
  const latest = matching.sort((a, b) => a.version - b.version).at(-1);
  if (!latest) throw new ForeshadowError('VALIDATION_FAILED', `no DAG for region ${region} in the input`);
  return latest;
}

/** The latest DAG of a region on the dependencies topic (read from the beginning; compacted). */
export async function latestDagFromKafka(region: string, topic: string, timeoutMs: number): Promise<DagDocument> {
  const conn = loadConnection();
  const kafka = createKafka(conn, 'foreshadow-dag-svg');
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const remaining = new Map(ends.filter((p) => p.high !== p.low).map((p) => [p.partition, BigInt(p.high)]));
  const serde = avroSerde<DependencyDag>();
  const consumer = kafka.consumer({ groupId: `foreshadow-dag-svg-${randomUUID()}`, readUncommitted: false });
  let latest: DependencyDag | undefined;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, timeoutMs);
      if (remaining.size === 0) {
        clearTimeout(timer);
        resolve();
        return;
      }
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            if (message.key?.toString('utf8') === region && message.value) {
              const rec = await serde.deserialize(topic, message.value);
              if (!latest || Number(rec.version) >= Number(latest.version)) latest = rec;
            }
            const end = remaining.get(partition);
            if (end !== undefined && BigInt(message.offset) + 1n >= end) remaining.delete(partition);
            if (remaining.size === 0) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  if (!latest) throw new ForeshadowError('VALIDATION_FAILED', `no DAG for region ${region} on ${topic}`);
  return dagFromJson(latest.dag, region);
}

export const command: CliCommand = {
  summary: 'render a region dependency DAG as SVG: --region R [--input file.json] [--out file.svg]',
  async run(args) {
    const opts = parseDagSvgArgs(args);
    if (!opts.input && !opts.region) {
      console.error(FLAGS.usage);
      return 2;
    }
    const dag = opts.input
      ? dagFromJson(await readFile(opts.input, 'utf8'), opts.region)
      : await latestDagFromKafka(opts.region!, opts.topic, opts.timeoutMs);
    const svg = renderDagSvg(dag);
    if (opts.out) {
      await writeFile(opts.out, svg, 'utf8');
      console.error(
        `dag-svg: ${dag.region} v${dag.version}: ${dag.nodes.length} services, ${dag.edges.length} edges, ${dag.cycles.length} cycles, ${dag.levels.length} levels -> ${opts.out}`,
      );
    } else {
      process.stdout.write(`${svg}\n`);
    }
    return 0;
  },
};
