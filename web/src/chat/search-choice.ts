/**
 * Whether each conversation searches the web first (the composer's Search toggle), remembered in
 * localStorage like the tools choice (off by default). A new chat keeps its choice in memory until the
 * conversation exists, then it is stored under its id.
 */
import { useCallback, useRef, useState } from 'react';
import { readPref, writePref } from '../lib/prefs.ts';

const KEY = 'search';
const MAX_CONVERSATIONS = 200;

function readAll(): string[] {
  try {
    const parsed: unknown = JSON.parse(readPref(KEY) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

export function storedSearchChoice(conversationId: string | undefined): boolean {
  return conversationId !== undefined && readAll().includes(conversationId);
}

export function storeSearchChoice(conversationId: string, on: boolean): void {
  const ids = readAll().filter((id) => id !== conversationId);
  if (on) ids.push(conversationId);
  // Newest choices last: drop the oldest beyond the cap.
  const kept = ids.slice(Math.max(0, ids.length - MAX_CONVERSATIONS));
  writePref(KEY, kept.length > 0 ? JSON.stringify(kept) : null);
}

/**
 * Search on or off for `conversationId`, a setter, and `adopt(newId)` that files a new chat's choice under
 * the conversation made for it (call it before the URL moves there).
 */
export function useSearchChoice(conversationId: string | undefined) {
  const [state, setState] = useState(() => ({ id: conversationId, on: storedSearchChoice(conversationId) }));
  let current = state;
  if (state.id !== conversationId) {
    current = { id: conversationId, on: storedSearchChoice(conversationId) };
    setState(current);
  }
  const onRef = useRef(current.on);
  onRef.current = current.on;
  const set = useCallback(
    (on: boolean) => {
      if (conversationId !== undefined) storeSearchChoice(conversationId, on);
      setState({ id: conversationId, on });
    },
    [conversationId],
  );
  const adopt = useCallback((id: string) => storeSearchChoice(id, onRef.current), []);
  return [current.on, set, adopt] as const;
}
