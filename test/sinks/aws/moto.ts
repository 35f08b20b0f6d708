/**
 * moto's server mode for the AWS actuator's integration test: installs it when missing
 * (stack/install-moto.sh, a pinned moto[server] in a venv under the cache folder), starts
 * `moto_server` on a free loopback port and stops it after the test. moto emulates the AWS APIs
 * (Auto Scaling, EC2, ELBv2, Route 53, RDS, ...) in one process; the SDK talks to it through the
 * provider's `endpoint` override with dummy credentials from the environment.
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort, Program, waitFor } from '../support.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface Moto {
  endpoint: string;
  version: string;
  stop(): Promise<void>;
}

/** Runs the project's installer (a no-op when the pinned version is there) and returns moto_server. */
export async function installMoto(): Promise<string> {
  const { stdout } = await promisify(execFile)('bash', [join(root, 'stack', 'install-moto.sh')], {
    timeout: 300_000,
  });
  const bin = stdout.trim().split('\n').pop();
  if (!bin) throw new Error('stack/install-moto.sh printed no moto_server path');
  return bin;
}

export async function startMoto(): Promise<Moto> {
  const bin = await installMoto();
  const port = await freePort();
  const server = new Program(bin, ['-H', '127.0.0.1', '-p', String(port)]);
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      'moto_server to answer',
      async () => {
        if (server.child.exitCode !== null) throw new Error(`moto_server exited: ${server.output}`);
        const res = await fetch(`${endpoint}/moto-api/data.json`);
        return res.ok ? true : undefined;
      },
      60_000,
    );
  } catch (err: unknown) {
    await server.stop();
    throw err;
  }
  const version = (
    await promisify(execFile)(join(dirname(bin), 'python'), ['-c', 'import moto; print(moto.__version__)'])
  ).stdout.trim();
  return { endpoint, version, stop: () => server.stop() };
}
