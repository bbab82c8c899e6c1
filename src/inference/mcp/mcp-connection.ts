/**
 * One configured MCP server, through `@modelcontextprotocol/sdk`: connected on first use (Streamable HTTP
 * through the address-checked `mcp-fetch.ts`, or a local process over stdio when the admin allows it), its
 * tools listed (all pages) and kept fresh on `notifications/tools/list_changed`, calls with the server's
 * time limit. When the server goes away (its process exits, its event stream breaks) the connection is
 * dropped, calls in flight end with an `McpFailure`, and the next request connects again. Every failure is
 * an `McpFailure` whose message is safe to show the model; the details go to the log only.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { type CallToolResult, ErrorCode, McpError, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { McpServerConfig } from '../../config/schema.ts';
import { FetchFailed, FetchRefused, type ResolveHost } from '../net/guarded-fetch.ts';
import { createMcpFetch, type McpFetch } from './mcp-fetch.ts';

export type McpFailureKind =
  | 'unreachable'
  | 'refused'
  | 'oauth_required'
  | 'unauthorized'
  | 'timeout'
  | 'closed'
  | 'server_error'
  | 'stopped';

export const OAUTH_MESSAGE = 'this MCP server needs per-user sign-in, which Ponder does not support yet';

/** Why a request to an MCP server failed; `message` is for the model and the admin, `detail` for logs. */
export class McpFailure extends Error {
  override readonly name = 'McpFailure';
  constructor(
    readonly kind: McpFailureKind,
    message: string,
    readonly detail = '',
  ) {
    super(message);
  }
}

export interface McpLogger {
  warn(obj: object, msg: string): void;
  info?(obj: object, msg: string): void;
}

export interface McpConnectionOptions {
  /** `fetch.allowPrivateHosts`: the private hosts an HTTP server may be at. */
  allowPrivateHosts?: readonly string[];
  /** `mcp.allowLocalProcesses`; a `command` server is refused without it. */
  allowLocalProcesses?: boolean;
  logger?: McpLogger;
  /** Called with the new list after the server said its tools changed. */
  onToolsChanged?: (tools: Tool[]) => void;
  /** DNS resolution for HTTP servers (tests). */
  resolve?: ResolveHost;
}

const CLIENT_INFO = { name: 'ponder', version: '1.0.0' };

export class McpConnection {
  readonly id: string;
  readonly #server: McpServerConfig;
  readonly #options: McpConnectionOptions;
  #client: Client | undefined;
  #connecting: Promise<Client> | undefined;
  #transport: StdioClientTransport | StreamableHTTPClientTransport | undefined;
  #fetch: McpFetch | undefined;
  #tools: Tool[] | undefined;
  #challenge: string | null | undefined;
  #stderrTail = '';
  #closed = false;

  constructor(server: McpServerConfig, options: McpConnectionOptions = {}) {
    this.id = server.id;
    this.#server = server;
    this.#options = options;
  }

  /** The server's tools (cached; refreshed when it announces a change). */
  async tools(signal?: AbortSignal): Promise<Tool[]> {
    return this.#withClient(signal, async (client) => {
      if (this.#tools) return this.#tools;
      const tools: Tool[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor ? { cursor } : undefined, this.#requestOptions(signal));
        tools.push(...page.tools);
        cursor = page.nextCursor;
      } while (cursor && tools.length < 10_000);
      if (this.#client === client) this.#tools = tools;
      return tools;
    });
  }

