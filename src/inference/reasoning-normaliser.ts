/**
 * Reasoning normaliser (design §3): whatever format a provider uses for the model's reasoning, the output
 * becomes `reasoning` / `text` segments.
 *
 * Sources handled:
 * - `reasoning_content` deltas (DeepSeek API, SGLang, llama-server),
 * - `reasoning` deltas (vLLM, Ollama's OpenAI API), `thinking` (Ollama's native API),
 * - inline `<think>…</think>` in `content` (servers that do not parse reasoning),
 * - the R1-distill case: the chat template already opened `<think>`, so the output holds only `</think>`
 *   (`startInReasoning: true`).
 *
 * Whitespace semantics (deterministic, so any chunking gives the same result):
 * - a reasoning segment is trimmed: R1 writes `<think>\n…\n</think>` and llama-server's `reasoning_content`
 *   starts with "\n"; that whitespace is layout, not content;
 * - a text segment loses its leading line breaks (R1 writes `</think>\n\n` before the answer); other
 *   whitespace in the answer is kept (indentation can be Markdown);
 * - empty segments are never emitted.
 *
 * Tag semantics (as vLLM's DeepSeek-R1 parser): there is one reasoning block. Once `</think>` has closed it,
 * the rest is answer text and tags in it are left alone. A `<think>` at the very start of a reasoning block
 * (a model or server that repeats the opening tag) is dropped. A stray `</think>` in text before any
 * reasoning is dropped: the text before it was probably reasoning, but it has been streamed already; set
 * `startInReasoning` (or `reasoningFormat: 'think-tags'` for upstreams) for models whose template opens
 * `<think>` itself.
 */

export type SegmentType = 'reasoning' | 'text';

export interface Segment {
  type: SegmentType;
  text: string;
}

export type ReasoningFormat = 'auto' | 'reasoning_content' | 'reasoning' | 'think-tags';

const OPEN_TAG = '<think>';
const CLOSE_TAG = '</think>';

/**
 * Applies the whitespace semantics to a sequence of typed pieces. Holds back trailing whitespace of a
 * reasoning segment until it knows whether more reasoning follows.
 */
class SegmentEmitter {
  private current: SegmentType | undefined;
  private atStart = true;
  private heldWhitespace = '';

  emit(type: SegmentType, piece: string, out: Segment[]): void {
    if (piece === '') return;
    if (type !== this.current) {
      // The previous reasoning segment's trailing whitespace is dropped (trim).
      this.current = type;
      this.atStart = true;
      this.heldWhitespace = '';
    }
    let text = piece;
    if (this.atStart) {
      text = type === 'reasoning' ? text.replace(/^\s+/, '') : text.replace(/^[\r\n]+/, '');
      if (text === '') return;
      this.atStart = false;
    }
    if (type === 'reasoning') {
      const body = text.replace(/\s+$/, '');
      const trailing = text.slice(body.length);
      if (body === '') {
        this.heldWhitespace += trailing;
        return;
      }
      push(out, type, this.heldWhitespace + body);
      this.heldWhitespace = trailing;
      return;
    }
    push(out, type, text);
  }
}

function push(out: Segment[], type: SegmentType, text: string): void {
  if (text === '') return;
  const last = out[out.length - 1];
  if (last && last.type === type) last.text += text;
  else out.push({ type, text });
}

/** Length of the longest suffix of `s` that is a proper prefix of one of `tags`. */
function partialTagSuffix(s: string, tags: readonly string[]): number {
  let best = 0;
  for (const tag of tags) {
    const max = Math.min(tag.length - 1, s.length);
    for (let n = max; n > best; n--) {
      if (s.endsWith(tag.slice(0, n))) {
        best = n;
        break;
      }
    }
  }
  return best;
}

export interface ThinkTagParserOptions {
  /**
   * Start inside the reasoning block, for templates that end the prompt with `<think>` (R1-distill).
   * Default `false`.
   */
  startInReasoning?: boolean;
}

export interface ThinkTagParser {
  /** Feeds the next piece of content; returns the segments that are now certain (possibly none). */
  push(text: string): Segment[];
  /** Ends the input; returns what was held back (a partial tag is plain text after all). */
  flush(): Segment[];
}

type TagState = 'text' | 'reasoning' | 'closed';

/** The inline-tag parser on its own, writing through a shared emitter (used by the delta normaliser). */
class TagSplitter {
  private state: TagState;
  private pending = '';
  /** Whether the current reasoning block has had non-whitespace content (decides if `<think>` is dropped). */
  private reasoningHasContent = false;

