/**
 * The run monitor's static files (web/build.ts writes them to web/dist/monitor/):
 * found next to the deployed function (serverless.yml packages
 * web/dist/monitor/** with it) or in the source tree, read once, served with
 * an ETag. The page itself holds no data and no key: every call it makes is
 * authorised like any other API call.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Asset {
  body: string;
  contentType: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  json: 'application/json',
  txt: 'text/plain; charset=utf-8',
};

/** The page's security headers: scripts and calls only from this origin; no referrer, so `?key=` in the page's address never travels. */
export const PAGE_HEADERS = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-cache',
};

/**
 * Where the built files are: SFDAQ_MONITOR_ASSETS, else web/dist/monitor below
 * the Lambda task root, beside the bundle, or in the source tree.
 */
export function assetDirectories(env: NodeJS.ProcessEnv = process.env, moduleUrl: string = import.meta.url): string[] {
  const here = fileURLToPath(new URL('.', moduleUrl));
  return [
    env.SFDAQ_MONITOR_ASSETS,
    env.LAMBDA_TASK_ROOT ? join(env.LAMBDA_TASK_ROOT, 'web/dist/monitor') : undefined,
    resolve(here, '../web/dist/monitor'), // functions/monitor.mjs in a package
    resolve(here, '../../web/dist/monitor'), // lib/quicklook/ in the source tree
    resolve(process.cwd(), 'web/dist/monitor'),
  ].filter((d): d is string => d !== undefined);
}

let loaded: Promise<Map<string, Asset> | undefined> | undefined;

/** Every built file by name, read once per process; undefined if the monitor was not built. */
export function loadAssets(directories = assetDirectories()): Promise<Map<string, Asset> | undefined> {
  loaded ??= (async () => {
    const dir = directories.find((d) => existsSync(join(d, 'index.html')));
    if (!dir) return undefined;
    const assets = new Map<string, Asset>();
    for (const name of await readdir(dir)) {
      const type = TYPES[name.split('.').pop() ?? ''];
      if (!type || name.startsWith('.')) continue;
      const body = await readFile(join(dir, name), 'utf8');
      assets.set(name, { body, contentType: type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
    }
    return assets;
  })();
  return loaded;
}

/** For tests: read the files again at the next request. */
export function reloadAssets(): void {
  loaded = undefined;
}
