// One Lambda execution environment: a plain Node process (no tsx) that the
// local Lambda service forks per instance. It imports the bundle once (the
// cold start), then serves one event at a time over the IPC channel, with the
// calling conventions of Lambda's Node.js runtime (aws-lambda-ric 3.x, the
// nodejs22.x runtime): the same context object, the same error serialisation,
// the same handling of callbacks, of `callbackWaitsForEmptyEventLoop`, of
// unhandled rejections and uncaught exceptions (report, then exit 128 / 129).
//
//   node bootstrap.mjs <bundle.mjs> <exportPath> <handler as in serverless.yml>
//
// Messages in:  {type:'invoke', requestId, payload (JSON text), deadlineMs, invokedFunctionArn}
// Messages out: {type:'ready'} | {type:'init-error', error} | {type:'result', requestId, payload (JSON text)}
//               | {type:'error', requestId, error, fatal?} | {type:'fatal', error}
import { pathToFileURL } from 'node:url';
import { types } from 'node:util';

const [bundle, exportPath, handlerName] = process.argv.slice(2);

// ---- errors, as the runtime formats them ----

function isErrorLike(value) {
  return Boolean(value && typeof value.name === 'string' && value.name && typeof value.message === 'string' && value.message
    && typeof value.stack === 'string' && value.stack);
}

/** The runtime's payload for a thrown value: errorType = error.name, trace = stack lines; a non-Error gives its typeof and toString(). */
function toPayload(error) {
  try {
    if (types.isNativeError(error) || isErrorLike(error)) {
      return {
        errorType: error.name?.replaceAll('\x7F', '%7F'),
        errorMessage: error.message?.replaceAll('\x7F', '%7F'),
        trace: error.stack.replaceAll('\x7F', '%7F').split('\n'),
      };
    }
    return { errorType: typeof error, errorMessage: error.toString(), trace: [] };
  } catch {
    return {
      errorType: 'handled',
      errorMessage: 'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
    };
  }
}

/** The log line the runtime writes for an error: a tab, then JSON with errorType, errorMessage, code, own fields and the stack as lines. */
function formatted(error) {
  try {
    return '\t' + JSON.stringify(error, (_key, value) => {
      if (!(value instanceof Error)) return value;
      const out = { errorType: value.name, errorMessage: value.message, code: value.code, ...value };
      if (typeof value.stack === 'string') out.stack = value.stack.split('\n');
      return out;
    });
  } catch {
    return '\t' + JSON.stringify(toPayload(error));
  }
}

function runtimeError(name, message) {
  const error = new Error(message);
  Object.defineProperty(error, 'name', { value: `Runtime.${name}`, configurable: true, writable: true });
  Error.captureStackTrace(error, runtimeError); // the stack starts with "Runtime.<name>: <message>", where the runtime raised it
  return error;
}

const NODEJS_EXIT_MESSAGE = 'The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly caused by a Promise that was never settled. For more information, see https://nodejs.org/docs/latest/api/process.html#exit-codes';

// ---- the channel to the service ----

let phase = 'init'; // init | idle | busy
/** The invocation being served: its request id and whether it was answered. */
let current;

function send(message, then) {
  try {
    process.send(message, () => then?.());
  } catch {
    process.exit(then ? 1 : 0);
  }
}

/** Report an error that ends this environment, then exit as the runtime does. */
function die(error, code) {
  const payload = toPayload(error);
  if (phase === 'init') return send({ type: 'init-error', error: payload }, () => process.exit(code));
  if (current && !current.answered) {
    current.answered = true;
    process.channel?.ref();
    return send({ type: 'error', requestId: current.requestId, error: payload, fatal: true }, () => process.exit(code));
  }
  send({ type: 'fatal', error: payload }, () => process.exit(code));
}

process.on('uncaughtException', (error) => {
  console.error('Uncaught Exception', formatted(error));
  die(error, 129);
});

process.on('unhandledRejection', (reason) => {
  // The runtime wraps the reason: new UnhandledPromiseRejection(reason) -> message String(reason).
  const error = runtimeError('UnhandledPromiseRejection', reason === undefined ? '' : String(reason));
  error.reason = reason;
  console.error('Unhandled Promise Rejection', formatted(error));
  die(error, 128);
});

// The service went away (it closed, or its process died): nobody can take an answer any more.
process.on('disconnect', () => process.exit(0));

