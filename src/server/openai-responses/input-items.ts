/**
 * The `input` of `POST /v1/responses` as Ponder's `ResponseItem`s: a string is one user message;
 * otherwise message items (text parts only), `function_call`, `function_call_output` and `reasoning`
 * items. Every field is read or refused by its exact path (`input[2].content[0].type`), so a client never
 * believes an image, a file or an item reference reached the model when it did not.
 */
import type { ResponseItem } from '../../core/responses/items.ts';
import { invalidParam as invalid } from '../openai/errors.ts';
import { isEmpty } from '../openai/parameters.ts';

/** An item before its `encrypted_content` (if any) is opened with the owner's key. */
export type PendingItem =
  | ResponseItem
  | { type: 'sealed_reasoning'; sealed: string; text: string; param: string };

export interface ParsedInput {
  items: PendingItem[];
  /** The items as the client sent them, each with an id (for `GET /v1/responses/{id}/input_items`). */
  wire: Record<string, unknown>[];
}

const MAX_TEXT = 4_000_000;

function text(value: unknown, param: string): string {
  if (typeof value !== 'string') throw invalid(`Invalid type for '${param}': expected a string.`, param);
  if (value.length > MAX_TEXT) throw invalid(`'${param}' is too long.`, param);
  return value;
}

function idText(value: unknown, param: string): string {
  const v = text(value, param);
  if (v.length === 0 || v.length > 256) throw invalid(`'${param}' must be 1 to 256 characters.`, param);
  return v;
}

/** Refuses any key of `obj` not in `known` unless it is empty (null, [], {}), naming its path. */
function onlyKnown(obj: Record<string, unknown>, known: readonly string[], at: string): void {
  for (const [key, value] of Object.entries(obj)) {
    if (known.includes(key) || isEmpty(value)) continue;
    throw invalid(`'${key}' is not supported on this item (${at}.${key}).`, `${at}.${key}`);
  }
}

function object(value: unknown, param: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(`Invalid type for '${param}': expected an object.`, param);
  return value as Record<string, unknown>;
}

/** Text parts only: `input_text` (and `output_text` / `refusal` echoed back from an earlier answer). */
function contentText(content: unknown, at: string): string {
  if (typeof content === 'string') return text(content, at);
  if (!Array.isArray(content)) throw invalid(`Invalid type for '${at}': expected a string or an array.`, at);
  return content
    .map((raw, j) => {
      const part = object(raw, `${at}[${j}]`);
      const where = `${at}[${j}]`;
      switch (part.type) {
        case 'input_text':
        case 'output_text':
          onlyKnown(part, ['type', 'text', 'annotations', 'logprobs'], where);
          return text(part.text, `${where}.text`);
        case 'refusal':
          onlyKnown(part, ['type', 'refusal'], where);
          return text(part.refusal, `${where}.refusal`);
        default:
          throw invalid(
            `Content part type '${String(part.type)}' is not supported: Ponder's models read text only (input_text).`,
            `${where}.type`,
          );
      }
    })
    .join('');
}

const ROLES = { user: 'user', system: 'system', developer: 'system', assistant: 'assistant' } as const;

function messageItem(item: Record<string, unknown>, at: string): ResponseItem {
  onlyKnown(item, ['type', 'role', 'content', 'id', 'status'], at);
  const role = ROLES[item.role as keyof typeof ROLES];
  if (typeof item.role !== 'string' || !role)
    throw invalid(`'${at}.role' must be one of user, system, developer, assistant.`, `${at}.role`);
  return { type: 'message', role, text: contentText(item.content, `${at}.content`) };
}

