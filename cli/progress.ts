/**
 * One self-overwriting line on a terminal: the original BrokerClient's
 * `[####----------------] 20% Run: 3`. Off a terminal (a pipe, a log file)
 * nothing is drawn, so captured output stays clean.
 */

/**
 * The original's 20-character bar.
 * @example bar(0.25) // '[#####---------------]'
 */
export function bar(fraction: number, width = 20): string {
  const blocks = Math.round(width * Math.min(1, Math.max(0, fraction)));
  return `[${'#'.repeat(blocks)}${'-'.repeat(width - blocks)}]`;
}

/**
 * The line BrokerClient.run printed while taking pulses.
 * @example pulseProgress(0.995, 2) // '[####################] 99% Run: 2'
 */
export function pulseProgress(fraction: number, expectedRun: number): string {
  return `${bar(fraction)} ${Math.floor(Math.min(1, fraction) * 100)}% Run: ${expectedRun}`;
}

/** `m:ss` of a duration in ms. */
export function clock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export class ProgressLine {
  private drawn = false;
  private last = '';

  constructor(private readonly stream: NodeJS.WritableStream, readonly enabled: boolean) {}

  /** Redraw the line (only when its text changed). */
  update(text: string): void {
    if (!this.enabled || text === this.last) return;
    // \r back to the start, \x1b[K clears what a longer earlier line left.
    this.stream.write(`\r${text}\x1b[K`);
    this.drawn = true;
    this.last = text;
  }

  /** Leave the last drawn line in place and move to the next line. */
  finish(): void {
    if (this.drawn) this.stream.write('\n');
    this.drawn = false;
    this.last = '';
  }
}
