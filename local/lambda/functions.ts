import type { FunctionSettings } from '../serverless-config';
import type { Bundles } from './bundle';
import type { LambdaErrorPayload } from './errors';
import type { LambdaFunction, LocalLambdaService } from './service';

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

/**
 * A function error as Step Functions' Lambda integration reports it: `Error`
 * is the errorType, `Cause` the error payload as JSON text (so `message` is
 * that text: an emulator taking `name`/`message` as Error/Cause gets AWS's).
 */
export class LambdaTaskError extends Error {
  constructor(readonly payload: LambdaErrorPayload) {
    super(JSON.stringify(payload));
    this.name = payload.errorType;
  }
}

/**
 * A task handler for the local Step Functions (a Task whose Resource is the
 * function's ARN): the function's result, or a thrown LambdaTaskError.
 *
 * @example taskHandlers[state] = taskHandler(lambda, 'retrieveSource');
 */
export function taskHandler(service: Pick<LocalLambdaService, 'invoke'>, functionName: string): (input: unknown) => Promise<unknown> {
  return async (input) => {
    const result = await service.invoke(functionName, input);
    if (result.functionError) throw new LambdaTaskError(result.payload);
    return result.payload;
  };
}
