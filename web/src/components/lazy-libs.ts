/**
 * KaTeX and highlight.js are big, so they load on first need; components subscribe to know when they
 * arrived. Nothing loads at import time.
 */
import { useSyncExternalStore } from 'react';
import type { PluggableList } from 'unified';

type HighlightFn = (code: string, language: string | undefined) => string | undefined;

interface Libs {
  katex?: PluggableList;
  highlight?: HighlightFn;
}

let libs: Libs = {};
const listeners = new Set<() => void>();
let katexLoading: Promise<void> | undefined;
let hljsLoading: Promise<void> | undefined;

function publish(next: Libs): void {
  libs = next;
  for (const fn of listeners) fn();
}

/** KaTeX options for untrusted input: no \href/\url/\includegraphics, bounded macro expansion and sizes. */
export const KATEX_OPTIONS = {
  trust: false,
  maxExpand: 1000,
  maxSize: 50,
  strict: 'ignore',
  output: 'htmlAndMathml',
} as const;

export function loadKatex(): Promise<void> {
  katexLoading ??= Promise.all([import('rehype-katex'), import('katex/dist/katex.min.css')]).then(
    ([mod]) => publish({ ...libs, katex: [[mod.default, KATEX_OPTIONS]] }),
    () => {
      katexLoading = undefined; // a failed chunk load (offline) may be retried on the next render
    },
  );
  return katexLoading;
}

const MAX_HIGHLIGHT_CHARS = 100_000;

export function loadHighlighter(): Promise<void> {
  hljsLoading ??= import('highlight.js/lib/common').then(
    (mod) => {
      const hljs = mod.default;
      const highlight: HighlightFn = (code, language) => {
        if (code.length > MAX_HIGHLIGHT_CHARS) return undefined;
        try {
          // highlight.js escapes the code itself; its output is only its own <span class="hljs-…"> markup.
          if (language && hljs.getLanguage(language)) {
            return hljs.highlight(code, { language, ignoreIllegals: true }).value;
          }
          return hljs.highlightAuto(code).value;
        } catch {
          return undefined;
        }
      };
      publish({ ...libs, highlight });
    },
    () => {
      hljsLoading = undefined;
    },
  );
  return hljsLoading;
}

function subscribe(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function useLazyLibs(): Libs {
  return useSyncExternalStore(
    subscribe,
    () => libs,
    () => libs,
  );
}
