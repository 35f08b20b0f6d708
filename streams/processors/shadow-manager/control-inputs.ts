/**
 * The safety controls as the shadow manager keeps them: PAUSE, RESUME, SET_MAINTENANCE and
 * CANCEL_MAINTENANCE requests fold into the control book in its store (streams/controls), and every
 * change is published on control.state, the topic the API's GET /control and /maintenance read —
 * so what operators see is what the manager holds. Windows that have ended are dropped by the
 * wall-clock round (a tombstone each). The manager is the one publisher of control.state: it sees
 * every request of the fleet, in order, on its one partition.
 */
import type { OperatorRequest } from '../../../schemas/records/operator-request.js';
import { applyControlRequest, expiredWindows, withoutWindows } from '../../controls/controls.js';
import type { FleetState } from './fleet-state.js';

export class ControlInputs {
  constructor(private readonly fleet: FleetState) {}

  async onRequest(req: OperatorRequest, now: number): Promise<void> {
    const { fleet } = this;
    const update = applyControlRequest(await fleet.controlBook(), req, fleet.ctx.wallClockTime());
    if (update.changes.length === 0) return;
    fleet.saveControlBook(update.book);
    for (const c of update.changes) fleet.publishControl(c.controlId, c.state, now);
  }

  /** Drops the windows that have ended (wall clock), so lists and stores only hold live plans. */
  async tick(now: number): Promise<void> {
    const { fleet } = this;
    const book = await fleet.controlBook();
    const ended = expiredWindows(book, now);
    if (ended.length === 0) return;
    fleet.saveControlBook(withoutWindows(book, ended));
    for (const w of ended) fleet.publishControl(w.windowId, null, now);
  }
}
