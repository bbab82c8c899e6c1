/** What both the documents API and a conversation's export say about an uploaded file. */
import type { DocumentFileRecord } from '../../store/types.ts';

export function fileMetadata(f: DocumentFileRecord) {
  return {
    id: f.id,
    name: f.name,
    kind: f.kind,
    mediaType: f.mediaType,
    sizeBytes: f.sizeBytes,
    pages: f.pages,
  };
}
