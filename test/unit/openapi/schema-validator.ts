import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import type { OpenApiDocument } from '../../../lib/openapi/document';

/**
 * The document's component schemas compiled by ajv as JSON Schema 2020-12
 * (OpenAPI 3.1's dialect), strict mode, their `#/components/schemas/...`
 * references resolved inside the document.
 *
 * @example schemaValidator(doc)('Accepted')({ status: 'ok', message: '1', run_number: 1, files: [] }) // true
 */
export function schemaValidator(doc: OpenApiDocument): (name: string) => ValidateFunction {
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: false, allErrors: true });
  ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
  // The document itself is no schema; only its components are compiled.
  ajv.addKeyword('components');
  ajv.addSchema({ $id: 'doc', components: doc.components } as object);
  return (name) => {
    const validate = ajv.getSchema(`doc#/components/schemas/${name}`);
    if (!validate) throw new Error(`no component schema ${name}`);
    return validate;
  };
}
