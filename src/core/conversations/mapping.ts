/** Store records to the web API's shapes (docs/web-api.md). */
import type { ConversationDetail, ConversationSummary, Message } from '../../api/conversations.ts';
import type { ConversationRecord, MessageRecord } from '../../store/types.ts';

export function toSummary(c: ConversationRecord): ConversationSummary {
  return {
    id: c.id,
    title: c.title,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

export function toMessage(m: MessageRecord): Message {
  const out: Message = {
    id: m.id,
    parentId: m.parentId,
    role: m.role,
    content: m.content,
    reasoning: m.reasoning,
    status: m.status,
    model: m.model,
    createdAt: m.createdAt.toISOString(),
  };
  if (m.toolSteps.length > 0) out.toolSteps = m.toolSteps;
  if (m.generationId) out.generationId = m.generationId;
  if (m.reasoningMs !== null) out.reasoningMs = m.reasoningMs;
  if (m.error) out.error = m.error;
  if (m.usage) out.usage = m.usage;
  if (m.finishReason) out.finishReason = m.finishReason;
  return out;
}

export function toDetail(
  c: ConversationRecord,
  messages: MessageRecord[],
  activeGenerationId?: string,
): ConversationDetail {
  const detail: ConversationDetail = { ...toSummary(c), messages: messages.map(toMessage) };
  if (activeGenerationId) detail.activeGenerationId = activeGenerationId;
  return detail;
}

/** The path root → `leafId` through the tree (empty when `leafId` is not in it). */
export function pathTo<T extends { id: string; parentId: string | null }>(
  messages: T[],
  leafId: string,
): T[] {
  const byId = new Map(messages.map((m) => [m.id, m]));
  const path: T[] = [];
  const seen = new Set<string>();
  for (let m = byId.get(leafId); m && !seen.has(m.id); m = m.parentId ? byId.get(m.parentId) : undefined) {
    seen.add(m.id);
    path.push(m);
  }
  return path.reverse();
}
