/** The safety controls as pure state: folding requests, window matching, what suppresses what. */
import { describe, expect, it } from 'vitest';
import type { OperatorRequest } from '../../schemas/records/operator-request.js';
import {
  applyControlRequest,
  type ControlBook,
  describeSuppression,
  emptyControls,
  expiredWindows,
  suppressionFor,
  suppressionKey,
  windowCovers,
  withoutWindows,
} from '../../streams/controls/controls.js';

const T0 = 1_700_000_000_000;
const MIN = 60_000;

function request(over: Partial<OperatorRequest> & Pick<OperatorRequest, 'type' | 'requestId'>): OperatorRequest {
  return {
    subject: 'fleet',
    targetHost: '',
    dryRun: false,
    principal: 'alice',
    requestedAt: T0,
    reason: '',
    scope: 'NONE',
    startsAt: 0,
    endsAt: 0,
    windowId: '',
    ...over,
  };
}

const hostWindow = (id: string, host: string, from: number, to: number): OperatorRequest =>
  request({
    type: 'SET_MAINTENANCE',
    requestId: id,
    subject: host,
    scope: 'HOST',
    startsAt: from,
    endsAt: to,
    reason: 'kernel upgrade',
  });
const regionWindow = (id: string, region: string, from: number, to: number): OperatorRequest =>
  request({ ...hostWindow(id, region, from, to), scope: 'REGION', reason: 'network work' });

function fold(requests: OperatorRequest[], at = T0): ControlBook {
  return requests.reduce((b, r) => applyControlRequest(b, r, at).book, emptyControls());
}

describe('control book', () => {
  it('pauses and resumes, publishing the pause record both times', () => {
    const paused = applyControlRequest(
      emptyControls(),
      request({ type: 'PAUSE', requestId: 'p1', reason: 'incident 42' }),
      T0,
    );
    expect(paused.book.pause).toEqual({ reason: 'incident 42', principal: 'alice', requestId: 'p1', since: T0 });
    expect(paused.changes).toEqual([
      {
        controlId: 'pause',
        state: expect.objectContaining({
          kind: 'PAUSE',
          active: true,
          scope: 'FLEET',
          reason: 'incident 42',
          startsAt: T0,
        }),
      },
    ]);
    // A second pause restates the reason but keeps when the pause began.
    const again = applyControlRequest(
      paused.book,
      request({ type: 'PAUSE', requestId: 'p2', reason: 'still' }),
      T0 + MIN,
    );
    expect(again.book.pause).toMatchObject({ reason: 'still', requestId: 'p2', since: T0 });
    const resumed = applyControlRequest(
      again.book,
      request({ type: 'RESUME', requestId: 'r1', principal: 'bob' }),
      T0 + 2 * MIN,
    );
    expect(resumed.book.pause).toBeNull();
    expect(resumed.changes[0]!.state).toMatchObject({ active: false, principal: 'bob', requestId: 'r1' });
    expect(applyControlRequest(resumed.book, request({ type: 'RESUME', requestId: 'r2' }), T0)).toMatchObject({
      changes: [],
      ignored: 'not paused',
    });
  });

  it('keeps one window per id, sorted by start, and cancels by id (tombstone)', () => {
    const book = fold([hostWindow('w2', 'h1', T0 + 10 * MIN, T0 + 20 * MIN), hostWindow('w1', 'h2', T0, T0 + MIN)]);
    expect(book.windows.map((w) => w.windowId)).toEqual(['w1', 'w2']);
    const redelivered = applyControlRequest(book, hostWindow('w1', 'h2', T0, T0 + MIN), T0);
    expect(redelivered.book.windows).toHaveLength(2);
    const cancelled = applyControlRequest(
      book,
      request({ type: 'CANCEL_MAINTENANCE', requestId: 'c', windowId: 'w2' }),
      T0,
    );
    expect(cancelled.book.windows.map((w) => w.windowId)).toEqual(['w1']);
    expect(cancelled.changes).toEqual([{ controlId: 'w2', state: null }]);
    expect(
      applyControlRequest(book, request({ type: 'CANCEL_MAINTENANCE', requestId: 'c2', windowId: 'nope' }), T0),
    ).toMatchObject({ changes: [], ignored: 'no window nope' });
  });

  it('refuses a window without a host/region scope or that ends before it starts', () => {
    const b = emptyControls();
    expect(applyControlRequest(b, { ...hostWindow('w', 'h1', T0, T0 + MIN), scope: 'FLEET' }, T0).changes).toEqual([]);
    expect(applyControlRequest(b, hostWindow('w', 'h1', T0 + MIN, T0), T0).changes).toEqual([]);
  });
});

