import { PgroupReader } from '../lib/quicklook/pgroup-reader';
import { validateQuicklookQuery } from '../lib/quicklook/query';
import { quicklook } from '../lib/quicklook/quicklook';
import { httpHandler } from '../lib/runtime/http';

let reader: PgroupReader | undefined;

/**
 * GET /runs/{pgroup}/{run_number}/quicklook?source=&kind=&channel=&frame=&points=&size=:
 * a plot of a finished source, downsampled on the server (lib/quicklook/quicklook.ts).
 */
export const handler = httpHandler(validateQuicklookQuery, async ({ body, caller, app }) => {
  reader ??= new PgroupReader(app.config.dataRoot);
  const plot = await quicklook(body, caller, { ...app, files: reader });
  return { status: 'ok', message: plot.kind, plot };
});
