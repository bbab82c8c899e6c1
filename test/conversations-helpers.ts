/**
 * Helpers of the conversation/chat HTTP tests: an SSE parser over fetch streaming (as a browser's
 * EventSource would parse), and a test server running the embedded engine on the tiny generated model.
 */
import type { MetaEventData } from '../src/api/conversations.ts';
import { ensureTestModel } from '../src/inference/gguf/test-model.ts';
import { createEmbeddedProvider, type EmbeddedProvider } from '../src/inference/llama/index.ts';
import { startTestServer, type TestServer, type TestServerOptions } from '../src/server/testing.ts';

export interface SseEvent {
  id: number | undefined;
  event: string;
  data: unknown;
}

/** Parses `text/event-stream` from a fetch response; ends when the stream ends (or the fetch is aborted). */
export async function* readSse(res: Response): AsyncGenerator<SseEvent> {
  if (!res.body) return;
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch {
        return; // aborted by the test
      }
      if (chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const parsed = parseBlock(block);
        if (parsed) yield parsed;
        end = buffer.indexOf('\n\n');
      }
    }
  } finally {
    reader.releaseLock();
  }
}

function parseBlock(block: string): SseEvent | null {
  let id: number | undefined;
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') id = Number(value);
    else if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0) return null;
  return { id, event, data: JSON.parse(data.join('\n')) };
}

/** Reads every event until the stream ends. */
export async function collectSse(res: Response): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for await (const e of readSse(res)) out.push(e);
  return out;
}

/** Concatenated `reasoning` and `text` of events, resetting on `meta` (the documented client rule). */
export function textOf(events: SseEvent[]): { reasoning: string; text: string } {
  let reasoning = '';
  let text = '';
  for (const e of events) {
    const d = e.data as { text?: string };
    if (e.event === 'meta') {
      reasoning = '';
      text = '';
    } else if (e.event === 'reasoning') reasoning += d.text ?? '';
    else if (e.event === 'text') text += d.text ?? '';
  }
  return { reasoning, text };
}

export function metaOf(events: SseEvent[]): MetaEventData {
  const meta = events.find((e) => e.event === 'meta');
  if (!meta) throw new Error(`no meta event in ${events.map((e) => e.event).join(',')}`);
  return meta.data as MetaEventData;
}

export interface ChatTestServer extends TestServer {
  engine: EmbeddedProvider;
}

/**
 * A test server with the embedded engine on the tiny model. End-of-generation tokens are banned, so every
 * answer runs to `maxTokens` (random weights would stop anywhere): with `thinking.budgetTokens: 8`, an answer
 * is 8 reasoning tokens, then text.
 */
export async function startChatServer(
  store: 'sqlite' | 'postgres',
  options: { maxTokens?: number; logLevel?: 'info' | 'debug' } = {},
): Promise<ChatTestServer> {
  const path = await ensureTestModel('tiny');
  const engine = createEmbeddedProvider({
    models: { tiny: path },
    defaultModel: 'tiny',
    slots: 2,
    contextSize: 2048,
    batchSize: 64,
    threads: 1,
    ignoreEos: true,
  });
  return serveEngine(engine, 'tiny', {
    store,
    config: { logLevel: options.logLevel ?? 'info' },
    maxTokens: options.maxTokens ?? 300,
  });
}

/**
 * A test server whose one provider is `engine`, serving `model` by default (always ready) and answering at
 * most `maxTokens`: closing the server disposes the engine, and so does a failed start.
 */
export async function serveEngine(
  engine: EmbeddedProvider,
  model: string,
  options: Omit<TestServerOptions, 'deps'> & { maxTokens: number },
): Promise<ChatTestServer> {
  const { maxTokens, ...serverOptions } = options;
  try {
    const server = await startTestServer({
      ...serverOptions,
      deps: {
        providers: [engine],
        engine,
        defaultModel: model,
        modelStatus: () => ({ state: 'ready', model }),
        chat: { maxTokens, persistIntervalMs: 100 },
      },
    });
    const close = server.close.bind(server);
    return Object.assign(server, {
      engine,
      close: async () => {
        await close();
        await engine[Symbol.asyncDispose]();
      },
    });
  } catch (err) {
    await engine[Symbol.asyncDispose]();
    throw err;
  }
}

/** Polls until `check` returns a value (not undefined), at most `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const THINK = { enabled: true, budgetTokens: 8 };
