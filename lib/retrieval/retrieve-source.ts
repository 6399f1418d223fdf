import type { PlannedSource } from '../core/plan';
import type { SourceResult } from '../core/run-status';
import { retrieveFromArchiver } from './archiver-retriever';
import { retrieveFromDataApi } from './data-api-retriever';
import { retrieveDetector } from './detector-retriever';
import type { BufferEndpoints } from './types';

/** Dispatch one planned source to its retriever. */
export async function retrieveSource(item: PlannedSource, endpoints: BufferEndpoints, dataRoot: string): Promise<SourceResult> {
  const { not_before: _notBefore, kind, file: _file, ...input } = item;
  switch (kind) {
    case 'data':
    case 'image':
      return retrieveFromDataApi(input, endpoints, dataRoot, kind);
    case 'archiver':
      return retrieveFromArchiver(input, endpoints, dataRoot);
    case 'detector':
      return retrieveDetector(input, endpoints, dataRoot);
    default: {
      const unreachable: never = kind;
      throw new Error(`unknown source kind ${String(unreachable)}`);
    }
  }
}
