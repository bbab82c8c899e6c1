/** The sliding-window arithmetic shared by the in-process and Redis rate limiters. */

export interface WindowState {
  /** Index of the current fixed window: floor(now / windowMs). */
  window: number;
  current: number;
  previous: number;
}

/** Rolls a stored state forward to the window that contains `now`. */
export function rollWindow(state: WindowState | undefined, now: number, windowMs: number): WindowState {
  const window = Math.floor(now / windowMs);
  if (!state || state.window < window - 1) return { window, current: 0, previous: 0 };
  if (state.window === window - 1) return { window, current: 0, previous: state.current };
  return { ...state, window };
}

/** Weighted count: the previous window counts for the share of it the sliding window still covers. */
export function slidingCount(state: WindowState, now: number, windowMs: number): number {
  const elapsed = (now - state.window * windowMs) / windowMs;
  return state.previous * (1 - elapsed) + state.current;
}

/** Milliseconds until `cost` more fits under `limit`, assuming no other hits. */
export function retryAfterMs(
  state: WindowState,
  now: number,
  windowMs: number,
  limit: number,
  cost: number,
): number {
  const start = state.window * windowMs;
  const room = limit - cost;
  if (room < 0) return Number.POSITIVE_INFINITY;
  if (state.current <= room) {
    if (state.previous <= 0) return 0;
    // previous * (1 - f) <= room - current  ⇒  f >= 1 - (room - current) / previous
    const f = Math.min(1, Math.max(0, 1 - (room - state.current) / state.previous));
    return Math.max(0, Math.ceil(start + f * windowMs - now));
  }
  // Only once this window has become the previous one: current * (1 - f) <= room.
  const f = Math.min(1, Math.max(0, 1 - room / state.current));
  return Math.max(0, Math.ceil(start + windowMs + f * windowMs - now));
}
