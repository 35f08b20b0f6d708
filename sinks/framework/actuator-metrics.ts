/**
 * Prometheus metrics of an actuator (prom-client, a registry per consumer so several actuators in
 * one process never collide): every command's outcome as written to actuation.results, by provider,
 * command type and status (SUCCEEDED, FAILED, DUPLICATE, REJECTED_STALE_EPOCH, …), how long acting
 * took, the commands dead-lettered as undecodable or absurd, and the advisory commands (advise
 * mode) read past without acting.
 */
import { Counter, Histogram, Registry } from 'prom-client';

export class ActuatorMetrics {
  readonly registry = new Registry();
  readonly outcomes: Counter<'provider' | 'type' | 'status'>;
  readonly duration: Histogram<'provider' | 'type'>;
  readonly deadLetters: Counter<'provider'>;
  readonly advisorySkipped: Counter<'provider' | 'type'>;

  constructor(labels: Record<string, string> = {}) {
    this.registry.setDefaultLabels(labels);
    const registers = [this.registry];
    this.outcomes = new Counter({
      name: 'foreshadow_actuator_commands_total',
      help: 'Commands answered on actuation.results, by provider, command type and status',
      labelNames: ['provider', 'type', 'status'],
      registers,
    });
    this.duration = new Histogram({
      name: 'foreshadow_actuator_command_seconds',
      help: 'Time from taking a command up to its outcome (retries included)',
      labelNames: ['provider', 'type'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
    this.deadLetters = new Counter({
      name: 'foreshadow_actuator_dead_letters_total',
      help: 'Commands dead-lettered as undecodable or absurd',
      labelNames: ['provider'],
      registers,
    });
    this.advisorySkipped = new Counter({
      name: 'foreshadow_actuator_advisory_skipped_total',
      help: 'Advisory commands (advise mode) read past without acting, by provider and command type',
      labelNames: ['provider', 'type'],
      registers,
    });
  }
}
