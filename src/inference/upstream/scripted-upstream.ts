/**
 * A scripted OpenAI-compatible upstream for tests (never imported by production code): a real `node:http`
 * server on 127.0.0.1 that answers each chat request from a script (status, headers, raw SSE lines with
 * delays, a cut connection, a hang) and records what it received.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ScriptedLine {
  /** Written as-is (bytes let a test split a UTF-8 sequence), followed by `eol` (default "\n"). */
  line: string | Uint8Array;
  /** Wait this long before writing it. */
  delayMs?: number;
  /** Wait for this before writing it (a test holds a stream open until it says so). */
  gate?: Promise<unknown>;
  eol?: string;
}

export interface ScriptedResponse {
  /** Default 200. */
  status?: number;
  /** Default `content-type: text/event-stream` for 200, `application/json` otherwise. */
  headers?: Record<string, string>;
  /** Wait this long before sending the headers (a slow first byte). */
  headerDelayMs?: number;
  /** SSE lines, in order. A plain string is one line followed by "\n". */
  lines?: Array<string | ScriptedLine>;
  /** A raw body written after `lines` (error bodies, JSON completions). */
  body?: string;
  /** Destroy the connection after the lines instead of ending the response (a stream cut mid-way). */
  cut?: boolean;
  /** Never end the response (until the client goes away). */
  hang?: boolean;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body, or the raw text when it is not JSON. */
  body: unknown;
}

export interface ScriptedUpstreamOptions {
  /** Served by `GET /v1/models`. Default `['r1-test']`. */
  models?: string[];
  /** Answers chat requests not covered by `enqueue` (index counts every chat request). Default: `chatStream(...)`. */
  onChat?: (req: ReceivedRequest, index: number) => ScriptedResponse;
}

export interface ScriptedUpstream {
  /** `http://127.0.0.1:PORT/v1` */
  readonly baseUrl: string;
  readonly requests: ReceivedRequest[];
  readonly chatRequests: ReceivedRequest[];
  /** Chat streams currently open. */
  readonly openChats: number;
  /** The next chat requests get these responses, in order. */
  enqueue(...responses: ScriptedResponse[]): void;
  /** While down, every request (models too) has its connection destroyed at once. */
  setDown(down: boolean): void;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** A llama-server-like stream: reasoning in `reasoning_content` (leading "\n"), then content, usage, `[DONE]`. */
export function chatStream(
  options: {
    reasoning?: string[];
    content?: string[];
    finishReason?: string;
    usage?: Record<string, unknown> | null;
    /** Field that carries the reasoning. Default `reasoning_content`. */
    reasoningField?: 'reasoning_content' | 'reasoning' | 'thinking';
    done?: boolean;
  } = {},
): string[] {
  const field = options.reasoningField ?? 'reasoning_content';
  const reasoning = options.reasoning ?? ['\n', 'Let me think', '.'];
  const content = options.content ?? ['Hello', ' world'];
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] })}`;
  const lines = [chunk({ role: 'assistant', content: null })];
  for (const r of reasoning) lines.push('', chunk({ [field]: r }));
  for (const c of content) lines.push('', chunk({ content: c }));
  lines.push('', chunk({}, options.finishReason ?? 'stop'));
  const usage =
    options.usage === undefined
      ? { prompt_tokens: 12, completion_tokens: reasoning.length + content.length, total_tokens: 17 }
      : options.usage;
  if (usage)
    lines.push('', `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [], usage })}`);
  if (options.done ?? true) lines.push('', 'data: [DONE]');
  lines.push('');
  return lines;
}

export async function startScriptedUpstream(
  options: ScriptedUpstreamOptions = {},
): Promise<ScriptedUpstream> {
  const models = options.models ?? ['r1-test'];
  const requests: ReceivedRequest[] = [];
  const chatRequests: ReceivedRequest[] = [];
  const queue: ScriptedResponse[] = [];
  const sockets = new Set<Socket>();
  let down = false;
  let openChats = 0;

  const server = createServer((req, res) => {
    if (down) {
      req.socket.destroy();
      return;
    }
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const text = Buffer.concat(parts).toString('utf8');
      let body: unknown = text;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        // keep the raw text
      }
      const received: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
      };
      requests.push(received);
      if (req.method === 'GET' && req.url === '/v1/models') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ object: 'list', data: models.map((id) => ({ id, object: 'model' })) }));
        return;
      }
      if (req.method === 'POST' && req.url === '/v1/chat/completions') {
        const index = chatRequests.length;
        chatRequests.push(received);
        const script = queue.shift() ?? options.onChat?.(received, index) ?? { lines: chatStream() };
        openChats++;
        res.on('close', () => openChats--);
        void play(res, script).catch(() => res.destroy());
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'not found', type: 'not_found_error' } }));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  async function close(): Promise<void> {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    chatRequests,
    get openChats() {
      return openChats;
    },
    enqueue: (...responses) => queue.push(...responses),
    setDown(value) {
      down = value;
      if (value) for (const s of sockets) s.destroy();
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

async function play(res: ServerResponse, script: ScriptedResponse): Promise<void> {
  if (script.headerDelayMs) await sleep(script.headerDelayMs);
  if (res.destroyed) return;
  const status = script.status ?? 200;
  res.writeHead(status, {
    'content-type': status === 200 ? 'text/event-stream' : 'application/json',
    'cache-control': 'no-cache',
    ...script.headers,
  });
  res.flushHeaders();
  for (const item of script.lines ?? []) {
    const step = typeof item === 'string' ? { line: item } : item;
    if (step.delayMs) await sleep(step.delayMs);
    if (step.gate) await step.gate;
    if (res.destroyed) return;
    res.write(step.line);
    res.write(step.eol ?? '\n');
  }
  if (script.body !== undefined) res.write(script.body);
  if (script.cut) {
    // Let the written bytes leave before the reset, so the client sees a partial stream.
    await sleep(20);
    res.destroy();
    return;
  }
  if (script.hang) return;
  res.end();
}

/**
 * Answers like llama-server serving `models`: 404 for another model; otherwise `tokens` reasoning deltas
 * in `reasoning_content` and `tokens` content deltas, `delayMs` apart (so an abort lands mid-stream).
 */
export function llamaServerLike(models: string[], tokens = 40, delayMs = 2): ScriptedUpstreamOptions {
  return {
    models,
    onChat: (req) => {
      const model = (req.body as { model?: unknown } | undefined)?.model;
      if (typeof model !== 'string' || !models.includes(model)) {
        return {
          status: 404,
          body: JSON.stringify({ error: { code: 404, message: 'model not found', type: 'not_found_error' } }),
        };
      }
      const lines = chatStream({
        reasoning: ['\n', ...Array.from({ length: tokens }, (_, i) => ` r${i}`)],
        content: Array.from({ length: tokens }, (_, i) => ` t${i}`),
      });
      return { lines: lines.map((line) => (line === '' ? line : { line, delayMs })) };
    },
  };
}

/** A base URL on 127.0.0.1 where nothing listens (connection refused). */
export async function refusedBaseUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/v1`;
}

