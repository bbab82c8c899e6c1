/**
 * Loading a GGUF into llama.cpp the one way the engine does it, for chat models (`model-registry.ts`)
 * and embedding models (`embedding-engine.ts`) alike.
 */
import type { Llama, LlamaModel } from 'node-llama-cpp';
import type { InferenceError } from '../types.ts';
import type { EngineConfig } from './ipc-protocol.ts';

/**
 * Loads the file with no layers on the GPU when it is off, else llama.cpp's automatic offload. A failure
 * becomes the caller's `notLoaded(err)`, which names the model and says why.
 */
export async function loadModelFile(
  llama: Llama,
  path: string,
  gpu: EngineConfig['gpu'],
  notLoaded: (err: unknown) => InferenceError,
): Promise<LlamaModel> {
  try {
    return await llama.loadModel({ modelPath: path, gpuLayers: gpu === 'off' ? 0 : 'auto' });
  } catch (err) {
    throw notLoaded(err);
  }
}
