/**
 * OpenAI's `url_citation` annotations for a `/v1` answer that searched the web first: the numbered
 * sources come from the `web_search` result the model read (its `[n] title — url` header lines; page
 * text there is quoted with "> ", so a page cannot forge one), and every `[n]` the answer cites becomes
 * an annotation over those characters.
 */

export interface CitedSource {
  n: number;
  title: string;
  url: string;
}

export interface UrlCitation {
  type: 'url_citation';
  url_citation: { start_index: number; end_index: number; url: string; title: string };
}

const SOURCE_LINE = /^\[(\d{1,2})\] (.*) — (https?:\/\/\S+?)(?: \(search snippet only\))?$/;

/** The sources listed in a `web_search` result. */
export function sourcesOf(result: string): CitedSource[] {
  const out: CitedSource[] = [];
  for (const line of result.split('\n')) {
    const m = SOURCE_LINE.exec(line);
    if (m?.[1] && m[3]) out.push({ n: Number(m[1]), title: m[2] ?? '', url: m[3] });
  }
  return out;
}

/** Annotations for the `[n]` citations of `text` (indices in UTF-16 code units, end exclusive, as OpenAI's). */
export function citationAnnotations(text: string, sources: readonly CitedSource[]): UrlCitation[] {
  const byN = new Map(sources.map((s) => [s.n, s]));
  const out: UrlCitation[] = [];
  for (const m of text.matchAll(/\[(\d{1,2})\]/g)) {
    const source = byN.get(Number(m[1]));
    if (!source || m.index === undefined) continue;
    out.push({
      type: 'url_citation',
      url_citation: {
        start_index: m.index,
        end_index: m.index + m[0].length,
        url: source.url,
        title: source.title,
      },
    });
  }
  return out;
}
