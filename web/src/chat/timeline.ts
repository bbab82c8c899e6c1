/**
 * The reasoning panel's timeline: the reasoning split at each tool call's `reasoningOffset`, with the calls
 * in between, plus the plain-text helpers its cards use (tool arguments and results are untrusted text).
 */
import type { ToolStep } from '../api/types.ts';
import { type Lang, pluralKey, type Translate } from '../i18n/index.ts';
import { formatNumber, localeOf } from '../lib/format.ts';

export type TimelineItem =
  | { kind: 'reasoning'; key: string; text: string }
  | { kind: 'tool'; key: string; step: ToolStep };

/**
 * Where a step sits in `reasoning`: its offset clamped to the text (an offset past the end, as while a
 * replay is still catching up, puts the call at the end), never inside a surrogate pair.
 */
export function clampOffset(reasoning: string, offset: number): number {
  if (!Number.isFinite(offset)) return reasoning.length;
  let n = Math.min(Math.max(0, Math.trunc(offset)), reasoning.length);
  if (
    n > 0 &&
    n < reasoning.length &&
    isHigh(reasoning.charCodeAt(n - 1)) &&
    isLow(reasoning.charCodeAt(n))
  ) {
    n++;
  }
  return n;
}

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/**
 * Reasoning segments and tool calls in the order they happened. Steps are ordered by offset (calls at the
 * same offset keep their order); empty segments are left out. Keys stay stable while the text grows.
 */
export function splitTimeline(reasoning: string, steps: readonly ToolStep[] = []): TimelineItem[] {
  const placed = steps
    .map((step, i) => ({ step, i, at: clampOffset(reasoning, step.reasoningOffset) }))
    .sort((a, b) => a.at - b.at || a.i - b.i);
  const items: TimelineItem[] = [];
  let pos = 0;
  for (const { step, at } of placed) {
    if (at > pos) items.push({ kind: 'reasoning', key: `r${pos}`, text: reasoning.slice(pos, at) });
    pos = Math.max(pos, at);
    items.push({ kind: 'tool', key: `t${step.id}`, step });
  }
  if (pos < reasoning.length) items.push({ kind: 'reasoning', key: `r${pos}`, text: reasoning.slice(pos) });
  return items;
}

/** The folded panel's label: "Thought for 12 s · 2 tool calls" (the count only when there were calls). */
export function reasoningSummary(t: Translate, lang: Lang, seconds: number, toolCalls: number): string {
  return withToolCalls(t('thoughtFor', { n: seconds }), t, lang, toolCalls);
}

/** `label · N tool calls`, or `label` alone without calls. */
export function withToolCalls(label: string, t: Translate, lang: Lang, toolCalls: number): string {
  if (toolCalls <= 0) return label;
  return `${label} · ${t(pluralKey(lang, 'toolCalls', toolCalls), { n: formatNumber(toolCalls, lang) })}`;
}

/** Arguments as the model wrote them, indented when they are JSON; anything else exactly as given. */
export function prettyArguments(text: string): string {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return text;
  try {
    return JSON.stringify(JSON.parse(trimmed), null, 2);
  } catch {
    return text;
  }
}

/**
 * At most `maxChars` characters and `maxLines` lines of `text`, and how many characters were left out
 * (a cut never splits a surrogate pair).
 */
export function truncate(text: string, maxChars: number, maxLines = Number.POSITIVE_INFINITY) {
  let end = Math.min(text.length, maxChars);
  let lines = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) {
    if (++lines >= maxLines) {
      end = i;
      break;
    }
  }
  if (end < text.length && end > 0 && isHigh(text.charCodeAt(end - 1))) end--;
  return { text: text.slice(0, end), omitted: text.length - end };
}

/** One line for a folded result: whitespace collapsed, cut at `maxChars` with an ellipsis. */
export function previewLine(text: string, maxChars: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const cut = truncate(flat, maxChars);
  return cut.omitted > 0 ? `${cut.text}…` : cut.text;
}

/** A tool's run time: "120 ms" under a second, "1.4 s" / "12 s" above (French "1,4 s", Chinese "1.4 秒"). */
export function formatToolMs(ms: number, t: Translate, lang: Lang): string {
  const value = Math.max(0, ms);
  if (value < 1000) return t('durationMs', { n: formatNumber(Math.round(value), lang) });
  const s = value / 1000;
  const n = new Intl.NumberFormat(localeOf(lang), { maximumFractionDigits: s < 10 ? 1 : 0 }).format(s);
  return t('durationS', { n });
}
