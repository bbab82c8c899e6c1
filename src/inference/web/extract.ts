/**
 * A fetched page's main text as Markdown: `@mozilla/readability` finds the article on a `linkedom`
 * document (no scripts run, nothing is loaded), `turndown` writes Markdown. Only text and http(s) links
 * come out: images become their alt text (an image URL the model echoed would be fetched by whoever
 * renders the answer), and scripts, styles, frames, forms and embedded objects are dropped.
 */
import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import TurndownService from 'turndown';

export interface ExtractedPage {
  /** The page's title, one line (may be empty). */
  title: string;
  /** The main text as Markdown. */
  markdown: string;
}

/** Elements whose content is never text for a reader. */
const DROPPED = [
  'script',
  'style',
  'noscript',
  'template',
  'iframe',
  'frame',
  'frameset',
  'object',
  'embed',
  'applet',
  'form',
  'button',
  'input',
  'select',
  'textarea',
  'svg',
  'math',
  'canvas',
  'video',
  'audio',
  'source',
  'track',
  'link',
  'meta',
  'head',
] as const;

/** Extracts the main text of an HTML document fetched from `url` (relative links resolve against it). */
export function htmlToMarkdown(html: string, url: string): ExtractedPage {
  const { document } = parseHTML(html);
  const doc = document as unknown as Document;
  const pageTitle = titleText(doc.querySelector('title')?.textContent ?? '');
  let content: string | undefined;
  let title = pageTitle;
  try {
    const article = new Readability(doc.cloneNode(true) as Document, { charThreshold: 200 }).parse();
    if (article?.content && (article.textContent ?? '').trim() !== '') {
      content = article.content;
      title = titleText(article.title ?? '') || pageTitle;
    }
  } catch {
    // A document Readability cannot handle falls back to the whole body below.
  }
  if (content === undefined) {
    for (const el of [...doc.querySelectorAll(DROPPED.join(','))]) el.remove();
    content = doc.body?.innerHTML ?? doc.documentElement?.innerHTML ?? '';
  }
  return { title, markdown: tidy(converter(url).turndown(content)) };
}

/** Plain text (`text/plain`, `text/markdown`) as it is, normalised. */
export function plainText(text: string): ExtractedPage {
  return { title: '', markdown: tidy(text) };
}

function converter(base: string): TurndownService {
  const td = new TurndownService({
    headingStyle: 'atx',
    codeBlockStyle: 'fenced',
    bulletListMarker: '-',
    emDelimiter: '*',
  });
  const dropped = new Set<string>(DROPPED);
  td.remove((node) => dropped.has(node.nodeName.toLowerCase()));
  td.addRule('image-as-alt-text', {
    filter: ['img', 'picture'],
    replacement: (_content, node) => {
      const alt = oneLine((node as Element).getAttribute?.('alt') ?? '');
      return alt ? `[image: ${alt}]` : '';
    },
  });
  td.addRule('http-links-only', {
    filter: (node) => node.nodeName === 'A',
    replacement: (content, node) => {
      const text = content.trim();
      const href = httpUrl((node as Element).getAttribute('href') ?? '', base);
      if (!text) return '';
      return href ? `[${text}](${href})` : text;
    },
  });
  return td;
}

/** An absolute http(s) URL for `href` relative to `base`, or undefined (javascript:, data:, mailto: …). */
function httpUrl(href: string, base: string): string | undefined {
  try {
    const u = new URL(href.trim(), base);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    // Parentheses and spaces would end the Markdown link early.
    return u.href.replace(/[()\s]/g, (c) => encodeURIComponent(c));
  } catch {
    return undefined;
  }
}

export function oneLine(text: string): string {
  return text
    .replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** A title as one line of text, without anything that looks like markup (`<title>` is raw text in HTML). */
function titleText(text: string): string {
  return oneLine(text.replace(/<[^<>]*>/g, ' ')).slice(0, 300);
}

/** Control characters out (tabs and newlines kept), line ends normalised, runs of blank lines collapsed. */
export function tidy(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f\u2028\u2029]/g, '')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
