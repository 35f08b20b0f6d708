/**
 * The plug between the suite and Foreshadow's runtime, which is being written alongside the suite.
 * The Kafka runner (`streams/runtime/streams-app.ts`) is loaded by path at run time rather than
 * imported, so the suite type-checks and reports "not available" (with the reason) until it exists,
 * and runs for real the first time it does, without an edit here.
 *
 * What the suite expects from the runtime, checked by `probeRuntime`:
 *   streams/runtime/streams-app.ts exports class StreamsApp with
 *     new StreamsApp(topology: Topology, options: { guarantee: 'exactly-once' | 'at-least-once',
 *                                                   commitIntervalMs?: number, ... })
 *     start(): Promise<void>   resolves once the app is consuming (it may also resolve at shutdown:
 *                              the suite does not wait on it to measure anything)
 *     close(): Promise<void>
 *   Brokers and the state directory come from the environment (KAFKA_BROKERS,
 *   FORESHADOW_STATE_DIR), as `streams/runtime/config.ts` reads them.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Topology } from '../../streams/runtime/topology.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export type Guarantee = 'exactly-once' | 'at-least-once';

export interface StreamsAppOptions {
  guarantee: Guarantee;
  commitIntervalMs?: number;
}

export interface RunningApp {
  start(): Promise<void>;
  close(): Promise<void>;
}

export type StreamsAppConstructor = new (topology: Topology, options: StreamsAppOptions) => RunningApp;

export type Probe<T> = { ok: true; value: T } | { ok: false; reason: string };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** Loads an export of a repository module by path; never throws, says why on failure. */
export async function loadExport(relativeTs: string, exportName: string): Promise<Probe<unknown>> {
  const file = join(REPO_ROOT, relativeTs);
  if (!existsSync(file)) return { ok: false, reason: `${relativeTs} does not exist yet` };
  let mod: unknown;
  try {
    // tsx resolves the .ts file behind the .js specifier, as for every relative import here.
    mod = await import(pathToFileURL(file.replace(/\.ts$/, '.js')).href);
  } catch (err: unknown) {
    return { ok: false, reason: `${relativeTs} failed to load: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (!isRecord(mod) || mod[exportName] === undefined)
    return { ok: false, reason: `${relativeTs} does not export ${exportName}` };
  return { ok: true, value: mod[exportName] };
}

export async function probeRuntime(): Promise<Probe<StreamsAppConstructor>> {
  const app = await loadExport('streams/runtime/streams-app.ts', 'StreamsApp');
  if (!app.ok) return app;
  if (typeof app.value !== 'function') return { ok: false, reason: 'StreamsApp is not a class' };
  const proto: unknown = (app.value as { prototype?: unknown }).prototype;
  if (!isRecord(proto) || typeof proto.start !== 'function' || typeof proto.close !== 'function') {
    return { ok: false, reason: 'StreamsApp has no start()/close() methods' };
  }
  return { ok: true, value: app.value as StreamsAppConstructor };
}
