/**
 * Terminal progress for `npm start`: one line per thing starting, ready or happening, with the time
 * since start, coloured when stdout is a terminal. Lines, not a redrawn screen, so the output reads
 * the same in a terminal, a CI log and a test's captured stdout.
 */

const COLOURS = { dim: 2, red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36 } as const;
export type Colour = keyof typeof COLOURS;

export class Progress {
  private readonly t0 = Date.now();
  private readonly colour: boolean;

  constructor(
    private readonly out: NodeJS.WritableStream = process.stdout,
    colour?: boolean,
  ) {
    this.colour = colour ?? (process.stdout.isTTY === true && !process.env.NO_COLOR);
  }

  private paint(text: string, c: Colour): string {
    return this.colour ? `\u001b[${COLOURS[c]}m${text}\u001b[0m` : text;
  }

  private stamp(): string {
    const s = (Date.now() - this.t0) / 1000;
    return this.paint(`+${s.toFixed(1).padStart(6)}s`, 'dim');
  }

  line(tag: string, msg: string, c: Colour = 'cyan'): void {
    this.out.write(`${this.stamp()} ${this.paint(tag.padEnd(9), c)} ${msg}\n`);
  }

  step(msg: string): void {
    this.line('start', msg, 'blue');
  }

  ready(msg: string): void {
    this.line('ready', msg, 'green');
  }

  event(msg: string): void {
    this.line('event', msg, 'magenta');
  }

  warn(msg: string): void {
    this.line('warn', msg, 'yellow');
  }

  fail(msg: string): void {
    this.line('FAIL', msg, 'red');
  }

  status(msg: string): void {
    this.line('status', msg, 'dim');
  }
}
