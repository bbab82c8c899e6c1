/**
 * The streamed answer of a web turn, read to its end: when its first reasoning event came, and the answer
 * stopped right there (only the start is measured; stopping frees the slot for the next turn).
 */
import { performance } from 'node:perf_hooks';

/**
 * `start` is when the message was sent (`performance.now()`); `stop` asks the server to stop that
 * generation. Resolves with the time to the first reasoning event (ms; NaN when none came) and the whole
 * event stream once the answer ended.
 */
export async function readToFirstReasoning(
  res: Response,
  start: number,
  stop: (generationId: string) => Promise<unknown>,
): Promise<{ first: number; events: string }> {
  if (res.status !== 200 || !res.body) throw new Error(`turn failed: ${res.status} ${await res.text()}`);
  let first = Number.NaN;
  const decoder = new TextDecoder();
  let buffer = '';
  let stopped = false;
  const reader = res.body.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    buffer += decoder.decode(r.value, { stream: true });
    if (Number.isNaN(first) && buffer.includes('event: reasoning')) first = performance.now() - start;
    const generation = /"generationId":"([^"]+)"/.exec(buffer)?.[1];
    if (!stopped && !Number.isNaN(first) && generation) {
      stopped = true;
      await stop(generation);
    }
  }
  if (!buffer.includes('event: done')) throw new Error('the answer did not end');
  return { first, events: buffer };
}
