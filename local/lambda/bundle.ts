import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import * as esbuild from 'esbuild';
import { PROJECT_ROOT, esbuildOptions, loadServerlessYml, packagedExternals } from '../serverless-config';

/** Bump when the layout of a cache entry or the way bundles are built changes. */
const BUNDLER_VERSION = 1;

export interface BundleOptions {
  /** Project root: serverless.yml, package-lock.json, node_modules (default: this repository). */
  root?: string;
  /** Function name -> `handler` as in serverless.yml (default: serverless.yml's functions). */
  functions?: Record<string, { handler: string }>;
  /** esbuild options (default: serverless-esbuild's, from serverless.yml `custom.esbuild`). */
  esbuild?: Record<string, unknown>;
  /** Externals the package ships in its node_modules (default: serverless.yml `custom.esbuild.external`). */
  packagedExternals?: string[];
  /** Where built bundles are kept (default: `<tmpdir>/sfdaq-lambda-<user>`). */
  cacheDir?: string;
  /** Files shipped in the package beside the bundles (serverless.yml `package.patterns`; default: read from serverless.yml). */
  packagedFiles?: string[];
  /** Files or directories, relative to root, whose content keys the cache (default: serverless.yml, package.json, package-lock.json, tsconfig.json, functions/, lib/; the entries' own directories are always added). */
  hashInputs?: string[];
}

export interface FunctionBundle {
  functionName: string;
  /** As in serverless.yml: `functions/retrieve.handler`. */
  handler: string;
  /** The bundle to import (`.../functions/retrieve.mjs`). */
  file: string;
  /** The export the runtime calls (`handler`). */
  exportName: string;
}

export interface Bundles {
  /** The package directory (what the deployment zip would hold: the bundles and node_modules with the externals). */
  dir: string;
  hash: string;
  /** true when taken from the cache, false when built now. */
  cached: boolean;
  ms: number;
  functions: Record<string, FunctionBundle>;
}

const DEFAULT_INPUTS = ['serverless.yml', 'package.json', 'package-lock.json', 'tsconfig.json', 'functions', 'lib'];
const SOURCE = /\.(ts|mts|cts|js|mjs|cjs|json)$/;

/**
 * Build every function as serverless-esbuild deploys it: one esbuild bundle
 * per handler file with the options of `custom.esbuild` (ESM, `.mjs`, the
 * `createRequire` banner, h5wasm external), next to a `node_modules` holding
 * only the externals (symlinks into the project's node_modules), as the
 * deployment package does. Nothing else of the project's node_modules is
 * reachable from a bundle, so a module esbuild left out fails here as on AWS.
 *
 * Built once per content: the cache key hashes the options, the function list
 * and every input file; concurrent builders (several test files starting
 * stacks) each write a temporary directory and rename it into place, the
 * first rename wins.
 *
 * @example
 *   const bundles = await bundleFunctions();                 // serverless.yml's functions
 *   bundles.functions.retrieve.file                          // .../<hash>/functions/retrieve.mjs
 *   await bundleFunctions({ functions: { echo: { handler: 'test/local/lambda/fixtures/echo.handler' } } });
 */
