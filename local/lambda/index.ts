export { bundleFunctions, type BundleOptions, type Bundles, type FunctionBundle } from './bundle';
export { LocalLambdaService, type LambdaFunction, type LocalLambdaServiceOptions, type FunctionStats } from './service';
export { LambdaTaskError, lambdaFunctions, stringsOf, taskHandler } from './functions';
export type { AsyncSettings, DestinationRecord } from './async';
export type { LogSink, LogStream } from './instance';
export type { InvokeApi } from './invoke-api';
export {
  LIMITS, LambdaServiceError, RequestTooLargeException, ResourceNotFoundException,
  type InvokeResult, type LambdaErrorPayload,
} from './errors';