/** Set per invocation: what to do when the event loop empties (callback handlers, never-settled promises). */
let onEmptyLoop;
process.on('beforeExit', () => {
  const action = onEmptyLoop;
  onEmptyLoop = undefined;
  action?.();
});

// ---- cold start ----

let handler;
let handlerIsAsync = false;
try {
  let module;
  try {
    module = await import(pathToFileURL(bundle).href);
  } catch (error) {
    if (error instanceof SyntaxError) {
      const wrapped = runtimeError('UserCodeSyntaxError', String(error));
      wrapped.stack = error.stack;
      throw wrapped;
    }
    if (error?.code === 'MODULE_NOT_FOUND' || error?.code === 'ERR_MODULE_NOT_FOUND') throw runtimeError('ImportModuleError', String(error));
    throw error;
  }
  handler = exportPath.split('.').reduce((value, key) => value && value[key], module);
  if (!handler) throw runtimeError('HandlerNotFound', `${handlerName} is undefined or not exported`);
  if (typeof handler !== 'function') throw runtimeError('HandlerNotFound', `${handlerName} is not a function`);
  handlerIsAsync = handler.constructor?.name === 'AsyncFunction';
} catch (error) {
  console.error('Init Error', formatted(error));
  send({ type: 'init-error', error: toPayload(error) }, () => process.exit(1));
}

if (handler) {
  phase = 'idle';
  process.on('message', (message) => {
    if (message?.type === 'invoke') invoke(message);
  });
  send({ type: 'ready' });
}

// ---- one invocation ----

function invoke({ requestId, payload, deadlineMs, invokedFunctionArn }) {
  phase = 'busy';
  const invocation = { requestId, answered: false };
  current = invocation;
  // While the handler runs, the channel does not keep the process alive, so "the event loop is empty" can be seen.
  process.channel?.unref();

  const answer = (message) => {
    if (invocation.answered) return;
    invocation.answered = true;
    onEmptyLoop = undefined;
    if (current === invocation) {
      current = undefined;
      phase = 'idle';
    }
    process.channel?.ref();
    send(message);
  };
  const postError = (error) => {
    console.error('Invoke Error', formatted(error));
    answer({ type: 'error', requestId, error: toPayload(error) });
  };
  const complete = (result) => {
    let text;
    try {
      text = JSON.stringify(result === undefined ? null : result);
    } catch {
      throw new Error('Unable to stringify response body');
    }
    answer({ type: 'result', requestId, payload: text });
  };

  let waitForEmptyEventLoop = true;
  const done = (error, result) => {
    onEmptyLoop = undefined;
    if (error !== undefined && error !== null) postError(error);
    else complete(result);
  };
  const callback = (error, result) => {
    onEmptyLoop = undefined;
    if (error !== undefined && error !== null) postError(error);
    else if (!waitForEmptyEventLoop) complete(result);
    else onEmptyLoop = () => setImmediate(() => complete(result));
  };
  // Only the first call of succeed/fail/done/callback counts (a throwing call does not count, as in the runtime).
  let finished = false;
  const once = (fn) => (...args) => {
    if (finished) return;
    fn(...args);
    finished = true;
  };

  const context = {
    get callbackWaitsForEmptyEventLoop() {
      return waitForEmptyEventLoop;
    },
    set callbackWaitsForEmptyEventLoop(value) {
      waitForEmptyEventLoop = value;
    },
    succeed: once((result) => done(null, result)),
    fail: once((error) => done(error === undefined || error === null ? 'handled' : error, null)),
    done: once(done),
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: undefined,
    identity: undefined,
    invokedFunctionArn,
    awsRequestId: requestId,
    getRemainingTimeInMillis: () => deadlineMs - Date.now(),
  };

  // The handler returned and nothing is left to run, yet it never answered.
  onEmptyLoop = () => {
    if (handlerIsAsync) postError(runtimeError('NodeJsExit', NODEJS_EXIT_MESSAGE));
    else answer({ type: 'result', requestId, payload: 'null' });
  };

  const wrappedCallback = once(callback);
  try {
    const result = handler(JSON.parse(payload), context, wrappedCallback);
    if (result && typeof result.then === 'function') {
      result.then(context.succeed, context.fail).catch(context.fail);
    }
  } catch (error) {
    wrappedCallback(error);
  }
}
