import { beamlineOf } from '../lib/core/accept';
import { searchNames, type NameKind } from '../lib/core/names';
import { validateChannelSearch } from '../lib/schemas/validate';
import { httpHandler } from '../lib/runtime/http';

/**
 * GET /channels?search=PATTERN[&kind=bs,camera,pv][&limit=N]: the names the
 * buffers know (BS channels and cameras by default; PVs with kind=pv),
 * from the same cached catalogues the accept path checks names against.
 * Any caller of a beamline may search (names are not a beamline's secret).
 */
export const handler = httpHandler(validateChannelSearch, async ({ body, caller, app }) => {
  beamlineOf(app.facility, caller);
  const result = await searchNames(
    { pattern: body.search, ...(body.kind ? { kinds: body.kind.split(',') as NameKind[] } : {}), ...(body.limit ? { limit: Number(body.limit) } : {}) },
    app.door?.catalogues ?? {},
  );
  return { status: 'ok', ...result };
});
