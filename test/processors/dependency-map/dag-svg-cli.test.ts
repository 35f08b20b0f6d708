import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { command, dagFromJson, parseDagSvgArgs } from '../../../cli/commands/dag-svg.js';
import {
  currentDag,
  ingestEvidence,
  maintain,
  newRegionState,
} from '../../../streams/processors/dependency-map/mapper.js';
import { dagRecord } from '../../../streams/processors/dependency-map/processor.js';
import { generateEvidence, generateRegion } from '../../fixtures/regions/synthetic-region.js';

const T0 = 1_700_000_000_000;

describe('dag-svg CLI', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dag-svg-'));
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const region = generateRegion({ region: 'eu-cli', services: 15, edges: 40, cycles: 2, seed: 8 });
  const ev = generateEvidence(region, T0);
  const state = newRegionState(region.region);
  for (const m of ev.discovery) ingestEvidence(state, 'discovery', m.value, T0);
  for (const m of ev.spans) ingestEvidence(state, 'span', m.value, T0);
  for (const m of ev.flows) ingestEvidence(state, 'flow', m.value, T0);
  for (const m of ev.configs) ingestEvidence(state, 'config', m.value, T0);
  maintain(state, T0);
  const dag = currentDag(state, T0, 4);

  it('parses its arguments', () => {
    expect(parseDagSvgArgs(['--region', 'r', '--out', 'x.svg'])).toMatchObject({ region: 'r', out: 'x.svg' });
    expect(() => parseDagSvgArgs(['--region'])).toThrow(/needs a value/);
    expect(() => parseDagSvgArgs(['--bogus'])).toThrow(/unknown argument/);
  });

  it('reads a DAG document or a list of DependencyDag records, picking the region’s latest', () => {
    expect(dagFromJson(JSON.stringify(dag)).version).toBe(4);
    const records = [
      dagRecord({ ...dag, version: 2 }),
      dagRecord(dag),
      dagRecord({ ...dag, region: 'other', version: 9 }),
    ];
    expect(dagFromJson(JSON.stringify(records), 'eu-cli').version).toBe(4);
    expect(() => dagFromJson('{"x":1}')).toThrow(/not a foreshadow.dag\/v1/);
  });

  it('writes an SVG with one node per service and one path per edge', async () => {
    const input = join(dir, 'dag.json');
    const out = join(dir, 'dag.svg');
    await writeFile(input, JSON.stringify(dagRecord(dag)));
    expect(await command.run(['--region', 'eu-cli', '--input', input, '--out', out])).toBe(0);
    const svg = await readFile(out, 'utf8');
    expect(svg.match(/<g class="node"/g)).toHaveLength(15);
    expect(svg.match(/<path class="edge"/g)).toHaveLength(40);
    expect(svg.match(/<rect class="group"/g)).toHaveLength(2);
    expect(await command.run([])).toBe(2);
  });
});
