/** Document parsing for uploads (issue 13): type detection, limits, parsers, chunking. */
export { type Chunk, chunkSections, DEFAULT_CHUNK_TOKENS, estimateTokens } from './chunker.ts';
export { kindFromName, MEDIA_TYPES } from './detect.ts';
export { IsolatedParser, type IsolatedParserOptions } from './isolated-parser.ts';
export { extensionOf, sanitiseFileName } from './names.ts';
export { parseDocument } from './parse.ts';
export {
  DEFAULT_PARSE_LIMITS,
  DocumentError,
  type DocumentErrorCode,
  type DocumentKind,
  type DocumentSection,
  type ParsedDocument,
  type ParseLimits,
} from './types.ts';
