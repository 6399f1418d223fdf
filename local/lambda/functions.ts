import type { FunctionSettings } from '../serverless-config';
import type { Bundles } from './bundle';
import type { LambdaFunction } from './service';

/**
 * serverless.yml's functions as the local Lambda service runs them: each
 * with its bundle, timeout and memory, and the environment the caller
 * computes for it (the declared one holds CloudFormation references and
 * `${param:}` text that only the caller can resolve locally).
 *
 * @example
 *   const functions = lambdaFunctions(await bundleFunctions(), functionSettings(loadServerlessYml()),
 *     (fn) => ({ ...stringsOf(fn.declaredEnvironment), ...localEndpoints }));
 */
export function lambdaFunctions(
  bundles: Bundles,
  settings: FunctionSettings[],
  environment: (fn: FunctionSettings) => Record<string, string>,
): LambdaFunction[] {
  return settings.map((fn) => {
    const bundle = bundles.functions[fn.functionName];
    if (!bundle) throw new Error(`function ${fn.functionName} has no bundle (bundleFunctions was given other functions)`);
    return {
      name: fn.functionName,
      file: bundle.file,
      exportName: bundle.exportName,
      handler: fn.handler,
      codeDir: bundles.dir,
      timeoutSeconds: fn.timeoutSeconds,
      memoryMb: fn.memoryMb,
      environment: environment(fn),
    };
  });
}

/** The plain-string variables of a declared environment (CloudFormation references and unresolved `${...}` dropped). */
export function stringsOf(declared: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(declared).filter((e): e is [string, string] => typeof e[1] === 'string' && !e[1].includes('${')),
  );
}
