/**
 * The shared Provider contract for the upstream provider against a real upstream: another Ponder serving
 * the generated tiny model on its embedded engine, so tools and response formats travel the OpenAI wire
 * format both ways (Ponder's `/v1` encoding them, the upstream client decoding them) onto a real engine.
 */

import { runProviderContract } from '../src/inference/provider-contract.ts';
import { createUpstreamProvider } from '../src/inference/upstream/provider.ts';
import { startTestServer } from '../src/server/testing.ts';

runProviderContract('upstream (a Ponder with the embedded engine)', async () => {
  const server = await startTestServer({ withModel: true });
  const { cookie } = await server.signup();
  const res = await server.request('/api/keys', { method: 'POST', cookie, json: { name: 'upstream' } });
  const { key } = (await res.json()) as { key: string };
  const provider = createUpstreamProvider({
    id: 'ponder-a',
    baseUrl: `${server.baseUrl}/v1`,
    apiKey: key,
    reasoningFormat: 'auto',
  });
  return {
    provider,
    model: 'tiny',
    tools: true,
    close: async () => {
      await provider[Symbol.asyncDispose]();
      await server.close();
    },
  };
});
