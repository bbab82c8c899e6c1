/**
 * Tool calls and structured output on the embedded engine, on top of node-llama-cpp's function calling:
 * the R1 chat wrapper documents the request's tools in the system prompt in its own call syntax, the model
 * calls one when it chooses to (`auto`), and a call is forced (`required`, a named tool) by opening the
 * call in the prompt so that node-llama-cpp generates the name and then the arguments under a grammar built
 * from the tool's JSON Schema. Either way the arguments always parse and match the schema's shape.
 */
import { randomUUID } from 'node:crypto';
import type { ChatModelFunctions, LlamaChatResponseFunctionCallParamsChunk } from 'node-llama-cpp';
import {
  type ChatChunk,
  type ChatRequest,
  InferenceError,
  type ResponseFormat,
  wantsResponseFormat,
  wantsTools,
} from '../types.ts';
import { toGrammarSchema } from './grammar-schema.ts';

/** OpenAI's rule for function names; node-llama-cpp also needs them free of spaces and newlines. */
const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * How the answer after the reasoning is produced:
 * `free`: as the model likes (calling a tool on its own when tools are offered);
 * `call`: a tool call is forced; `format`: the answer follows `responseFormat`'s grammar.
 */
export type AnswerPlan = 'free' | 'call' | 'format';

export function answerPlan(req: ChatRequest): AnswerPlan {
  if (wantsTools(req) && req.toolChoice !== undefined && req.toolChoice !== 'auto') return 'call';
  if (wantsResponseFormat(req)) return 'format';
  return 'free';
}

/** Checks `tools`, `toolChoice`, `responseFormat` and the tool turns of `messages`. */
export function validateToolRequest(req: ChatRequest): void {
  const bad = (msg: string): never => {
    throw new InferenceError('invalid_request', msg);
  };
  const names = new Set<string>();
  if (req.tools !== undefined) {
    if (!Array.isArray(req.tools)) bad('tools must be a list');
    for (const [i, tool] of (req.tools ?? []).entries()) {
      if (typeof tool?.name !== 'string' || !TOOL_NAME.test(tool.name))
        bad(`tools[${i}].name must be 1-64 letters, digits, '_' or '-'`);
      if (names.has(tool.name)) bad(`tools[${i}].name ${JSON.stringify(tool.name)} is given twice`);
      names.add(tool.name);
      if (tool.parameters !== undefined) toGrammarSchema(tool.parameters, `tools[${i}].parameters`);
    }
  }
  const choice = req.toolChoice;
  if (typeof choice === 'object' && choice !== null) {
    if (!names.has(choice.name))
      bad(`toolChoice names ${JSON.stringify(choice.name)}, which is not in tools`);
  } else if (choice !== undefined && !['auto', 'none', 'required'].includes(choice)) {
    bad('toolChoice must be auto, none, required or a tool name');
  }
  if (choice === 'required' && names.size === 0) bad('toolChoice required needs at least one tool');
  const format = req.responseFormat;
  if (format?.type === 'json_schema') toGrammarSchema(format.schema, 'responseFormat.schema');
  else if (format !== undefined && format.type !== 'text' && format.type !== 'json_object')
    bad('responseFormat.type must be text, json_object or json_schema');

  const answered = new Set<string>();
  const called = new Set<string>();
  for (const [i, m] of req.messages.entries()) {
    if (m.role === 'assistant' && m.toolCalls !== undefined) {
      if (!Array.isArray(m.toolCalls)) bad(`messages[${i}].toolCalls must be a list`);
      for (const [j, call] of m.toolCalls.entries()) {
        if (
          typeof call?.id !== 'string' ||
          typeof call.name !== 'string' ||
          typeof call.arguments !== 'string'
        )
          bad(`messages[${i}].toolCalls[${j}] needs a string id, name and arguments`);
        if (!TOOL_NAME.test(call.name)) bad(`messages[${i}].toolCalls[${j}].name is not a valid tool name`);
        called.add(call.id);
      }
    }
    if (m.role === 'tool') {
      const id = m.toolCallId;
      if (typeof id !== 'string' || !called.has(id))
        bad(`messages[${i}] (role tool) must answer a tool call of an earlier assistant message by its id`);
      else if (answered.has(id)) bad(`messages[${i}] answers tool call ${id} a second time`);
      else answered.add(id);
    }
  }
  const unanswered = [...called].filter((id) => !answered.has(id));
  if (unanswered.length > 0)
    bad(
      `tool call ${unanswered[0]} has no result: every assistant tool call needs a role tool message answering it`,
    );
}

