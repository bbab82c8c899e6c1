/** UI preferences in localStorage (never tokens: the session lives in an HttpOnly cookie). */

const PREFIX = 'ponder.';

export function readPref(key: string): string | null {
  try {
    return localStorage.getItem(PREFIX + key);
  } catch {
    return null;
  }
}

export function writePref(key: string, value: string | null): void {
  try {
    if (value === null) localStorage.removeItem(PREFIX + key);
    else localStorage.setItem(PREFIX + key, value);
  } catch {
    // Storage full or disabled (private mode): preferences are a convenience, not state.
  }
}

const REASONING_KEY = 'reasoningOpen';
const REASONING_MAX = 500;

/** Per-message open/closed state of the reasoning panel; undefined when the user never toggled it. */
export function reasoningOpen(messageId: string): boolean | undefined {
  const map = readReasoningMap();
  const v = map[messageId];
  return v === undefined ? undefined : v === 1;
}

export function setReasoningOpen(messageId: string, open: boolean): void {
  const map = readReasoningMap();
  delete map[messageId];
  map[messageId] = open ? 1 : 0;
  // Keep the newest entries only: insertion order is the toggle order.
  const keys = Object.keys(map);
  for (const k of keys.slice(0, Math.max(0, keys.length - REASONING_MAX))) delete map[k];
  writePref(REASONING_KEY, JSON.stringify(map));
}

function readReasoningMap(): Record<string, 0 | 1> {
  try {
    const parsed: unknown = JSON.parse(readPref(REASONING_KEY) ?? '{}');
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, 0 | 1>) : {};
  } catch {
    return {};
  }
}

const SELECTION_KEY = 'branches';
const SELECTION_MAX = 100;

/** Which branch was shown in each conversation (parent id → child id), so a reload shows the same one. */
export function storedSelection(conversationId: string): Map<string, string> {
  try {
    const all = JSON.parse(readPref(SELECTION_KEY) ?? '{}') as Record<string, Record<string, string>>;
    return new Map(Object.entries(all[conversationId] ?? {}));
  } catch {
    return new Map();
  }
}

export function storeSelection(conversationId: string, selection: ReadonlyMap<string, string>): void {
  let all: Record<string, Record<string, string>>;
  try {
    all = JSON.parse(readPref(SELECTION_KEY) ?? '{}') as Record<string, Record<string, string>>;
  } catch {
    all = {};
  }
  delete all[conversationId];
  if (selection.size > 0) all[conversationId] = Object.fromEntries(selection);
  const keys = Object.keys(all);
  for (const k of keys.slice(0, Math.max(0, keys.length - SELECTION_MAX))) delete all[k];
  writePref(SELECTION_KEY, JSON.stringify(all));
}
