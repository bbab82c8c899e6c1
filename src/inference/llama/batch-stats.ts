/**
 * Counts decode batches and how many sequences each held, by standing in for node-llama-cpp's batch
 * prioritisation strategy (called once per `llama_decode`). The split is the same idea as its default
 * "maximumParallelism": an even share per queued sequence, leftovers to whoever still has tokens.
 */
import type { BatchItem, CustomBatchingPrioritizationStrategy, PrioritizedBatchItem } from 'node-llama-cpp';

export class BatchStats {
  decodeBatches = 0;
  decodedTokens = 0;
  /** Index = sequences in the batch. */
  readonly histogram: number[] = [];

  readonly strategy: CustomBatchingPrioritizationStrategy = ({ items, size }) => {
    const res = splitEvenly(items, size);
    const used = res.filter((r) => r.processAmount > 0);
    this.decodeBatches++;
    this.decodedTokens += used.reduce((n, r) => n + r.processAmount, 0);
    this.histogram[used.length] = (this.histogram[used.length] ?? 0) + 1;
    return res;
  };
}

function splitEvenly(items: readonly BatchItem[], size: number): PrioritizedBatchItem[] {
  const res: PrioritizedBatchItem[] = items.map((item) => ({ item, processAmount: 0 }));
  let left = size;
  // Round-robin in shares: every sequence gets its next token before any gets a second share.
  while (left > 0) {
    const hungry = res.filter((r) => r.processAmount < r.item.tokens.length);
    if (hungry.length === 0) break;
    const share = Math.max(1, Math.floor(left / hungry.length));
    for (const r of hungry) {
      const take = Math.min(share, r.item.tokens.length - r.processAmount, left);
      r.processAmount += take;
      left -= take;
      if (left === 0) break;
    }
  }
  return res.filter((r) => r.processAmount > 0);
}
