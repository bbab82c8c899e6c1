/**
 * Conversation exports: JSON (the whole tree, lossless) and Markdown (the latest branch, for reading).
 */
import type { ConversationDetail, Message } from '../../api/conversations.ts';
import { pathTo } from './mapping.ts';

export interface ExportFile {
  filename: string;
  contentType: string;
  body: string;
}

export function exportJson(detail: ConversationDetail, now = new Date()): ExportFile {
  const body = {
    format: 'ponder.conversation',
    version: 1,
    exportedAt: now.toISOString(),
    conversation: detail,
  };
  return {
    filename: `${baseName(detail)}.json`,
    contentType: 'application/json; charset=utf-8',
    body: `${JSON.stringify(body, null, 2)}\n`,
  };
}

export function exportAllJson(details: ConversationDetail[], now = new Date()): ExportFile {
  const body = { format: 'ponder.export', version: 1, exportedAt: now.toISOString(), conversations: details };
  return {
    filename: `ponder-export-${now.toISOString().slice(0, 10)}.json`,
    contentType: 'application/json; charset=utf-8',
    body: `${JSON.stringify(body, null, 2)}\n`,
  };
}

/** The branch ending at the most recent message; other branches are counted, and kept in the JSON export. */
export function exportMarkdown(detail: ConversationDetail): ExportFile {
  const last = detail.messages.at(-1);
  const branch: Message[] = last ? pathTo(detail.messages, last.id) : [];
  const lines: string[] = [`# ${oneLine(detail.title) || 'Untitled'}`, ''];
  lines.push(`_Exported from Ponder. Created ${detail.createdAt}, updated ${detail.updatedAt}._`, '');
  const leaves = detail.messages.filter((m) => !detail.messages.some((c) => c.parentId === m.id)).length;
  if (leaves > 1) {
    lines.push(`_This is the latest of ${leaves} branches; the JSON export holds all of them._`, '');
  }
  for (const m of branch) {
    const who = m.role === 'user' ? 'User' : m.role === 'assistant' ? 'Assistant' : 'System';
    const model = m.role === 'assistant' && m.model ? ` (${m.model})` : '';
    lines.push(`## ${who}${model}`, '');
    if (m.reasoning) {
      lines.push('<details><summary>Reasoning</summary>', '', m.reasoning, '', '</details>', '');
    }
    lines.push(m.content, '');
    if (m.status !== 'complete') lines.push(`_(${m.status}${m.error ? `: ${oneLine(m.error)}` : ''})_`, '');
  }
  return {
    filename: `${baseName(detail)}.md`,
    contentType: 'text/markdown; charset=utf-8',
    body: lines.join('\n'),
  };
}

/** `Content-Disposition` with an ASCII fallback and the UTF-8 name (RFC 6266 / 5987). */
export function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

function baseName(detail: ConversationDetail): string {
  const slug = detail.title
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return `ponder-${slug || 'conversation'}-${detail.id.slice(0, 8)}`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
