/**
 * The embeddings contract for the upstream provider and the upstream pool against a real upstream:
 * another Ponder whose embedded engine serves the generated `embed-tiny` (and the chat model `tiny`), so
 * `/v1/embeddings` travels OpenAI's wire format both ways onto a real engine. The upstream's own
 * `/v1/models` marks `embed-tiny` as an embedding model, so no configuration names it.
 */
import { runEmbeddingContract } from '../src/inference/embedding-contract.ts';
import { createUpstreamPool } from '../src/inference/upstream/pool.ts';
import { createUpstreamProvider } from '../src/inference/upstream/provider.ts';
import { startTestServer } from '../src/server/testing.ts';

async function ponderUpstream() {
  const server = await startTestServer({ withModel: true, withEmbeddingModel: true });
  const { cookie } = await server.signup();
  const res = await server.request('/api/keys', { method: 'POST', cookie, json: { name: 'upstream' } });
  const { key } = (await res.json()) as { key: string };
  return { server, config: { id: 'ponder-a', baseUrl: `${server.baseUrl}/v1`, apiKey: key } };
}

runEmbeddingContract('upstream provider (a Ponder with the embedded engine)', async () => {
  const { server, config } = await ponderUpstream();
  const provider = createUpstreamProvider({ ...config, reasoningFormat: 'auto' });
  return {
    provider,
    model: 'embed-tiny',
    chatModel: 'tiny',
    close: async () => {
      await provider[Symbol.asyncDispose]();
      await server.close();
    },
  };
});

runEmbeddingContract('upstream pool (the same Ponder)', async () => {
  const { server, config } = await ponderUpstream();
  const pool = createUpstreamPool([{ ...config, reasoningFormat: 'auto' }], { healthCheckIntervalMs: 0 });
  return {
    provider: pool,
    model: 'embed-tiny',
    chatModel: 'tiny',
    close: async () => {
      await pool[Symbol.asyncDispose]();
      await server.close();
    },
  };
});
