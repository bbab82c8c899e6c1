/**
 * Public API of the embedded inference engine (design §4): a `Provider` backed by node-llama-cpp in a
 * supervised child process. Everything else in this folder is internal.
 */
export { createEmbeddedProvider } from './embedded-provider.ts';
export type {
  EmbeddedProvider,
  EmbeddedProviderOptions,
  EngineLogger,
  EngineStats,
  ModelResolver,
} from './provider-options.ts';
