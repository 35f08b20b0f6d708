/**
 * How the operating commands (pause, resume, maintenance, control, region-failover) talk to the
 * HTTP API: base URL from `--api-url` or FORESHADOW_API_URL (default http://127.0.0.1:8088), bearer
 * token from FORESHADOW_API_TOKEN only — a token on the command line would show in `ps` and shell
 * history. The API does the validating and the auditing; a refusal is reported with its code and
 * message.
 */
import { ConfigError, ForeshadowError } from '../streams/runtime/errors.js';

export const DEFAULT_API_URL = 'http://127.0.0.1:8088';

export interface ApiClientOptions {
  apiUrl?: string;
  env?: NodeJS.ProcessEnv;
}

export interface ApiClient {
  get(path: string): Promise<unknown>;
  post(path: string, body?: unknown): Promise<unknown>;
}

export function apiClient(o: ApiClientOptions = {}): ApiClient {
  const env = o.env ?? process.env;
  const base = (o.apiUrl ?? env.FORESHADOW_API_URL ?? DEFAULT_API_URL).replace(/\/+$/, '');
  const token = env.FORESHADOW_API_TOKEN;
  if (!token)
    throw new ConfigError('FORESHADOW_API_TOKEN is not set (an API token with the operate role to change anything)');
  if (!/^https?:\/\/[^/]/.test(base)) throw new ConfigError(`API URL ${base} is not an http(s) URL`, { apiUrl: base });
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> => {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err: unknown) {
      throw new ForeshadowError('NOT_CONNECTED', `API at ${base} is not reachable`, { cause: err, context: { base } });
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // Not JSON: reported as text below.
    }
    if (!res.ok) {
      const e = parsed as { error?: string; message?: string } | null;
      const what = e && typeof e === 'object' && e.message ? `${e.error ?? res.status}: ${e.message}` : text;
      throw new ForeshadowError('PROCESSING_FAILED', `${method} ${path} refused (HTTP ${res.status}) ${what}`, {
        context: { status: res.status },
      });
    }
    return parsed;
  };
  return { get: (path) => call('GET', path), post: (path, body) => call('POST', path, body ?? {}) };
}

/** `90m`, `2h`, `1d` or a plain number of minutes, as whole minutes; undefined when not a duration. */
export function durationMinutes(text: string): number | undefined {
  const m = /^(\d+)\s*(m|min|h|d)?$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? 'm';
  const minutes = unit === 'd' ? n * 1_440 : unit === 'h' ? n * 60 : n;
  return minutes >= 1 ? minutes : undefined;
}
