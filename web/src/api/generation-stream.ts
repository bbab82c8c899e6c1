/** Typed generation events over SSE: start a turn, regenerate, reattach after a reload, stop, confirm a tool. */
import { apiFetch } from './client.ts';
import { readSse, SseParser } from './sse.ts';
import type { GenerationEventDataMap, GenerationEventType, ThinkingOption } from './types.ts';

export type GenerationEvent = {
  [K in GenerationEventType]: { id: number; type: K; data: GenerationEventDataMap[K] };
}[GenerationEventType];

const KNOWN = new Set<string>([
  'meta',
  'queued',
  'reasoning',
  'text',
  'tool_call',
  'tool_confirm',
  'tool_result',
  'usage',
  'done',
]);

function toEvent(id: string, event: string, data: string): GenerationEvent | undefined {
  if (!KNOWN.has(event)) return undefined;
  try {
    return { id: Number(id) || 0, type: event, data: JSON.parse(data) } as GenerationEvent;
  } catch {
    return undefined;
  }
}

async function* events(res: Response, parser: SseParser): AsyncGenerator<GenerationEvent> {
  for await (const e of readSse(res, parser)) {
    const ev = toEvent(e.id, e.event, e.data);
    if (ev) yield ev;
  }
}

export interface SendOptions {
  content: string;
  /** null: a new first message (editing the first question); absent: after the latest message. */
  parentId?: string | null;
  model?: string;
  thinking?: ThinkingOption;
  /** Names of Ponder's tools (`GET /api/tools`) the model may call in this turn; none when absent. */
  tools?: string[];
  /** Search the web with the message first (the Search toggle); absent: no search. */
  search?: boolean;
  /** The user's documents this turn searches (issue 13); absent: none. */
  documents?: TurnDocuments;
}

/** Files attached in the composer, chosen collections, and whether to read them whole. */
export interface TurnDocuments {
  fileIds?: string[];
  collectionIds?: string[];
  whole?: boolean;
}

const SSE_HEADERS = { accept: 'text/event-stream' };

/** Posts a user message; errors known before generation (quota, model, overload) throw ApiError. */
export async function sendMessage(
  conversationId: string,
  body: SendOptions,
  signal: AbortSignal,
): Promise<{ events: AsyncGenerator<GenerationEvent>; parser: SseParser }> {
  const res = await apiFetch(`/api/conversations/${encodeURIComponent(conversationId)}/messages`, {
    method: 'POST',
    body,
    signal,
    headers: SSE_HEADERS,
  });
  const parser = new SseParser();
  return { events: events(res, parser), parser };
}

export function regenerate(
  conversationId: string,
  messageId: string,
  body: {
    model?: string;
    thinking?: ThinkingOption;
    tools?: string[];
    search?: boolean;
    documents?: TurnDocuments;
  },
  signal: AbortSignal,
): Promise<{ events: AsyncGenerator<GenerationEvent>; parser: SseParser }> {
  return messageAction(conversationId, messageId, 'regenerate', body, signal);
}

/** Continues a cut-off or stopped answer: the same message grows (its stream replays what it held first). */
export function continueAnswer(
  conversationId: string,
  messageId: string,
  body: { thinking?: ThinkingOption },
  signal: AbortSignal,
): Promise<{ events: AsyncGenerator<GenerationEvent>; parser: SseParser }> {
  return messageAction(conversationId, messageId, 'continue', body, signal);
}

/** `POST …/messages/:messageId/{regenerate|continue}`, answered by a generation's SSE stream. */
async function messageAction(
  conversationId: string,
  messageId: string,
  action: 'regenerate' | 'continue',
  body: object,
  signal: AbortSignal,
): Promise<{ events: AsyncGenerator<GenerationEvent>; parser: SseParser }> {
  const res = await apiFetch(
    `/api/conversations/${encodeURIComponent(conversationId)}/messages/${encodeURIComponent(messageId)}/${action}`,
    { method: 'POST', body, signal, headers: SSE_HEADERS },
  );
  const parser = new SseParser();
  return { events: events(res, parser), parser };
}

/** Reattaches to a running or finished generation, replaying events after `lastEventId` (all when absent). */
export function attach(
  generationId: string,
  lastEventId: string | undefined,
  signal: AbortSignal,
): Promise<{ events: AsyncGenerator<GenerationEvent>; parser: SseParser }> {
  return openEventStream(`/api/generations/${encodeURIComponent(generationId)}/events`, lastEventId, signal);
}

/** "Answer now": the model closes its reasoning and answers. */
export async function answerNow(generationId: string): Promise<void> {
  await apiFetch(`/api/generations/${encodeURIComponent(generationId)}/answer-now`, {
    method: 'POST',
    body: {},
  });
}

/**
 * The user's decision on a tool call waiting for it (`tool_confirm`). Throws ApiError 404 when the call
 * waits no more (decided, timed out, stopped) or the generation runs on another instance.
 */
export async function confirmToolCall(generationId: string, callId: string, approve: boolean): Promise<void> {
  await apiFetch(
    `/api/generations/${encodeURIComponent(generationId)}/tools/${encodeURIComponent(callId)}/confirm`,
    { method: 'POST', body: { approve } },
  );
}

/**
 * Any stream of generation events at `path` (e.g. an arena side), replaying after `lastEventId` (all when
 * absent). Errors before the stream starts throw ApiError.
 */
export async function openEventStream(
  path: string,
  lastEventId: string | undefined,
  signal: AbortSignal,
): Promise<{ events: AsyncGenerator<GenerationEvent>; parser: SseParser }> {
  const headers: Record<string, string> = { ...SSE_HEADERS };
  if (lastEventId) headers['last-event-id'] = lastEventId;
  const res = await apiFetch(path, { signal, headers });
  const parser = new SseParser();
  return { events: events(res, parser), parser };
}

export async function stopGeneration(generationId: string): Promise<void> {
  await apiFetch(`/api/generations/${encodeURIComponent(generationId)}/stop`, { method: 'POST', body: {} });
}
