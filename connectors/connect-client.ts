/**
 * A small client of the Kafka Connect REST API: validate a config against its plugin, create or
 * update a connector (PUT /connectors/{name}/config is both), read its status, wait until the
 * connector and all its tasks run, delete it. Error messages carry config keys and Connect's
 * validation errors, never config values (which may hold resolved settings).
 */
import { ForeshadowError } from '../streams/runtime/errors.js';

export interface ValidationProblem {
  key: string;
  errors: string[];
}

export interface ConnectorStatus {
  name: string;
  connector: { state: string; worker_id: string; trace?: string };
  tasks: Array<{ id: number; state: string; worker_id: string; trace?: string }>;
  type?: string;
}

interface ValidateResponse {
  name: string;
  error_count: number;
  configs: Array<{ value: { name: string; errors: string[] } }>;
}

export class ConnectRestError extends ForeshadowError {
  constructor(message: string, status: number, context: Record<string, unknown> = {}) {
    super('STACK_FAILED', message, { retriable: status >= 500 || status === 409, context: { status, ...context } });
    this.name = 'ConnectRestError';
  }
}

export class ConnectClient {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs = 30_000,
  ) {}

  private async call<T>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; data: T | undefined }> {
    const res = await fetch(`${this.baseUrl.replace(/\/$/, '')}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    const data = text ? (JSON.parse(text) as T) : undefined;
    if (res.status >= 400 && res.status !== 404) {
      const message = (data as { message?: string } | undefined)?.message ?? text.slice(0, 300);
      throw new ConnectRestError(`Connect ${method} ${path}: ${res.status} ${message}`, res.status);
    }
    return { status: res.status, data };
  }

  async plugins(): Promise<Array<{ class: string; type: string; version: string }>> {
    return (
      (await this.call<Array<{ class: string; type: string; version: string }>>('GET', '/connector-plugins')).data ?? []
    );
  }

  /** PUT /connector-plugins/{class}/config/validate; returns the keys with errors. */
  async validate(config: Record<string, string>): Promise<ValidationProblem[]> {
    const cls = config['connector.class'];
    if (!cls) return [{ key: 'connector.class', errors: ['missing'] }];
    const { status, data } = await this.call<ValidateResponse>(
      'PUT',
      `/connector-plugins/${encodeURIComponent(cls)}/config/validate`,
      config,
    );
    if (status === 404 || !data)
      return [{ key: 'connector.class', errors: [`plugin ${cls} is not installed on the worker`] }];
    return data.configs
      .filter((c) => c.value.errors.length > 0)
      .map((c) => ({ key: c.value.name, errors: c.value.errors }));
  }

  /** Creates or updates. */
  async put(name: string, config: Record<string, string>): Promise<void> {
    await this.call('PUT', `/connectors/${encodeURIComponent(name)}/config`, config);
  }

  async status(name: string): Promise<ConnectorStatus | undefined> {
    const { status, data } = await this.call<ConnectorStatus>('GET', `/connectors/${encodeURIComponent(name)}/status`);
    return status === 404 ? undefined : data;
  }

  async list(): Promise<string[]> {
    return (await this.call<string[]>('GET', '/connectors')).data ?? [];
  }

  /**
   * Deletes a connector and waits until the worker no longer reports it (Connect removes the
   * config at once but tears the tasks down asynchronously). Returns false when there was nothing
   * to delete.
   */
  async delete(name: string, timeoutMs = 30_000): Promise<boolean> {
    const { status } = await this.call('DELETE', `/connectors/${encodeURIComponent(name)}`);
    if (status === 404) return false;
    const deadline = Date.now() + timeoutMs;
    while ((await this.status(name)) !== undefined) {
      if (Date.now() > deadline) {
        throw new ForeshadowError('TIMEOUT', `connector ${name} still reported ${timeoutMs} ms after deletion`, {
          context: { name },
        });
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    return true;
  }

  /** Polls until the connector and at least one task are RUNNING; a FAILED one ends the wait at once. */
  async waitRunning(name: string, timeoutMs = 60_000): Promise<ConnectorStatus> {
    const deadline = Date.now() + timeoutMs;
    let last: ConnectorStatus | undefined;
    for (;;) {
      last = await this.status(name);
      if (last) {
        const failed = [last.connector, ...last.tasks].find((t) => t.state === 'FAILED');
        if (failed) {
          const firstLine = failed.trace?.split('\n').slice(0, 3).join(' ') ?? 'no trace';
          throw new ConnectRestError(`connector ${name} failed: ${firstLine}`, 500, { name });
        }
        if (
          last.connector.state === 'RUNNING' &&
          last.tasks.length > 0 &&
          last.tasks.every((t) => t.state === 'RUNNING')
        ) {
          return last;
        }
      }
      if (Date.now() > deadline) {
        throw new ForeshadowError('TIMEOUT', `connector ${name} not running after ${timeoutMs} ms`, {
          context: { state: last?.connector.state, tasks: last?.tasks.map((t) => t.state) },
        });
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
