/**
 * `count_tokens`: the input tokens a request would use, counted by the model's own template and
 * tokenizer. A provider that can count (the embedded engine) does so without a slot; any other (an
 * upstream) is asked for one token of the same request, under admission like any turn, and reports the
 * prompt tokens it read — the figure the same request's usage would show. Not recorded as usage.
 */
import { canCountTokens } from '../../inference/token-counting.ts';
import type { ChatRequest } from '../../inference/types.ts';
import type { TurnCaller, TurnPipeline } from '../turns/turn-pipeline.ts';

export async function countPromptTokens(
  pipeline: TurnPipeline,
  caller: TurnCaller,
  req: ChatRequest,
  signal: AbortSignal,
): Promise<number> {
  const turn = await pipeline.prepare(caller, req);
  if (canCountTokens(turn.provider)) return turn.provider.countPromptTokens(turn.request);
  const grant = await pipeline.admit(turn, { signal });
  try {
    let prompt = 0;
    for await (const chunk of turn.provider.chat({ ...turn.request, maxTokens: 1 }, { signal })) {
      if (chunk.type === 'usage') prompt = chunk.promptTokens;
    }
    return prompt;
  } finally {
    grant.release();
  }
}
