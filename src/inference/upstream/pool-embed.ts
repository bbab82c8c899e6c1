/**
 * Embeddings through an upstream pool (issue 13): the least-loaded member that serves the model and whose
 * circuit admits; a member that fails (unreachable, 5xx, malformed answer) is recorded as such and the
 * next one is tried, while the upstream's verdicts on the request itself (400/404/413) reach the caller at
 * once. Embeddings are short: no queue — when every member is full the caller gets `overloaded`.
 */
import type { EmbeddingRequest, EmbeddingResult } from '../embeddings.ts';
import { InferenceError, MODEL_SERVER_UNAVAILABLE } from '../types.ts';
import type { PoolMember } from './pool-member.ts';

export interface PoolEmbedParts {
  ensureModels(): Promise<void>;
  members: readonly PoolMember[];
  pick(model: string, tried: Set<PoolMember>): PoolMember | undefined;
  release(member: PoolMember): void;
}

export async function embedThroughPool(
  parts: PoolEmbedParts,
  req: EmbeddingRequest,
  opts: { signal: AbortSignal },
): Promise<EmbeddingResult> {
  await parts.ensureModels();
  if (!parts.members.some((m) => m.serves(req.model))) {
    throw new InferenceError('model_not_found', `no upstream serves model "${req.model}"`);
  }
  const tried = new Set<PoolMember>();
  let lastError: string | undefined;
  for (;;) {
    const member = parts.pick(req.model, tried);
    if (!member) {
      if (lastError !== undefined)
        throw new InferenceError('upstream_error', MODEL_SERVER_UNAVAILABLE, { detail: lastError });
      throw new InferenceError(
        'overloaded',
        `all upstreams for model "${req.model}" are busy; try again shortly`,
      );
    }
    tried.add(member);
    try {
      const result = await member.provider.embed(req, opts);
      member.recordSuccess();
      return result;
    } catch (err) {
      if (!(err instanceof InferenceError) || err.code !== 'upstream_error' || opts.signal.aborted) {
        member.recordNeutral();
        throw err;
      }
      lastError = err.detail ?? err.message;
      member.recordFailure(lastError);
    } finally {
      parts.release(member);
    }
  }
}
