/**
 * Document parsing (issue 13): what a parser returns and the typed errors it raises. Parsers never touch
 * the file system: uploads arrive as bytes and leave as text sections.
 */

export type DocumentKind = 'pdf' | 'docx' | 'markdown' | 'text' | 'html' | 'code' | 'csv';

/** A run of text with the structure it came from (a PDF page, a Markdown heading). */
export interface DocumentSection {
  /** 1-based page number (PDFs). */
  page?: number;
  /** The nearest heading above this text (Markdown, DOCX, HTML). */
  heading?: string;
  text: string;
}

export interface ParsedDocument {
  kind: DocumentKind;
  mediaType: string;
  /** Pages for PDFs. */
  pages?: number;
  /** The whole extracted text (Markdown for structured formats), in reading order. */
  text: string;
  sections: DocumentSection[];
}

export interface ParseLimits {
  /** Largest upload. Default 20 MiB. */
  maxBytes: number;
  /** Most PDF pages. Default 500. */
  maxPages: number;
  /** Most extracted characters (a small file can still expand to a lot of text). Default 4,000,000. */
  maxChars: number;
  /** Most bytes a DOCX (zip) may inflate to, all entries together. Default 64 MiB. */
  maxUnzippedBytes: number;
  /** Wall-clock bound for one parse in the isolated worker. Default 30 s. */
  timeoutMs: number;
}

export const DEFAULT_PARSE_LIMITS: ParseLimits = {
  maxBytes: 20 * 1024 * 1024,
  maxPages: 500,
  maxChars: 4_000_000,
  maxUnzippedBytes: 64 * 1024 * 1024,
  timeoutMs: 30_000,
};

export type DocumentErrorCode =
  /** The extension names no format Ponder reads. */
  | 'unsupported_type'
  /** The content is not what the extension says (a ZIP named .pdf, a PDF named .txt, binary named .md). */
  | 'type_mismatch'
  | 'too_large'
  | 'too_many_pages'
  /** A ZIP that inflates far beyond its size or the limit. */
  | 'zip_bomb'
  /** The parser could not read it (truncated, corrupt, encrypted PDF). */
  | 'malformed'
  /** No text could be extracted (e.g. a scanned PDF without a text layer). */
  | 'empty'
  /** The parse ran past its time bound or its memory bound. */
  | 'parse_failed';

/** A user-facing parse failure; the message says what was wrong and never quotes the content. */
export class DocumentError extends Error {
  override readonly name = 'DocumentError';
  constructor(
    readonly code: DocumentErrorCode,
    message: string,
  ) {
    super(message);
  }
}
