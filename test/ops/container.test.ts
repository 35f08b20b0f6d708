/**
 * The container files, checked statically (there is no Docker engine here): the Dockerfile installs
 * with patches/ already copied (so patch-package gives the image the patched kafkajs), runs as a
 * non-root user, has a HEALTHCHECK on a path the operability server serves, exposes exactly the
 * ports the example configuration uses (which binds them on 0.0.0.0), and runs a real `foreshadow`
 * command; docker-compose.yml runs the stack, PostgreSQL and the pipeline with commands our CLI
 * accepts, the right port mappings, and files that exist.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseInventoryArgs } from '../../cli/commands/inventory.js';
import { parseRunArgs } from '../../cli/commands/run.js';
import { selectApps } from '../../cli/run/app-names.js';
import { loadRunConfig } from '../../cli/run/config-loader.js';
import { OPERABILITY_PATHS } from '../../cli/run/operability-server.js';

interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile instructions, continuation lines joined, comments dropped. */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    pending += `${line.replace(/\\$/, '').trim()} `;
    if (line.endsWith('\\')) continue;
    const [op, ...rest] = pending.trim().split(/\s+/);
    out.push({ op: op!.toUpperCase(), args: rest.join(' ') });
    pending = '';
  }
  return out;
}

const execForm = (args: string): string[] => JSON.parse(args) as string[];

