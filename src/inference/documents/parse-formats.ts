/**
 * One function per format: bytes (already type-checked) → text sections. PDF through `unpdf` (pdf.js),
 * page by page; DOCX through `mammoth` to HTML, then Markdown; HTML through the page reader's
 * readability path (issue 10); Markdown split at headings; CSV in row groups that repeat the header.
 */
import mammoth from 'mammoth';
import TurndownService from 'turndown';
import { extractText, getDocumentProxy } from 'unpdf';
import { htmlToMarkdown, tidy } from '../web/extract.ts';
import { DocumentError, type DocumentSection, type ParseLimits } from './types.ts';

export async function parsePdf(
  bytes: Uint8Array,
  limits: ParseLimits,
): Promise<{ pages: number; sections: DocumentSection[] }> {
  let pdf: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    pdf = await getDocumentProxy(new Uint8Array(bytes), {
      // No font programs compiled to JS (CVE-2024-4367), no console chatter, nothing fetched.
      isEvalSupported: false,
      verbosity: 0,
      disableFontFace: true,
      useSystemFonts: false,
      stopAtErrors: false,
    });
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name === 'PasswordException') {
      throw new DocumentError('malformed', 'the PDF is password-protected; upload an unprotected copy');
    }
    throw new DocumentError('malformed', 'the PDF could not be read (truncated or corrupt)');
  }
  try {
    if (pdf.numPages > limits.maxPages) {
      throw new DocumentError(
        'too_many_pages',
        `the PDF has ${pdf.numPages} pages; the limit is ${limits.maxPages}`,
      );
    }
    let text: string[];
    try {
      ({ text } = await extractText(pdf, { mergePages: false }));
    } catch {
      throw new DocumentError('malformed', 'the PDF could not be read (truncated or corrupt)');
    }
    const sections = text.map((t, i) => ({ page: i + 1, text: tidy(t) })).filter((s) => s.text !== '');
    return { pages: pdf.numPages, sections };
  } finally {
    await pdf.destroy().catch(() => undefined);
  }
}

export async function parseDocx(bytes: Uint8Array): Promise<string> {
  let html: string;
  try {
    const result = await mammoth.convertToHtml(
      { buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) },
      {
        // Linked files (`r:link` images pointing at local paths) are never read.
        externalFileAccess: false,
        convertImage: mammoth.images.imgElement(async () => ({ src: '' })),
      },
    );
    html = result.value;
  } catch {
    throw new DocumentError('malformed', 'the DOCX could not be read (corrupt or not a Word document)');
  }
  return tidy(markdownConverter().turndown(html));
}

export function parseHtml(html: string): string {
  const page = htmlToMarkdown(html, 'https://document.invalid/');
  return tidy(
    page.title && !page.markdown.startsWith('#') ? `# ${page.title}\n\n${page.markdown}` : page.markdown,
  );
}

function markdownConverter(): TurndownService {
  const td = new TurndownService({ headingStyle: 'atx', codeBlockStyle: 'fenced', bulletListMarker: '-' });
  td.remove(['script', 'style', 'img']);
  // Links keep their text only: a document's link targets are not passages.
  td.addRule('link-text', { filter: 'a', replacement: (content) => content });
  return td;
}

/** Markdown split at ATX headings (not inside fenced code); each section carries its heading. */
export function markdownSections(markdown: string): DocumentSection[] {
  const sections: DocumentSection[] = [];
  let heading: string | undefined;
  let lines: string[] = [];
  let fence: string | null = null;
  const flush = () => {
    const text = lines.join('\n').trim();
    if (text !== '') sections.push(heading === undefined ? { text } : { heading, text });
    lines = [];
  };
  for (const line of markdown.split('\n')) {
    const f = /^\s*(```|~~~)/.exec(line)?.[1];
    if (f) fence = fence === null ? f : fence === f ? null : fence;
    const h = fence === null ? /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line) : null;
    if (h?.[1]) {
      flush();
      heading = h[1].replace(/[*_`]/g, '').slice(0, 200);
      lines.push(line);
    } else {
      lines.push(line);
    }
  }
  flush();
  return sections;
}

/** Rows per CSV section; each section repeats the header row so a passage is readable alone. */
const CSV_ROWS = 40;

export function csvSections(text: string): DocumentSection[] {
  const rows = text.split(/\r?\n/).filter((r) => r.trim() !== '');
  const [header, ...body] = rows;
  if (header === undefined) return [];
  if (body.length === 0) return [{ text: header }];
  const sections: DocumentSection[] = [];
  for (let i = 0; i < body.length; i += CSV_ROWS) {
    sections.push({ text: [header, ...body.slice(i, i + CSV_ROWS)].join('\n') });
  }
  return sections;
}
