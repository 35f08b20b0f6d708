/**
 * A YAML file read for validation: its plain value plus a way back from a value's path to the file
 * line it came from, so a configuration or inventory error names the field AND the line
 * (`foreshadow.yaml:14: shadows.enterThreshold: …`). The `yaml` package keeps each node's source
 * range; a LineCounter turns offsets into lines. Syntax errors are reported the same way, all of
 * them at once.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../streams/runtime/errors.js';

export type PathSegment = string | number;

export interface YamlSource {
  file: string;
  value: unknown;
  /** 1-based line of the value at `path`, or of its nearest ancestor present in the file. */
  lineOf(path: readonly PropertyKey[]): number;
}

/** One problem of a file, located. */
export interface SourceProblem {
  line: number;
  path: string;
  message: string;
}

function keyOf(node: unknown): string | undefined {
  if (isScalar(node)) return String(node.value);
  return undefined;
}

function startOf(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}

export function parseYamlSource(text: string, file: string): YamlSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => {
      const line = e.linePos?.[0].line ?? lines.linePos(e.pos[0]).line;
      return `${basename(file)}:${line}: ${e.message.split('\n')[0]}`;
    });
    throw new ConfigError(`${file} is not valid YAML:\n  ${problems.join('\n  ')}`, { file, problems });
  }
  const lineAt = (offset: number | undefined): number => (offset === undefined ? 1 : lines.linePos(offset).line);
  return {
    file,
    value: doc.toJS({ maxAliasCount: 100 }) as unknown,
    lineOf(path) {
      let node: unknown = doc.contents;
      let at = startOf(node);
      for (const segment of path) {
        if (isMap(node)) {
          const pair = node.items.find((p) => isPair(p) && keyOf(p.key) === String(segment));
          if (!pair) break;
          // The key's line reads best ("the line where `enterThreshold:` is").
          at = startOf(pair.key) ?? at;
          node = pair.value;
        } else if (isSeq(node) && typeof segment === 'number') {
          const item = node.items[segment];
          if (item === undefined) break;
          node = item;
          at = startOf(item) ?? at;
        } else break;
      }
      return lineAt(at);
    },
  };
}

export function readYamlSource(file: string): YamlSource {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err: unknown) {
    throw new ConfigError(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`, { file });
  }
  return parseYamlSource(text, file);
}

/** Dotted path as a user reads it: `actuators.redis.options.hosts`, `resources[3].host`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const s of path) out += typeof s === 'number' ? `[${s}]` : `${out ? '.' : ''}${String(s)}`;
  return out || '(top level)';
}

/** Locates zod issues found in the value at `prefix` of the file. */
export function locateIssues(
  source: YamlSource,
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[] = [],
): SourceProblem[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    // An unknown key is shown on its own line, one problem per key.
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((key) => ({
        line: source.lineOf([...path, key]),
        path: formatPath([...path, key]),
        message: 'unknown key',
      }));
    return [{ line: source.lineOf(path), path: formatPath(path), message: issue.message }];
  });
}

export function renderProblems(source: YamlSource, problems: readonly SourceProblem[]): string[] {
  return [...problems]
    .sort((a, b) => a.line - b.line)
    .map((p) => `${basename(source.file)}:${p.line}: ${p.path}: ${p.message}`);
}

/** A ConfigError listing every problem of the file, one per line, in file order. */
export function sourceError(source: YamlSource, what: string, problems: readonly SourceProblem[]): ConfigError {
  const lines = renderProblems(source, problems);
  return new ConfigError(
    `${source.file}: invalid ${what} (${lines.length} problem${lines.length === 1 ? '' : 's'}):\n  ${lines.join('\n  ')}`,
    { file: source.file, problems: lines },
  );
}
