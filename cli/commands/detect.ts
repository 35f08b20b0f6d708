/**
 * `foreshadow detect probe --vantage <name> [...]`: one prober (vantage point) probing the
 * resources of the deployments table, publishing on resource.probes.
 * `foreshadow detect judge [...]`: the quorum judge, publishing host.failures when a quorum of
 * vantages agree. Run at least two probers (`--vantage` distinct), in different places, per judge
 * quorum of 2. Both run until SIGINT/SIGTERM and print one `{"msg":"ready",...}` line once started.
 */
import { runProber } from '../../sinks/run-prober.js';
import { startFailureDetector } from '../../streams/processors/failure-detector/app.js';
import { numberFlag, parseFlags, UsageError } from '../args.js';
import type { CliCommand } from '../command.js';

const usage = [
  'usage: foreshadow detect probe --vantage <name> [--interval-ms 1000] [--down-after-ms 3000] [--timeout-ms N]',
  '                               [--stall-tolerance-ms N] [--redis-kinds redis,...] [--tcp-kinds kind,...]',
  '                               [--password-env VAR] [--group g] [--probes-topic t] [--deployments-topic t]',
  '                               [--shadow-state-topic t]',
  '       foreshadow detect judge [--quorum 2] [--min-failed-probes 1] [--application-id id]',
  '                               [--commit-interval-ms 100] [--state-dir dir] [--metrics-port N]',
  '                               [--start-at earliest|latest]',
  '                               [--probes-topic t] [--failures-topic t]',
].join('\n');

const PROBE_FLAGS = {
  command: 'detect probe',
  usage,
  options: {
    vantage: { type: 'string' },
    'interval-ms': { type: 'string' },
    'down-after-ms': { type: 'string' },
    'timeout-ms': { type: 'string' },
    'stall-tolerance-ms': { type: 'string' },
    'redis-kinds': { type: 'string' },
    'tcp-kinds': { type: 'string' },
    'password-env': { type: 'string' },
    group: { type: 'string' },
    'probes-topic': { type: 'string' },
    'deployments-topic': { type: 'string' },
    'shadow-state-topic': { type: 'string' },
  },
} as const;

const JUDGE_FLAGS = {
  command: 'detect judge',
  usage,
  options: {
    quorum: { type: 'string' },
    'min-failed-probes': { type: 'string' },
    'application-id': { type: 'string' },
    'commit-interval-ms': { type: 'string' },
    'state-dir': { type: 'string' },
    'metrics-port': { type: 'string' },
    'start-at': { type: 'string' },
    'probes-topic': { type: 'string' },
    'failures-topic': { type: 'string' },
  },
} as const;

const int = (value: string | undefined, flag: string, spec: { command: string; usage: string }, min = 0) =>
  numberFlag(value, flag, spec, { min, integer: true });

function list(raw: string | undefined): string[] | undefined {
  return raw
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

/** The object without its undefined fields (exactOptionalPropertyTypes: absent, not undefined). */
function defined<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}

async function probe(args: string[]): Promise<number> {
  const { values } = parseFlags(args, PROBE_FLAGS);
  if (!values.vantage) throw new UsageError('detect probe: --vantage <name> is required (distinct per prober)', usage);
  const running = await runProber({
    vantage: values.vantage,
    ...defined({
      intervalMs: int(values['interval-ms'], 'interval-ms', PROBE_FLAGS, 10),
      downAfterMs: int(values['down-after-ms'], 'down-after-ms', PROBE_FLAGS, 10),
      timeoutMs: int(values['timeout-ms'], 'timeout-ms', PROBE_FLAGS, 10),
      stallToleranceMs: int(values['stall-tolerance-ms'], 'stall-tolerance-ms', PROBE_FLAGS),
      redisKinds: list(values['redis-kinds']),
      tcpKinds: list(values['tcp-kinds']),
      passwordEnv: values['password-env'],
      group: values.group,
    }),
    topics: defined({
      probes: values['probes-topic'],
      deployments: values['deployments-topic'],
      shadowState: values['shadow-state-topic'],
    }),
  });
  await running.ready;
  console.log(JSON.stringify({ msg: 'ready', component: 'prober', vantage: values.vantage, pid: process.pid }));
  await untilSignal();
  await running.stop();
  return 0;
}

function startAtFlag(raw: string | undefined): 'earliest' | 'latest' | undefined {
  if (raw === undefined || raw === 'earliest' || raw === 'latest') return raw;
  throw new UsageError(`detect judge: --start-at needs earliest or latest, got "${raw}"`, usage);
}

async function judge(args: string[]): Promise<number> {
  const { values } = parseFlags(args, JUDGE_FLAGS);
  const startAt = startAtFlag(values['start-at']);
  const app = await startFailureDetector({
    ...defined({
      applicationId: values['application-id'],
      commitIntervalMs: int(values['commit-interval-ms'], 'commit-interval-ms', JUDGE_FLAGS, 1),
      stateDir: values['state-dir'],
      metricsPort: int(values['metrics-port'], 'metrics-port', JUDGE_FLAGS),
      startAt,
    }),
    detector: defined({
      quorum: int(values.quorum, 'quorum', JUDGE_FLAGS, 1),
      minFailedProbes: int(values['min-failed-probes'], 'min-failed-probes', JUDGE_FLAGS, 1),
    }),
    topics: defined({ probes: values['probes-topic'], failures: values['failures-topic'] }),
  });
  console.log(
    JSON.stringify({ msg: 'ready', component: 'judge', applicationId: app.topology.applicationId, pid: process.pid }),
  );
  await untilSignal();
  await app.close();
  return 0;
}

export const command: CliCommand = {
  summary: 'failure detection: probe resources from a vantage point (probe), or judge them on a quorum (judge)',
  async run(args) {
    const [sub, ...rest] = args;
    if (sub === 'probe') return probe(rest);
    if (sub === 'judge') return judge(rest);
    if (sub?.startsWith('-')) throw new UsageError(`detect: unknown argument ${sub}`, usage);
    throw new UsageError(`detect: probe or judge expected${sub ? `, got ${sub}` : ''}`, usage);
  },
};
