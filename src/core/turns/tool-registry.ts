/**
 * Ponder's own tools: the ones the server runs itself when a model calls them in a web turn (on `/v1`
 * the client runs its own). One registry holds them all (built-ins now; web search, page reading and
 * MCP tools join it later) behind one contract (`tool-contract.ts`): arguments are checked against the
 * tool's zod schema, every run has a time limit and an output cap, and whatever goes wrong becomes an
 * error result the model reads — a tool never fails the turn.
 */

import type { z } from 'zod';
import { z as zod } from 'zod';
import type { ChatChunk, ToolCall, ToolDefinition } from '../../inference/types.ts';
import type { DocumentScope } from '../documents/types.ts';

export interface ToolContext {
  userId: string;
  /** Aborted when the turn is stopped or the tool's time is up. */
  signal: AbortSignal;
  /** The turn's documents (its attached files and chosen collections), for `search_documents` (issue 13). */
  documents?: readonly DocumentScope[];
}

export interface PonderTool {
  /** What the model sees: name, description and the JSON Schema of the arguments. */
  readonly definition: ToolDefinition;
  /** A human label for the web app. */
  readonly title: string;
  /** It only reads; a tool that changes something asks the user first (issue 12). */
  readonly readOnly: boolean;
  /** Runs the tool on arguments that passed its schema; returns what the model reads. */
  run(args: unknown, ctx: ToolContext): Promise<string>;
}

export interface ToolOutcome {
  content: string;
  isError: boolean;
  ms: number;
}

/** A call Ponder runs itself, as the whole-call chunk the timeline shows (`ponder`: not the client's to run). */
export function ponderCallChunk(call: ToolCall): ChatChunk {
  return {
    type: 'tool_call',
    index: 0,
    id: call.id,
    name: call.name,
    arguments: call.arguments,
    ponder: true,
  };
}

/** A tool from a zod schema: the JSON Schema the model sees and the check its arguments pass are one. */
export function defineTool<S extends z.ZodType>(spec: {
  name: string;
  title: string;
  description: string;
  readOnly: boolean;
  input: S;
  run(input: z.infer<S>, ctx: ToolContext): Promise<string>;
}): PonderTool {
  const parameters = zod.toJSONSchema(spec.input, { io: 'input' }) as Record<string, unknown>;
  delete parameters.$schema;
  return {
    definition: { name: spec.name, description: spec.description, parameters },
    title: spec.title,
    readOnly: spec.readOnly,
    run: async (args, ctx) => {
      const parsed = spec.input.safeParse(args);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
        throw new ToolInputError(
          `invalid arguments: ${where}${issue?.message ?? 'they do not match the schema'}`,
        );
      }
      return spec.run(parsed.data, ctx);
    },
  };
}

/** The arguments were not what the tool takes; the message is for the model to correct them. */
export class ToolInputError extends Error {
  override readonly name = 'ToolInputError';
}

/**
 * The tool ran and failed in a way the model should read (an MCP tool's `isError` result, its server out of
 * reach): the message is shown to the model as it is, so it must hold nothing internal.
 */
export class ToolResultError extends Error {
  override readonly name = 'ToolResultError';
}

export interface ToolRegistryOptions {
  /** Longest a tool may run, in ms. Default 30 000. */
  timeoutMs?: number;
  /** Longest result the model reads, in characters; longer ones are cut with a note. Default 20 000. */
  maxOutputChars?: number;
}

export class ToolRegistry {
  readonly #tools = new Map<string, PonderTool>();
  readonly #timeoutMs: number;
  readonly #maxOutputChars: number;

  constructor(tools: PonderTool[] = [], options: ToolRegistryOptions = {}) {
    for (const tool of tools) this.register(tool);
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#maxOutputChars = options.maxOutputChars ?? 20_000;
  }

  register(tool: PonderTool): void {
    if (this.#tools.has(tool.definition.name))
      throw new Error(`tool ${tool.definition.name} is registered twice`);
    this.#tools.set(tool.definition.name, tool);
  }

  /** Removes a tool (an MCP server's tool that is gone); false when there was none by that name. */
  unregister(name: string): boolean {
    return this.#tools.delete(name);
  }

  list(): PonderTool[] {
    return [...this.#tools.values()];
  }

  get(name: string): PonderTool | undefined {
    return this.#tools.get(name);
  }

  has(name: string): boolean {
    return this.#tools.has(name);
  }

  /** The definitions of `names`, in that order; throws a `RangeError` naming an unknown one. */
  definitions(names: readonly string[]): ToolDefinition[] {
    return names.map((name) => {
      const tool = this.#tools.get(name);
      if (!tool) throw new RangeError(`unknown tool "${name}"`);
      return tool.definition;
    });
  }

  /** Runs a call the model made. Never throws: failures, timeouts and bad arguments are error results. */
  async execute(call: ToolCall, ctx: ToolContext): Promise<ToolOutcome> {
    const started = performance.now();
    const done = (content: string, isError: boolean): ToolOutcome => ({
      content: this.#cap(content),
      isError,
      ms: Math.round(performance.now() - started),
    });
    const tool = this.#tools.get(call.name);
    if (!tool) return done(`error: there is no tool named "${call.name}"`, true);
    let args: unknown;
    try {
      args = call.arguments.trim() === '' ? {} : JSON.parse(call.arguments);
    } catch {
      return done('error: the arguments are not valid JSON', true);
    }
    // A referenced timer, unlike AbortSignal.timeout's: a running tool keeps the process alive until it
    // answers or its time is up.
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new Error('tool timeout')), this.#timeoutMs);
    const signal = AbortSignal.any([ctx.signal, timeout.signal]);
    try {
      const content = await Promise.race([
        tool.run(args, { ...ctx, signal }),
        new Promise<never>((_, reject) => {
          if (signal.aborted) reject(signal.reason);
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        }),
      ]);
      return done(content, false);
    } catch (err) {
      if (timeout.signal.aborted)
        return done(`error: the tool did not answer within ${this.#timeoutMs / 1000} s`, true);
      if (ctx.signal.aborted) return done('error: the turn was stopped', true);
      // A tool's own message is kept for input errors and reported failures; anything else may hold internals.
      const readable = err instanceof ToolInputError || err instanceof ToolResultError;
      return done(readable ? `error: ${err.message}` : 'error: the tool failed', true);
    } finally {
      clearTimeout(timer);
    }
  }

  #cap(content: string): string {
    if (content.length <= this.#maxOutputChars) return content;
    return `${content.slice(0, this.#maxOutputChars)}\n[… cut: ${content.length - this.#maxOutputChars} more characters]`;
  }
}
