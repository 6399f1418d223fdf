/**
 * The run monitor in a real browser: Debian's Chromium (headless) driven by
 * playwright-core against the local stack. The page is built first
 * (web/build.ts), the stack serves it at /monitor. Screenshots of the pages
 * go to test/browser/screenshots/ (git-ignored) for people to look at.
 *
 * Without /usr/bin/chromium (`apt-get install -y chromium`) the suite is skipped with a message.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildMonitor } from '../../web/build';
import { startTestStack, type TestStack } from '../helpers/local-stack';

const CHROMIUM = process.env.SFDAQ_CHROMIUM ?? '/usr/bin/chromium';
/** The flags that work on this machine (env notes): no sandbox as root, no background connections to a closed network. */
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
const available = existsSync(CHROMIUM);
if (!available) console.warn(`[browser] the run monitor's browser tests are skipped: ${CHROMIUM} is missing (install it with: apt-get install -y chromium)`);

const KEY = 'alvra-demo-key';
const FINAL = ['done', 'done_with_problems', 'failed'];
/** A canvas as the page has it (the test's own types have no DOM). */
type CanvasLike = { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Pixels of a canvas (in the page) matching a test, counted in the page. */
async function countPixels(page: Page, selector: string, test: 'stroke' | 'any' | 'red' | 'green' | 'distinct'): Promise<number> {
  return page.locator(selector).first().evaluate((el, kind) => {
    const canvas = el as unknown as CanvasLike;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    const seen = new Set<number>();
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b, a] = [data[i]!, data[i + 1]!, data[i + 2]!, data[i + 3]!];
      if (kind === 'distinct') seen.add((r << 16) | (g << 8) | b);
      else if (kind === 'any' ? a > 0 : kind === 'stroke' ? a > 0 && b > 120 && r < 120 : kind === 'red' ? r > 180 && g < 100 : g > 130 && r < 100) n++;
    }
    return kind === 'distinct' ? seen.size : n;
  }, test);
}

