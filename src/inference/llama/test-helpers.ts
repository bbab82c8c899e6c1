/** Shared by this folder's tests: collecting streams and asserting their shape. Not used at runtime. */
import type { ChatChunk, UsageChunk } from '../types.ts';

export async function collect(
  stream: AsyncIterable<ChatChunk>,
  onChunk?: (c: ChatChunk, all: ChatChunk[]) => void,
): Promise<ChatChunk[]> {
  const chunks: ChatChunk[] = [];
  for await (const c of stream) {
    chunks.push(c);
    onChunk?.(c, chunks);
  }
  return chunks;
}

export function usageOf(chunks: ChatChunk[]): UsageChunk {
  const u = chunks.find((c): c is UsageChunk => c.type === 'usage');
  if (!u) throw new Error('no usage chunk');
  return u;
}

export function doneOf(chunks: ChatChunk[]): Extract<ChatChunk, { type: 'done' }> {
  const d = chunks.at(-1);
  if (d?.type !== 'done') throw new Error(`stream did not end with done: ${JSON.stringify(d)}`);
  return d;
}

export const contentCount = (chunks: ChatChunk[], type: 'reasoning' | 'text') =>
  chunks.filter((c) => c.type === type).length;
