/**
 * Conversation use cases: create, list, search, get the tree, rename, delete, export.
 * Every call takes the acting user's id; another user's conversation is `not_found`, never forbidden.
 */
import type {
  ConversationDetail,
  ConversationList,
  ConversationSummary,
  SearchResponse,
} from '../../api/conversations.ts';
import type { Store } from '../../store/types.ts';
import { type ExportedDocument, exportedDocuments } from '../documents/export-files.ts';
import { notFound } from './errors.ts';
import { contentDisposition, type ExportFile, exportAllJson, exportJson, exportMarkdown } from './export.ts';
import { toDetail, toSummary } from './mapping.ts';

/** What the conversation service needs from the generation runner. */
export interface RunningGenerations {
  /** Cancels the conversation's running generations without writing to its (soon deleted) rows. */
  cancelConversation(userId: string, conversationId: string): Promise<void>;
}

export interface ConversationServiceDeps {
  store: Store;
  generations?: RunningGenerations;
  /** Conversations included in `GET /api/export`, newest first. Default 10 000. */
  maxExportConversations?: number;
}

export type ExportFormat = 'json' | 'markdown';

export class ConversationService {
  readonly #store: Store;
  readonly #generations: RunningGenerations | undefined;
  readonly #maxExport: number;

  constructor(deps: ConversationServiceDeps) {
    this.#store = deps.store;
    this.#generations = deps.generations;
    this.#maxExport = deps.maxExportConversations ?? 10_000;
  }

  async create(userId: string, title?: string): Promise<ConversationSummary> {
    const record = await this.#store.conversations.create(title ? { userId, title } : { userId });
    return toSummary(record);
  }

  async list(userId: string, page: { limit?: number; cursor?: string }): Promise<ConversationList> {
    const { conversations, nextCursor } = await this.#store.conversations.list(userId, {
      limit: page.limit ?? 50,
      cursor: page.cursor ?? null,
    });
    return { conversations: conversations.map(toSummary), nextCursor };
  }

  async search(userId: string, q: string, limit = 20): Promise<SearchResponse> {
    const results = await this.#store.search.query(userId, q, { limit });
    return {
      results: results.map((r) => ({
        conversationId: r.conversationId,
        title: r.title,
        snippet: r.snippet,
        ...(r.messageId ? { messageId: r.messageId } : {}),
      })),
    };
  }

  async get(userId: string, id: string): Promise<ConversationDetail> {
    const conversation = await this.#store.conversations.get(id, userId);
    if (!conversation) throw notFound();
    const messages = (await this.#store.messages.tree(id, userId)) ?? [];
    const running = await this.#store.generations.listRunning(userId);
    const active = running
      .filter((g) => g.conversationId === id)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];
    return toDetail(conversation, messages, active?.id);
  }

  async rename(userId: string, id: string, title: string): Promise<ConversationSummary> {
    const record = await this.#store.conversations.rename(id, userId, title);
    if (!record) throw notFound();
    return toSummary(record);
  }

  async delete(userId: string, id: string): Promise<void> {
    const conversation = await this.#store.conversations.get(id, userId);
    if (!conversation) throw notFound();
    await this.#generations?.cancelConversation(userId, id);
    if (!(await this.#store.conversations.delete(id, userId))) throw notFound();
  }

  async export(
    userId: string,
    id: string,
    format: ExportFormat,
  ): Promise<ExportFile & { disposition: string }> {
    const detail = await this.get(userId, id);
    const file =
      format === 'markdown'
        ? exportMarkdown(detail)
        : exportJson(detail, new Date(), await exportedDocuments(this.#store, userId, id));
    return { ...file, disposition: contentDisposition(file.filename) };
  }

  /** Every conversation of the user, whole trees, as one JSON download. */
  async exportAll(userId: string): Promise<ExportFile & { disposition: string }> {
    const details: ConversationDetail[] = [];
    const files: Record<string, ExportedDocument[]> = {};
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<Store['conversations']['list']>> = await this.#store.conversations.list(
        userId,
        { limit: 200, cursor },
      );
      for (const c of page.conversations) {
        if (details.length >= this.#maxExport) break;
        details.push(toDetail(c, (await this.#store.messages.tree(c.id, userId)) ?? []));
        const docs = await exportedDocuments(this.#store, userId, c.id); // uploaded files (issue 13)
        if (docs.length > 0) files[c.id] = docs;
      }
      cursor = details.length >= this.#maxExport ? null : page.nextCursor;
    } while (cursor);
    const file = exportAllJson(details, new Date(), files);
    return { ...file, disposition: contentDisposition(file.filename) };
  }
}
