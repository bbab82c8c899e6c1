import { runProviderContract } from '../provider-contract.ts';
import { createUpstreamPool } from './pool.ts';
import { createUpstreamProvider } from './provider.ts';
import { llamaServerLike, startScriptedUpstream } from './scripted-upstream.ts';

// The shared Provider contract against a scripted upstream that streams like llama-server
// (reasoning in `reasoning_content` with a leading "\n", usage, `[DONE]`, 404 for another model).
runProviderContract('upstream (llama-server-like)', async () => {
  const server = await startScriptedUpstream(llamaServerLike(['r1-test']));
  const provider = createUpstreamProvider({ id: 'llama', baseUrl: server.baseUrl, reasoningFormat: 'auto' });
  return {
    provider,
    model: 'r1-test',
    close: async () => {
      await provider[Symbol.asyncDispose]();
      await server.close();
    },
  };
});

runProviderContract('upstream pool (two llama-server-like members)', async () => {
  const a = await startScriptedUpstream(llamaServerLike(['r1-test']));
  const b = await startScriptedUpstream(llamaServerLike(['r1-test']));
  const pool = createUpstreamPool(
    [
      { id: 'a', baseUrl: a.baseUrl, reasoningFormat: 'auto' },
      { id: 'b', baseUrl: b.baseUrl, reasoningFormat: 'auto', maxConcurrent: 2 },
    ],
    { id: 'pool', healthCheckIntervalMs: 0 },
  );
  return {
    provider: pool,
    model: 'r1-test',
    close: async () => {
      await pool[Symbol.asyncDispose]();
      await a.close();
      await b.close();
    },
  };
});
