/**
 * Conversation exports: JSON (the whole tree, lossless) and Markdown (the latest branch, for reading).
 */
import type { ConversationDetail, Message, ToolStep } from '../../api/conversations.ts';
import { pathTo } from './mapping.ts';

export interface ExportFile {
  filename: string;
  contentType: string;
  body: string;
}

export function exportJson(
  detail: ConversationDetail,
  now = new Date(),
  /** The conversation's uploaded files (issue 13): metadata, text and bytes; omitted when none. */
  files: readonly object[] = [],
): ExportFile {
  const body = {
    format: 'ponder.conversation',
    version: 1,
    exportedAt: now.toISOString(),
    conversation: detail,
    ...(files.length > 0 ? { files } : {}),
  };
  return {
    filename: `${baseName(detail)}.json`,
    contentType: 'application/json; charset=utf-8',
    body: `${JSON.stringify(body, null, 2)}\n`,
  };
}

export function exportAllJson(
  details: ConversationDetail[],
  now = new Date(),
  /** Uploaded files by conversation id (issue 13); omitted when none. */
  files: Record<string, readonly object[]> = {},
): ExportFile {
  const body = {
    format: 'ponder.export',
    version: 1,
    exportedAt: now.toISOString(),
    conversations: details,
    ...(Object.keys(files).length > 0 ? { files } : {}),
  };
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
    lines.push(...reasoningBlock(m));
    lines.push(m.content, '');
    if (m.status !== 'complete') lines.push(`_(${m.status}${m.error ? `: ${oneLine(m.error)}` : ''})_`, '');
  }
  return {
    filename: `${baseName(detail)}.md`,
    contentType: 'text/markdown; charset=utf-8',
    body: lines.join('\n'),
  };
}

/** Argument and result text are folded to one line and cut to these many characters. */
const TOOL_ARGS_CHARS = 200;
const TOOL_RESULT_CHARS = 300;

/**
 * The reasoning panel with the tool calls at their place in it (each call's `reasoningOffset`); calls of
 * an answer without reasoning come as lines of their own before the answer.
 */
function reasoningBlock(m: Message): string[] {
  const steps = m.toolSteps ?? [];
  if (!m.reasoning) return steps.length > 0 ? [...steps.map(toolLine), ''] : [];
  const out = ['<details><summary>Reasoning</summary>', ''];
  let at = 0;
  for (const step of steps) {
    const cut = Math.min(Math.max(at, step.reasoningOffset), m.reasoning.length);
    const part = m.reasoning.slice(at, cut).trim();
    if (part) out.push(part, '');
    out.push(toolLine(step), '');
    at = cut;
  }
  const rest = m.reasoning.slice(at).trim();
  if (rest) out.push(rest, '');
  out.push('</details>', '');
  return out;
}

/** `> Tool call: `name(arguments)` → result`, folded and truncated. */
function toolLine(step: ToolStep): string {
  const call = codeSpan(`${oneLine(step.name)}(${truncate(oneLine(step.arguments), TOOL_ARGS_CHARS)})`);
  const r = step.result;
  if (!r) return `> Tool call: ${call} → _(no result)_`;
  const text = truncate(oneLine(r.content), TOOL_RESULT_CHARS).replace(/</g, '&lt;') || '_(empty)_';
  const result = r.isError ? `error: ${text}` : text;
  return `> Tool call: ${call} → ${result}`;
}

/** Inline code that survives backticks in the text (CommonMark: a longer fence, padded). */
function codeSpan(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = longest > 0 ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** At most `max` characters (code points), with `…` when cut. */
function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
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
