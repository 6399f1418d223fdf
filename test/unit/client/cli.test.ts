import { describe, expect, test } from 'vitest';
import { runCli } from '../../helpers/cli';
import { exitForState } from '../../../cli/exit-codes';
import { formatRun, formatRunTable } from '../../../cli/format';
import { bar, ProgressLine, pulseProgress } from '../../../cli/progress';
import { BrokerUnavailable, followRun, waitForPulses, type BrokerClient, type PulseClock, type RunStatus } from '../../../lib/client';

/** The CLI in this process with captured streams (the e2e tests run the real binary). */
const cli = (argv: string[], env: Record<string, string> = {}) => runCli(argv, { env });

const RUN: RunStatus = {
  beamline: 'alvra', pgroup: 'p12345', run_number: 3, state: 'done_with_problems', updated: '2025-06-01T12:00:01.123Z',
  sources: [
    { source: 'BSREAD', kind: 'data', file: '/sf/alvra/data/p12345/raw/run_000003.BSREAD.h5', state: 'done_with_problems',
      check: { verdict: 'problems', channels: { 'A:1': { problems: [] }, 'NO:SUCH': { problems: ['no data in range'] } } } },
    { source: 'JF01T03V01', kind: 'detector', file: '/sf/alvra/data/p12345/raw/run_000003.JF01T03V01.h5', state: 'failed', reason: 'range expired' },
  ],
};

describe('the progress bar (the original BrokerClient\'s)', () => {
  test('20 blocks, percent floored, the run it will be', () => {
    expect(bar(0)).toBe('[--------------------]');
    expect(bar(0.25)).toBe('[#####---------------]');
    expect(pulseProgress(0.995, 2)).toBe('[####################] 99% Run: 2');
    expect(pulseProgress(1.2, 2)).toBe('[####################] 100% Run: 2');
  });

  test('redraws one line with \\r on a terminal; writes nothing elsewhere', () => {
    let written = '';
    const sink = { write: (s: string) => ((written += s), true) } as unknown as NodeJS.WritableStream;
    const line = new ProgressLine(sink, true);
    line.update('a');
    line.update('a');
    line.update('bb');
    line.finish();
    expect(written).toBe('\ra\x1b[K\rbb\x1b[K\n');
    written = '';
    const off = new ProgressLine(sink, false);
    off.update('a');
    off.finish();
    expect(written).toBe('');
  });

  test('waitForPulses reports progress until the clock passes stop, or stops early on abort', async () => {
    let pulse = 100;
    const clock: PulseClock = { origin: 'test', currentPulseId: async () => (pulse += 10) };
    const seen: number[] = [];
    expect(await waitForPulses(clock, 100, 149, { intervalMs: 1, onProgress: (f) => seen.push(f) })).toEqual({ current: 150, interrupted: false });
    expect(seen.at(-1)).toBe(1);
    const controller = new AbortController();
    controller.abort();
    pulse = 100;
    expect((await waitForPulses(clock, 100, 10_000, { signal: controller.signal })).interrupted).toBe(true);
  });
});

describe('status as text', () => {
  test('a run: state, sources with check verdicts, the channels with problems, reasons', () => {
    expect(formatRun(RUN).split('\n')).toEqual([
      'run 3 of p12345 (alvra): done_with_problems',
      '  BSREAD      done_with_problems  check problems (1 of 2 channels with problems)  /sf/alvra/data/p12345/raw/run_000003.BSREAD.h5',
      '      NO:SUCH: no data in range',
      '  JF01T03V01  failed                                                              /sf/alvra/data/p12345/raw/run_000003.JF01T03V01.h5',
      '      range expired',
      '  updated 2025-06-01T12:00:01.123Z',
    ]);
  });

  test('runs as a table', () => {
    expect(formatRunTable([RUN, { ...RUN, run_number: 12, state: 'retrieving', sources: [] }]).split('\n')).toEqual([
      'RUN  STATE               SOURCES  UPDATED               REASON',
      '  3  done_with_problems  2/2      2025-06-01 12:00:01Z',
      ' 12  retrieving          0/0      2025-06-01 12:00:01Z',
    ]);
  });

  test('exit codes by state', () => {
    expect(['done', 'done_with_problems', 'failed', 'retrieving', 'accepted'].map(exitForState)).toEqual([0, 4, 5, 6, 6]);
  });
});

describe('the command line (in process)', () => {
  test('help: the overview, and each command\'s options', async () => {
    const overview = await cli(['--help']);
    expect(overview.code).toBe(0);
    for (const command of ['retrieve', 'run', 'status', 'runs', 'current-run', 'advance-run', 'close']) expect(overview.out).toContain(`  ${command} `);
    const run = await cli(['run', '--help']);
    expect(run.out).toMatch(/--pulses N +number of pulses/);
    expect(run.out).toMatch(/-c, --channels FILE/);
  });

  test('daq_client.py spellings are accepted as aliases; giving both differently is an error', async () => {
    const both = await cli(['retrieve', '-p', 'p12345', '--start_pulseid', '1', '--start', '2', '--stop', '3']);
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/--start_pulseid and --start say different things\n\(see 'sfdaq retrieve --help'\)/);
  });

  test('a broker address that is not a URL is a usage error naming where it came from', async () => {
    const out = await cli(['current-run', '-p', 'p12345'], { SFDAQ_BROKER: 'sf-daq-1:10002' });
    expect(out.code).toBe(2);
    expect(out.err).toMatch(/must start with http:\/\/ or https:\/\/ \(from SFDAQ_BROKER\)/);
  });
});

describe('riding out outages', () => {
  test('a clock that stops answering is bridged at 100 Hz from the last pulse read', async () => {
    let calls = 0;
    const clock: PulseClock = {
      origin: 'test',
      currentPulseId: async () => {
        calls += 1;
        if (calls === 1) return 1000;
        throw new Error('clock down');
      },
    };
    const { current, interrupted } = await waitForPulses(clock, 1000, 1004, { intervalMs: 5 });
    expect(interrupted).toBe(false);
    expect(current).toBeGreaterThanOrEqual(1004);
    await expect(waitForPulses({ origin: 't', currentPulseId: async () => { throw new Error('clock down'); } }, 0, 10_000, { outageMs: 0 })).rejects.toThrow('clock down');
  });

  test('followRun polls again while the broker is unavailable, and gives up after outageMs', async () => {
    const done: RunStatus = { ...RUN, state: 'done' };
    let calls = 0;
    const flaky = { runStatus: async () => {
      calls += 1;
      if (calls < 3) throw new BrokerUnavailable('restarting');
      return { status: 'ok', message: 'done', run: done };
    } } as unknown as BrokerClient;
    expect((await followRun(flaky, 'p12345', 3, { intervalMs: 1 })).state).toBe('done');
    const down = { runStatus: async () => { throw new BrokerUnavailable('down'); } } as unknown as BrokerClient;
    await expect(followRun(down, 'p12345', 3, { intervalMs: 1, outageMs: 5 })).rejects.toThrow('down');
  });
});
