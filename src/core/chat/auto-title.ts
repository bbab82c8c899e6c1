/** The automatic title of a conversation, written when its first message is sent. */
import type { MessageRecord, Store } from '../../store/types.ts';
import { makeTitle } from '../conversations/title.ts';
import type { ChatLogger } from './generation-runner.ts';

/**
 * Titles the conversation from its first message before the answer starts, unless the user titled it
 * meanwhile, so the sidebar and header show it at once. Returns the title written.
 */
export async function autoTitle(
  store: Store,
  logger: ChatLogger | undefined,
  userId: string,
  conversationId: string,
  first: MessageRecord,
): Promise<string | undefined> {
  try {
    const current = await store.conversations.get(conversationId, userId);
    if (current && current.title === '') {
      const title = makeTitle(first.content);
      await store.conversations.rename(conversationId, userId, title);
      return title;
    }
  } catch (err) {
    // A missing title is cosmetic: the turn goes on.
    logger?.warn({ conversationId, err: (err as Error)?.name }, 'automatic title failed');
  }
  return undefined;
}
