import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { RequestRefused } from '../core/errors';
import { validateDetectorOptions } from './detector-options';
import { powerOnSchema, setPvListSchema, takePedestalSchema, type PowerOnBody, type SetPvListBody, type TakePedestalBody } from './detector-endpoints';
import { channelSearchSchema, pgroupRequestSchema, retrieveRequestSchema, runPathSchema, type ChannelSearchQuery, type PgroupRequestBody, type RetrieveRequestBody, type RunPath } from './retrieve-request';

// Strict mode: a typo in a schema keyword fails at load, not silently at run time.
const ajv = new Ajv({ strict: true, allErrors: false, allowUnionTypes: false });

/** Compiled once at module load: a Lambda pays the compile on cold start only. */
const validators = {
  retrieve: ajv.compile(retrieveRequestSchema) as ValidateFunction<RetrieveRequestBody>,
  pgroup: ajv.compile(pgroupRequestSchema) as ValidateFunction<PgroupRequestBody>,
  runPath: ajv.compile(runPathSchema) as ValidateFunction<RunPath>,
  channelSearch: ajv.compile(channelSearchSchema) as ValidateFunction<ChannelSearchQuery>,
};

/** `/detectors/JF01T03V01/roi` -> `detectors.JF01T03V01.roi`: the field as a scientist writes it. */
function fieldOf(error: ErrorObject): string {
  const parts = error.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (error.keyword === 'required') parts.push(String(error.params.missingProperty));
  if (error.keyword === 'additionalProperties') parts.push(String(error.params.additionalProperty));
  return parts.join('.') || 'request';
}

const MESSAGES: Record<string, (e: ErrorObject) => string> = {
  required: () => 'is missing',
  type: (e) => `must be ${e.params.type === 'integer' ? 'an integer' : `of type ${e.params.type}`}`,
  // Never the schema's regular expression: the caller needs the form in words (FORMS below).
  pattern: () => 'is not of the expected form',
  enum: (e) => `is not one of the allowed values ${JSON.stringify(e.params.allowedValues)}`,
  maxItems: (e) => `has too many entries (at most ${e.params.limit})`,
  maxLength: (e) => `is too long (at most ${e.params.limit} characters)`,
  minLength: (e) => `is empty`,
  maxProperties: (e) => `has too many keys (at most ${e.params.limit})`,
  minimum: (e) => `must be >= ${e.params.limit}`,
  maximum: (e) => `must be <= ${e.params.limit}`,
  uniqueItems: () => 'must not repeat entries',
  additionalProperties: () => 'is not a supported option',
  anyOf: () => 'must be a non-negative integer',
};

function refusalOf(error: ErrorObject, data: unknown, detectorOptions: boolean): RequestRefused {
  const field = fieldOf(error);
  // An error inside one detector's options: its own validator names the option and the form it takes.
  const option = detectorOptions ? /^\/detectors\/([^/]+)(\/|$)/.exec(error.instancePath) : null;
  if (option) {
    const detector = option[1]!.replace(/~1/g, '/').replace(/~0/g, '~');
    const options = ((data as { detectors?: Record<string, unknown> }).detectors ?? {})[detector];
    try {
      validateDetectorOptions(detector, options);
    } catch (refused) {
      if (refused instanceof RequestRefused) return refused;
      throw refused;
    }
  }
  // propertyNames errors point at the object; name the offending key instead.
  if (error.keyword === 'propertyNames' || (error.keyword === 'pattern' && error.propertyName !== undefined)) {
    const key = error.propertyName ?? String(error.params.propertyName ?? '');
    return new RequestRefused(field, `${field}: detector name ${JSON.stringify(key)} is not of the form JFxxTyyVzz`);
  }
  const special = specialMessage(field, error, data);
  if (special) return new RequestRefused(field, special);
  const describe = MESSAGES[error.keyword] ?? ((e: ErrorObject) => e.message ?? 'is invalid');
  return new RequestRefused(field, `${field} ${describe(error)}`);
}

