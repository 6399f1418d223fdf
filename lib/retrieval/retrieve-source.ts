import type { SourceKind, SourceResult } from '../core/run-status';
import { retrieveFromArchiver } from './archiver-retriever';
import { retrieveFromDataApi } from './data-api-retriever';
import { retrieveDetector } from './detector-retriever';
import type { BufferEndpoints, ProgressSink, RetrieverInput } from './types';

/** Dispatch one source of a run to its retriever. */
export async function retrieveSource(input: RetrieverInput, kind: SourceKind, endpoints: BufferEndpoints, dataRoot: string, progress?: ProgressSink): Promise<SourceResult> {
  switch (kind) {
    case 'data':
    case 'image':
      return retrieveFromDataApi(input, endpoints, dataRoot, kind, progress);
    case 'archiver':
      return retrieveFromArchiver(input, endpoints, dataRoot, progress);
    case 'detector':
      return retrieveDetector(input, endpoints, dataRoot, progress ? { progress } : {});
    default: {
      const unreachable: never = kind;
      throw new Error(`unknown source kind ${String(unreachable)}`);
    }
  }
}
