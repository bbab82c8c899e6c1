/**
 * Structure-aware chunking: a chunk never crosses a section (a PDF page, a Markdown/DOCX heading);
 * inside one, paragraphs are packed up to `maxTokens`; a paragraph too long on its own is split at
 * sentence ends, then at line ends, then hard.
 *
 * Tokens are estimated, not counted with a model's tokenizer (the embedding model may differ from the
 * chat model, and chunking must not need either loaded): one token per 4 characters of Latin-script
 * text, one per CJK/kana/hangul character. BPE tokenizers of current models land within ~25% of this on
 * English prose; `maxTokens` leaves room for that under the embedding model's context.
 */
import type { DocumentSection } from './types.ts';

export interface Chunk {
  text: string;
  heading?: string;
  page?: number;
  tokens: number;
}

export const DEFAULT_CHUNK_TOKENS = 384;

const WIDE = /[\u1100-\u11ff\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]/gu;

export function estimateTokens(text: string): number {
  const wide = text.match(WIDE)?.length ?? 0;
  return wide + Math.ceil((text.length - wide) / 4);
}

export function chunkSections(
  sections: readonly DocumentSection[],
  maxTokens = DEFAULT_CHUNK_TOKENS,
): Chunk[] {
  const chunks: Chunk[] = [];
  for (const section of sections) {
    const meta = {
      ...(section.heading !== undefined ? { heading: section.heading } : {}),
      ...(section.page !== undefined ? { page: section.page } : {}),
    };
    let current: string[] = [];
    let tokens = 0;
    const flush = () => {
      const text = current.join('\n\n').trim();
      if (text !== '') chunks.push({ text, ...meta, tokens: estimateTokens(text) });
      current = [];
      tokens = 0;
    };
    for (const paragraph of pieces(section.text, maxTokens)) {
      const t = estimateTokens(paragraph);
      if (tokens + t > maxTokens && current.length > 0) flush();
      current.push(paragraph);
      tokens += t;
    }
    flush();
  }
  return chunks;
}

/** Paragraphs no longer than `maxTokens` each. */
function pieces(text: string, maxTokens: number): string[] {
  const out: string[] = [];
  for (const paragraph of text.split(/\n\s*\n/)) {
    const p = paragraph.trim();
    if (p === '') continue;
    if (estimateTokens(p) <= maxTokens) out.push(p);
    else out.push(...splitLong(p, maxTokens));
  }
  return out;
}

function splitLong(text: string, maxTokens: number): string[] {
  for (const separator of [/(?<=[.!?。！？])\s+/u, /\n/]) {
    const parts = text.split(separator).filter((s) => s.trim() !== '');
    if (parts.length > 1) return pack(parts, maxTokens, separator.source === '\\n' ? '\n' : ' ');
  }
  return hardSplit(text, maxTokens);
}

function pack(parts: string[], maxTokens: number, joiner: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const part of parts) {
    if (estimateTokens(part) > maxTokens) {
      if (current) out.push(current);
      current = '';
      out.push(...hardSplit(part, maxTokens));
      continue;
    }
    const next = current ? current + joiner + part : part;
    if (estimateTokens(next) > maxTokens) {
      out.push(current);
      current = part;
    } else {
      current = next;
    }
  }
  if (current) out.push(current);
  return out;
}

function hardSplit(text: string, maxTokens: number): string[] {
  const out: string[] = [];
  const chars = [...text];
  let start = 0;
  while (start < chars.length) {
    let end = Math.min(chars.length, start + maxTokens * 4);
    while (end > start + 1 && estimateTokens(chars.slice(start, end).join('')) > maxTokens) {
      end = start + Math.floor((end - start) * 0.8);
    }
    out.push(chars.slice(start, end).join(''));
    start = end;
  }
  return out;
}
