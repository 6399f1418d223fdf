import { bundleFunctions, type Bundles } from '../../../local/lambda/bundle';
import { LocalLambdaService, type LambdaFunction, type LocalLambdaServiceOptions } from '../../../local/lambda/service';
import { esbuildOptions, loadServerlessYml } from '../../../local/serverless-config';

/** The fixture handlers' exports (test/local/lambda/fixtures/handlers.ts), each deployed as a function of that name. */
export const FIXTURES = [
  'echo', 'sleepy', 'spin', 'throwNamed', 'throwUnnamed', 'throwString', 'throwTypeError', 'rejectLater', 'throwInTimer',
  'exitOne', 'big', 'allocate', 'flaky', 'callbackWaits', 'respond', 'neverSettles', 'circular',
] as const;
export type Fixture = (typeof FIXTURES)[number];

/** The fixtures bundled with the deployment's own esbuild options (serverless.yml custom.esbuild); cached across test files. */
export function fixtureBundles(): Promise<Bundles> {
  return bundleFunctions({
    functions: Object.fromEntries(FIXTURES.map((name) => [name, { handler: `test/local/lambda/fixtures/handlers.${name}` }])),
    esbuild: esbuildOptions(loadServerlessYml()),
    packagedExternals: [],
    hashInputs: ['package-lock.json', 'tsconfig.json'],
  });
}

export interface FixtureOverrides {
  timeoutSeconds?: number;
  memoryMb?: number;
  environment?: Record<string, string>;
}

/** A service running the fixtures (5 s, 256 MB unless overridden per function), collecting the instances' log lines. */
export async function fixtureService(
  options: Partial<Omit<LocalLambdaServiceOptions, 'functions'>> = {},
  overrides: Partial<Record<Fixture, FixtureOverrides>> = {},
): Promise<{ service: LocalLambdaService; logs: string[] }> {
  const bundles = await fixtureBundles();
  const logs: string[] = [];
  const functions: LambdaFunction[] = FIXTURES.map((name) => ({
    name,
    file: bundles.functions[name]!.file,
    exportName: bundles.functions[name]!.exportName,
    handler: bundles.functions[name]!.handler,
    codeDir: bundles.dir,
    timeoutSeconds: overrides[name]?.timeoutSeconds ?? 5,
    memoryMb: overrides[name]?.memoryMb ?? 256,
    environment: overrides[name]?.environment ?? { FIXTURE_VALUE: 'from-the-function' },
  }));
  const service = new LocalLambdaService({ logSink: (fn, stream, line) => logs.push(`${fn} ${stream} ${line}`), ...options, functions });
  return { service, logs };
}

/** Is a process still there? */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
