/**
 * The documents step of a turn (issue 13): before the model answers, the turn's documents are searched
 * with the question (hybrid retrieval, no model call, so it adds only the retrieval's own time to the
 * first token), or — when the user asked for whole documents and they fit the model's context — read
 * whole. It shows in the timeline as a `search_documents` call with its result, is stored with the answer
 * like the model's own tool calls, and reaches the model as that tool turn, which it cites from.
 */
import { randomUUID } from 'node:crypto';
import {
  type ChatChunk,
  type ChatMessage,
  type ChatRequest,
  InferenceError,
  type ModelInfo,
  type ToolCall,
} from '../../inference/types.ts';
import type { DocumentRetriever, DocumentScope } from '../documents/types.ts';
import {
  DEFAULT_PASSAGES,
  estimateTokens,
  formatPassages,
  formatWholeDocuments,
  NO_DOCUMENTS,
  SEARCH_DOCUMENTS,
} from './document-search.ts';
import { ponderCallChunk } from './tool-registry.ts';

/** The documents a turn uses: the union of its scopes; `whole` asks for whole documents. */
export interface TurnDocuments {
  scopes: DocumentScope[];
  whole?: boolean;
}

/**
 * The turn's Ponder tools: with documents, `search_documents` joins the asked ones where `offerTool` (the
 * model calls tools, the caller brought none of its own). Refuses documents the server cannot search.
 */
export function turnTools(
  asked: readonly string[],
  documents: TurnDocuments | undefined,
  o: { retriever: DocumentRetriever | undefined; offerTool: boolean },
): readonly string[] {
  if (!documents) return asked;
  if (!o.retriever)
    throw new InferenceError('invalid_request', 'Documents are not available on this server.');
  if (documents.scopes.length === 0)
    throw new InferenceError('invalid_request', 'documents names no files and no collections.');
  return o.offerTool && !asked.includes(SEARCH_DOCUMENTS) ? [...asked, SEARCH_DOCUMENTS] : asked;
}

export interface DocumentStepTurn {
  caller: { userId: string };
  request: ChatRequest;
  model: ModelInfo;
  documents: TurnDocuments;
}

/**
 * Runs the step: yields the `tool_call` and `tool_result` chunks and returns the messages with the call
 * and its result appended. A retrieval failure is an error result the model reads, never a failed turn.
 */
export async function* documentStep(
  turn: DocumentStepTurn,
  retriever: DocumentRetriever,
  messages: ChatMessage[],
  signal: AbortSignal,
  /** Hears how the step went (the audit log): never the query or the passages. */
  onRun?: (outcome: { isError: boolean; ms: number }) => void,
): AsyncGenerator<ChatChunk, ChatMessage[]> {
  const question = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  const query = question.replace(/\s+/g, ' ').trim().slice(0, 400);
  const whole = turn.documents.whole === true;
  const call: ToolCall = {
    id: `call_docs_${randomUUID().replaceAll('-', '').slice(0, 16)}`,
    name: SEARCH_DOCUMENTS,
    arguments: JSON.stringify(whole ? { query, mode: 'whole' } : { query }),
  };
  yield ponderCallChunk(call);
  const started = performance.now();
  let content: string;
  let isError = false;
  try {
    content = await stepContent(turn, retriever, messages, query, signal);
  } catch (err) {
    if (signal.aborted) throw err;
    isError = true;
    content = 'error: the documents could not be searched';
  }
  const ms = Math.round(performance.now() - started);
  onRun?.({ isError, ms });
  yield { type: 'tool_result', id: call.id, name: call.name, content, isError, ms };
  return [
    ...messages,
    { role: 'assistant', content: '', toolCalls: [call] },
    { role: 'tool', toolCallId: call.id, content },
  ];
}

async function stepContent(
  turn: DocumentStepTurn,
  retriever: DocumentRetriever,
  messages: ChatMessage[],
  query: string,
  signal: AbortSignal,
): Promise<string> {
  const { userId } = turn.caller;
  const { scopes } = turn.documents;
  if (scopes.length === 0) return NO_DOCUMENTS;
  const totalChars = passageChars(turn.model);
  const search = async (): Promise<string> =>
    formatPassages(
      query,
      await retriever.retrieve(userId, { scopes, query, limit: DEFAULT_PASSAGES, signal }),
      totalChars,
    );
  if (!turn.documents.whole) return search();

  const docs = await retriever.wholeDocuments(userId, scopes);
  if (docs.length === 0) return NO_DOCUMENTS;
  const tokens = docs.reduce((sum, d) => sum + d.tokens, 0);
  const room = roomForDocuments(turn.model, turn.request, messages);
  if (tokens <= room) return formatWholeDocuments(docs);
  const context = turn.model.contextSize ?? ASSUMED_CONTEXT;
  return `${wholeDoesNotFit(tokens, Math.max(0, room), context)}\n${await search()}`;
}

/** The context assumed for a model that does not state its own (tokens). */
export const ASSUMED_CONTEXT = 32_768;

/** The first line of a step whose whole documents did not fit; the web app shows it as a notice. */
export function wholeDoesNotFit(tokens: number, room: number, contextSize: number): string {
  return (
    `Note: the whole documents (about ${tokens} tokens) do not fit this model's context of ${contextSize} tokens ` +
    `(room for about ${room}); the most relevant passages were searched instead.`
  );
}

/**
 * Tokens left for documents in the prompt: the context less the conversation so far (estimated) and a
 * reserve for the answer (the request's cap, else its thinking budget and 512 more, at least 1024, at most
 * half the context). A model whose context size is unknown (an upstream that does not say) is taken to
 * have {@link ASSUMED_CONTEXT} tokens, so a huge file never goes in whole on a guess.
 */
export function roomForDocuments(
  model: Pick<ModelInfo, 'contextSize'>,
  request: Pick<ChatRequest, 'maxTokens' | 'thinking'>,
  messages: readonly ChatMessage[],
): number {
  const context = model.contextSize ?? ASSUMED_CONTEXT;
  const prompt = messages.reduce(
    (sum, m) => sum + 8 + estimateTokens(m.content) + estimateTokens(m.reasoning ?? ''),
    0,
  );
  const thinking = request.thinking?.enabled === false ? 0 : (request.thinking?.budgetTokens ?? 0);
  const reserve = Math.min(Math.floor(context / 2), request.maxTokens ?? Math.max(1024, thinking + 512));
  // The markers, headers and instructions around the documents.
  const framing = 200;
  return context - prompt - reserve - framing;
}

/** Characters of passages the step gives the model: about a quarter of its context, 1 500 to 12 000. */
function passageChars(model: Pick<ModelInfo, 'contextSize'>): number {
  const context = model.contextSize;
  return context === undefined ? 12_000 : Math.min(12_000, Math.max(1_500, context));
}
