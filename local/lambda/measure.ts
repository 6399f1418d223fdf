// What the local Lambda service costs: bundling (cold, cached), the cold start
// of one `retrieve` instance, and the warm invoke overhead.
//
//   node --import tsx local/lambda/measure.ts
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { functionSettings, loadServerlessYml } from '../serverless-config';
import { bundleFunctions } from './bundle';
import { lambdaFunctions, stringsOf } from './functions';
import { LocalLambdaService } from './service';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${x.toFixed(1)} ms`;

const serverless = loadServerlessYml();
const settings = functionSettings(serverless);
const environment = {
  SFDAQ_RUN_TABLE: 'sfdaq-runs',
  SFDAQ_BUCKET: 'sfdaq-bookkeeping',
  SFDAQ_STATE_MACHINE_ARN: 'arn:aws:states:eu-central-1:000000000000:stateMachine:sfdaq-retrieve-local',
  SFDAQ_FACILITY: JSON.stringify({ beamlines: { alvra: { networks: ['127.0.0.0/8'], detectors: {} } } }),
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
};

// Bundling: into an empty cache, then again (cached).
const cacheDir = await mkdtemp(join(tmpdir(), 'measure-bundles-'));
const cold = await bundleFunctions({ cacheDir });
const cached = await bundleFunctions({ cacheDir });
console.log(`bundling ${Object.keys(cold.functions).length} functions: cold ${ms(cold.ms)}, cached ${ms(cached.ms)}`);

/** A retrieve event refused early (malformed JSON: 400), so the handler itself does little. */
const event = (): APIGatewayProxyEventV2 => ({
  version: '2.0', routeKey: 'POST /retrieve_from_buffers', rawPath: '/retrieve_from_buffers', rawQueryString: '',
  headers: { 'content-type': 'application/json' }, body: '{"pgroup": ',
  requestContext: {
    accountId: 'local', apiId: 'local', domainName: 'localhost', domainPrefix: 'localhost',
    http: { method: 'POST', path: '/retrieve_from_buffers', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'measure' },
    requestId: 'measure', routeKey: 'POST /retrieve_from_buffers', stage: '$default', time: new Date().toUTCString(), timeEpoch: Date.now(),
  },
  isBase64Encoded: false,
});

const functions = lambdaFunctions(cached, settings, (fn) => ({ ...stringsOf(fn.declaredEnvironment), ...environment }));

// Cold starts: a fresh service each time (fork + import of the bundle, then the first event).
const inits: number[] = [];
const firsts: number[] = [];
for (let i = 0; i < 7; i++) {
  const lambda = new LocalLambdaService({ functions, logSink: () => undefined });
  const t0 = performance.now();
  const r = await lambda.invoke('retrieve', event());
  firsts.push(performance.now() - t0);
  inits.push(lambda.stats().functions.retrieve!.initMs[0]!);
  if (i === 0) console.log('retrieve answers:', JSON.stringify(r.payload).slice(0, 160));
  await lambda.close();
}
console.log(`retrieve cold start (fork to handler loaded), median of 7: ${ms(median(inits))}; first event end to end: ${ms(median(firsts))}`);

// Warm: 50 sequential events on one instance.
const lambda = new LocalLambdaService({ functions, logSink: () => undefined });
await lambda.invoke('retrieve', event());
const warm: number[] = [];
for (let i = 0; i < 50; i++) {
  const t0 = performance.now();
  await lambda.invoke('retrieve', event());
  warm.push(performance.now() - t0);
}
await lambda.close();

// The same handler called in this process (what the stack did before), for the difference.
Object.assign(process.env, environment);
const { handler } = await import('../../functions/retrieve');
await handler(event(), {} as never);
const direct: number[] = [];
for (let i = 0; i < 50; i++) {
  const t0 = performance.now();
  await handler(event(), {} as never);
  direct.push(performance.now() - t0);
}
console.log(`retrieve warm invoke, median of 50: ${ms(median(warm))} (in-process call: ${ms(median(direct))}; overhead ${ms(median(warm) - median(direct))})`);

await rm(cacheDir, { recursive: true, force: true });
