/**
 * MCP servers' tools as Ponder tools (issue 12). `McpTools` holds one `McpConnection` per enabled server of
 * `mcp.servers` and gives the registry a `PonderTool` per server tool: named `mcp_<server>_<tool>`, its
 * JSON Schema as the parameters (arguments are checked against it before the call), read-only only when
 * the server says so (`readOnlyHint` and not `destructiveHint`), so anything else will ask the user first.
 * What the model reads is the result's text; images, audio and resources are summarised; an `isError`
 * result or a server that fails becomes a `ToolResultError` whose message reaches the model.
 */
import { createHash } from 'node:crypto';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { McpConfig } from '../../config/schema.ts';
import { toGrammarSchema } from '../../inference/llama/grammar-schema.ts';
import { McpConnection, McpFailure, type McpLogger } from '../../inference/mcp/mcp-connection.ts';
import type { ResolveHost } from '../../inference/net/guarded-fetch.ts';
import { type PonderTool, ToolInputError, ToolResultError } from '../turns/tool-registry.ts';

export interface McpToolsOptions {
  /** `fetch.allowPrivateHosts`. */
  allowPrivateHosts?: readonly string[];
  logger?: McpLogger;
  /** A server's tool list changed (after `notifications/tools/list_changed`): list the tools again. */
  onToolsChanged?: (serverId: string) => void;
  /** After a server could not be listed, how long `listTools` leaves it out before trying again (ms). */
  retryAfterMs?: number;
  resolve?: ResolveHost;
}

const MAX_DESCRIPTION = 2000;
const validators = new AjvJsonSchemaValidator();

export class McpTools {
  readonly #connections = new Map<string, McpConnection>();
  readonly #downUntil = new Map<string, number>();
  readonly #options: McpToolsOptions;

  constructor(config: McpConfig, options: McpToolsOptions = {}) {
    this.#options = options;
    for (const server of config.servers) {
      if (!server.enabled) continue;
      const connection = new McpConnection(server, {
        allowLocalProcesses: config.allowLocalProcesses,
        allowPrivateHosts: options.allowPrivateHosts ?? [],
        ...(options.logger ? { logger: options.logger } : {}),
        ...(options.resolve ? { resolve: options.resolve } : {}),
        onToolsChanged: () => options.onToolsChanged?.(server.id),
      });
      this.#connections.set(server.id, connection);
    }
  }

  /** The connection to one server (tests, diagnostics). */
  connection(serverId: string): McpConnection | undefined {
    return this.#connections.get(serverId);
  }

  /**
   * Every enabled server's tools as Ponder tools, connecting where needed. A server that cannot be reached
   * is logged and left out (for `retryAfterMs`, default 30 s) rather than failing the rest.
   */
  async listTools(signal?: AbortSignal): Promise<PonderTool[]> {
    const lists = await Promise.all(
      [...this.#connections.values()].map(async (connection) => {
        if ((this.#downUntil.get(connection.id) ?? 0) > Date.now()) return { connection, tools: [] };
        try {
          const tools = await connection.tools(signal);
          this.#downUntil.delete(connection.id);
          return { connection, tools };
        } catch (err) {
          if (signal?.aborted) throw err;
          this.#downUntil.set(connection.id, Date.now() + (this.#options.retryAfterMs ?? 30_000));
          const detail = err instanceof McpFailure ? err.message : String(err);
          this.#options.logger?.warn(
            { mcpServer: connection.id, detail },
            'MCP server left out of the tools',
          );
          return { connection, tools: [] };
        }
      }),
    );
    // One set of names across servers: "mcp_a_b_c" could be server a's "b_c" or server a_b's "c".
    const taken = new Set<string>();
    return lists.flatMap(({ connection, tools }) => this.#toPonderTools(connection, tools, taken));
  }

  /** Closes every connection (stdio servers' processes are stopped). */
  async close(): Promise<void> {
    await Promise.all([...this.#connections.values()].map((c) => c.close()));
  }

  #toPonderTools(connection: McpConnection, tools: Tool[], names: Set<string>): PonderTool[] {
    const out: PonderTool[] = [];
    for (const tool of tools) {
      // A tool that must run as an MCP task cannot be called with a plain request.
      if (tool.execution?.taskSupport === 'required') continue;
      const parameters = toParameters(tool.inputSchema);
      try {
        toGrammarSchema(parameters, tool.name);
      } catch (err) {
        this.#options.logger?.warn(
          { mcpServer: connection.id, tool: tool.name, detail: (err as Error).message },
          'MCP tool left out: its input schema cannot be offered to a model',
        );
        continue;
      }
      const name = toolName(connection.id, tool.name, names);
      names.add(name);
      out.push(mcpPonderTool(connection, tool, name, parameters));
    }
    return out;
  }
}

/** `mcp_<server>_<tool>` in `[A-Za-z0-9_-]`, at most 64 characters, a short hash where it had to be cut or clashed. */
export function toolName(serverId: string, tool: string, taken: ReadonlySet<string> = new Set()): string {
  const base = `mcp_${serverId}_${tool}`.replace(/[^A-Za-z0-9_-]/g, '_');
  if (base.length <= 64 && !taken.has(base)) return base;
  const hash = createHash('sha256').update(`${serverId}\0${tool}`).digest('hex').slice(0, 8);
  return `${base.slice(0, 55)}_${hash}`;
}

function toParameters(inputSchema: Tool['inputSchema']): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = inputSchema as Record<string, unknown>;
  return { ...rest, type: 'object' };
}

