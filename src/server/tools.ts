/**
 * Ponder's own tools, as the server offers them: the built-ins, page reading and (with a provider
 * configured) web search, and the tools of the MCP servers the admin registered, kept in step with
 * their lists. Part of the composition root (`services.ts`).
 */
import { McpTools } from '../core/mcp/mcp-tools.ts';
import { builtinTools } from '../core/turns/builtin-tools.ts';
import { ToolRegistry } from '../core/turns/tool-registry.ts';
import { webTools } from '../core/turns/web-tools.ts';
import type { AppFoundation } from './context.ts';

export function buildToolRegistry(ctx: AppFoundation): ToolRegistry {
  const logger = ctx.deps.logger;
  const registry = new ToolRegistry([...builtinTools(), ...webTools(ctx.config, logger ? { logger } : {})]);
  const servers = ctx.config.mcp.servers.filter((s) => s.enabled !== false);
  if (servers.length === 0) return registry;

  let mcpNames: string[] = [];
  let syncing = Promise.resolve();
  const mcp = new McpTools(ctx.config.mcp, {
    allowPrivateHosts: ctx.config.fetch.allowPrivateHosts,
    ...(logger ? { logger } : {}),
    onToolsChanged: () => void sync(),
  });
  // One listing at a time; a server that cannot be reached is left out (and logged) until it can be.
  const sync = (): Promise<void> => {
    syncing = syncing.then(async () => {
      try {
        const tools = await mcp.listTools();
        for (const name of mcpNames) registry.unregister(name);
        for (const tool of tools) if (!registry.has(tool.definition.name)) registry.register(tool);
        mcpNames = tools.map((t) => t.definition.name);
      } catch (err) {
        logger?.warn({ err: (err as Error)?.name }, 'MCP tools could not be listed');
      }
    });
    return syncing;
  };
  void sync();
  ctx.shutdownHooks.add('mcp', async () => {
    await mcp.close();
  });
  return registry;
}
