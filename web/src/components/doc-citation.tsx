/**
 * A document citation in an answer (`[report.pdf p. 3]`), rendered as a button that opens a popover with the
 * passage: fetched from `GET /api/chunks/:chunkId` (the stored passage, access-checked on the server), the
 * excerpt the model read shown until it arrives (or when it cannot be fetched). Passage text comes from the
 * user's files: rendered as text nodes only, never HTML or Markdown. The popover is portalled to the body and
 * placed by the button (messages are paint-contained, which would clip it); a scroll or Escape closes it.
 */
import { type CSSProperties, createContext, useContext, useEffect, useId, useRef, useState } from 'react';
import { createPortal } from 'react-dom';
import { ApiError, api } from '../api/client.ts';
import type { DocPassage } from '../chat/passages.ts';
import { useT } from '../i18n/index.ts';

/** The answer's passages by label (from its `search_documents` steps), for excerpts before the fetch. */
export const DocPassagesContext = createContext<ReadonlyMap<string, readonly DocPassage[]>>(new Map());

interface ChunkView {
  citation: string;
  heading?: string;
  text: string;
}

type Loaded =
  | { state: 'loading' }
  | { state: 'ok'; chunks: ChunkView[] }
  | { state: 'error'; message: string };

/** The passage answer of `GET /api/chunks/:id`, whether wrapped (`{ passage }`) or not. */
function chunkView(body: unknown): ChunkView | undefined {
  const raw = (body && typeof body === 'object' && 'passage' in body ? body.passage : body) as
    | Partial<Record<'citation' | 'heading' | 'text', unknown>>
    | undefined;
  if (!raw || typeof raw.text !== 'string') return undefined;
  return {
    citation: typeof raw.citation === 'string' ? raw.citation : '',
    ...(typeof raw.heading === 'string' && raw.heading ? { heading: raw.heading } : {}),
    text: raw.text,
  };
}

export function DocCitation({ label, chunkIds }: { label: string; chunkIds: readonly string[] }) {
  const t = useT();
  const [open, setOpen] = useState(false);
  const [loaded, setLoaded] = useState<Loaded | undefined>();
  const popoverId = useId();
  const button = useRef<HTMLButtonElement>(null);
  const popover = useRef<HTMLDivElement>(null);
  const [place, setPlace] = useState<CSSProperties>({});
  const excerpts = useContext(DocPassagesContext).get(label) ?? [];

  useEffect(() => {
    if (!open || loaded || chunkIds.length === 0) return;
    setLoaded({ state: 'loading' });
    void Promise.all(chunkIds.map((id) => api<unknown>(`/api/chunks/${encodeURIComponent(id)}`)))
      .then((bodies) => {
        const chunks = bodies.map(chunkView).filter((c): c is ChunkView => c !== undefined);
        setLoaded({ state: 'ok', chunks });
      })
      .catch((err: unknown) =>
        setLoaded({
          state: 'error',
          message: err instanceof ApiError && err.status === 404 ? t('passageGone') : t('passageLoadFailed'),
        }),
      );
  }, [open, loaded, chunkIds, t]);

  // Escape or a click elsewhere closes it.
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setOpen(false);
    };
    const onDown = (e: MouseEvent) => {
      const target = e.target as Node;
      if (!button.current?.contains(target) && !popover.current?.contains(target)) setOpen(false);
    };
    const onScroll = (e: Event) => {
      if (!popover.current?.contains(e.target as Node)) setOpen(false);
    };
    const onResize = () => setOpen(false);
    document.addEventListener('keydown', onKey);
    document.addEventListener('mousedown', onDown);
    window.addEventListener('scroll', onScroll, true);
    window.addEventListener('resize', onResize);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('mousedown', onDown);
      window.removeEventListener('scroll', onScroll, true);
      window.removeEventListener('resize', onResize);
    };
  }, [open]);

  const shown: ChunkView[] =
    loaded?.state === 'ok' && loaded.chunks.length > 0
      ? loaded.chunks
      : excerpts.map((p) => ({ citation: p.label, text: p.excerpt }));
  return (
    <>
      <button
        ref={button}
        type="button"
        className="doc-citation"
        aria-expanded={open}
        aria-controls={open ? popoverId : undefined}
        title={t('openPassage')}
        onClick={() => {
          if (!open && button.current) setPlace(placeBelow(button.current.getBoundingClientRect()));
          setOpen(!open);
        }}
      >
        {label}
      </button>
      {open
        ? createPortal(
            <div
              ref={popover}
              id={popoverId}
              className="passage-popover"
              role="dialog"
              aria-label={label}
              data-citation={label}
              style={place}
            >
              <span className="passage-popover-head">
                <span className="passage-popover-title">{label}</span>
                <button
                  type="button"
                  className="icon-button passage-popover-close"
                  aria-label={t('close')}
                  onClick={() => setOpen(false)}
                >
                  ×
                </button>
              </span>
              {loaded?.state === 'loading' ? (
                <span className="passage-popover-status" role="status">
                  {t('loading')}
                </span>
              ) : null}
              {loaded?.state === 'error' ? (
                <span className="passage-popover-status" role="alert">
                  {loaded.message}
                </span>
              ) : null}
              {shown.map((c, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: one fixed list per opening, never reordered
                <span key={`${i}-${c.citation}`} className="passage-popover-passage">
                  {c.heading ? <span className="passage-popover-heading">{c.heading}</span> : null}
                  <span className="passage-popover-text">{c.text}</span>
                </span>
              ))}
            </div>,
            document.body,
          )
        : null}
    </>
  );
}

/** Where the popover goes: under the citation (above it near the bottom), inside the window. */
function placeBelow(rect: DOMRect): CSSProperties {
  const width = Math.min(448, window.innerWidth - 16);
  const left = Math.max(8, Math.min(rect.left, window.innerWidth - width - 8));
  const below = window.innerHeight - rect.bottom;
  return below >= 240 || below >= rect.top
    ? { left, top: rect.bottom + 6, width, maxHeight: Math.max(120, below - 16) }
    : { left, bottom: window.innerHeight - rect.top + 6, width, maxHeight: Math.max(120, rect.top - 16) };
}
