import { describe, expect, it } from 'vitest';
import { offsetMetadata, streamTimeOf } from '../../../../streams/runtime/app/offset-metadata.js';

describe('offset metadata', () => {
  it('carries the stream time through a commit', () => {
    expect(offsetMetadata(1_700_000_000_123)).toBe('{"st":1700000000123}');
    expect(streamTimeOf(offsetMetadata(42))).toBe(42);
  });

  it('reads nothing from empty, foreign or broken metadata', () => {
    for (const m of [null, undefined, '', 'not json', '[]', 'null', '{"st":"12"}', '{"other":1}']) {
      expect(streamTimeOf(m)).toBeUndefined();
    }
  });
});
