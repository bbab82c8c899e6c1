/** A tiny History API router: the current path as React state, and navigate() to change it. */
import { useSyncExternalStore } from 'react';

const listeners = new Set<() => void>();

function subscribe(fn: () => void): () => void {
  listeners.add(fn);
  window.addEventListener('popstate', fn);
  return () => {
    listeners.delete(fn);
    window.removeEventListener('popstate', fn);
  };
}

export function navigate(path: string, opts: { replace?: boolean } = {}): void {
  if (path === location.pathname) return;
  if (opts.replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  for (const fn of listeners) fn();
}

export function usePath(): string {
  return useSyncExternalStore(subscribe, () => location.pathname);
}

export type Route =
  | { page: 'chat'; conversationId?: string }
  | { page: 'settings'; section?: string }
  | { page: 'admin'; section?: string }
  | { page: 'arena'; battleId?: string }
  | { page: 'login' }
  | { page: 'signup' };

export function parseRoute(path: string): Route {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  switch (parts[0]) {
    case 'c':
      return parts[1] ? { page: 'chat', conversationId: parts[1] } : { page: 'chat' };
    case 'settings':
      return { page: 'settings', section: parts[1] };
    case 'admin':
      return { page: 'admin', section: parts[1] };
    case 'arena':
      return parts[1] ? { page: 'arena', battleId: parts[1] } : { page: 'arena' };
    case 'login':
      return { page: 'login' };
    case 'signup':
      return { page: 'signup' };
    default:
      return { page: 'chat' };
  }
}
