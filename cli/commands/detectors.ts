import { readNameFile, type AllowedDetectorsReply, type RunningDetectorsReply } from '../../lib/client';
import type { Context } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';
import { UsageError } from '../io';
import { stringOption } from '../options';

/**
 * The detectors as a table: name, whether it runs (or which modules do not),
 * description, live view.
 * @example formatDetectors(allowed, running) // 'DETECTOR    STATE    DESCRIPTION  LIVE VIEW\nJF01T03V01  running  Jungfrau 1.5M  sf-daq-12:5001'
 */
export function formatDetectors(allowed: AllowedDetectorsReply, running: RunningDetectorsReply): string {
  const stateOf = (d: string) => {
    if (running.running_detectors.includes(d)) return 'running';
    const limping = running.limping_detectors[d];
    if (limping) return `limping (modules ${limping.missing_modules.join(',')} not running)`;
    return running.missing_detectors.includes(d) ? 'missing' : 'unknown';
  };
  const rows = allowed.detectors.map((d, i) => [d, stateOf(d), allowed.descriptions[i] ?? d, allowed.visualisation_address[i] ?? '']);
  const header = ['DETECTOR', 'STATE', 'DESCRIPTION', 'LIVE VIEW'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((cells) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').replace(/ +$/, '')).join('\n');
}

/** `sfdaq detectors`: your beamline's detectors, which run now, their descriptions and live views. Exit 0. */
export async function detectorsCommand(ctx: Context): Promise<ExitCode> {
  const allowed = await ctx.client.allowedDetectors();
  const running = await ctx.client.runningDetectors();
  if (ctx.json) {
    ctx.print(JSON.stringify(allowed));
    ctx.print(JSON.stringify(running));
  } else {
    ctx.print(formatDetectors(allowed, running));
  }
  return EXIT.ok;
}

/**
 * `sfdaq pvlist [--set FILE]`: print your beamline's default PV list, one a
 * line (a PV file as is: `sfdaq pvlist > pvs.txt`); with --set, replace it
 * with FILE's PVs (read before anything is sent) and print it as stored.
 */
export async function pvListCommand(ctx: Context): Promise<ExitCode> {
  const file = stringOption(ctx.values, 'set');
  const reply = file !== undefined ? await ctx.client.setPvList(await readNameFile(file)) : await ctx.client.getPvList();
  if (ctx.json) ctx.print(JSON.stringify(reply));
  else {
    for (const pv of reply.pv_list) ctx.print(pv);
    ctx.note(reply.message);
  }
  return EXIT.ok;
}

/** The --detector option as a list (comma-separated names). */
export function detectorsOption(ctx: Context): string[] {
  const names = (stringOption(ctx.values, 'detector') ?? '').split(',').map((d) => d.trim()).filter((d) => d !== '');
  if (names.length === 0) throw new UsageError('give the detector with -d, e.g. -d JF01T03V01');
  const bad = names.find((d) => !/^JF[0-9]{2}T[0-9]{2}V[0-9]{2}$/.test(d));
  if (bad) throw new UsageError(`-d ${bad} is not a detector name of the form JFxxTyyVzz (e.g. JF01T03V01)`);
  return names;
}

/** `sfdaq power-on -d DET`: power a detector of your beamline on (simulated detectors only). */
export async function powerOnCommand(ctx: Context): Promise<ExitCode> {
  const [detector, ...more] = detectorsOption(ctx);
  if (more.length > 0) throw new UsageError('power-on takes one detector');
  const reply = await ctx.client.powerOnDetector(detector!);
  ctx.print(ctx.json ? JSON.stringify(reply) : reply.message);
  return EXIT.ok;
}