/** The original's wording where users know it. */
function specialMessage(field: string, error: ErrorObject, _data: unknown): string | undefined {
  if (field === 'pgroup' && error.keyword === 'required') return 'no pgroup in request parameters';
  if ((field === 'start_pulseid' || field === 'stop_pulseid') && error.keyword === 'required')
    return `no start or stop pulseid provided in request parameters (${field} is missing)`;
  if ((field === 'start_pulseid' || field === 'stop_pulseid'))
    return `bad start or stop pulseid provided in request parameters (${field} must be a non-negative integer)`;
  if (field === 'rate_multiplicator')
    return `rate_multiplicator is not allowed one (allowed: ${JSON.stringify(retrieveRequestSchema.properties.rate_multiplicator.enum)})`;
  if (field.startsWith('camera_list.') && error.keyword === 'pattern')
    return `${field}: camera names must end in :FPICTURE`;
  if (field === 'pgroup' && error.keyword === 'pattern') return 'pgroup must be of the form p12345';
  if (field === 'run_number' && error.keyword === 'pattern') return 'run_number must be a run number: a whole number such as 7';
  if ((field === 'start_pulseid' || field === 'stop_pulseid') && error.keyword === 'pattern') return `${field} must be a pulse id: a whole number`;
  if (field === 'kind' && error.keyword === 'pattern') return 'kind must be bs, camera or pv, or several of them separated by commas (e.g. bs,camera)';
  if (field === 'limit' && error.keyword === 'pattern') return 'limit must be a whole number from 1 to 1000';
  if (field === 'detectors' && error.keyword === 'type') return `detectors is not dictionary (must be an object: detector name -> options)`;
  if (field === 'bs_compression') return 'bs_compression must be true or false (true, the default: BSREAD and PVCHANNELS files compressed with shuffle + gzip; false: uncompressed)';
  return undefined;
}

function check<T>(validate: ValidateFunction<T>, data: unknown, detectorOptions = false): T {
  if (data === null || data === undefined || (typeof data === 'object' && !Array.isArray(data) && Object.keys(data).length === 0))
    throw new RequestRefused(undefined, 'request parameters are empty');
  if (typeof data !== 'object' || Array.isArray(data)) throw new RequestRefused(undefined, 'request parameters must be a JSON object');
  if (validate(data)) return data;
  const first = validate.errors?.[0];
  throw first ? refusalOf(first, data, detectorOptions) : new RequestRefused(undefined, 'request is invalid');
}

/** Validate a retrieve request against the schema; throws RequestRefused naming the field. */
export const validateRetrieveBody = (data: unknown): RetrieveRequestBody => check(validators.retrieve, data, true);
/** Validate `{pgroup}` bodies. */
export const validatePgroupBody = (data: unknown): PgroupRequestBody => check(validators.pgroup, data);
/** Validate `{pgroup, run_number}` path parameters. */
export const validateRunPath = (data: unknown): RunPath => check(validators.runPath, data);
/** Validate the query of GET /channels. */
export const validateChannelSearch = (data: unknown): ChannelSearchQuery => check(validators.channelSearch, data);

const endpointValidators = {
  takePedestal: ajv.compile(takePedestalSchema) as ValidateFunction<TakePedestalBody>,
  setPvList: ajv.compile(setPvListSchema) as ValidateFunction<SetPvListBody>,
  powerOn: ajv.compile(powerOnSchema) as ValidateFunction<PowerOnBody>,
};

/** Validate POST /take_pedestal. */
export const validateTakePedestalBody = (data: unknown): TakePedestalBody => {
  try {
    return check(endpointValidators.takePedestal, data);
  } catch (error) {
    // anyOf (a list, or a dictionary as older clients send) words its errors poorly: say the form.
    if (error instanceof RequestRefused && error.field?.startsWith('detectors') && !/is missing/.test(error.message)) {
      throw new RequestRefused('detectors', `detectors must be a list of detector names of the form JFxxTyyVzz, at most 32, each once (e.g. ["JF01T03V01"]); got ${JSON.stringify((data as { detectors?: unknown }).detectors)}`);
    }
    throw error;
  }
};
/** Validate POST /set_pvlist. */
export const validateSetPvListBody = (data: unknown): SetPvListBody => check(endpointValidators.setPvList, data);
/** Validate POST /power_on_detector. */
export const validatePowerOnBody = (data: unknown): PowerOnBody => check(endpointValidators.powerOn, data);

/**
 * The GET endpoints without parameters (get_allowed_detectors,
 * get_running_detectors, get_pvlist) refuse any, as the original refused a
 * non-empty request body.
 * @example validateNoParameters('get_pvlist')({ beamline: 'x' }) // throws: get_pvlist takes no parameters (got beamline)
 */
export const validateNoParameters = (endpoint: string) => (data: unknown): Record<string, never> => {
  if (data === undefined || data === null || data === '') return {};
  if (typeof data === 'object' && !Array.isArray(data) && Object.keys(data).length === 0) return {};
  const keys = typeof data === 'object' && data !== null && !Array.isArray(data) ? Object.keys(data).join(', ') : JSON.stringify(data);
  throw new RequestRefused(undefined, `${endpoint} takes no parameters (got ${keys}): the beamline is the caller's`);
};
