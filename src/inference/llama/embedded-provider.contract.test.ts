import { ensureTestModel } from '../gguf/test-model.ts';
import { runProviderContract } from '../provider-contract.ts';
import { createEmbeddedProvider } from './index.ts';

runProviderContract('embedded', async () => {
  const path = await ensureTestModel('tiny');
  const provider = createEmbeddedProvider({
    models: { tiny: path },
    slots: 2,
    contextSize: 1024,
    batchSize: 64,
    ignoreEos: true,
    threads: 1,
  });
  return { provider, model: 'tiny', tools: true, close: () => provider[Symbol.asyncDispose]() };
});
