/**
 * Late records: an input a processor reports as too late (its window closed) goes, bytes untouched,
 * to `<applicationId>.late` with headers saying who judged it late and against which stream time.
 */
import type { LateInfo } from './processor.js';
import type { OutgoingRecord, RawRecord } from './task-io.js';

export const LATE_HEADERS = {
  processor: 'x-late-processor',
  sourceTopic: 'x-late-source-topic',
  sourcePartition: 'x-late-source-partition',
  sourceOffset: 'x-late-source-offset',
  streamTime: 'x-late-stream-time',
  windowStart: 'x-late-window-start',
  windowEnd: 'x-late-window-end',
  reason: 'x-late-reason',
} as const;

export function lateRecord(
  raw: RawRecord,
  processor: string,
  info: LateInfo,
  streamTime: number,
  topic: string,
): OutgoingRecord {
  const headers: Record<string, string> = {
    ...raw.headers,
    [LATE_HEADERS.processor]: processor,
    [LATE_HEADERS.sourceTopic]: raw.topic,
    [LATE_HEADERS.sourcePartition]: String(raw.partition),
    [LATE_HEADERS.sourceOffset]: raw.offset,
    [LATE_HEADERS.streamTime]: String(streamTime),
  };
  if (info.windowStart !== undefined) headers[LATE_HEADERS.windowStart] = String(info.windowStart);
  if (info.windowEnd !== undefined) headers[LATE_HEADERS.windowEnd] = String(info.windowEnd);
  if (info.reason !== undefined) headers[LATE_HEADERS.reason] = info.reason;
  return { topic, key: raw.key, value: raw.value, timestamp: raw.timestamp, headers };
}
