/**
 * Single keys from a terminal, without Enter: stdin in raw mode. In raw
 * mode Ctrl-C is the byte 0x03 sfdaq reads itself, not a SIGINT the
 * terminal sends to every process of the foreground group: so `npx sfdaq
 * run` (npm forwards SIGINT to its child, which would then get it twice,
 * and npm itself would see it) behaves as `sfdaq run` does.
 */
export interface KeyInput extends NodeJS.EventEmitter {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  resume(): unknown;
  pause(): unknown;
}

export const CTRL_C = '\x03';
export const CTRL_D = '\x04';

/**
 * Keys from `input` while started; undefined when `input` is not a
 * terminal that can go raw (then Ctrl-C stays a signal).
 *
 * @example
 *   const keys = terminalKeys(process.stdin);
 *   keys?.start((key) => { if (key === CTRL_C) stop(); });
 *   const answer = await keys?.next();   // one key, e.g. 's'
 *   keys?.stop();                        // cooked mode again; stdin paused so the process can end
 */
export function terminalKeys(input: KeyInput): TerminalKeys | undefined {
  if (input.isTTY !== true || typeof input.setRawMode !== 'function') return undefined;
  return new TerminalKeys(input);
}

export class TerminalKeys {
  private listener: ((key: string) => void) | undefined;
  private waiting: ((key: string) => void) | undefined;
  private started = false;
  private readonly onData = (data: Buffer | string) => {
    for (const key of splitKeys(typeof data === 'string' ? data : data.toString('utf8'))) {
      const waiting = this.waiting;
      this.waiting = undefined;
      if (waiting) waiting(key);
      else this.listener?.(key);
    }
  };

  constructor(private readonly input: KeyInput) {}

  /** Raw mode on; every key goes to `onKey` (unless next() waits for it). */
  start(onKey?: (key: string) => void): void {
    this.listener = onKey;
    if (this.started) return;
    this.started = true;
    this.input.setRawMode!(true);
    this.input.on('data', this.onData);
    this.input.resume();
  }

  /** The next key typed (raw mode on if it was not). */
  next(): Promise<string> {
    if (!this.started) this.start(this.listener);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /** Cooked mode again, stdin paused (else it keeps the process alive). Idempotent. */
  stop(): void {
    if (!this.started) return;
    this.started = false;
    this.input.off('data', this.onData);
    this.input.setRawMode!(false);
    this.input.pause();
    this.waiting?.('');
    this.waiting = undefined;
  }
}

/** A chunk of typed text as keys: escape sequences (arrows, ...) whole, other characters one by one. */
function splitKeys(text: string): string[] {
  const keys: string[] = [];
  for (let i = 0; i < text.length; ) {
    const escape = /^\x1b(?:\[[0-9;]*[A-Za-z~]|O[A-Za-z]|.)?/.exec(text.slice(i));
    const key = escape ? escape[0] : String.fromCodePoint(text.codePointAt(i)!);
    keys.push(key);
    i += key.length;
  }
  return keys;
}