describe.skipIf(!available)('the run monitor in Chromium', () => {
  let stack: TestStack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const requests: Array<{ url: string; headers: Record<string, string> }> = [];
  const pulseNow = () => Number(stack.clock.currentPulseId());

  beforeAll(async () => {
    await buildMonitor();
    await mkdir(SHOTS, { recursive: true });
    // The demo's waits before reading (shortened): long enough to see a run `retrieving`.
    stack = await startTestStack({ delays: { dataSeconds: 2, detectorSeconds: 2 }, env: { SFDAQ_PROGRESS_INTERVAL_MS: '200' } });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('request', (r) => requests.push({ url: r.url(), headers: r.headers() }));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.destroy();
  });

  test('the runs table renders; a run submitted meanwhile appears within 2 s and reaches done, live', async () => {
    const expired = await stack.post('/retrieve_from_buffers', { pgroup: 'p12345', start_pulseid: 1000, stop_pulseid: 2000, channels_list: ['SAR-CVME-TIFALL5:EvtSet'] });
    expect(expired.json).toMatchObject({ status: 'ok', run_number: 1 });
    await page.goto(`${stack.url}/monitor?key=${KEY}&pgroup=p12345`);
    await page.locator('[data-testid=runs-table] tr[data-run="1"]').waitFor();
    expect(page.url()).not.toContain('key='); // the key left the address bar at once
    expect(await page.locator('header .beamline').textContent()).toBe('alvra');

    const p = pulseNow();
    const accepted = await stack.post('/retrieve_from_buffers', {
      pgroup: 'p12345', start_pulseid: p - 500, stop_pulseid: p - 100, rate_multiplicator: 10, directory_name: 'monitor',
      channels_list: ['SARFE10-PBPG050:HAMP-INTENSITY-CAL', 'SAR-CVME-TIFALL5:EvtSet'], camera_list: ['SATES21-CAMS154-M1:FPICTURE'],
      pv_list: ['SARFE10-OPSH044:PRESSURE'], detectors: { JF01T03V01: {} },
    });
    const answered = Date.now();
    expect(accepted.json).toMatchObject({ status: 'ok', run_number: 2 });
    const row = page.locator('tr[data-run="2"]');
    await row.waitFor({ timeout: 5_000 });
    expect(Date.now() - answered).toBeLessThan(2_000);

    const seen: string[] = [];
    const deadline = Date.now() + 90_000;
    for (;;) {
      const state = (await row.getAttribute('data-state')) ?? '';
      if (seen.at(-1) !== state) seen.push(state);
      if (FINAL.includes(state)) break;
      if (Date.now() > deadline) throw new Error(`run 2 did not finish in the table (states seen: ${seen.join(' -> ')})`);
      await sleep(100);
    }
    expect(seen.at(-1)).toBe('done');
    expect(seen).toContain('retrieving'); // the page followed it without a reload
    await row.locator('[data-verdict="ok"]').waitFor();
    expect(await row.locator('td').nth(5).textContent()).toMatch(/ MB$/);
    expect(await page.locator('tr[data-run="1"]').getAttribute('data-state')).toBe('failed');

    // Filters: only the failed run under "Failed".
    await page.click('button[data-filter="failed"]');
    expect(await page.locator('tbody tr[data-run]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-run')))).toEqual(['1']);
    await page.click('button[data-filter="all"]');

    // The key travels as a header, never in an address or a Referer.
    const api = requests.filter((r) => /\/(monitor\/runs|runs)\/p12345/.test(r.url));
    expect(api.length).toBeGreaterThanOrEqual(3);
    for (const r of api) expect(r.headers['x-api-key']).toBe(KEY);
    for (const r of requests.slice(1)) {
      expect(r.url).not.toContain(KEY);
      expect(r.headers.referer ?? '').not.toContain(KEY);
    }
    await page.screenshot({ path: `${SHOTS}runs.png`, fullPage: true });
  }, 150_000);

  test('the run page: sources, the check verdict per channel, request, files, logs, and the quick-look plots', async () => {
    await page.click('tr[data-run="2"] a');
    const run = page.locator('[data-testid=run-page]');
    await run.locator('.check-source[data-source="BSREAD"][data-verdict="ok"]').waitFor();
    expect(await run.locator('.source-card').evaluateAll((cards) => cards.map((c) => [c.getAttribute('data-source'), c.getAttribute('data-state')]))).toEqual([
      ['BSREAD', 'done'], ['CAMERAS', 'done'], ['PVCHANNELS', 'done'], ['JF01T03V01', 'done'],
    ]);
    expect(await run.locator('.check-source[data-source="BSREAD"] tr[data-channel]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-verdict')))).toEqual(['ok', 'ok']);
    expect(await run.locator('.check-source[data-verdict="ok"]').count()).toBe(4);
    expect(await run.locator('[data-testid=request-json]').textContent()).toContain('"directory_name": "monitor"');
    expect(await run.locator('[data-testid=files-table] tbody tr').count()).toBe(4);
    expect(await run.locator('[data-testid=files-table]').textContent()).toContain('monitor/run_000002.JF01T03V01.h5');
    expect(await run.locator('#logs details').count()).toBe(4);

    // The plots: each drawn, checked by its pixels.
    await run.locator('[data-testid=plot-series] .uplot canvas').first().waitFor();
    await run.locator('[data-testid=plot-image][data-source="CAMERAS"] canvas[data-drawn="true"]').waitFor({ timeout: 30_000 });
    await run.locator('[data-testid=plot-image][data-source="JF01T03V01"] canvas[data-drawn="true"]').waitFor({ timeout: 30_000 });
    await sleep(300);
    expect(await countPixels(page, '.source-plots[data-source="BSREAD"] .uplot canvas', 'stroke')).toBeGreaterThan(300);
    expect(await countPixels(page, '.source-plots[data-source="PVCHANNELS"] .uplot canvas', 'stroke')).toBeGreaterThan(100);
    expect(await countPixels(page, '[data-testid=plot-image][data-source="CAMERAS"] canvas', 'distinct')).toBeGreaterThan(20);
    const detector = run.locator('[data-testid=plot-image][data-source="JF01T03V01"] canvas');
    expect(await detector.evaluate((c) => [(c as unknown as CanvasLike).width, (c as unknown as CanvasLike).height])).toEqual([512, 768]);
    expect(await countPixels(page, '[data-testid=plot-image][data-source="JF01T03V01"] canvas', 'any')).toBe(512 * 768);
    const strips = run.locator('[data-testid=plot-presence] canvas.strip');
    await expect.poll(() => strips.count()).toBe(4); // 2 BS channels, the camera, the detector
    expect(await countPixels(page, '.source-plots[data-source="BSREAD"] canvas.strip', 'green')).toBeGreaterThan(0);
    expect(await countPixels(page, '.source-plots[data-source="BSREAD"] canvas.strip', 'red')).toBe(0);
    await page.screenshot({ path: `${SHOTS}run.png`, fullPage: true });
  }, 90_000);

  test('a run with missing pulses: done with problems, the missing pulses named, red in the presence strip', async () => {
    const p = pulseNow();
    // SIM-RATE:DROPS misses every pulse whose id mod 7 is 3.
    const accepted = await stack.post('/retrieve_from_buffers', { pgroup: 'p12345', start_pulseid: p - 400, stop_pulseid: p - 101, channels_list: ['SIM-RATE:DROPS', 'SARFE10-PBPG050:HAMP-INTENSITY-CAL'] });
    expect(accepted.json).toMatchObject({ status: 'ok', run_number: 3 });
    await page.goto(`${stack.url}/monitor#/p12345/3`);
    const run = page.locator('[data-testid=run-page]');
    await run.locator('.check-source[data-source="BSREAD"][data-verdict="problems"]').waitFor({ timeout: 60_000 });
    const drops = run.locator('.check-source tr[data-channel="SIM-RATE:DROPS"]');
    expect(await drops.getAttribute('data-verdict')).toBe('problems');
    const firstMissing = p - 400 + ((3 - ((p - 400) % 7) + 7) % 7);
    expect(await drops.textContent()).toContain(String(firstMissing));
    expect(await run.locator('.check-source tr[data-channel="SARFE10-PBPG050:HAMP-INTENSITY-CAL"]').getAttribute('data-verdict')).toBe('ok');
    await run.locator('.strip-row[data-channel="SIM-RATE:DROPS"] canvas.strip').waitFor();
    await sleep(200);
    expect(await countPixels(page, '.strip-row[data-channel="SIM-RATE:DROPS"] canvas.strip', 'red')).toBeGreaterThan(30);
    expect(await countPixels(page, '.strip-row[data-channel="SARFE10-PBPG050:HAMP-INTENSITY-CAL"] canvas.strip', 'red')).toBe(0);
    await run.locator('.uplot canvas').first().waitFor();
    await page.screenshot({ path: `${SHOTS}run-problems.png`, fullPage: true });
  }, 90_000);

  test('progress inside the sources: a detector being written shows its pulses written against those expected, live', async () => {
    const now = Number(stack.clock.currentPulseId());
    const { json } = await stack.post('/retrieve_from_buffers', {
      pgroup: 'p12345', start_pulseid: now - 1_100, stop_pulseid: now - 301, directory_name: 'progress', detectors: { JF01T03V01: {} },
    });
    expect(json.status).toBe('ok');
    await page.goto(`${stack.url}/monitor#/p12345/${json.run_number}`);
    // A bar with a value: the retriever's own report (every 0.2 s here), merged into the run's status by the API.
    const bar = page.locator('.source-card[data-source="JF01T03V01"] [role=progressbar][aria-valuenow]');
    await bar.waitFor({ timeout: 30_000 });
    expect(Number(await bar.getAttribute('aria-valuemax'))).toBe(800);
    // The bar is there from the plan on (0 written); the parts' reports then move it.
    await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow')), { timeout: 30_000, interval: 100 }).toBeGreaterThan(0);
    expect(await page.locator('.source-card[data-source="JF01T03V01"]').textContent()).toMatch(/\/ 800 pulses/);
    await page.screenshot({ path: `${SHOTS}run-progress.png` });
    await page.locator('.source-card[data-source="JF01T03V01"][data-state="done"]').waitFor({ timeout: 60_000 });
  }, 120_000);

  test("errors a person can act on: another beamline's key, an unknown key, a run that does not exist, an unreachable API", async () => {
    const bernina = await browser.newContext({ viewport: { width: 1280, height: 600 } });
    try {
      const other = await bernina.newPage();
      await other.goto(`${stack.url}/monitor?key=bernina-demo-key&pgroup=p12345`);
      const banner = other.locator('[data-testid=error]');
      await banner.waitFor();
      expect(await banner.getAttribute('data-kind')).toBe('forbidden');
      expect(await banner.textContent()).toMatch(/pgroup p12345 does not exist at beamline bernina.*A beamline sees only its own pgroups/);
      expect(await other.locator('tr[data-run]').count()).toBe(0);
      await other.screenshot({ path: `${SHOTS}refused-bernina.png` });
      await other.goto(`${stack.url}/monitor#/p12345/2`);
      await other.locator('[data-testid=run-page] [data-testid=error][data-kind="forbidden"]').waitFor();
      expect(await other.locator('.source-card').count()).toBe(0);

      await other.goto(`${stack.url}/monitor?key=no-such-key#/p12345`);
      await other.locator('[data-testid=error][data-kind="key"]').waitFor();
      expect(await other.locator('[data-testid=error]').textContent()).toContain('Your API key was refused: the API key is not known to any beamline');
    } finally {
      await bernina.close();
    }

    await page.goto(`${stack.url}/monitor#/p12345/999`);
    const missing = page.locator('[data-testid=error][data-kind="no-run"]');
    await missing.waitFor();
    expect(await missing.textContent()).toContain('Run 999 of pgroup p12345 does not exist (the last run is');

    await page.goto(`${stack.url}/monitor#/p12345`);
    await page.locator('tr[data-run="3"]').waitFor();
    await page.route('**/monitor/runs/**', (route) => route.abort('connectionrefused'));
    const down = page.locator('[data-testid=error][data-kind="unreachable"]');
    await down.waitFor({ timeout: 10_000 });
    expect(await down.textContent()).toMatch(/cannot be reached.*the page keeps trying/);
    expect(await page.locator('tr[data-run="3"]').count()).toBe(1); // the last answer stays shown
    await page.screenshot({ path: `${SHOTS}unreachable.png` });
    await page.unroute('**/monitor/runs/**');
    await down.waitFor({ state: 'detached', timeout: 15_000 }); // back by itself
  }, 90_000);
});
