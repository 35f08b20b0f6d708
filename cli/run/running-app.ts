/** What `foreshadow run` holds of each app it started (processor, actuator or API). */
import type { Registry } from 'prom-client';
import type { KafkaConnection } from '../../streams/runtime/config.js';
import type { AppName } from './app-names.js';
import type { LoadedRunConfig } from './config-loader.js';
import type { ConsumerGroupRef } from './consumer-lag.js';

export interface RunningApp {
  name: AppName;
  /** Started, its tasks assigned and restored (processors), consuming (actuators), serving (API). */
  ready(): boolean;
  /** Its Prometheus registries, merged into the process's /metrics. */
  registries(): Registry[];
  /** Consumer groups whose lag the process reports. */
  groups: readonly ConsumerGroupRef[];
  /** Drains: commits, leaves its groups, closes its stores and clients. */
  close(): Promise<void>;
}

export interface AppContext {
  loaded: LoadedRunConfig;
  conn: KafkaConnection;
  env: NodeJS.ProcessEnv;
  /** An app stopped for good on an error it cannot recover from. */
  onFatal(app: AppName, err: unknown): void;
}
