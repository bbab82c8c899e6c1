/**
 * The real type of an upload: the extension says what the user claims, the bytes (sniffed with
 * `file-type`, plus a UTF-8 check for text formats) must agree, else the upload is refused.
 */
import { fileTypeFromBuffer } from 'file-type';
import { extensionOf } from './names.ts';
import { DocumentError, type DocumentKind } from './types.ts';
import { checkZip, looksLikeZip } from './zip-guard.ts';

const CODE_EXTENSIONS = new Set(
  (
    'js mjs cjs ts mts cts tsx jsx py pyi rb go rs java kt kts c h cc cpp cxx hpp hh cs swift php sh bash zsh fish ' +
    'sql json jsonl yaml yml toml ini cfg conf xml css scss sass less lua r scala pl pm dart vue svelte ex exs erl ' +
    'hs clj cljs el ps1 bat m mm f90 jl nim zig proto graphql gql tf hcl gradle cmake mk diff patch tex bib'
  ).split(' '),
);

const BY_EXTENSION: Record<string, DocumentKind> = {
  pdf: 'pdf',
  docx: 'docx',
  md: 'markdown',
  markdown: 'markdown',
  mdx: 'markdown',
  txt: 'text',
  text: 'text',
  log: 'text',
  rst: 'text',
  html: 'html',
  htm: 'html',
  xhtml: 'html',
  csv: 'csv',
  tsv: 'csv',
};

/** Extensionless names that are still source files. */
const CODE_NAMES = new Set(['makefile', 'dockerfile', 'containerfile', 'justfile', 'rakefile', 'gemfile']);

export const MEDIA_TYPES: Record<DocumentKind, string> = {
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  markdown: 'text/markdown',
  text: 'text/plain',
  html: 'text/html',
  code: 'text/plain',
  csv: 'text/csv',
};

/** The kind an upload's name claims, or `unsupported_type`. */
export function kindFromName(name: string): DocumentKind {
  const ext = extensionOf(name);
  const kind = BY_EXTENSION[ext] ?? (CODE_EXTENSIONS.has(ext) ? 'code' : undefined);
  if (kind) return kind;
  if (ext === '' && CODE_NAMES.has(name.toLowerCase())) return 'code';
  if (ext === '') return 'text';
  throw new DocumentError(
    'unsupported_type',
    `".${ext}" files are not supported (PDF, DOCX, Markdown, text, HTML, CSV and source code are)`,
  );
}

/** Text formats file-type may recognise by content and that are still text. */
const TEXTUAL_SNIFFS = new Set(['xml', 'svg', 'html']);

/**
 * Checks the bytes against the claimed kind; returns the decoded text for text kinds.
 * DOCX bytes pass the zip-bomb guard before anything inflates them.
 */
export async function verifyContent(
  kind: DocumentKind,
  bytes: Uint8Array,
  maxUnzipped: number,
): Promise<{ text?: string }> {
  if (kind === 'docx') {
    if (!looksLikeZip(bytes)) throw mismatch(kind, 'it is not a ZIP package');
    checkZip(bytes, maxUnzipped);
  } else if (looksLikeZip(bytes)) {
    throw mismatch(kind, 'it is a ZIP archive');
  }
  const sniffed = await fileTypeFromBuffer(bytes).catch(() => undefined);
  if (kind === 'pdf') {
    if (sniffed?.mime !== 'application/pdf') throw mismatch(kind, 'it does not start like a PDF');
    return {};
  }
  if (kind === 'docx') {
    if (sniffed?.ext !== 'docx') throw mismatch(kind, 'the ZIP is not a Word document');
    return {};
  }
  // A UTF-16 byte-order mark decides: two-byte text can look like anything to a sniffer.
  const utf16 = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
  if (sniffed && !utf16 && !TEXTUAL_SNIFFS.has(sniffed.ext)) {
    throw mismatch(kind, `its content is ${sniffed.mime}`);
  }
  return { text: decodeText(bytes, kind) };
}

function mismatch(kind: DocumentKind, why: string): DocumentError {
  return new DocumentError('type_mismatch', `the file's name says ${kind.toUpperCase()} but ${why}`);
}

/** UTF-8 (or UTF-16 with a byte-order mark); binary content is refused. */
function decodeText(bytes: Uint8Array, kind: DocumentKind): string {
  let text: string;
  try {
    if (bytes[0] === 0xff && bytes[1] === 0xfe)
      text = new TextDecoder('utf-16le', { fatal: true }).decode(bytes);
    else if (bytes[0] === 0xfe && bytes[1] === 0xff)
      text = new TextDecoder('utf-16be', { fatal: true }).decode(bytes);
    else text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw mismatch(kind, 'its content is not UTF-8 text');
  }
  if (text.includes('\u0000')) throw mismatch(kind, 'its content is binary');
  return text.replace(/^\ufeff/, '');
}
