/**
 * The metadata committed with each input offset: the task's stream time (`{"st":…}`), so a task
 * that is rewound or moves to another instance judges lateness exactly as before.
 */
export function offsetMetadata(streamTime: number): string {
  return JSON.stringify({ st: streamTime });
}

/** The stream time in committed offset metadata, if it holds one. */
export function streamTimeOf(metadata: string | null | undefined): number | undefined {
  if (!metadata) return undefined;
  try {
    const parsed: unknown = JSON.parse(metadata);
    if (parsed === null || typeof parsed !== 'object') return undefined;
    const st = (parsed as { st?: unknown }).st;
    return typeof st === 'number' ? st : undefined;
  } catch {
    return undefined;
  }
}
