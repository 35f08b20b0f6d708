/**
 * Figures the reliability, security and fuzz tests leave behind for RELIABILITY.md: one JSON line
 * per fact under test-artifacts/reliability/, so the document is filled from a real run rather
 * than typed by hand.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const DIR = join(process.cwd(), 'test-artifacts', 'reliability');

export function recordFigure(file: string, fact: Record<string, unknown>): void {
  mkdirSync(DIR, { recursive: true });
  appendFileSync(join(DIR, `${file}.jsonl`), `${JSON.stringify({ at: new Date().toISOString(), ...fact })}\n`);
}
