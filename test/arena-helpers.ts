/**
 * A test server for the arena: the embedded engine with two different generated models (the tiny preset
 * in Q8_0 and in Q4_0: different weights, so different answers), end-of-generation banned so every side
 * answers (8 reasoning tokens with `THINK`, then text up to `maxTokens`).
 */
import { DEFAULT_PLANS } from '../src/config/schema.ts';
import { ensureTestModel } from '../src/inference/gguf/test-model.ts';
import { createEmbeddedProvider, type EmbeddedProvider } from '../src/inference/llama/index.ts';
import type { TestServer, TestServerOptions } from '../src/server/testing.ts';
import { serveEngine } from './conversations-helpers.ts';

export const ARENA_MODELS = ['tiny', 'tiny-q4'] as const;

export interface ArenaTestServer extends TestServer {
  engine: EmbeddedProvider;
}

export async function startArenaServer(
  options: {
    store?: 'sqlite' | 'postgres';
    maxTokens?: number;
    capacity?: TestServerOptions['capacity'];
    /** Every plan's thinking cap, so an answer without an explicit budget still gets to its text. */
    maxThinkingBudget?: number;
  } = {},
): Promise<ArenaTestServer> {
  const [q8, q4] = await Promise.all([ensureTestModel('tiny', 'q8_0'), ensureTestModel('tiny', 'q4_0')]);
  const engine = createEmbeddedProvider({
    models: { [ARENA_MODELS[0]]: q8, [ARENA_MODELS[1]]: q4 },
    defaultModel: ARENA_MODELS[0],
    slots: 2,
    contextSize: 1024,
    batchSize: 64,
    threads: 1,
    ignoreEos: true,
  });
  const cap = options.maxThinkingBudget;
  return serveEngine(engine, ARENA_MODELS[0], {
    store: options.store ?? 'sqlite',
    ...(options.capacity ? { capacity: options.capacity } : {}),
    ...(cap === undefined
      ? {}
      : {
          config: {
            plans: Object.fromEntries(
              Object.entries(DEFAULT_PLANS).map(([name, plan]) => [
                name,
                { ...plan, maxThinkingBudget: cap },
              ]),
            ),
          },
        }),
    maxTokens: options.maxTokens ?? 40,
  });
}
