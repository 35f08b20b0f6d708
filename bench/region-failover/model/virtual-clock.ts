/**
 * A virtual clock for the drill: the simulated actuator sleeps on it, and the drill moves time
 * straight to the next timer once everything runnable has run, so simulated minutes take no wall
 * time and the figures do not depend on how loaded the machine is (a wall clock scaled 1:100 turned
 * every 10 ms of event-loop lag into a simulated second).
 */

interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
}

/** Resolves after every promise continuation queued so far has run. */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class VirtualClock {
  now = 0;
  private timers: Timer[] = [];
  private seq = 0;

  readonly sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      this.timers.push({ at: this.now + Math.max(0, ms), seq: this.seq++, resolve });
    });

  /** Moves time to the earliest timer and fires it; false when no timer is pending. */
  fireNext(): boolean {
    if (this.timers.length === 0) return false;
    this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const t = this.timers.shift()!;
    this.now = t.at;
    t.resolve();
    return true;
  }
}
