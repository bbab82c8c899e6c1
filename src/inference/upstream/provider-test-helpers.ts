/** Test-only helpers shared by the upstream provider tests. */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { UpstreamConfig } from '../../config/schema.ts';
import type { ChatChunk, ChatRequest } from '../types.ts';

export const KEY = 'sk-canary-7f3a9c1e5b';

export function config(baseUrl: string, extra: Partial<UpstreamConfig> = {}): UpstreamConfig {
  return { id: 'up', baseUrl, reasoningFormat: 'auto', ...extra };
}

export const request: ChatRequest = { model: 'r1-test', messages: [{ role: 'user', content: 'hi' }] };

export async function collect(iterable: AsyncIterable<ChatChunk>): Promise<ChatChunk[]> {
  const out: ChatChunk[] = [];
  for await (const c of iterable) out.push(c);
  return out;
}

export function joined(chunks: ChatChunk[], type: 'reasoning' | 'text'): string {
  return chunks.map((c) => (c.type === type ? c.text : '')).join('');
}

export function last(chunks: ChatChunk[]): ChatChunk | undefined {
  return chunks[chunks.length - 1];
}

/** The `error` of the final `done` chunk, or "". */
export function errorOf(chunks: ChatChunk[]): string {
  const done = last(chunks);
  return done?.type === 'done' ? (done.error ?? '') : '';
}

export function capturingLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { logger: pino({ level: 'trace' }, stream), lines };
}
