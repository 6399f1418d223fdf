import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bundleFunctions, type BundleOptions } from '../../../local/lambda/bundle';
import { esbuildOptions, loadServerlessYml } from '../../../local/serverless-config';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'lambda-bundle-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

/** A tiny project of its own: a handler file, a lock file, a cache directory. */
async function project(name: string, source: string): Promise<BundleOptions & { root: string }> {
  const root = join(work, name);
  await mkdir(join(root, 'functions'), { recursive: true });
  await writeFile(join(root, 'functions', 'hello.ts'), source);
  await writeFile(join(root, 'package-lock.json'), '{}');
  return {
    root,
    functions: { hello: { handler: 'functions/hello.handler' } },
    esbuild: esbuildOptions(loadServerlessYml()),
    packagedExternals: [],
    cacheDir: join(root, '.cache'),
    hashInputs: ['package-lock.json', 'functions'],
  };
}

describe('esbuild options from serverless.yml, as serverless-esbuild passes them', () => {
  test('custom.esbuild over the plugin defaults; plugin keys removed; exclude (aws-sdk) external', () => {
    const options = esbuildOptions(loadServerlessYml());
    expect(options).toMatchObject({
      bundle: true, minify: false, platform: 'node', format: 'esm', target: 'node22',
      outExtension: { '.js': '.mjs' },
      external: ['h5wasm', 'h5wasm-plugins', 'sfdaq-hdf5-engine', 'aws-sdk'],
      banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
    });
    expect(options).not.toHaveProperty('installExtraArgs');
    expect(options).not.toHaveProperty('outputFileExtension');
    expect(options).not.toHaveProperty('exclude');
  });
});

describe('bundleFunctions', () => {
  test('built once, then served from the cache; a changed input builds anew', async () => {
    const options = await project('cache', 'export const handler = async () => 1;\n');
    const first = await bundleFunctions(options);
    expect(first.cached).toBe(false);
    expect(existsSync(first.functions.hello!.file)).toBe(true);
    expect(first.functions.hello!.file).toBe(join(first.dir, 'functions', 'hello.mjs'));
    const again = await bundleFunctions(options);
    expect(again).toMatchObject({ cached: true, dir: first.dir, hash: first.hash });
    await writeFile(join(options.root, 'functions', 'hello.ts'), 'export const handler = async () => 2;\n');
    const changed = await bundleFunctions(options);
    expect(changed.cached).toBe(false);
    expect(changed.hash).not.toBe(first.hash);
  });

  test('concurrent builders of the same content: one result, no temporary directory left', async () => {
    const options = await project('race', 'export const handler = async () => "race";\n');
    const results = await Promise.all([1, 2, 3, 4].map(() => bundleFunctions(options)));
    expect(new Set(results.map((r) => r.dir)).size).toBe(1);
    expect(await readdir(options.cacheDir!)).toEqual([results[0]!.hash]);
  });

  test('a bundle reading a file outside the cache key is refused (it could be served stale)', async () => {
    const options = await project('outside', "import { value } from '../shared/value';\nexport const handler = async () => value;\n");
    await mkdir(join(options.root, 'shared'), { recursive: true });
    await writeFile(join(options.root, 'shared', 'value.ts'), 'export const value = 1;\n');
    await expect(bundleFunctions(options)).rejects.toThrow(/outside the cache key; add them to hashInputs: shared\/value\.ts/);
    const fixed = await bundleFunctions({ ...options, hashInputs: [...options.hashInputs!, 'shared'] });
    expect(fixed.cached).toBe(false);
  });

  test('a handler whose file does not exist is named', async () => {
    const options = await project('missing', 'export const handler = async () => 1;\n');
    await expect(bundleFunctions({ ...options, functions: { gone: { handler: 'functions/gone.handler' } } })).rejects.toThrow(/handler module functions\/gone not found/);
  });
});
