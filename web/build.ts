/**
 * Builds the run monitor (web/monitor/: Preact + uPlot, TSX) with esbuild into
 * web/dist/monitor/: index.html, app.js, app.css. `npm run build:web` runs it;
 * `npm start`, `npm test` and `npm run package` run it first (npm pre-scripts),
 * the browser test calls `buildMonitor()` itself. serverless.yml packages
 * web/dist/monitor/** with the `monitor` function, which serves the files
 * (lib/quicklook/monitor-assets.ts).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const WEB = fileURLToPath(new URL('.', import.meta.url));

export interface BuiltMonitor {
  outdir: string;
  /** File name -> bytes. */
  files: Record<string, number>;
}

/**
 * @example const { outdir } = await buildMonitor(); // web/dist/monitor
 */
export async function buildMonitor(options: { outdir?: string; minify?: boolean } = {}): Promise<BuiltMonitor> {
  const outdir = options.outdir ?? join(WEB, 'dist', 'monitor');
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  await build({
    entryPoints: { app: join(WEB, 'monitor', 'main.tsx') },
    bundle: true,
    outdir,
    format: 'esm',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: options.minify ?? true,
    legalComments: 'none',
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const js = await readFile(join(outdir, 'app.js'));
  const css = await readFile(join(outdir, 'app.css'));
  // The version in the files' addresses changes with their content: a new deployment is never mixed with a cached old script.
  const version = createHash('sha256').update(js).update(css).digest('hex').slice(0, 12);
  const html = (await readFile(join(WEB, 'monitor', 'index.html'), 'utf8')).replaceAll('%VERSION%', version);
  await writeFile(join(outdir, 'index.html'), html);
  return { outdir, files: { 'index.html': Buffer.byteLength(html), 'app.js': js.length, 'app.css': css.length } };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const built = await buildMonitor();
  console.log(`run monitor built in ${built.outdir}: ${Object.entries(built.files).map(([name, bytes]) => `${name} ${(bytes / 1024).toFixed(1)} KiB`).join(', ')}`);
}
