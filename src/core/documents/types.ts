/**
 * The documents capability as the rest of core sees it (issue 13). The DocumentService implements
 * `DocumentRetriever`; the turn pipeline step and the `search_documents` tool consume it.
 */
import type { ApiPassage } from '../../api/documents.ts';

/** Where retrieval looks. A request may combine several scopes; their union is searched. */
export type DocumentScope =
  /** Files attached to that conversation. */
  | { kind: 'conversation'; conversationId: string }
  /** A collection the user owns or that an admin shared with everyone. */
  | { kind: 'collection'; collectionId: string }
  /** Explicit files of the user. */
  | { kind: 'files'; fileIds: string[] };

/**
 * The passage as the API serves it, with its rank; its `citation` ("report.pdf p. 3", "notes.md § Setup")
 * is what the answer cites in brackets.
 */
export interface Passage extends ApiPassage {
  score: number;
}

export interface DocumentRetriever {
  /** Hybrid retrieval within the union of scopes; never another user's unshared data. */
  retrieve(
    userId: string,
    q: { scopes: DocumentScope[]; query: string; limit?: number; signal?: AbortSignal },
  ): Promise<Passage[]>;
  /** Whole extracted text of the scope's files, in order, with token counts (for whole-document mode). */
  wholeDocuments(
    userId: string,
    scopes: DocumentScope[],
  ): Promise<Array<{ fileId: string; fileName: string; text: string; tokens: number }>>;
  /** One passage by chunk id (the citation popover); null when not the user's. */
  passage(userId: string, chunkId: string): Promise<Passage | null>;
  /** Files uploaded without a conversation (draft attachments) join the conversation when the message is sent. */
  attachToConversation(userId: string, fileIds: string[], conversationId: string): Promise<void>;
}

/**
 * Embeds texts for the vector half of retrieval; built from `gateway.embed` in services.ts.
 * Absent (or failing) means keyword-only retrieval, never a failed turn.
 */
export type EmbedTexts = (
  texts: string[],
  signal: AbortSignal,
  /** Who the embedding is for (uploads: admission and quotas); absent for Ponder's own query embeddings. */
  subject?: { userId: string; plan: string },
) => Promise<{ model: string; vectors: Float32Array[] }>;
