/**
 * `parseDocument`: name + bytes → checked type → text sections, within limits. Runs in-process; the
 * server calls it through `parseDocumentIsolated` (parse-worker.ts) so that a hostile file can at most
 * kill a worker, never the server.
 */

import { tidy } from '../web/extract.ts';
import { kindFromName, MEDIA_TYPES, verifyContent } from './detect.ts';
import { csvSections, markdownSections, parseDocx, parseHtml, parsePdf } from './parse-formats.ts';
import {
  DEFAULT_PARSE_LIMITS,
  DocumentError,
  type DocumentSection,
  type ParsedDocument,
  type ParseLimits,
} from './types.ts';

export async function parseDocument(
  name: string,
  bytes: Uint8Array,
  limits: ParseLimits = DEFAULT_PARSE_LIMITS,
): Promise<ParsedDocument> {
  if (bytes.byteLength > limits.maxBytes) {
    throw new DocumentError(
      'too_large',
      `the file is ${mib(bytes.byteLength)}; the limit is ${mib(limits.maxBytes)}`,
    );
  }
  if (bytes.byteLength === 0) throw new DocumentError('empty', 'the file is empty');
  const kind = kindFromName(name);
  const { text: decoded } = await verifyContent(kind, bytes, limits.maxUnzippedBytes);
  let sections: DocumentSection[];
  let pages: number | undefined;
  switch (kind) {
    case 'pdf': {
      const pdf = await parsePdf(bytes, limits);
      pages = pdf.pages;
      sections = pdf.sections;
      break;
    }
    case 'docx':
      sections = markdownSections(await parseDocx(bytes));
      break;
    case 'html':
      sections = markdownSections(parseHtml(decoded ?? ''));
      break;
    case 'markdown':
      sections = markdownSections(tidy(decoded ?? ''));
      break;
    case 'csv':
      sections = csvSections(decoded ?? '');
      break;
    case 'text':
    case 'code': {
      const text = (decoded ?? '').replace(/\r\n?/g, '\n').trim();
      sections = text === '' ? [] : [{ text }];
      break;
    }
    default:
      throw new DocumentError('unsupported_type', `unsupported kind ${kind satisfies never}`);
  }
  const text = sections.map((s) => s.text).join('\n\n');
  if (text.trim() === '') {
    throw new DocumentError(
      'empty',
      kind === 'pdf'
        ? 'no text could be extracted from the PDF (a scan without a text layer?)'
        : 'the file contains no text',
    );
  }
  if (text.length > limits.maxChars) {
    throw new DocumentError(
      'too_large',
      `the file holds ${text.length} characters of text; the limit is ${limits.maxChars}`,
    );
  }
  return { kind, mediaType: MEDIA_TYPES[kind], ...(pages !== undefined ? { pages } : {}), text, sections };
}

function mib(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${Math.ceil(n / 1024)} KiB`;
}
