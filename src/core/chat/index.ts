/** Public API of the chat turn and generation streams. */
export {
  ChatService,
  type ChatServiceOptions,
  type ChatUser,
  type StartedGeneration,
} from './chat-service.ts';
export {
  type GenerationEventLog,
  type MemoryEventLogOptions,
  MemoryGenerationEventLog,
  replayFromMessage,
  type SavedGeneration,
} from './event-log.ts';
export { type AbortReason, type ChatLogger, publicMessage } from './generation-runner.ts';