function mcpPonderTool(
  connection: McpConnection,
  tool: Tool,
  name: string,
  parameters: Record<string, unknown>,
): PonderTool {
  const annotations = tool.annotations ?? {};
  const readOnly = annotations.readOnlyHint === true && annotations.destructiveHint !== true;
  const about = tool.description?.trim() || tool.title || annotations.title || tool.name;
  const description = `${about.slice(0, MAX_DESCRIPTION)} (tool "${tool.name}" of the MCP server "${connection.id}")`;
  let validate: ((input: unknown) => { valid: boolean; errorMessage?: string | undefined }) | undefined;
  try {
    validate = validators.getValidator(parameters as never);
  } catch {
    validate = undefined; // The server checks its own arguments.
  }
  return {
    definition: { name, description, parameters },
    title: (tool.title || annotations.title || tool.name).slice(0, 200),
    readOnly,
    run: async (args, ctx) => {
      const input = args ?? {};
      if (typeof input !== 'object' || Array.isArray(input))
        throw new ToolInputError('invalid arguments: expected an object');
      const checked = validate?.(input);
      if (checked && !checked.valid) {
        throw new ToolInputError(
          `invalid arguments: ${checked.errorMessage ?? 'they do not match the schema'}`,
        );
      }
      let result: CallToolResult;
      try {
        result = await connection.call(tool.name, input as Record<string, unknown>, ctx.signal);
      } catch (err) {
        if (err instanceof McpFailure) throw new ToolResultError(err.message);
        throw err;
      }
      const text = resultText(result);
      if (result.isError) throw new ToolResultError(`the MCP tool reported an error: ${text}`);
      return text;
    },
  };
}

/** What the model reads of a result: text blocks as they are, other blocks summarised. */
export function resultText(result: CallToolResult): string {
  const parts: string[] = [];
  for (const block of result.content ?? []) {
    switch (block.type) {
      case 'text':
        parts.push(block.text);
        break;
      case 'image':
      case 'audio':
        parts.push(`[${block.type}, ${block.mimeType}, ${size(block.data)}]`);
        break;
      case 'resource_link':
        parts.push(
          `[resource link: ${block.name} <${block.uri}>${block.mimeType ? `, ${block.mimeType}` : ''}]`,
        );
        break;
      case 'resource': {
        const r = block.resource;
        if ('text' in r && typeof r.text === 'string') parts.push(`[resource <${r.uri}>]\n${r.text}`);
        else if ('blob' in r && typeof r.blob === 'string')
          parts.push(`[resource <${r.uri}>, ${r.mimeType ?? 'binary'}, ${size(r.blob)}]`);
        break;
      }
      default:
        parts.push(`[${String((block as { type?: unknown }).type)} content]`);
    }
  }
  if (parts.length === 0 && result.structuredContent !== undefined) {
    parts.push(JSON.stringify(result.structuredContent));
  }
  const text = parts.join('\n');
  return text.length > 0 ? text : '(the tool returned no content)';
}

function size(base64: string): string {
  const bytes = Math.floor((base64.replace(/=+$/, '').length * 3) / 4);
  return bytes < 1024 ? `${bytes} B` : `${Math.round(bytes / 1024)} kB`;
}
