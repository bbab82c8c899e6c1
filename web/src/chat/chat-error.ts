/** What the chat shows when a turn cannot start or a stream breaks: each case says what the user can do. */
import { ApiError, api } from '../api/client.ts';
import type { UsageResponse } from '../api/types.ts';

export type ChatError =
  /** `retryAt` only while waiting can help (a download or a load); otherwise an admin must act. */
  | { kind: 'model_not_ready'; state: ModelNotReadyState; retryAt?: number }
  | { kind: 'quota'; resetsAt?: string }
  | { kind: 'busy'; code: 'overloaded' | 'rate_limited' | 'concurrency_limit'; retryAt?: number }
  | { kind: 'network' }
  | { kind: 'not_found' }
  | { kind: 'other'; message: string };

export type ModelNotReadyState = 'missing' | 'unavailable' | 'loading' | 'downloading';

const NOT_READY_STATES: readonly string[] = ['missing', 'unavailable', 'loading', 'downloading'];

function retryAt(err: ApiError): number | undefined {
  return err.retryAfterSeconds === undefined ? undefined : Date.now() + err.retryAfterSeconds * 1000;
}

export async function chatErrorFrom(err: unknown): Promise<ChatError> {
  if (!(err instanceof ApiError)) {
    return { kind: 'other', message: err instanceof Error ? err.message : String(err) };
  }
  switch (err.code) {
    case 'model_not_ready': {
      const given = err.details?.state;
      const state = typeof given === 'string' && NOT_READY_STATES.includes(given) ? given : 'unavailable';
      const at = retryAt(err);
      return { kind: 'model_not_ready', state: state as ModelNotReadyState, ...(at ? { retryAt: at } : {}) };
    }
    case 'quota_exceeded': {
      const fromDetails = err.details?.resetsAt;
      if (typeof fromDetails === 'string') return { kind: 'quota', resetsAt: fromDetails };
      if (err.retryAfterSeconds !== undefined) {
        return { kind: 'quota', resetsAt: new Date(Date.now() + err.retryAfterSeconds * 1000).toISOString() };
      }
      const usage = await api<UsageResponse>('/api/usage').catch(() => undefined);
      return { kind: 'quota', resetsAt: usage?.resetsAt };
    }
    case 'overloaded':
    case 'rate_limited':
    case 'concurrency_limit':
      return { kind: 'busy', code: err.code, retryAt: retryAt(err) };
    case 'network':
      return { kind: 'network' };
    case 'not_found':
      return { kind: 'not_found' };
    default:
      return { kind: 'other', message: err.message };
  }
}
