import { useEffect, useState } from 'react';
import { api } from '../api/client.ts';
import type { ModelsResponse, ToolInfo, ToolsResponse } from '../api/types.ts';

/** `GET /api/tools`, asked once per page load and shared; a failure is forgotten so a later mount asks again. */
let cached: Promise<ToolInfo[]> | undefined;

export function loadTools(): Promise<ToolInfo[]> {
  cached ??= api<ToolsResponse>('/api/tools').then(
    (res) => (Array.isArray(res.tools) ? res.tools : []),
    () => {
      cached = undefined;
      return [];
    },
  );
  return cached;
}

/** Ponder's own tools the composer can offer; undefined until known. */
export function useTools(): ToolInfo[] | undefined {
  const [tools, setTools] = useState<ToolInfo[] | undefined>(undefined);
  useEffect(() => {
    let live = true;
    void loadTools().then((list) => {
      if (live) setTools(list);
    });
    return () => {
      live = false;
    };
  }, []);
  return tools;
}

/** The server can search the web (an admin configured a provider): `GET /api/tools` lists `web_search`. */
export function canSearch(tools: readonly ToolInfo[] | undefined): boolean {
  return tools?.some((tool) => tool.name === 'web_search') ?? false;
}

/**
 * The tools the composer offers for the model a send would use (the chosen one when listed, else the
 * server's default, as the model picker shows): none until both lists are known, and none unless that model
 * says `supportsTools: true`.
 */
export function toolsFor(
  models: ModelsResponse | undefined,
  chosen: string | undefined,
  tools: readonly ToolInfo[] | undefined,
): readonly ToolInfo[] {
  if (!models || !tools || tools.length === 0) return [];
  const id =
    chosen && models.models.some((m) => m.id === chosen)
      ? chosen
      : (models.defaultModel ?? models.models[0]?.id);
  if (models.models.find((m) => m.id === id)?.supportsTools !== true) return [];
  // `search_documents` is offered with the turn's documents (issue 13), not in the Tools menu.
  return tools.filter((tool) => tool.name !== 'search_documents');
}
