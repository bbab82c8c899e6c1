/**
 * The files of a conversation in its export (issue 13): metadata, the extracted text, and the uploaded
 * bytes as base64, so an export is a complete copy of what the user gave Ponder.
 */
import type { Store } from '../../store/types.ts';
import { fileMetadata } from './file-metadata.ts';

export interface ExportedDocument {
  id: string;
  name: string;
  kind: string;
  mediaType: string;
  sizeBytes: number;
  pages: number | null;
  createdAt: string;
  text: string;
  contentBase64: string;
}

export async function exportedDocuments(
  store: Store,
  userId: string,
  conversationId: string,
): Promise<ExportedDocument[]> {
  const out: ExportedDocument[] = [];
  for (const f of await store.documents.listFiles(userId, { conversationId })) {
    const content = await store.documents.fileContent(f.id, userId);
    const text = await store.documents.fileText(f.id, userId);
    if (!content || !text) continue;
    out.push({
      ...fileMetadata(f),
      createdAt: f.createdAt.toISOString(),
      text: text.text,
      contentBase64: content.content.toString('base64'),
    });
  }
  return out.reverse();
}