  constructor(
    startInReasoning: boolean,
    private readonly emitter: SegmentEmitter,
  ) {
    this.state = startInReasoning ? 'reasoning' : 'text';
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  push(text: string, out: Segment[]): void {
    let buf = this.pending + text;
    this.pending = '';
    while (buf !== '') {
      if (this.state === 'closed') {
        this.emitter.emit('text', buf, out);
        return;
      }
      const tags = this.state === 'text' ? [OPEN_TAG, CLOSE_TAG] : [CLOSE_TAG, OPEN_TAG];
      let at = -1;
      let tag = '';
      for (const t of tags) {
        const i = buf.indexOf(t);
        if (i !== -1 && (at === -1 || i < at)) {
          at = i;
          tag = t;
        }
      }
      if (at === -1) {
        const hold = partialTagSuffix(buf, tags);
        this.emitContent(buf.slice(0, buf.length - hold), out);
        this.pending = buf.slice(buf.length - hold);
        return;
      }
      this.emitContent(buf.slice(0, at), out);
      buf = buf.slice(at + tag.length);
      this.onTag(tag, out);
    }
  }

  flush(out: Segment[]): void {
    const rest = this.pending;
    this.pending = '';
    this.emitContent(rest, out);
  }

  private emitContent(text: string, out: Segment[]): void {
    if (text === '') return;
    if (this.state === 'reasoning') {
      if (/\S/.test(text)) this.reasoningHasContent = true;
      this.emitter.emit('reasoning', text, out);
    } else {
      this.emitter.emit('text', text, out);
    }
  }

  private onTag(tag: string, out: Segment[]): void {
    if (this.state === 'text') {
      if (tag === OPEN_TAG) {
        this.state = 'reasoning';
        this.reasoningHasContent = false;
      } else {
        this.state = 'closed'; // stray `</think>`: dropped, see the module comment
      }
      return;
    }
    // state === 'reasoning'
    if (tag === CLOSE_TAG) {
      this.state = 'closed';
      return;
    }
    // A repeated opening tag at the start of the block is dropped; later it is literal reasoning text.
    if (this.reasoningHasContent) this.emitter.emit('reasoning', tag, out);
  }
}

/** A stateful parser for inline `<think>…</think>` in streamed content. Tags may be split anywhere. */
export function createThinkTagParser(options: ThinkTagParserOptions = {}): ThinkTagParser {
  const splitter = new TagSplitter(options.startInReasoning ?? false, new SegmentEmitter());
  return {
    push(text) {
      const out: Segment[] = [];
      splitter.push(text, out);
      return out;
    },
    flush() {
      const out: Segment[] = [];
      splitter.flush(out);
      return out;
    },
  };
}

/** The fields of an OpenAI-style streamed `delta` (or an Ollama native `message`) that carry output. */
export interface OutputDelta {
  content?: string | null;
  reasoning_content?: string | null;
  reasoning?: string | null;
  thinking?: string | null;
}

export interface DeltaNormaliserOptions {
  /**
   * Where the reasoning is:
   * - `auto` (default): `reasoning_content`, `reasoning` or `thinking` when present (the first non-empty of
   *   them, as vLLM may send the same text under two names); inline `<think>` tags in `content` until a
   *   reasoning field has been seen;
   * - `reasoning_content` / `reasoning`: only that field (`reasoning` also accepts Ollama's `thinking`);
   *   `content` is answer text verbatim;
   * - `think-tags`: only inline tags in `content`; reasoning fields are ignored.
   */
  format?: ReasoningFormat;
  /**
   * For inline tags: start inside the reasoning block. Default `true` for `think-tags` (an R1-style model
   * whose template opened `<think>`; a leading `<think>` is dropped anyway), `false` for `auto`.
   */
  startInReasoning?: boolean;
}

export interface DeltaNormaliser {
  push(delta: OutputDelta): Segment[];
  flush(): Segment[];
}

function nonEmpty(s: string | null | undefined): string | undefined {
  return typeof s === 'string' && s !== '' ? s : undefined;
}

/** Maps a stream of OpenAI-style deltas to `reasoning` / `text` segments. */
export function createDeltaNormaliser(options: DeltaNormaliserOptions = {}): DeltaNormaliser {
  const format = options.format ?? 'auto';
  const emitter = new SegmentEmitter();
  const tags = new TagSplitter(options.startInReasoning ?? format === 'think-tags', emitter);
  let sawReasoningField = false;

  function reasoningOf(delta: OutputDelta): string | undefined {
    switch (format) {
      case 'auto':
        return nonEmpty(delta.reasoning_content) ?? nonEmpty(delta.reasoning) ?? nonEmpty(delta.thinking);
      case 'reasoning_content':
        return nonEmpty(delta.reasoning_content);
      case 'reasoning':
        return nonEmpty(delta.reasoning) ?? nonEmpty(delta.thinking);
      case 'think-tags':
        return undefined;
      default:
        format satisfies never;
        return undefined;
    }
  }

  return {
    push(delta) {
      const out: Segment[] = [];
      const reasoning = reasoningOf(delta);
      if (reasoning !== undefined) {
        if (format === 'auto' && !sawReasoningField) tags.flush(out);
        sawReasoningField = true;
        emitter.emit('reasoning', reasoning, out);
      }
      const content = nonEmpty(delta.content);
      if (content !== undefined) {
        const parseTags = format === 'think-tags' || (format === 'auto' && !sawReasoningField);
        if (parseTags) tags.push(content, out);
        else emitter.emit('text', content, out);
      }
      return out;
    },
    flush() {
      const out: Segment[] = [];
      tags.flush(out);
      return out;
    },
  };
}