/**
 * The request's tools as node-llama-cpp functions; with a named `toolChoice`, only that one (the model
 * can then call nothing else). Empty when no tool may be called.
 */
export function chatFunctions(req: ChatRequest): ChatModelFunctions | undefined {
  if (!wantsTools(req)) return undefined;
  const only = typeof req.toolChoice === 'object' ? req.toolChoice.name : undefined;
  const functions: Record<string, { description?: string; params?: unknown }> = {};
  for (const [i, tool] of (req.tools ?? []).entries()) {
    if (only !== undefined && tool.name !== only) continue;
    const params =
      tool.parameters === undefined ? undefined : toGrammarSchema(tool.parameters, `tools[${i}].parameters`);
    functions[tool.name] = {
      ...(tool.description ? { description: tool.description } : {}),
      ...(params !== undefined && !isEmptyObjectSchema(params) ? { params } : {}),
    };
  }
  return functions as ChatModelFunctions;
}

/** A parameterless tool (`{type:'object', properties:{}}`) is called with no arguments at all. */
function isEmptyObjectSchema(schema: unknown): boolean {
  const s = schema as { type?: unknown; properties?: object; additionalProperties?: unknown };
  return (
    s.type === 'object' && Object.keys(s.properties ?? {}).length === 0 && s.additionalProperties !== true
  );
}

/** The grammar schema a non-text `responseFormat` asks for. */
export function responseFormatSchema(format: ResponseFormat): unknown {
  if (format.type === 'json_schema') return toGrammarSchema(format.schema, 'responseFormat.schema');
  return { type: 'object', additionalProperties: true };
}

/** A fresh call id in OpenAI's style. */
export function newToolCallId(): string {
  return `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`;
}

/**
 * Turns node-llama-cpp's streamed call parameters into `tool_call` chunks: the first chunk of a call carries
 * its id and name. Whitespace the grammar lets the model pad the JSON with at the end is held back and
 * dropped, so the arguments read like an API's.
 */
export class ToolCallStreamer {
  private readonly started = new Set<number>();
  private held = new Map<number, string>();
  count = 0;

  constructor(private readonly emit: (chunk: ChatChunk) => void) {}

  push(chunk: LlamaChatResponseFunctionCallParamsChunk): void {
    const index = chunk.callIndex;
    if (!this.started.has(index)) {
      this.started.add(index);
      this.count = Math.max(this.count, index + 1);
      this.emit({ type: 'tool_call', index, id: newToolCallId(), name: chunk.functionName, arguments: '' });
    }
    const text = (this.held.get(index) ?? '') + chunk.paramsChunk;
    const trailing = /\s*$/.exec(text)?.[0] ?? '';
    this.held.set(index, trailing);
    const ready = text.slice(0, text.length - trailing.length);
    if (ready !== '') this.emit({ type: 'tool_call', index, arguments: ready });
  }

  /** A call that streamed no parameter chunk (a tool without parameters). */
  ensure(index: number, name: string, params: unknown): void {
    if (this.started.has(index)) return;
    this.started.add(index);
    this.count = Math.max(this.count, index + 1);
    this.emit({
      type: 'tool_call',
      index,
      id: newToolCallId(),
      name,
      arguments: params === undefined ? '{}' : JSON.stringify(params),
    });
  }
}
