/**
 * The documents side of the chat page (issue 13): the attachments, the user's collections (the shared ones
 * included), the chosen collections and the "read whole" toggle — per conversation, reset when another
 * opens — and the `documents` field a turn sends.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { type CollectionInfo, listCollections } from '../api/documents.ts';
import type { TurnDocuments } from '../api/generation-stream.ts';
import type { ComposerDocuments } from '../components/attachment-bar.tsx';
import { useT } from '../i18n/index.ts';
import { useFormat } from '../lib/format.ts';
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

export function useDocumentsChoice(conversationId: string | undefined): DocumentsChoice {
  const t = useT();
  const { bytes } = useFormat();
  const { attachments, limits, add, remove } = useAttachments(conversationId);
  const [collections, setCollections] = useState<CollectionInfo[]>([]);
  const [selected, setSelected] = useState<string[]>([]);
  const [whole, setWhole] = useState(false);

  useEffect(() => {
    void listCollections()
      .then(setCollections)
      .catch(() => setCollections([]));
  }, []);
  // Another conversation: its own choice (new and created-by-this-send conversations keep it).
  const [seen, setSeen] = useState(conversationId);
  if (seen !== conversationId) {
    setSeen(conversationId);
    if (seen !== undefined) {
      setSelected([]);
      setWhole(false);
    }
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
    [attachments, limits, onFiles, remove, collections, selected, whole],
  );
  const turn = useCallback(
    () => turnDocuments(readyFileIds(attachments), selected, whole),
    [attachments, selected, whole],
  );
  return { composer, turn };
}
