/**
 * The committed `schemas/<file>.avsc` files, generated from the record modules. Other tools read
 * them (the registry's users, Connect's JDBC sink, anyone with an Avro toolchain), so they are
 * kept in the tree; `foreshadow schemas --write` regenerates them and a unit test fails when one
 * differs from its declaration.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TOPICS } from '../streams/catalogue.js';
import type { RecordDefinition } from './record.js';

export const SCHEMA_DIR = dirname(fileURLToPath(import.meta.url));

/** Every record of the catalogue, once each, in catalogue order. */
export function catalogueRecords(): RecordDefinition[] {
  return [...new Set(TOPICS.flatMap((t) => (t.value ? [t.value] : [])))];
}

export function avscPath(record: RecordDefinition, dir: string = SCHEMA_DIR): string {
  return join(dir, `${record.file}.avsc`);
}

/** The records whose `.avsc` file is missing or differs from the declaration. */
export function staleAvscFiles(dir: string = SCHEMA_DIR): RecordDefinition[] {
  return catalogueRecords().filter((r) => {
    const path = avscPath(r, dir);
    return !existsSync(path) || readFileSync(path, 'utf8') !== r.text;
  });
}

/** Writes the stale `.avsc` files; returns the paths written. */
export function writeAvscFiles(dir: string = SCHEMA_DIR): string[] {
  return staleAvscFiles(dir).map((r) => {
    const path = avscPath(r, dir);
    writeFileSync(path, r.text);
    return path;
  });
}
