/**
 * The local stack as a library call: runs `stack/stack.sh up` (a no-op when it already runs) and
 * adopts the connection variables it prints (KAFKA_BROKERS, SCHEMA_REGISTRY_URL, CONNECT_URL).
 * Used by `foreshadow start` and by the integration tests' global setup.
 */
import { execFileSync } from 'node:child_process';

export function startLocalStack(): void {
  const out = execFileSync('bash', ['stack/stack.sh', 'up'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  for (const line of out.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] && m[2] !== undefined) process.env[m[1]] = m[2];
  }
}