const dockerfile = instructions(readFileSync('Dockerfile', 'utf8'));
const example = loadRunConfig('examples/foreshadow.yaml');
const compose = parseYaml(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as {
  services: Record<
    string,
    {
      build?: string;
      image?: string;
      command?: string[];
      ports?: string[];
      volumes?: string[];
      environment?: Record<string, string>;
    }
  >;
};

const CLI_ENTRY = ['node', '--import', 'tsx', 'cli/foreshadow.ts'];

/** A `foreshadow …` argument vector our CLI accepts (commands, options, app names, config files). */
function checkCliArgs(args: string[], mounted: Map<string, string>): void {
  const [name, ...rest] = args;
  expect(existsSync(`cli/commands/${name}.ts`), `foreshadow ${name} is a command`).toBe(true);
  if (name === 'run') {
    const values = parseRunArgs(rest);
    const file = mounted.get(values.config!) ?? values.config!;
    expect(existsSync(file), `${values.config} is mounted from a file of the repo`).toBe(true);
    const loaded = loadRunConfig(file);
    expect(selectApps(values.apps, Object.keys(loaded.config.actuators)).length).toBeGreaterThan(0);
  } else if (name === 'inventory') {
    const { positionals } = parseInventoryArgs(rest);
    expect(positionals[0]).toBe('apply');
  } else if (name === 'connectors') {
    expect(['deploy', 'status', 'delete']).toContain(rest[0]);
    expect(rest[1] === 'all' || existsSync(`connectors/configs/${rest[1]}.json`)).toBe(true);
  }
}

describe('Dockerfile', () => {
  const at = (op: string, match: (args: string) => boolean = () => true): number =>
    dockerfile.findIndex((i) => i.op === op && match(i.args));

  it('copies patches/ (and the lock file) before `npm ci`, the sources after it', () => {
    const install = at('RUN', (a) => a.includes('npm ci'));
    expect(install).toBeGreaterThan(0);
    expect(at('COPY', (a) => /^patches\b/.test(a))).toBeLessThan(install);
    expect(at('COPY', (a) => a.includes('package-lock.json'))).toBeLessThan(install);
    expect(at('COPY', (a) => a.startsWith('. '))).toBeGreaterThan(install);
    expect(existsSync('patches/kafkajs+2.2.4.patch')).toBe(true);
    expect(JSON.parse(readFileSync('package.json', 'utf8')).scripts.postinstall).toBe('patch-package');
    // The host's node_modules (unpatched or for another platform) never enters the image.
    expect(readFileSync('.dockerignore', 'utf8').split('\n')).toContain('node_modules');
  });

  it('runs as a non-root user', () => {
    const users = dockerfile.filter((i) => i.op === 'USER').map((i) => i.args);
    expect(users.length).toBeGreaterThan(0);
    expect(['root', '0']).not.toContain(users.at(-1));
    expect(at('USER')).toBeLessThan(at('ENTRYPOINT'));
  });

  it('exposes the ports the example configuration uses, bound to all interfaces', () => {
    const exposed = dockerfile.filter((i) => i.op === 'EXPOSE').flatMap((i) => i.args.split(/\s+/).map(Number));
    const { api, operability } = example.config;
    expect(exposed.sort()).toEqual([api.port, operability.port].sort());
    expect(api.host).toBe('0.0.0.0');
    expect(operability.host).toBe('0.0.0.0');
  });

  it('has a HEALTHCHECK on a path the operability server serves, on its port', () => {
    const hc = dockerfile.find((i) => i.op === 'HEALTHCHECK');
    expect(hc).toBeDefined();
    const url = /https?:\/\/127\.0\.0\.1:(\d+)(\/\w+)/.exec(hc!.args);
    expect(url, hc!.args).not.toBeNull();
    expect(Number(url![1])).toBe(example.config.operability.port);
    expect(OPERABILITY_PATHS as readonly string[]).toContain(url![2]);
  });

  it('its entry point and default command are a real `foreshadow run`', () => {
    const entry = execForm(dockerfile.find((i) => i.op === 'ENTRYPOINT')!.args);
    expect(entry).toEqual(CLI_ENTRY);
    const cmd = execForm(dockerfile.find((i) => i.op === 'CMD')!.args);
    expect(cmd[0]).toBe('run');
    checkCliArgs(cmd, new Map([['/etc/foreshadow/foreshadow.yaml', 'examples/foreshadow.yaml']]));
  });
});

describe('docker-compose.yml', () => {
  const ours = Object.entries(compose.services).filter(([, s]) => s.build === '.' || s.image === 'foreshadow:local');

  it('runs the stack, PostgreSQL and the pipeline', () => {
    for (const s of ['kafka', 'registry', 'connect', 'postgres', 'foreshadow'])
      expect(Object.keys(compose.services)).toContain(s);
    expect(compose.services.postgres!.ports).toContain('5432:5432');
    expect(compose.services.connect!.ports).toContain('8083:8083');
  });

  it('every command of our image is a real CLI command, with files that exist', () => {
    expect(ours.length).toBeGreaterThanOrEqual(2);
    for (const [name, s] of ours) {
      expect(s.command, `${name} has a command`).toBeDefined();
      const mounted = new Map<string, string>();
      for (const v of s.volumes ?? []) {
        const [from, to] = v.split(':');
        if (from?.startsWith('./')) mounted.set(to!, from.slice(2));
      }
      checkCliArgs(s.command!, mounted);
    }
  });

  it('maps the ports the configuration uses, and Dockerfile exposes', () => {
    const { api, operability } = example.config;
    const ports = compose.services.foreshadow!.ports!.map((p) => Number(p.split(':')[1]));
    expect(ports.sort()).toEqual([api.port, operability.port].sort());
  });

  it('mounts only files and folders that exist; scripts run in other images exist too', () => {
    for (const [, s] of Object.entries(compose.services)) {
      for (const v of s.volumes ?? []) {
        const from = v.split(':')[0]!;
        if (from.startsWith('./')) expect(existsSync(from), v).toBe(true);
      }
      for (const arg of s.command ?? []) {
        const script = /\/src\/(stack\/\S+\.sh)/.exec(arg);
        if (script) expect(existsSync(script[1]!), arg).toBe(true);
      }
    }
  });

  it('points the pipeline at the stack services (they win over the file, as environment variables)', () => {
    const env = compose.services.foreshadow!.environment!;
    expect(env.KAFKA_BROKERS).toBe('kafka:9092');
    expect(env.SCHEMA_REGISTRY_URL).toBe('http://registry:8080/apis/ccompat/v7');
    expect(env.API_TOKENS).toMatch(/FORESHADOW_API_TOKENS/);
  });
});
