/**
 * The README's "Dependencies and why" tables list exactly the packages of package.json, each in the
 * table of its section (runtime packages are installed in the production image, dev ones are not),
 * and production code imports runtime packages only.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** What the production image runs (bench/ and test/ run from a development checkout). */
const PRODUCTION = ['streams', 'sinks', 'api', 'cli', 'schemas', 'connectors', 'demo'];

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

function tableAfter(heading: string): string[] {
  const start = readme.indexOf(heading);
  expect(start, heading).toBeGreaterThanOrEqual(0);
  const rows = readme.slice(start).split('\n').slice(1);
  const table = rows.slice(rows.findIndex((l) => l.startsWith('|')));
  const end = table.findIndex((l) => !l.startsWith('|'));
  return (end < 0 ? table : table.slice(0, end))
    .slice(2)
    .flatMap((row) => [...(row.split('|')[1] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
}

describe('README dependency tables', () => {
  it('name every runtime and development package, in the right section', () => {
    expect(tableAfter('Runtime packages').sort()).toEqual(Object.keys(pkg.dependencies).sort());
    expect(tableAfter('Development packages').sort()).toEqual(Object.keys(pkg.devDependencies).sort());
  });
});

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

describe('production code', () => {
  it('imports only runtime dependencies and Node built-ins', () => {
    const allowed = new Set([...Object.keys(pkg.dependencies), ...builtinModules]);
    const wrong: string[] = [];
    for (const file of PRODUCTION.flatMap((d) => sources(join(ROOT, d)))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/^(?:import|export)\s[^;]*?from\s+'([^'.][^']*)'/gms)) {
        const spec = m[1]!.replace(/^node:/, '');
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (!allowed.has(name)) wrong.push(`${relative(ROOT, file)}: ${m[1]}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
