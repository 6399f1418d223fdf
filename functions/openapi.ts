import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { openApiDocument } from '../lib/openapi/document';

/**
 * GET /openapi.json: the API's OpenAPI 3.1 description, with this very
 * deployment as its server (API Gateway's domain, or the local host).
 */
export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  const host = event.headers?.host ?? event.requestContext?.domainName;
  const local = event.requestContext?.apiId === 'local';
  const doc = openApiDocument(host ? { serverUrl: `${local ? 'http' : 'https'}://${host}` } : {});
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(doc) };
};
