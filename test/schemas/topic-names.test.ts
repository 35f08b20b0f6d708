/**
 * Every topic name in production code comes from the catalogue (streams/catalogue.ts exports one
 * constant per topic): a literal elsewhere is a second definition that a rename would miss.
 * `hosts` and `deployments` are ordinary words too (node names, flags), so only the dotted names
 * are looked for.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TOPICS } from '../../streams/catalogue.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PRODUCTION = ['streams', 'sinks', 'api', 'cli', 'demo', 'bench', 'connectors', 'schemas'];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

describe('topic names', () => {
  it('appear as string literals only in the catalogue', () => {
    const dotted = TOPICS.map((t) => t.name).filter((n) => n.includes('.'));
    const literal = new RegExp(`(['"\`])(${dotted.map((n) => n.replace('.', '\\.')).join('|')})\\1`);
    const found: string[] = [];
    for (const file of PRODUCTION.flatMap((d) => sources(join(ROOT, d)))) {
      const rel = relative(ROOT, file);
      if (rel === join('streams', 'catalogue.ts')) continue;
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          const code = line.trimStart();
          if (code.startsWith('*') || code.startsWith('//') || code.startsWith('/*')) return;
          const m = literal.exec(line);
          if (m) found.push(`${rel}:${i + 1} ${m[0]}`);
        });
    }
    expect(found).toEqual([]);
  });
});
