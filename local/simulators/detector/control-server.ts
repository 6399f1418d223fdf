/**
 * The detector control of the simulated detectors: what the facility's
 * Jungfrau control software does for take_pedestal and power_on_detector,
 * done on the detector buffer simulator, over HTTP so the broker's functions
 * (separate processes) reach it through their adapter
 * (lib/adapters/detector-control/simulator-control.ts):
 *
 *   POST /take_pedestal {detectors, rate_multiplicator, pedestalmode}
 *        -> 200 {schedules: {<DET>: {start_pulseid, stop_pulseid, frames_per_stage, loops}}}
 *   POST /power_on  {detector}             -> 200 {ok: true}
 *   POST /power_off {detector, modules?}   -> 200 {ok: true}   (the demo's and tests' way to stop one)
 *
 * 400 {error} for what the detector cannot do (unknown detector, a pedestal
 * already being taken).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pedestalStopPulseId } from './pedestal-mode';
import { PedestalBusy, type DetectorBufferSimulator } from './simulator';

export interface DetectorControlOptions {
  simulator: DetectorBufferSimulator;
  /** The detectors the simulator writes (others are refused). */
  detectors: string[];
  host?: string;
  port?: number;
  /** Frames per gain stage of a pedestal run (default the facility's: 1000, or 50 in pedestal mode). */
  framesPerStage?: number;
}

export interface DetectorControlServer {
  url: string;
  close(): Promise<void>;
}

class Refused extends Error {}

/** @example const control = await startDetectorControl({ simulator, detectors: ['JF01T03V01'] }); // control.url */
export async function startDetectorControl(options: DetectorControlOptions): Promise<DetectorControlServer> {
  const { simulator } = options;
  const known = (detector: unknown): string => {
    if (typeof detector !== 'string' || !options.detectors.includes(detector)) throw new Refused(`detector ${JSON.stringify(detector)} is not simulated here (simulated: ${options.detectors.join(', ')})`);
    return detector;
  };
  const routes: Record<string, (body: Record<string, unknown>) => unknown> = {
    '/take_pedestal': (body) => {
      const detectors = Array.isArray(body.detectors) ? body.detectors.map(known) : [];
      if (detectors.length === 0) throw new Refused('no detectors');
      // Every detector starts at the same pulse, as one trigger of the control software does;
      // all or none (a busy detector leaves the others' schedules as they were).
      const before = new Map(detectors.map((d) => [d, simulator.pedestals.get(d)]));
      const schedules: Record<string, unknown> = {};
      let start: bigint | undefined;
      try {
        for (const detector of detectors) {
          const s = simulator.takePedestal(detector, {
            ...(start !== undefined ? { startPulseId: start } : {}),
            rateMultiplicator: Number(body.rate_multiplicator ?? 1),
            pedestalmode: body.pedestalmode === true,
            ...(options.framesPerStage !== undefined ? { framesPerStage: options.framesPerStage } : {}),
          });
          start = s.startPulseId;
          schedules[detector] = { start_pulseid: Number(s.startPulseId), stop_pulseid: Number(pedestalStopPulseId(s)), frames_per_stage: s.framesPerStage, loops: s.loops };
        }
      } catch (error) {
        for (const [d, s] of before) {
          if (s) simulator.pedestals.set(d, s);
          else simulator.pedestals.delete(d);
        }
        throw error;
      }
      return { schedules };
    },
    '/power_on': (body) => {
      simulator.powerOn(known(body.detector));
      return { ok: true };
    },
    '/power_off': (body) => {
      simulator.powerOff(known(body.detector), Array.isArray(body.modules) ? body.modules.map(Number) : undefined);
      return { ok: true };
    },
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const reply = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      const route = req.method === 'POST' ? routes[req.url ?? ''] : undefined;
      if (!route) return reply(404, { error: `no ${req.method} ${req.url}` });
      let text = '';
      for await (const chunk of req) text += chunk;
      try {
        reply(200, route(JSON.parse(text || '{}') as Record<string, unknown>));
      } catch (error) {
        if (error instanceof Refused || error instanceof PedestalBusy || error instanceof SyntaxError) reply(400, { error: (error as Error).message });
        else reply(500, { error: (error as Error).message });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