describe('maintenance window matching', () => {
  const w = fold([hostWindow('w1', 'h1', T0, T0 + 10 * MIN)]).windows[0]!;

  it('covers [start, end) of its own host only', () => {
    expect(windowCovers(w, { host: 'h1' }, T0 - 1)).toBe(false);
    expect(windowCovers(w, { host: 'h1' }, T0)).toBe(true);
    expect(windowCovers(w, { host: 'h1', region: 'eu-1' }, T0 + 10 * MIN - 1)).toBe(true);
    expect(windowCovers(w, { host: 'h1' }, T0 + 10 * MIN)).toBe(false);
    expect(windowCovers(w, { host: 'h2' }, T0 + MIN)).toBe(false);
    // A host window says nothing about the region the host is in.
    expect(windowCovers(w, { region: 'h1' }, T0 + MIN)).toBe(false);
  });

  it('a region window covers the region and every host in it', () => {
    const r = fold([regionWindow('r1', 'eu-1', T0, T0 + MIN)]).windows[0]!;
    expect(windowCovers(r, { region: 'eu-1' }, T0)).toBe(true);
    expect(windowCovers(r, { host: 'h9', region: 'eu-1' }, T0)).toBe(true);
    expect(windowCovers(r, { host: 'h9', region: 'us-1' }, T0)).toBe(false);
    expect(windowCovers(r, { host: 'h9' }, T0)).toBe(false);
  });

  it('finds ended windows and drops them', () => {
    const book = fold([hostWindow('a', 'h1', T0, T0 + MIN), hostWindow('b', 'h1', T0, T0 + 5 * MIN)]);
    expect(expiredWindows(book, T0 + MIN).map((x) => x.windowId)).toEqual(['a']);
    expect(withoutWindows(book, expiredWindows(book, T0 + MIN)).windows.map((x) => x.windowId)).toEqual(['b']);
  });
});

describe('suppression', () => {
  it('is null with no control, the pause before any window, then host window, then region window', () => {
    const windows = [
      hostWindow('hw', 'h1', T0, T0 + 5 * MIN),
      regionWindow('rw', 'eu-1', T0, T0 + 30 * MIN),
      regionWindow('later', 'eu-1', T0 + 60 * MIN, T0 + 90 * MIN),
    ];
    const book = fold(windows);
    expect(suppressionFor(emptyControls(), { host: 'h1', region: 'eu-1' }, T0)).toBeNull();
    expect(suppressionFor(book, { host: 'h1', region: 'eu-1' }, T0)).toMatchObject({
      kind: 'MAINTENANCE',
      controlId: 'hw',
    });
    expect(suppressionFor(book, { host: 'h2', region: 'eu-1' }, T0)).toMatchObject({ controlId: 'rw' });
    expect(suppressionFor(book, { host: 'h1', region: 'eu-1' }, T0 + 10 * MIN)).toMatchObject({ controlId: 'rw' });
    expect(suppressionFor(book, { region: 'eu-1' }, T0 + 45 * MIN)).toBeNull();
    expect(suppressionFor(book, { region: 'eu-1' }, T0 + 61 * MIN)).toMatchObject({ controlId: 'later' });
    expect(suppressionFor(book, { host: 'h3', region: 'us-1' }, T0)).toBeNull();
    const paused = applyControlRequest(book, request({ type: 'PAUSE', requestId: 'p9', reason: 'why' }), T0).book;
    const s = suppressionFor(paused, { host: 'h3', region: 'us-1' }, T0);
    expect(s).toMatchObject({ kind: 'PAUSE', controlId: 'pause' });
    expect(suppressionKey(s!)).toBe('pause:p9');
    expect(describeSuppression(s!)).toBe('paused by alice: why');
    expect(describeSuppression(suppressionFor(book, { host: 'h1' }, T0)!)).toBe(
      `host h1 in maintenance window hw until ${new Date(T0 + 5 * MIN).toISOString()}: kernel upgrade`,
    );
  });

  it('of overlapping windows of one host, names the one ending last', () => {
    const book = fold([hostWindow('short', 'h1', T0, T0 + MIN), hostWindow('long', 'h1', T0, T0 + 9 * MIN)]);
    expect(suppressionFor(book, { host: 'h1' }, T0)).toMatchObject({ controlId: 'long' });
  });
});
