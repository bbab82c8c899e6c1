/**
 * The documents of a chat turn (issue 13): the request's files and collections as retrieval scopes, and
 * draft uploads (files sent with the message, uploaded before the conversation had them) attached to the
 * conversation, so they stay its files — listed with it, exported with it, deleted with it.
 */
import type { TurnDocumentsBody } from '../../api/conversations.ts';
import { ConversationError } from '../conversations/errors.ts';
import type { DocumentRetriever } from '../documents/types.ts';
import { turnScopes } from '../turns/document-search.ts';
import type { PrepareOptions } from '../turns/turn-pipeline.ts';

/** The pipeline's `documents` option for a request's `documents` (none when absent). */
export function turnDocuments(body: TurnDocumentsBody | undefined): Pick<PrepareOptions, 'documents'> {
  if (!body) return {};
  const scopes = turnScopes(body.fileIds ?? [], body.collectionIds ?? []);
  return { documents: { scopes, ...(body.whole ? { whole: true } : {}) } };
}

/** The documents service also answers whether a collection is one the user may read (own or shared). */
interface CollectionLookup {
  getCollection(userId: string, id: string): Promise<unknown>;
}

function looksUpCollections(r: DocumentRetriever): r is DocumentRetriever & CollectionLookup {
  return typeof (r as Partial<CollectionLookup>).getCollection === 'function';
}

/**
 * Checks the request's collections and attaches its files to the conversation. A collection or file that
 * is not the user's (or gone) is a 400 naming the field — the same answer for both, so ids cannot be
 * probed — rather than a search that silently finds nothing.
 */
export async function attachTurnDocuments(
  retriever: DocumentRetriever | undefined,
  userId: string,
  body: TurnDocumentsBody | undefined,
  conversationId: string,
): Promise<void> {
  if (!retriever) return;
  if (looksUpCollections(retriever)) {
    for (const id of new Set(body?.collectionIds ?? [])) {
      if (!(await retriever.getCollection(userId, id)))
        throw new ConversationError(
          'invalid_request',
          'documents.collectionIds names a collection that does not exist or is not yours.',
          'documents.collectionIds',
        );
    }
  }
  const fileIds = body?.fileIds ?? [];
  if (fileIds.length === 0) return;
  try {
    await retriever.attachToConversation(userId, [...new Set(fileIds)], conversationId);
  } catch (err) {
    const code = (err as { code?: unknown })?.code;
    if (code === 'not_found')
      throw new ConversationError(
        'invalid_request',
        'documents.fileIds names a file that does not exist or is not yours.',
        'documents.fileIds',
      );
    throw err;
  }
}
