/**
 * The conversation of the Responses API as items (messages, reasoning, function calls and their
 * outputs), and how it becomes the chat messages a turn is prompted with. Items from a stored
 * `previous_response_id` chain and from the request are the same type, so a chain replays exactly.
 */
import type { ChatMessage, ToolCall } from '../../inference/types.ts';

export type ResponseItem =
  | { type: 'message'; role: 'system' | 'user' | 'assistant'; text: string }
  /** The model's reasoning for the assistant turn it precedes. */
  | { type: 'reasoning'; text: string }
  | { type: 'function_call'; callId: string; name: string; arguments: string }
  | { type: 'function_call_output'; callId: string; output: string };

/** Input that cannot make a prompt; `param` names the offending field the way OpenAI does. */
export class ResponseInputError extends Error {
  override readonly name = 'ResponseInputError';
  constructor(
    message: string,
    readonly param: string,
  ) {
    super(message);
  }
}

/**
 * The chat messages for `instructions` and `items`: consecutive reasoning, assistant text and function
 * calls form one assistant turn (a turn that called tools keeps its reasoning, as DeepSeek's API wants
 * it sent back; others lose it by the history policy anyway); each output becomes a `tool` message.
 * `offset` is where the request's own items start among `items` (for the `input[i]` in errors).
 */
export function toChatMessages(
  instructions: string | null,
  items: readonly ResponseItem[],
  offset = 0,
): ChatMessage[] {
  const messages: ChatMessage[] = instructions ? [{ role: 'system', content: instructions }] : [];
  const calls = new Set<string>();
  let turn: { content: string; reasoning: string; toolCalls: ToolCall[] } | null = null;
  const param = (i: number): string => (i >= offset ? `input[${i - offset}]` : 'previous_response_id');
  const closeTurn = (): void => {
    if (!turn) return;
    const { content, reasoning, toolCalls } = turn;
    if (toolCalls.length > 0)
      messages.push({ role: 'assistant', content, ...(reasoning ? { reasoning } : {}), toolCalls });
    else if (content !== '' || reasoning === '') messages.push({ role: 'assistant', content });
    turn = null;
  };
  items.forEach((item, i) => {
    switch (item.type) {
      case 'reasoning':
      case 'function_call':
      case 'message': {
        if (item.type === 'message' && item.role !== 'assistant') {
          closeTurn();
          messages.push({ role: item.role, content: item.text });
          return;
        }
        turn ??= { content: '', reasoning: '', toolCalls: [] };
        if (item.type === 'reasoning') turn.reasoning += item.text;
        else if (item.type === 'message') turn.content += item.text;
        else {
          if (calls.has(item.callId))
            throw new ResponseInputError(
              `Duplicate function_call call_id '${item.callId}'.`,
              `${param(i)}.call_id`,
            );
          calls.add(item.callId);
          turn.toolCalls.push({ id: item.callId, name: item.name, arguments: item.arguments });
        }
        return;
      }
      case 'function_call_output':
        closeTurn();
        if (!calls.has(item.callId))
          throw new ResponseInputError(
            `No function_call found for the function_call_output with call_id '${item.callId}'.`,
            `${param(i)}.call_id`,
          );
        messages.push({ role: 'tool', toolCallId: item.callId, content: item.output });
        return;
      default:
        item satisfies never;
    }
  });
  const last = items.length - 1;
  if (turn !== null) {
    throw new ResponseInputError(
      'The input ends with an assistant turn; end it with a user message or a function_call_output.',
      last >= offset ? `input[${last - offset}]` : 'input',
    );
  }
  if (!messages.some((m) => m.role !== 'system'))
    throw new ResponseInputError('input is required: give a user message.', 'input');
  return messages;
}
