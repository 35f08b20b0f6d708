/**
 * The safety controls as pure state: the global pause and maintenance windows per host or region,
 * folded from operator.requests (PAUSE, RESUME, SET_MAINTENANCE, CANCEL_MAINTENANCE) into one
 * `ControlBook` that the shadow manager and the failover orchestrator each keep in a store, and the
 * one question their decisions ask of it: is an automatic action on this host or region suppressed
 * right now, and by what?
 *
 * Time: windows are wall-clock plans made by people ("tonight 22:00–23:00"), so they are matched
 * against the processor's wall clock, never against event time (which a replay or a simulation
 * may run fast). A window covers [startsAt, endsAt).
 */
import type { ControlState } from '../../schemas/records/control-state.js';
import { PAUSE_CONTROL_ID } from '../../schemas/records/control-state.js';
import type { OperatorRequest } from '../../schemas/records/operator-request.js';

/** Whether decisions are carried out (`act`) or only recorded as recommendations (`advise`). */
export type Mode = 'act' | 'advise';
export const MODES = ['act', 'advise'] as const satisfies readonly Mode[];

export interface PauseState {
  reason: string;
  principal: string;
  requestId: string;
  /** When the pause was applied (epoch ms). */
  since: number;
}

export interface MaintenanceWindow {
  /** The requestId of the SET_MAINTENANCE that made it. */
  windowId: string;
  scope: 'HOST' | 'REGION';
  /** The host or region. */
  subject: string;
  startsAt: number;
  endsAt: number;
  reason: string;
  principal: string;
}

export interface ControlBook {
  pause: PauseState | null;
  windows: MaintenanceWindow[];
}

export const CONTROL_REQUEST_TYPES = ['PAUSE', 'RESUME', 'SET_MAINTENANCE', 'CANCEL_MAINTENANCE'] as const;

export function isControlRequest(req: Pick<OperatorRequest, 'type'>): boolean {
  return (CONTROL_REQUEST_TYPES as readonly string[]).includes(req.type);
}

export function emptyControls(): ControlBook {
  return { pause: null, windows: [] };
}

/** What a control request changed, for publishing on control.state (null value = tombstone). */
export interface ControlChange {
  controlId: string;
  state: ControlState | null;
}

export interface ControlUpdate {
  book: ControlBook;
  changes: ControlChange[];
  /** Why nothing changed, when nothing did (a cancel of an unknown window...). */
  ignored?: string;
}

/** The control.state record of the pause (active or lifted). */
export function pauseState(pause: PauseState | null, now: number, lifted?: OperatorRequest): ControlState {
  return {
    controlId: PAUSE_CONTROL_ID,
    kind: 'PAUSE',
    active: pause !== null,
    scope: 'FLEET',
    subject: '',
    reason: pause?.reason ?? lifted?.reason ?? '',
    startsAt: pause?.since ?? 0,
    endsAt: 0,
    principal: pause?.principal ?? lifted?.principal ?? '',
    requestId: pause?.requestId ?? lifted?.requestId ?? '',
    updatedAt: now,
  };
}

/** The control.state record of a window. */
export function windowState(w: MaintenanceWindow, now: number): ControlState {
  return {
    controlId: w.windowId,
    kind: 'MAINTENANCE',
    active: true,
    scope: w.scope,
    subject: w.subject,
    reason: w.reason,
    startsAt: w.startsAt,
    endsAt: w.endsAt,
    principal: w.principal,
    requestId: w.windowId,
    updatedAt: now,
  };
}

/**
 * Folds one control request into the book. Setting a window twice (a redelivered request) keeps
 * one; cancelling an unknown window changes nothing. `now` is the processor's wall clock.
 */
