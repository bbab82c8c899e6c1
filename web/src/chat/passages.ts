/**
 * The passages an answer read from the user's documents (issue 13). They come from its `search_documents`
 * steps, whose results list each passage under a header line `[label] (passage chunkId)` (whole documents:
 * `[name] (file fileId, n tokens)`), its text quoted with "> ". Only a line that *starts* with `[` and is
 * exactly that shape counts, so a document's own text (always quoted) cannot forge a passage.
 */
import type { ToolStep } from '../api/types.ts';

export interface DocPassage {
  /** What the answer cites in brackets, e.g. `report.pdf p. 3`. */
  label: string;
  /** Opens the passage (`GET /api/chunks/:chunkId`); absent for a whole document. */
  chunkId?: string;
  /** The passage as the model read it (cut to share the step's size). */
  excerpt: string;
}

const PASSAGE = /^\[([^[\]\n]{1,160})\] \(passage ([A-Za-z0-9_-]{1,100})\)$/;
const WHOLE = /^\[([^[\]\n]{1,160})\] \(file [A-Za-z0-9_-]{1,100}, \d+ tokens\)$/;

export const SEARCH_DOCUMENTS = 'search_documents';

/** The passages of one `search_documents` result, in order. */
export function parsePassages(result: string): DocPassage[] {
  const out: DocPassage[] = [];
  let current: DocPassage | undefined;
  for (const line of result.split(/\r?\n/)) {
    const passage = PASSAGE.exec(line);
    const whole = passage ? null : WHOLE.exec(line);
    if (passage?.[1] && passage[2]) {
      current = { label: passage[1], chunkId: passage[2], excerpt: '' };
      out.push(current);
    } else if (whole?.[1]) {
      current = { label: whole[1], excerpt: '' };
      out.push(current);
    } else if (current && (line === '>' || line.startsWith('> '))) {
      current.excerpt += `${current.excerpt ? '\n' : ''}${line.slice(2)}`;
    } else {
      current = undefined;
    }
  }
  return out;
}

/** A step's notice for the user (whole documents that did not fit the context), if any. */
export function documentNotice(result: string): string | undefined {
  const first = result.split(/\r?\n/, 1)[0] ?? '';
  return first.startsWith('Note: ') ? first.slice('Note: '.length) : undefined;
}

/** The query of a `search_documents` call and whether it read whole documents. */
export function documentQuery(argumentsJson: string): { query: string; whole: boolean } {
  try {
    const parsed = JSON.parse(argumentsJson) as { query?: unknown; mode?: unknown };
    return { query: typeof parsed.query === 'string' ? parsed.query : '', whole: parsed.mode === 'whole' };
  } catch {
    return { query: '', whole: false };
  }
}

/** Every label the answer may cite, with the passages behind it (one page can hold several). */
export function passagesOfSteps(steps: readonly ToolStep[] | undefined): Map<string, DocPassage[]> {
  const byLabel = new Map<string, DocPassage[]>();
  for (const step of steps ?? []) {
    if (step.name !== SEARCH_DOCUMENTS || !step.result || step.result.isError) continue;
    for (const p of parsePassages(step.result.content)) {
      const list = byLabel.get(p.label) ?? [];
      if (!list.some((q) => q.chunkId === p.chunkId && q.excerpt === p.excerpt)) list.push(p);
      byLabel.set(p.label, list);
    }
  }
  return byLabel;
}
