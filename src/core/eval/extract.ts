/**
 * Pulls the final answer out of a model's answer text, the way DeepSeek's protocol asks for it: the last
 * `\boxed{…}` (nested braces balanced). Fallbacks, in order, for models that ignore the instruction:
 *  1. the last `\fbox{…}` or `\boxed X` (no braces),
 *  2. the last "answer is X" / "Answer: X" (to the end of its line, a trailing period dropped),
 *  3. the last number in the text (GSM8K-style answers that end on the number).
 * Only the answer text is read, never the reasoning: a reasoning cut off by the length limit has no answer.
 * `method` says which rule found it, so a report can tell instruction-following from luck.
 */

export type ExtractionMethod = 'boxed' | 'fbox' | 'answer_is' | 'last_number' | 'none';

export interface Extraction {
  answer: string | null;
  method: ExtractionMethod;
}

/** The content of the last `\<command>{…}` in `text`, braces balanced; null when none closes. */
export function lastBraced(text: string, command: string): string | null {
  const open = `\\${command}`;
  let at = text.lastIndexOf(open);
  while (at >= 0) {
    let i = at + open.length;
    while (text[i] === ' ') i++;
    if (text[i] === '{') {
      let depth = 0;
      for (let j = i; j < text.length; j++) {
        const c = text[j];
        if (c === '\\') {
          j++; // an escaped brace (`\{`) does not count
          continue;
        }
        if (c === '{') depth++;
        else if (c === '}') {
          depth--;
          if (depth === 0) return text.slice(i + 1, j);
        }
      }
    }
    at = at === 0 ? -1 : text.lastIndexOf(open, at - 1);
  }
  return null;
}

const ANSWER_IS = /(?:final answer|the answer|answer)\s*(?:is|:|=)\s*:?\s*([^\n]+)/gi;
const NUMBER = /[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\s*\/\s*\d+)?/g;

export function extractAnswer(raw: string): Extraction {
  const text = raw ?? '';
  const boxed = lastBraced(text, 'boxed');
  if (boxed !== null) return { answer: boxed.trim(), method: 'boxed' };
  const fbox = lastBraced(text, 'fbox');
  if (fbox !== null) return { answer: fbox.trim(), method: 'fbox' };
  const bare = [...text.matchAll(/\\boxed\s+([^\s$]+)/g)].pop();
  if (bare?.[1]) return { answer: bare[1].trim(), method: 'fbox' };
  const said = [...text.matchAll(ANSWER_IS)].pop();
  if (said?.[1]) {
    const answer = said[1]
      .trim()
      .replace(/[.。]\s*$/, '')
      .replace(/^\$+|\$+$/g, '')
      .trim();
    if (answer) return { answer, method: 'answer_is' };
  }
  const number = [...text.matchAll(NUMBER)].pop();
  if (number) return { answer: number[0].replace(/\s+/g, ''), method: 'last_number' };
  return { answer: null, method: 'none' };
}