export function applyControlRequest(book: ControlBook, req: OperatorRequest, now: number): ControlUpdate {
  switch (req.type) {
    case 'PAUSE': {
      const pause: PauseState = {
        reason: req.reason,
        principal: req.principal,
        requestId: req.requestId,
        // A second pause restates the reason; the pause began with the first.
        since: book.pause?.since ?? now,
      };
      return {
        book: { ...book, pause },
        changes: [{ controlId: PAUSE_CONTROL_ID, state: pauseState(pause, now) }],
      };
    }
    case 'RESUME':
      if (book.pause === null) return { book, changes: [], ignored: 'not paused' };
      return {
        book: { ...book, pause: null },
        changes: [{ controlId: PAUSE_CONTROL_ID, state: pauseState(null, now, req) }],
      };
    case 'SET_MAINTENANCE': {
      if (req.scope !== 'HOST' && req.scope !== 'REGION')
        return { book, changes: [], ignored: `scope ${req.scope} is not HOST or REGION` };
      if (req.endsAt <= req.startsAt) return { book, changes: [], ignored: 'window ends before it starts' };
      const w: MaintenanceWindow = {
        windowId: req.requestId,
        scope: req.scope,
        subject: req.subject,
        startsAt: req.startsAt,
        endsAt: req.endsAt,
        reason: req.reason,
        principal: req.principal,
      };
      const windows = [...book.windows.filter((x) => x.windowId !== w.windowId), w].sort(compareWindows);
      return { book: { ...book, windows }, changes: [{ controlId: w.windowId, state: windowState(w, now) }] };
    }
    case 'CANCEL_MAINTENANCE': {
      if (!book.windows.some((w) => w.windowId === req.windowId))
        return { book, changes: [], ignored: `no window ${req.windowId}` };
      return {
        book: { ...book, windows: book.windows.filter((w) => w.windowId !== req.windowId) },
        changes: [{ controlId: req.windowId, state: null }],
      };
    }
    default:
      return { book, changes: [], ignored: `${req.type} is not a control request` };
  }
}

function compareWindows(a: MaintenanceWindow, b: MaintenanceWindow): number {
  return a.startsAt - b.startsAt || (a.windowId < b.windowId ? -1 : a.windowId > b.windowId ? 1 : 0);
}

/** Whether `w` covers `at` for this host or region. */
export function windowCovers(w: MaintenanceWindow, target: ControlTarget, at: number): boolean {
  if (at < w.startsAt || at >= w.endsAt) return false;
  return w.scope === 'HOST' ? w.subject === target.host : w.subject === target.region;
}

/** Windows that have ended by `at`: the processor drops them (and tombstones them on control.state). */
export function expiredWindows(book: ControlBook, at: number): MaintenanceWindow[] {
  return book.windows.filter((w) => w.endsAt <= at);
}

export function withoutWindows(book: ControlBook, gone: readonly MaintenanceWindow[]): ControlBook {
  const ids = new Set(gone.map((w) => w.windowId));
  return { ...book, windows: book.windows.filter((w) => !ids.has(w.windowId)) };
}

/** What an automatic action is about: a host (with its region, when known) or a region. */
export interface ControlTarget {
  host?: string;
  region?: string;
}

export type Suppression =
  | { kind: 'PAUSE'; controlId: string; pause: PauseState }
  | { kind: 'MAINTENANCE'; controlId: string; window: MaintenanceWindow };

/**
 * Why an automatic action on `target` must not be taken at `at`, or null when it may. The pause
 * comes first (it covers everything), then a window of the host, then one of its region; among
 * windows the one ending last, since it decides when the action may happen.
 */
export function suppressionFor(book: ControlBook, target: ControlTarget, at: number): Suppression | null {
  if (book.pause) return { kind: 'PAUSE', controlId: PAUSE_CONTROL_ID, pause: book.pause };
  const covering = book.windows.filter((w) => windowCovers(w, target, at));
  const pick = (scope: 'HOST' | 'REGION') =>
    covering.filter((w) => w.scope === scope).sort((a, b) => b.endsAt - a.endsAt)[0];
  const w = (target.host ? pick('HOST') : undefined) ?? pick('REGION');
  return w ? { kind: 'MAINTENANCE', controlId: w.windowId, window: w } : null;
}

/**
 * Identifies one suppression episode: the window, or this particular pause (a pause lifted and
 * set again is a new episode), so a decision suppressed over and over is reported once per episode.
 */
export function suppressionKey(s: Suppression): string {
  return s.kind === 'PAUSE' ? `pause:${s.pause.requestId}` : s.controlId;
}

/** One line an operator reads on a shadow's reason or a suppressed event's detail. */
export function describeSuppression(s: Suppression): string {
  if (s.kind === 'PAUSE') {
    const why = s.pause.reason ? `: ${s.pause.reason}` : '';
    return `paused by ${s.pause.principal || 'an operator'}${why}`;
  }
  const w = s.window;
  const what = w.scope === 'HOST' ? `host ${w.subject}` : `region ${w.subject}`;
  return `${what} in maintenance window ${w.windowId} until ${new Date(w.endsAt).toISOString()}${w.reason ? `: ${w.reason}` : ''}`;
}
