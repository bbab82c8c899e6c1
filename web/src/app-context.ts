import { createContext, useContext } from 'react';
import type { ApiUser } from './api/types.ts';

export interface AppContextValue {
  user: ApiUser;
  setUser: (user: ApiUser | null) => void;
  /** Reloads the sidebar's conversation list. */
  refreshConversations: () => void;
  /** Bumped whenever the list should reload (the sidebar listens). */
  conversationsVersion: number;
  openDrawer: () => void;
}

export const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const ctx = useContext(AppContext);
  if (!ctx) throw new Error('useApp outside AppContext');
  return ctx;
}
