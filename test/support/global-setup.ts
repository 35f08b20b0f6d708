/**
 * Integration-test global setup. Three ways to get a real stack, in order:
 * 1. KAFKA_BROKERS (and SCHEMA_REGISTRY_URL, CONNECT_URL) point at an existing cluster;
 * 2. a Docker engine is reachable: testcontainers starts Kafka and the registry;
 * 3. otherwise the project's own local stack (stack/stack.sh) runs them as local processes.
 */

import type { TestProject } from 'vitest/node';
import { startLocalStack } from '../../cli/local-stack.js';
import type { ContainerStack } from './containers.js';

/**
 * Both integration projects (shared and exclusive) name this setup, and vitest may load it once per
 * project: the stack is started once per test run, kept on globalThis.
 */
const run = globalThis as { foreshadowStack?: Promise<ContainerStack | undefined>; foreshadowStackUsers?: number };

async function dockerReachable(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

export async function setup(project: TestProject): Promise<void> {
  run.foreshadowStack ??= startStack();
  await run.foreshadowStack;
  run.foreshadowStackUsers = (run.foreshadowStackUsers ?? 0) + 1;
  project.provide('kafkaBrokers', process.env.KAFKA_BROKERS ?? '');
  project.provide('schemaRegistryUrl', process.env.SCHEMA_REGISTRY_URL ?? '');
  project.provide('connectUrl', process.env.CONNECT_URL ?? '');
}

async function startStack(): Promise<ContainerStack | undefined> {
  if (process.env.KAFKA_BROKERS) {
    console.log(`[setup] using existing cluster at ${process.env.KAFKA_BROKERS}`);
    return undefined;
  }
  if (process.env.FORESHADOW_USE_DOCKER !== 'false' && (await dockerReachable())) {
    // Loaded only on this path so the local-stack path never depends on the Docker client.
    const { startContainers } = await import('./containers.js');
    const containers = await startContainers();
    Object.assign(process.env, containers.env);
    return containers;
  }
  startLocalStack();
  return undefined;
}

export async function teardown(): Promise<void> {
  // The local stack is left running for the next run (a second `up` is a no-op); CI tears it down.
  // Containers go with the last project that used them.
  run.foreshadowStackUsers = (run.foreshadowStackUsers ?? 1) - 1;
  if (run.foreshadowStackUsers > 0) return;
  const containers = await run.foreshadowStack;
  run.foreshadowStack = undefined;
  await containers?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
    schemaRegistryUrl: string;
    connectUrl: string;
  }
}
