import { describe, expect, it } from 'vitest';
import { isDemoResource } from '../../demo/leftovers.js';

describe('demo leftovers', () => {
  it('recognises the demo’s and the drill’s run-tagged Redis resources, nothing else', () => {
    for (const id of ['redis-orders-69b2', 'redis-carts-0fcc', 'redis-prices-7-a1b2', 'redis-drill-1b66ac'])
      expect(isDemoResource(id), id).toBe(true);
    for (const id of ['redis-orders', 'db-1', 'redis-orders-XYZW', 'my-redis-orders-69b2', 'redis-drill-1b66ac7'])
      expect(isDemoResource(id), id).toBe(false);
  });
});
