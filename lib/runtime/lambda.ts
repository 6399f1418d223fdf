import { buildApp, type App } from './app';
import { loadConfig } from './config';

let instance: App | undefined;

/**
 * The broker of this Lambda instance: built on the first invocation from the
 * instance's environment (Lambda's configuration channel; the local stack
 * hands each instance its own) and kept for the instance's life, as module
 * state is on Lambda. A bad configuration fails every invocation with a
 * ConfigError naming the variable, never a half-built broker.
 */
export function lambdaApp(): App {
  instance ??= buildApp(loadConfig(process.env));
  return instance;
}
