/**
 * Which of Ponder's tools each conversation may use, remembered in localStorage (none by default). A new
 * chat keeps its choice in memory until the conversation exists, then it is stored under its id.
 */
import { useCallback, useRef, useState } from 'react';
import { readPref, writePref } from '../lib/prefs.ts';

const KEY = 'tools';
const MAX_CONVERSATIONS = 200;

function readAll(): Record<string, string[]> {
  try {
    const parsed: unknown = JSON.parse(readPref(KEY) ?? '{}');
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, string[]>)
      : {};
  } catch {
    return {};
  }
}

export function storedToolChoice(conversationId: string | undefined): string[] {
  if (conversationId === undefined) return [];
  const names = readAll()[conversationId];
  return Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string') : [];
}

export function storeToolChoice(conversationId: string, names: readonly string[]): void {
  const all = readAll();
  delete all[conversationId];
  if (names.length > 0) all[conversationId] = [...names];
  // Newest choices last: drop the oldest beyond the cap.
  const keys = Object.keys(all);
  for (const k of keys.slice(0, Math.max(0, keys.length - MAX_CONVERSATIONS))) delete all[k];
  writePref(KEY, Object.keys(all).length > 0 ? JSON.stringify(all) : null);
}

/**
 * The tool names chosen for `conversationId`, a setter, and `adopt(newId)` that files a new chat's choice
 * under the conversation made for it (call it before the URL moves there).
 */
export function useToolChoice(conversationId: string | undefined) {
  const [state, setState] = useState(() => ({
    id: conversationId,
    names: storedToolChoice(conversationId),
  }));
  let current = state;
  if (state.id !== conversationId) {
    // Another conversation: its own choice (adjusting state while rendering, as React documents).
    current = { id: conversationId, names: storedToolChoice(conversationId) };
    setState(current);
  }
  const namesRef = useRef(current.names);
  namesRef.current = current.names;
  const set = useCallback(
    (names: string[]) => {
      if (conversationId !== undefined) storeToolChoice(conversationId, names);
      setState({ id: conversationId, names });
    },
    [conversationId],
  );
  const adopt = useCallback((id: string) => storeToolChoice(id, namesRef.current), []);
  return [current.names, set, adopt] as const;
}
