import type { TestStack } from './local-stack';

const FINAL = new Set(['done', 'done_with_problems', 'failed']);

/** Poll GET /runs/{pgroup}/{run} until the run reaches a final state. */
export async function waitForRun(stack: TestStack, pgroup: string, run: number, timeoutMs = 90_000, headers: Record<string, string> = {}): Promise<Record<string, any>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { json } = await stack.get(`/runs/${pgroup}/${run}`, headers);
    const state = (json.run as { state?: string } | undefined)?.state;
    if (state && FINAL.has(state)) return json.run as Record<string, any>;
    if (Date.now() > deadline) throw new Error(`run ${run} of ${pgroup} did not finish in ${timeoutMs} ms (last answer ${JSON.stringify(json).slice(0, 300)})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
