import type { IncomingMessage, ServerResponse } from 'node:http';
import { type FaultPlan, parseFaultPlan } from '../faults';

/**
 * `PUT /__faults` (JSON FaultPlan, replaces the plan) and `DELETE /__faults`
 * (clears it); 204 on success. The plan object is changed in place because
 * the simulator's handle and tests hold it.
 *
 * @example
 *   await fetch(`${sim.url}/__faults`, { method: 'PUT', body: JSON.stringify({ httpErrors: { status: 503, count: 2 } }) });
 */
export async function handleFaultRoute(req: IncomingMessage, res: ServerResponse, faults: FaultPlan): Promise<void> {
  if (req.method === 'DELETE') {
    replaceFaults(faults, {});
  } else if (req.method === 'PUT') {
    let plan: FaultPlan;
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      plan = parseFaultPlan(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'));
    } catch (error) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end(`bad fault plan: ${(error as Error).message}`);
      return;
    }
    replaceFaults(faults, plan);
  } else {
    res.writeHead(405, { allow: 'PUT, DELETE' }).end();
    return;
  }
  res.writeHead(204).end();
}

function replaceFaults(faults: FaultPlan, plan: FaultPlan): void {
  for (const key of Object.keys(faults)) delete (faults as Record<string, unknown>)[key];
  Object.assign(faults, plan);
}
