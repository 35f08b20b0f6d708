/**
 * The composition root: every app by name → how it is built from the validated configuration
 * (processors in streams-apps.ts, actuators in actuator-app.ts, the API in api-app.ts). The demo,
 * the drills and `foreshadow run` all start apps through here.
 */
import { type AppName, actuatorOf, isStreamsAppName } from './app-names.js';
import type { AppContext, RunningApp } from './running-app.js';
import { startStreamsApp } from './streams-apps.js';

/**
 * Actuators (their providers: the AWS SDK, ioredis…) and the API (fastify, the dashboard) are
 * loaded only by the processes that run them: a `--apps host-health` process starts faster.
 */
export async function startApp(name: AppName, ctx: AppContext): Promise<RunningApp> {
  if (isStreamsAppName(name)) return startStreamsApp(name, ctx);
  if (name === 'api') return (await import('./api-app.js')).startApiApp(ctx);
  const actuator = actuatorOf(name);
  if (actuator === undefined) throw new Error(`unknown app ${name}`);
  return (await import('./actuator-app.js')).startActuatorApp(name as `actuators:${string}`, actuator, ctx);
}
