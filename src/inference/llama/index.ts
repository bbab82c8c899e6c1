/**
 * Public API of the embedded inference engine (design §4): a `Provider` backed by node-llama-cpp in a
 * supervised child process. Everything else in this folder is internal.
 */
export {
  createEmbeddedProvider,
  type EmbeddedProvider,
  type EmbeddedProviderOptions,
  type EngineLogger,
  type EngineStats,
  type ModelResolver,
} from './embedded-provider.ts';
