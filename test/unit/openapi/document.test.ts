import { validate } from '@readme/openapi-parser';
import { describe, expect, test } from 'vitest';
import { openApiDocument } from '../../../lib/openapi/document';
import { retrieveRequestSchema } from '../../../lib/schemas/retrieve-request';
import { httpRoutes, loadServerlessYml } from '../../../local/serverless-config';
import { schemaValidator } from './schema-validator';

const doc = openApiDocument({ serverUrl: 'http://localhost:10002' });

describe('the OpenAPI 3.1 document', () => {
  test('is valid OpenAPI 3.1 (@readme/openapi-parser: the official 3.1 schema plus its semantic rules)', async () => {
    // validate() dereferences in place: hand it a copy.
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.specification).toBe('OpenAPI');
    expect(doc.openapi).toBe('3.1.0');
  });

  test('describes every HTTP route serverless.yml deploys, with the same method, and nothing else', () => {
    const deployed = httpRoutes(loadServerlessYml()).map((r) => `${r.method} ${r.path}`).sort();
    const described = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`)).sort();
    expect(described).toEqual(deployed);
  });

  test('its request schema is the very schema the handler validates with', () => {
    const { $id: _id, ...schema } = retrieveRequestSchema;
    expect(doc.components.schemas.RetrieveRequest).toEqual(schema);
  });

  test('every component schema compiles as JSON Schema 2020-12 (OpenAPI 3.1\'s dialect) in ajv strict mode', () => {
    const schema = schemaValidator(doc);
    for (const name of Object.keys(doc.components.schemas)) expect(() => schema(name), name).not.toThrow();
    expect(schema('RetrieveRequest')({ pgroup: 'p12345', start_pulseid: 1, stop_pulseid: 2, my_key: 1 })).toBe(true);
    expect(schema('RetrieveRequest')({ pgroup: 'p12345', start_pulseid: 1 })).toBe(false);
  });

  test('servers is the address it was asked for; without one there is none', () => {
    expect(doc.servers).toEqual([{ url: 'http://localhost:10002' }]);
    expect('servers' in openApiDocument()).toBe(false);
  });
});
