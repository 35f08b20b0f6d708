import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { topicTableMarkdown } from '../../streams/catalogue.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('opens with the two set-up commands: the main job and the tests', () => {
    const firstBlock = /```bash\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const commands = firstBlock.split('\n').filter((l) => l.trim().length > 0);
    expect(commands).toHaveLength(2);
    expect(commands[0]).toMatch(/^npm ci && npm start\b/);
    expect(commands[1]).toMatch(/^npm ci && npm test\b/);
  });

  it('carries the topic table generated from the catalogue (regenerate: foreshadow topics --markdown)', () => {
    expect(readme).toContain(topicTableMarkdown());
  });

  it('names a version for every real component of the local stack', () => {
    expect(readme).toMatch(/Apache Kafka \| 4\.\d+\.\d/);
    expect(readme).toMatch(/Kafka Connect \| 4\.\d+\.\d/);
  });
});