/** One `data:` line of a chat completion stream carrying `delta` (and `finish_reason` when given). */
export function deltaLine(delta: Record<string, unknown>, finish: string | null = null): string {
  return `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] })}\n`;
}

/**
 * A round that reasons, then calls one tool in DeepSeek's wire format (the name first, then the arguments
 * in `pieces` fragments), ends `tool_calls`, reports usage and `[DONE]`.
 */
export function toolCallStream(o: {
  id: string;
  name: string;
  args: string;
  reasoning?: string;
  pieces?: number;
  usage?: { prompt: number; completion: number; cached?: number };
}): string[] {
  const lines = [deltaLine({ role: 'assistant', reasoning_content: o.reasoning ?? 'Let me check.' }), ''];
  lines.push(
    deltaLine({
      tool_calls: [{ index: 0, id: o.id, type: 'function', function: { name: o.name, arguments: '' } }],
    }),
    '',
  );
  const pieces = Math.max(1, o.pieces ?? 1);
  const size = Math.ceil(o.args.length / pieces);
  for (let at = 0; at < o.args.length; at += size) {
    lines.push(
      deltaLine({ tool_calls: [{ index: 0, function: { arguments: o.args.slice(at, at + size) } }] }),
      '',
    );
  }
  lines.push(deltaLine({}, 'tool_calls'), '');
  const u = o.usage ?? { prompt: 9, completion: 4 };
  const usage = {
    prompt_tokens: u.prompt,
    completion_tokens: u.completion,
    total_tokens: u.prompt + u.completion,
    ...(u.cached === undefined ? {} : { prompt_tokens_details: { cached_tokens: u.cached } }),
  };
  lines.push(`data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [], usage })}\n`, '');
  lines.push('data: [DONE]', '');
  return lines;
}
