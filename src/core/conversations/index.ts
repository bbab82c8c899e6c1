/** Public API of the conversation use cases. */
export { ConversationError, type ConversationErrorCode, notFound } from './errors.ts';
export { contentDisposition, type ExportFile } from './export.ts';
export { pathTo, toMessage, toSummary } from './mapping.ts';
export {
  ConversationService,
  type ConversationServiceDeps,
  type ExportFormat,
  type RunningGenerations,
} from './service.ts';
export { AUTO_TITLE_CHARS, makeTitle } from './title.ts';