  /** Calls `name`; the result as the server gave it (`isError` included). */
  async call(name: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<CallToolResult> {
    return this.#withClient(signal, async (client) => {
      const result = await client.callTool(
        { name, arguments: args },
        undefined,
        this.#requestOptions(signal),
      );
      return result as CallToolResult;
    });
  }

  /** The pid of a stdio server's process, while one runs (tests). */
  get pid(): number | null {
    return this.#transport instanceof StdioClientTransport ? this.#transport.pid : null;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#drop();
  }

  #requestOptions(signal: AbortSignal | undefined) {
    return { timeout: this.#server.timeoutMs, ...(signal ? { signal } : {}) };
  }

  /** Runs `fn` on a connected client; a session the server forgot is reconnected and tried once more. */
  async #withClient<T>(signal: AbortSignal | undefined, fn: (client: Client) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const client = await this.#connect(signal);
      try {
        return await fn(client);
      } catch (err) {
        const sessionGone =
          err instanceof StreamableHTTPError &&
          (err.code === 404 || (err.code === 400 && /session/i.test(err.message)));
        if (sessionGone || isConnectionError(err)) await this.#drop(client);
        if (sessionGone && attempt === 0 && !signal?.aborted) continue;
        throw this.#failure(err, signal);
      }
    }
  }

  #connect(signal: AbortSignal | undefined): Promise<Client> {
    if (this.#closed)
      return Promise.reject(new McpFailure('closed', `the MCP server "${this.id}" is shut down`));
    if (this.#client) return Promise.resolve(this.#client);
    this.#connecting ??= this.#open().finally(() => {
      this.#connecting = undefined;
    });
    const connecting = this.#connecting;
    if (!signal) return connecting;
    return new Promise<Client>((resolve, reject) => {
      const onAbort = () => reject(new McpFailure('stopped', 'the call was stopped'));
      if (signal.aborted) onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      connecting.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  async #open(): Promise<Client> {
    const transport = this.#makeTransport();
    const client = new Client(CLIENT_INFO, {
      capabilities: {},
      listChanged: {
        tools: {
          debounceMs: 50,
          onChanged: (error, tools) => {
            if (error || !tools || this.#client !== client) return;
            this.#tools = tools;
            this.#options.onToolsChanged?.(tools);
          },
        },
      },
    });
    client.onclose = () => {
      if (this.#client !== client) return;
      this.#client = undefined;
      this.#tools = undefined;
      this.#options.logger?.warn(
        { mcpServer: this.id, stderr: this.#stderrTail || undefined },
        'MCP server closed',
      );
    };
    client.onerror = (err) => {
      // A broken event stream means the server (or the way to it) is gone: end the calls waiting on it.
      if (
        /SSE stream disconnected|Maximum reconnection attempts/.test(err.message) &&
        this.#client === client
      ) {
        void this.#drop(client);
      }
    };
    this.#transport = transport;
    this.#challenge = undefined;
    try {
      await client.connect(transport, { timeout: this.#server.timeoutMs });
    } catch (err) {
      await client.close().catch(() => {});
      this.#fetch?.close();
      throw this.#failure(err, undefined);
    }
    if (this.#closed) {
      await client.close().catch(() => {});
      throw new McpFailure('closed', `the MCP server "${this.id}" is shut down`);
    }
    this.#client = client;
    return client;
  }

  #makeTransport(): StdioClientTransport | StreamableHTTPClientTransport {
    const server = this.#server;
    if (server.command !== undefined) {
      if (!this.#options.allowLocalProcesses) {
        throw new McpFailure(
          'refused',
          `the MCP server "${this.id}" is a local process, which is not allowed`,
        );
      }
      const transport = new StdioClientTransport({
        command: server.command,
        args: server.args ?? [],
        env: { ...getDefaultEnvironment(), ...(server.env ?? {}) },
        stderr: 'pipe',
      });
      this.#stderrTail = '';
      transport.stderr?.on('data', (chunk: Buffer) => {
        this.#stderrTail = (this.#stderrTail + chunk.toString('utf8')).slice(-1000);
      });
      return transport;
    }
    const url = server.url as string;
    this.#fetch?.close();
    this.#fetch = createMcpFetch({
      url,
      ...(server.headers ? { headers: server.headers } : {}),
      allowPrivateHosts: this.#options.allowPrivateHosts ?? [],
      timeoutMs: server.timeoutMs,
      ...(this.#options.resolve ? { resolve: this.#options.resolve } : {}),
      onUnauthorized: (challenge) => {
        this.#challenge = challenge;
      },
    });
    return new StreamableHTTPClientTransport(new URL(url), {
      fetch: this.#fetch.fetch,
      reconnectionOptions: {
        maxRetries: 0,
        initialReconnectionDelay: 1000,
        maxReconnectionDelay: 1000,
        reconnectionDelayGrowFactor: 1,
      },
    });
  }

  /** Forgets the connection (`client`, or whichever is open): its calls in flight fail, the next one reconnects. */
  async #drop(client = this.#client): Promise<void> {
    if (!client) return;
    if (this.#client === client) {
      this.#client = undefined;
      this.#tools = undefined;
    }
    const transport = client.transport;
    if (transport instanceof StreamableHTTPClientTransport && this.#closed) {
      await withTimeout(transport.terminateSession(), 2000).catch(() => {});
    }
    await client.close().catch(() => {});
    if (this.#transport === transport) this.#fetch?.close();
  }

  #failure(err: unknown, signal: AbortSignal | undefined): McpFailure {
    if (err instanceof McpFailure) return err;
    const own = (err as { detail?: unknown })?.detail;
    const detail = typeof own === 'string' ? own : err instanceof Error ? err.message : String(err);
    const name = `the MCP server "${this.id}"`;
    const stdio = this.#server.command !== undefined;
    const fail = (kind: McpFailureKind, message: string) => {
      if (kind !== 'server_error' && kind !== 'stopped' && kind !== 'timeout') {
        const stderr = stdio && this.#stderrTail ? this.#stderrTail : undefined;
        this.#options.logger?.warn({ mcpServer: this.id, kind, detail, stderr }, 'MCP request failed');
      }
      return new McpFailure(kind, message, detail);
    };
    const unreachable = stdio ? `${name} could not be started` : `${name} could not be reached`;
    if (signal?.aborted) return fail('stopped', 'the call was stopped');
    if (err instanceof FetchRefused) {
      return fail(
        'refused',
        `${name} is at an address Ponder may not reach (an administrator can allow internal hosts with fetch.allowPrivateHosts)`,
      );
    }
    if (err instanceof FetchFailed) return fail('unreachable', unreachable);
    if (err instanceof StreamableHTTPError && (err.code === 401 || err.code === 403)) {
      const oauth =
        err.code === 401 &&
        (/resource_metadata/i.test(this.#challenge ?? '') ||
          (/^\s*bearer\b/i.test(this.#challenge ?? '') && !hasAuthorization(this.#server)));
      if (oauth) return fail('oauth_required', OAUTH_MESSAGE);
      return fail(
        'unauthorized',
        `${name} refused Ponder's credentials (HTTP ${err.code}); check its headers`,
      );
    }
    if (err instanceof StreamableHTTPError) {
      return fail('unreachable', `${name} could not be reached (HTTP ${err.code ?? 'error'})`);
    }
    if (err instanceof McpError && err.code === ErrorCode.RequestTimeout) {
      return fail('timeout', `${name} did not answer within ${this.#server.timeoutMs / 1000} s`);
    }
    if (err instanceof McpError && err.code === ErrorCode.ConnectionClosed) {
      return fail('closed', `${name} closed the connection; it is reconnected on the next call`);
    }
    if (err instanceof McpError)
      return fail('server_error', `${name} answered with an error: ${cap(err.message)}`);
    if (isConnectionError(err)) return fail('unreachable', unreachable);
    return fail('server_error', `${name} sent an answer Ponder could not read`);
  }
}

function isConnectionError(err: unknown): boolean {
  if (err instanceof FetchFailed) return true;
  if (err instanceof McpError) return err.code === ErrorCode.ConnectionClosed;
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && /^(ENOENT|EACCES|EPIPE|ECONNRESET|ECONNREFUSED|ERR_STREAM)/.test(code);
}

function hasAuthorization(server: McpServerConfig): boolean {
  return Object.keys(server.headers ?? {}).some((h) => h.toLowerCase() === 'authorization');
}

function cap(text: string): string {
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
