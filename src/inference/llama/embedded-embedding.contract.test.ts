import { runEmbeddingContract } from '../embedding-contract.ts';
import { ensureTestModel } from '../gguf/test-model.ts';
import { createEmbeddedProvider } from './index.ts';

runEmbeddingContract('embedded (generated embed-tiny)', async () => {
  const provider = createEmbeddedProvider({
    models: { 'embed-tiny': await ensureTestModel('embed-tiny'), tiny: await ensureTestModel('tiny') },
    slots: 1,
    contextSize: 512,
    batchSize: 64,
    threads: 1,
  });
  return {
    provider,
    model: 'embed-tiny',
    chatModel: 'tiny',
    close: () => provider[Symbol.asyncDispose](),
  };
});
