import { createServer } from 'node:http';

/** The URL of a port that was free a moment ago: nothing listens there, so connections are refused. */
export async function deadUrl(): Promise<string> {
  const probe = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => probe.once('listening', resolve));
  const url = `http://127.0.0.1:${(probe.address() as { port: number }).port}`;
  await new Promise((resolve) => probe.close(resolve));
  return url;
}
