import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHttpApi, type LocalHttpApi } from '../../../local/http-api';
import { bundleFunctions, type Bundles } from '../../../local/lambda/bundle';
import { lambdaFunctions, stringsOf } from '../../../local/lambda/functions';
import { LocalLambdaService } from '../../../local/lambda/service';
import { functionSettings, httpRoutes, loadServerlessYml } from '../../../local/serverless-config';

/** serverless.yml's own functions, bundled as serverless-esbuild deploys them. */
let bundles: Bundles;
let lambda: LocalLambdaService;
let api: LocalHttpApi;
const logs: string[] = [];

beforeAll(async () => {
  const serverless = loadServerlessYml();
  bundles = await bundleFunctions();
  lambda = new LocalLambdaService({
    functions: lambdaFunctions(bundles, functionSettings(serverless), (fn) => stringsOf(fn.declaredEnvironment)),
    logSink: (fn, stream, line) => logs.push(`${fn} ${stream} ${line}`),
  });
  api = await startHttpApi({ port: 0, host: '127.0.0.1', routes: httpRoutes(serverless), invoke: (fn, event) => lambda.invoke(fn, event) });
}, 180_000);
afterAll(async () => {
  await api?.close();
  await lambda?.close();
});

describe('the deployment\'s functions', () => {
  test('one bundle per handler file, ESM .mjs with the createRequire banner; the package ships only the externals', async () => {
    const settings = functionSettings(loadServerlessYml());
    expect(Object.keys(bundles.functions).sort()).toEqual(settings.map((f) => f.functionName).sort());
    expect(bundles.functions.retrieve).toMatchObject({ file: join(bundles.dir, 'functions/retrieve.mjs'), exportName: 'handler' });
    expect(bundles.functions.currentRunNumber!.file).toBe(bundles.functions.advanceRunNumber!.file);
    expect((await readdir(join(bundles.dir, 'node_modules'))).sort()).toEqual(['h5wasm', 'h5wasm-plugins', 'sfdaq-hdf5-engine']);
    expect(settings.find((f) => f.functionName === 'retrieveSource')).toMatchObject({ timeoutSeconds: 900, memoryMb: 2048 });
    expect(settings.find((f) => f.functionName === 'retrieve')).toMatchObject({ timeoutSeconds: 29, memoryMb: 1024 });
  });

  test('GET /openapi.json through the HTTP front and the openapi function\'s own process', async () => {
    const r = await fetch(`${api.url}/openapi.json`);
    expect(r.status).toBe(200);
    const doc = (await r.json()) as { openapi: string; servers: Array<{ url: string }>; paths: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\.1/);
    expect(doc.servers[0]!.url).toBe(api.url);
    expect(Object.keys(doc.paths)).toContain('/retrieve_from_buffers');
    expect(lambda.stats().functions.openapi).toMatchObject({ coldStarts: 1, invocations: 1, instances: 1 });
  });

  test('h5wasm (external) loads in the instance; the function sees only its own environment', async () => {
    const r = await lambda.invoke('checkRun', { results: [] });
    expect(r.functionError).toBe('Unhandled');
    // Not Runtime.ImportModuleError: the bundle's `import h5wasm from "h5wasm/node"` resolved at the cold start.
    expect(r.payload).toMatchObject({ errorType: 'ConfigError', errorMessage: expect.stringMatching(/^configuration: .*SFDAQ_RUN_TABLE is not set/) });
  });
});