function reasoningItem(item: Record<string, unknown>, at: string): PendingItem {
  onlyKnown(item, ['type', 'id', 'summary', 'content', 'encrypted_content', 'status'], at);
  const parts = (list: unknown, kind: string, where: string): string[] => {
    if (list === undefined || list === null) return [];
    if (!Array.isArray(list)) throw invalid(`Invalid type for '${where}': expected an array.`, where);
    return list.map((raw, j) => {
      const part = object(raw, `${where}[${j}]`);
      if (part.type !== kind)
        throw invalid(`'${where}[${j}].type' must be '${kind}'.`, `${where}[${j}].type`);
      onlyKnown(part, ['type', 'text'], `${where}[${j}]`);
      return text(part.text, `${where}[${j}].text`);
    });
  };
  const content = parts(item.content, 'reasoning_text', `${at}.content`).join('');
  const summary = parts(item.summary, 'summary_text', `${at}.summary`).join('\n\n');
  const plain = content || summary;
  if (typeof item.encrypted_content === 'string' && item.encrypted_content !== '')
    return {
      type: 'sealed_reasoning',
      sealed: item.encrypted_content,
      text: plain,
      param: `${at}.encrypted_content`,
    };
  return { type: 'reasoning', text: plain };
}

function functionCallItem(item: Record<string, unknown>, at: string): ResponseItem {
  onlyKnown(item, ['type', 'id', 'call_id', 'name', 'arguments', 'status'], at);
  return {
    type: 'function_call',
    callId: idText(item.call_id, `${at}.call_id`),
    name: idText(item.name, `${at}.name`),
    arguments: text(item.arguments, `${at}.arguments`),
  };
}

function functionOutputItem(item: Record<string, unknown>, at: string): ResponseItem {
  onlyKnown(item, ['type', 'id', 'call_id', 'output', 'status'], at);
  return {
    type: 'function_call_output',
    callId: idText(item.call_id, `${at}.call_id`),
    output: contentText(item.output, `${at}.output`),
  };
}

/** Ids given to items the client sent without one (OpenAI's prefixes). */
const ITEM_ID_PREFIX = {
  message: 'msg',
  reasoning: 'rs',
  function_call: 'fc',
  function_call_output: 'fco',
  web_search_call: 'ws',
};

export function parseInput(input: unknown, newItemId: (prefix: string) => string): ParsedInput {
  if (input === undefined || input === null) return { items: [], wire: [] };
  if (typeof input === 'string') {
    return {
      items: [{ type: 'message', role: 'user', text: input }],
      wire: [
        {
          type: 'message',
          id: newItemId('msg'),
          role: 'user',
          status: 'completed',
          content: [{ type: 'input_text', text: input }],
        },
      ],
    };
  }
  if (!Array.isArray(input))
    throw invalid("Invalid type for 'input': expected a string or an array.", 'input');
  const items: PendingItem[] = [];
  const wire: Record<string, unknown>[] = [];
  input.forEach((raw, i) => {
    const at = `input[${i}]`;
    const item = object(raw, at);
    // Easy input messages may leave `type` out.
    const type = item.type ?? (item.role !== undefined ? 'message' : undefined);
    switch (type) {
      case 'message':
        items.push(messageItem(item, at));
        break;
      case 'reasoning':
        items.push(reasoningItem(item, at));
        break;
      case 'function_call':
        items.push(functionCallItem(item, at));
        break;
      case 'function_call_output':
        items.push(functionOutputItem(item, at));
        break;
      case 'web_search_call':
        // A search Ponder ran, echoed back by a stateless client: its answer carries what it found;
        // search results are not replayed into the prompt (like earlier turns' reasoning).
        onlyKnown(item, ['type', 'id', 'status', 'action'], at);
        break;
      default:
        throw invalid(
          `Input item type '${String(type)}' is not supported: use message, function_call, function_call_output, reasoning or web_search_call items.`,
          `${at}.type`,
        );
    }
    const prefix = ITEM_ID_PREFIX[type as keyof typeof ITEM_ID_PREFIX];
    wire.push({ ...item, type, id: typeof item.id === 'string' ? item.id : newItemId(prefix) });
  });
  return { items, wire };
}
