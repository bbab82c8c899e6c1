/**
 * The documents side of the chat page (issue 13): the attachments, the user's collections (the shared ones
 * included), the chosen collections and the "read whole" toggle — per conversation, remembered in
 * localStorage like the Search choice (a new chat's choice goes with the conversation made for it) — and the
 * `documents` field a turn sends.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { type CollectionInfo, listCollections } from '../api/documents.ts';
import type { TurnDocuments } from '../api/generation-stream.ts';
import type { ComposerDocuments } from '../components/attachment-bar.tsx';
import { useT } from '../i18n/index.ts';
import { useFormat } from '../lib/format.ts';
import { readPref, writePref } from '../lib/prefs.ts';
import { overLimit, readyFileIds, useAttachments } from './attachments.ts';

export interface DocumentsChoice {
  /** Undefined until the server said it has documents (`GET /api/documents/limits`). */
  composer: ComposerDocuments | undefined;
  /** The turn's `documents` field, or undefined when nothing is attached or chosen. */
  turn: () => TurnDocuments | undefined;
}

/** The request field for attached file ids, chosen collections and the toggle. */
export function turnDocuments(
  fileIds: readonly string[],
  collectionIds: readonly string[],
  whole: boolean,
): TurnDocuments | undefined {
  if (fileIds.length === 0 && collectionIds.length === 0) return undefined;
  return {
    ...(fileIds.length > 0 ? { fileIds: [...fileIds] } : {}),
    ...(collectionIds.length > 0 ? { collectionIds: [...collectionIds] } : {}),
    ...(whole ? { whole: true } : {}),
  };
}

interface Choice {
  collections: string[];
  whole: boolean;
}

const KEY = 'documents';
const MAX_CONVERSATIONS = 200;
const NONE: Choice = { collections: [], whole: false };

function readAll(): Array<[string, Choice]> {
  try {
    const parsed: unknown = JSON.parse(readPref(KEY) ?? '[]');
    if (!Array.isArray(parsed)) return [];
    return parsed.flatMap((entry): Array<[string, Choice]> => {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string') return [];
      const c = entry[1] as Partial<Choice> | undefined;
      const collections = Array.isArray(c?.collections)
        ? c.collections.filter((v): v is string => typeof v === 'string')
        : [];
      return [[entry[0], { collections, whole: c?.whole === true }]];
    });
  } catch {
    return [];
  }
}

export function storedDocumentsChoice(conversationId: string | undefined): Choice {
  if (conversationId === undefined) return NONE;
  return readAll().find(([id]) => id === conversationId)?.[1] ?? NONE;
}

export function storeDocumentsChoice(conversationId: string, choice: Choice): void {
  const all = readAll().filter(([id]) => id !== conversationId);
  if (choice.collections.length > 0 || choice.whole) all.push([conversationId, choice]);
  // Newest choices last: drop the oldest beyond the cap.
  const kept = all.slice(Math.max(0, all.length - MAX_CONVERSATIONS));
  writePref(KEY, kept.length > 0 ? JSON.stringify(kept) : null);
}

export function useDocumentsChoice(conversationId: string | undefined): DocumentsChoice {
  const t = useT();
  const { bytes } = useFormat();
  const { attachments, limits, add, remove } = useAttachments(conversationId);
  const [collections, setCollections] = useState<CollectionInfo[]>([]);
  const [choice, setChoice] = useState<Choice>(() => storedDocumentsChoice(conversationId));
  const selected = choice.collections;
  const whole = choice.whole;
  const update = useCallback(
    (next: Choice) => {
      if (conversationId !== undefined) storeDocumentsChoice(conversationId, next);
      setChoice(next);
    },
    [conversationId],
  );
  const setSelected = useCallback(
    (ids: string[]) => update({ ...choice, collections: ids }),
    [update, choice],
  );
  const setWhole = useCallback((on: boolean) => update({ ...choice, whole: on }), [update, choice]);

  useEffect(() => {
    void listCollections()
      .then(setCollections)
      .catch(() => setCollections([]));
  }, []);
  // Another conversation: its own choice; a new chat's choice is filed under the conversation made for it.
  const [seen, setSeen] = useState(conversationId);
  if (seen !== conversationId) {
    setSeen(conversationId);
    if (seen === undefined && conversationId !== undefined) storeDocumentsChoice(conversationId, choice);
    else setChoice(storedDocumentsChoice(conversationId));
  }

  const onFiles = useCallback(
    (files: File[]) =>
      add(files, (file, attached) =>
        overLimit(
          file,
          limits,
          attached + attachments.filter((a) => a.status !== 'error').length,
          (key, vars) => t(key, vars),
          bytes,
        ),
      ),
    [add, limits, attachments, t, bytes],
  );

  const composer = useMemo<ComposerDocuments | undefined>(
    () =>
      limits && {
        attachments,
        limits,
        onFiles,
        onRemove: remove,
        collections,
        selectedCollections: selected,
        onCollections: setSelected,
        whole,
        onWhole: setWhole,
      },
    [attachments, limits, onFiles, remove, collections, selected, whole, setSelected, setWhole],
  );
  // A collection deleted since it was chosen is left out.
  const turn = useCallback(
    () =>
      turnDocuments(
        readyFileIds(attachments),
        selected.filter((id) => collections.some((c) => c.id === id)),
        whole,
      ),
    [attachments, selected, whole, collections],
  );
  return { composer, turn };
}
