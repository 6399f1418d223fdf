import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import yaml from 'js-yaml';

/**
 * The local stack reads the deployment's own description (serverless.yml and
 * the ASL file it includes), so routes, handlers and the state machine cannot
 * drift between Lambda and local runs.
 */
export const PROJECT_ROOT = new URL('..', import.meta.url).pathname.replace(/\/$/, '');

// CloudFormation short-form tags, kept as plain objects (the local stack never needs their values).
const cfnTags = ['Ref', 'GetAtt', 'Sub', 'Join', 'Select', 'If', 'Equals', 'Not', 'ImportValue'].flatMap((name) =>
  (['scalar', 'sequence', 'mapping'] as const).map((kind) => new yaml.Type(`!${name}`, { kind, construct: (data: unknown) => ({ [`Fn::${name}`]: data }) })),
);
const CFN_SCHEMA = yaml.DEFAULT_SCHEMA.extend(cfnTags);

export interface HttpRoute {
  method: string;
  path: string;
  functionName: string;
  handler: string;
}

interface ServerlessYml {
  provider?: { timeout?: number; memorySize?: number; environment?: Record<string, unknown> };
  custom?: { esbuild?: Record<string, unknown> };
  functions: Record<string, {
    handler: string;
    timeout?: number;
    memorySize?: number;
    environment?: Record<string, unknown>;
    events?: Array<{ httpApi?: { method: string; path: string } }>;
  }>;
  stepFunctions: { stateMachines: Record<string, { definition: string }> };
}

export function loadServerlessYml(root = PROJECT_ROOT): ServerlessYml {
  return yaml.load(readFileSync(join(root, 'serverless.yml'), 'utf8'), { schema: CFN_SCHEMA }) as ServerlessYml;
}

export function httpRoutes(config: ServerlessYml): HttpRoute[] {
  return Object.entries(config.functions).flatMap(([functionName, fn]) =>
    (fn.events ?? []).flatMap((event) => (event.httpApi ? [{ method: event.httpApi.method.toUpperCase(), path: event.httpApi.path, functionName, handler: fn.handler }] : [])),
  );
}

/** Import `functions/retrieve.handler` -> the exported function. */
export async function loadHandler(handler: string, root = PROJECT_ROOT): Promise<(event: unknown, context?: unknown) => Promise<unknown>> {
  const dot = handler.lastIndexOf('.');
  const module = (await import(pathToFileURL(join(root, `${handler.slice(0, dot)}.ts`)).href)) as Record<string, unknown>;
  const fn = module[handler.slice(dot + 1)];
  if (typeof fn !== 'function') throw new Error(`serverless.yml names handler ${handler}, which does not exist`);
  return fn as (event: unknown, context?: unknown) => Promise<unknown>;
}

/**
 * The state machine definition with every `Fn::GetAtt: [fn, Arn]` replaced by
 * a local ARN, and a map from Task state name to the function it runs.
 */
export function loadStateMachine(config: ServerlessYml, name: string, root = PROJECT_ROOT): { definition: Record<string, unknown>; taskFunctions: Record<string, string> } {
  const ref = config.stepFunctions.stateMachines[name]?.definition;
  const file = /\$\{file\((.+)\)\}/.exec(ref ?? '')?.[1];
  if (!file) throw new Error(`serverless.yml: state machine ${name} must take its definition from \${file(...)}`);
  const definition = JSON.parse(readFileSync(join(root, file), 'utf8')) as Record<string, unknown>;
  const taskFunctions: Record<string, string> = {};
  const walk = (states: Record<string, Record<string, unknown>>) => {
    for (const [stateName, state] of Object.entries(states)) {
      const resource = state.Resource as { 'Fn::GetAtt'?: [string, string] } | string | undefined;
      if (resource && typeof resource === 'object' && resource['Fn::GetAtt']) {
        const fn = resource['Fn::GetAtt'][0];
        taskFunctions[stateName] = fn;
        state.Resource = `arn:aws:lambda:eu-central-1:000000000000:function:${fn}`;
      }
      for (const nested of [state.ItemProcessor, state.Iterator, ...((state.Branches as unknown[]) ?? [])] as Array<{ States?: Record<string, Record<string, unknown>> } | undefined>) {
        if (nested?.States) walk(nested.States);
      }
    }
  };
  walk(definition.States as Record<string, Record<string, unknown>>);
  return { definition, taskFunctions };
}

/** A function of serverless.yml with the provider's defaults applied (Serverless Framework v3's own defaults: 6 s, 1024 MB). */
export interface FunctionSettings {
  functionName: string;
  /** `functions/retrieve.handler`: the module path without extension, a dot, the export name. */
  handler: string;
  timeoutSeconds: number;
  memoryMb: number;
  /**
   * provider.environment overlaid with the function's own environment, as written in serverless.yml:
   * CloudFormation functions (`!Ref`) stay objects and `${param:...}` stays text; the caller resolves them.
   */
  declaredEnvironment: Record<string, unknown>;
}

/**
 * Every function's settings as deployed.
 *
 * @example functionSettings(loadServerlessYml()).find((f) => f.functionName === 'retrieveSource')
 *   // { handler: 'functions/workflow/retrieve-source.handler', timeoutSeconds: 900, memoryMb: 2048, ... }
 */
export function functionSettings(config: ServerlessYml): FunctionSettings[] {
  return Object.entries(config.functions).map(([functionName, fn]) => ({
    functionName,
    handler: fn.handler,
    timeoutSeconds: fn.timeout ?? config.provider?.timeout ?? 6,
    memoryMb: fn.memorySize ?? config.provider?.memorySize ?? 1024,
    declaredEnvironment: { ...(config.provider?.environment ?? {}), ...(fn.environment ?? {}) },
  }));
}

/**
 * serverless-esbuild's build options: its defaults (bundle, node platform, `aws-sdk` excluded,
 * i.e. external) under `custom.esbuild`, without the plugin's own keys (packager, installExtraArgs...),
 * with `outputFileExtension` turned into esbuild's `outExtension`. Mirrors serverless-esbuild 1.57's bundle().
 */
export function esbuildOptions(config: ServerlessYml): Record<string, unknown> {
  const pluginOnly = new Set([
    'concurrency', 'zipConcurrency', 'exclude', 'nativeZip', 'packager', 'packagePath', 'watch', 'keepOutputDirectory',
    'packagerOptions', 'installExtraArgs', 'outputFileExtension', 'outputBuildFolder', 'outputWorkFolder', 'nodeExternals',
    'skipBuild', 'skipRebuild', 'skipBuildExcludeFns', 'stripEntryResolveExtensions', 'disposeContext', 'config',
  ]);
  const custom = config.custom?.esbuild ?? {};
  const merged: Record<string, unknown> = { bundle: true, target: 'node18', platform: 'node', exclude: ['aws-sdk'], outputFileExtension: '.js', ...custom };
  const asList = (v: unknown) => (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string');
  const exclude = asList(merged.exclude);
  const options: Record<string, unknown> = Object.fromEntries(Object.entries(merged).filter(([k]) => !pluginOnly.has(k)));
  options.external = [...asList(merged.external), ...(exclude.includes('*') ? [] : exclude)];
  if (merged.outputFileExtension !== '.js') options.outExtension = { '.js': merged.outputFileExtension };
  return options;
}

/** The externals serverless-esbuild installs into the package (`custom.esbuild.external`); `exclude`d ones are left to the runtime. */
export function packagedExternals(config: ServerlessYml): string[] {
  const external = config.custom?.esbuild?.external;
  return (Array.isArray(external) ? external : []).filter((x): x is string => typeof x === 'string');
}