export async function bundleFunctions(options: BundleOptions = {}): Promise<Bundles> {
  const started = performance.now();
  const root = resolve(options.root ?? PROJECT_ROOT);
  const serverless = options.functions && options.esbuild && options.packagedExternals ? undefined : loadServerlessYml(root);
  const functions = options.functions ?? Object.fromEntries(Object.entries(serverless!.functions).map(([name, fn]) => [name, { handler: fn.handler }]));
  const buildOptions = options.esbuild ?? esbuildOptions(serverless!);
  const shipped = options.packagedExternals ?? packagedExternals(serverless!);
  const cacheDir = resolve(options.cacheDir ?? join(tmpdir(), `sfdaq-lambda-${safeUser()}`));

  const entries = new Map<string, string>(); // entry file (absolute) -> module path relative to root, no extension
  const located: Record<string, { handler: string; module: string; exportName: string }> = {};
  for (const [functionName, { handler }] of Object.entries(functions)) {
    const dot = handler.lastIndexOf('.');
    if (dot <= 0) throw new Error(`function ${functionName}: handler "${handler}" is not <file>.<export>`);
    const module = handler.slice(0, dot);
    const entry = findEntry(root, module);
    entries.set(entry, module);
    located[functionName] = { handler, module, exportName: handler.slice(dot + 1) };
  }

  const packaged = options.packagedFiles ?? (serverless ? await patternFiles(root, packagePatterns(serverless)) : []);
  const inputs = [...new Set([...(options.hashInputs ?? DEFAULT_INPUTS), ...[...entries.values()].map((m) => dirname(m)), ...packaged])];
  const hashed = await inputFiles(root, inputs);
  const hash = await cacheKey({ root, buildOptions: { buildOptions, shipped }, located, hashed });
  const dir = join(cacheDir, hash);
  const outExt = ((buildOptions.outExtension as Record<string, string> | undefined)?.['.js']) ?? '.js';
  const result = (cached: boolean): Bundles => ({
    dir,
    hash,
    cached,
    ms: performance.now() - started,
    functions: Object.fromEntries(Object.entries(located).map(([functionName, f]) => [functionName, {
      functionName, handler: f.handler, exportName: f.exportName, file: join(dir, `${f.module}${outExt}`),
    }])),
  });

  if (existsSync(join(dir, 'manifest.json'))) {
    const now = new Date();
    await utimes(dir, now, now).catch(() => undefined); // "recently used", for whoever prunes the cache
    return result(true);
  }

  await mkdir(cacheDir, { recursive: true });
  const tmp = join(cacheDir, `.tmp-${hash}-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const metafiles = await Promise.all([...entries.entries()].map(async ([entry, module]) =>
      (await esbuild.build({
        ...(buildOptions as esbuild.BuildOptions),
        absWorkingDir: root,
        entryPoints: [entry],
        outdir: join(tmp, dirname(module)),
        metafile: true,
        logLevel: 'silent',
      })).metafile!));
    checkInputsHashed(root, metafiles, hashed);
    await linkExternals(root, tmp, shipped);
    // What `package.patterns` puts in the zip beside the bundles (e.g. the run monitor's built page).
    for (const file of packaged) {
      await mkdir(dirname(join(tmp, file)), { recursive: true });
      await writeFile(join(tmp, file), hashed.get(file) ?? (await readFile(join(root, file))));
    }
    await writeFile(join(tmp, 'manifest.json'), JSON.stringify({ hash, root, functions: located, builtAt: new Date().toISOString() }, null, 2));
    try {
      await rename(tmp, dir);
    } catch (error) {
      // Another process built the same content first: theirs is identical; use it.
      if (!['ENOTEMPTY', 'EEXIST', 'EPERM'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
      await rm(tmp, { recursive: true, force: true });
    }
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
  return result(false);
}

function safeUser(): string {
  try {
    return userInfo().username.replace(/[^A-Za-z0-9_.-]/g, '_');
  } catch {
    return String(process.getuid?.() ?? 'user');
  }
}

/** `functions/retrieve` -> the source file serverless-esbuild would pick (it tries .ts, then .js...). */
function findEntry(root: string, module: string): string {
  for (const ext of ['.ts', '.mts', '.js', '.mjs', '.cts', '.cjs']) {
    const file = join(root, `${module}${ext}`);
    if (existsSync(file)) return file;
  }
  throw new Error(`handler module ${module} not found under ${root} (tried .ts, .mts, .js, .mjs, .cts, .cjs)`);
}

/** Every source file under the given paths (relative to root), sorted, with its content. */
async function inputFiles(root: string, paths: string[]): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const visit = async (rel: string): Promise<void> => {
    const abs = join(root, rel);
    const info = await stat(abs).catch(() => undefined);
    if (!info) return;
    if (info.isDirectory()) {
      for (const name of (await readdir(abs)).sort()) {
        if (name === 'node_modules' || name.startsWith('.')) continue;
        await visit(join(rel, name));
      }
    } else if (info.isFile() && (SOURCE.test(rel) || paths.includes(rel))) {
      files.set(rel.split(sep).join('/'), await readFile(abs));
    }
  };
  for (const path of paths) await visit(path);
  return new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
}

async function cacheKey(parts: { root: string; buildOptions: unknown; located: unknown; hashed: Map<string, Buffer> }): Promise<string> {
  const h = createHash('sha256');
  h.update(JSON.stringify({ v: BUNDLER_VERSION, esbuild: esbuild.version, node: process.versions.modules, root: parts.root, options: parts.buildOptions, functions: parts.located }));
  for (const [path, content] of parts.hashed) {
    h.update(`\0${path}\0${content.length}\0`);
    h.update(content);
  }
  return h.digest('hex').slice(0, 24);
}

/** A bundle must not depend on a file the cache key does not cover, else a stale bundle could be served. */
function checkInputsHashed(root: string, metafiles: esbuild.Metafile[], hashed: Map<string, Buffer>): void {
  const missing = new Set<string>();
  for (const meta of metafiles) {
    for (const input of Object.keys(meta.inputs)) {
      const rel = relative(root, resolve(root, input)).split(sep).join('/');
      if (rel.split('/').includes('node_modules') || input.startsWith('<')) continue; // covered by package-lock.json
      if (!hashed.has(rel)) missing.add(rel);
    }
  }
  if (missing.size) throw new Error(`bundleFunctions: the bundles read files outside the cache key; add them to hashInputs: ${[...missing].join(', ')}`);
}

/**
 * The deployment package's node_modules: the externals and their dependencies
 * (serverless-esbuild installs exactly those), as symlinks into the
 * project's node_modules. `exclude`d modules (serverless-esbuild's default:
 * `aws-sdk` v2) are left to the runtime, which for nodejs18+ does not have v2.
 */
async function linkExternals(root: string, dir: string, externals: string[]): Promise<void> {
  const seen = new Set<string>();
  const add = async (name: string): Promise<void> => {
    if (seen.has(name)) return;
    seen.add(name);
    const source = join(root, 'node_modules', name);
    if (!existsSync(join(source, 'package.json'))) return;
    const target = join(dir, 'node_modules', name);
    await mkdir(dirname(target), { recursive: true });
    await symlink(source, target, 'dir');
    const pkg = JSON.parse(await readFile(join(source, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const dep of Object.keys(pkg.dependencies ?? {})) await add(dep);
  };
  for (const name of externals) if (!name.includes('*')) await add(name);
}

/** Every `package.patterns` entry of serverless.yml (service and functions), negations left out. */
function packagePatterns(config: ReturnType<typeof loadServerlessYml>): string[] {
  const fromPackage = (p: unknown) => ((p as { patterns?: unknown } | undefined)?.patterns as unknown[] | undefined) ?? [];
  const all = [
    ...fromPackage((config as { package?: unknown }).package),
    ...Object.values(config.functions).flatMap((fn) => fromPackage((fn as { package?: unknown }).package)),
  ];
  return [...new Set(all.filter((p): p is string => typeof p === 'string' && !p.startsWith('!')))];
}

/**
 * The files a list of patterns selects: `dir/**` (everything below dir), or a
 * plain path. (The forms serverless.yml uses; anything else is refused so a
 * pattern never silently selects nothing.)
 */
async function patternFiles(root: string, patterns: string[]): Promise<string[]> {
  const files: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const info = await stat(join(root, rel)).catch(() => undefined);
    if (!info) return;
    if (info.isFile()) files.push(rel.split(sep).join('/'));
    else if (info.isDirectory()) for (const name of (await readdir(join(root, rel))).sort()) await walk(join(rel, name));
  };
  for (const pattern of patterns) {
    if (pattern.endsWith('/**') && !pattern.slice(0, -3).includes('*')) await walk(pattern.slice(0, -3));
    else if (!pattern.includes('*')) await walk(pattern);
    else throw new Error(`bundleFunctions: package pattern ${JSON.stringify(pattern)} is not of a form the local package understands (dir/** or a path)`);
  }
  return files.sort();
}
