import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { loadAssets, PAGE_HEADERS } from '../lib/quicklook/monitor-assets';

/**
 * GET /monitor and GET /monitor/{asset}: the run monitor's page and its files
 * (built by `npm run build:web`). Static, no data, no key: the page asks the
 * API for everything with the caller's `x-api-key`, under the usual rules.
 */
export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const name = event.pathParameters?.asset ?? 'index.html';
  // The page's files are addressed relative to /monitor: send /monitor/index.html there.
  if (event.pathParameters?.asset === 'index.html') return { statusCode: 302, headers: { location: '../monitor' }, body: '' };
  const assets = await loadAssets();
  if (!assets) return text(503, 'The run monitor is not built on this deployment: run `npm run build:web` before packaging or starting the broker.');
  const asset = /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) ? assets.get(name) : undefined;
  if (!asset) return text(404, `unknown monitor file ${name}`);
  const headers = { ...PAGE_HEADERS, 'content-type': asset.contentType, etag: asset.etag };
  if (event.headers?.['if-none-match'] === asset.etag) return { statusCode: 304, headers };
  return { statusCode: 200, headers, body: asset.body };
}

function text(statusCode: number, body: string): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' }, body };
}
