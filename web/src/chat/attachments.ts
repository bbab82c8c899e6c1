/**
 * The files attached in the composer (issue 13): uploads in flight with their progress, uploaded files, and
 * uploads that failed with the server's reason. A new conversation's uploads are drafts (no conversation
 * yet); the send that creates the conversation attaches them. An open conversation shows its files again.
 * Removing a chip deletes the file (a draft is useless; an attached file leaves the conversation).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../api/client.ts';
import {
  conversationFiles,
  type DocumentLimits,
  deleteFile,
  documentLimits,
  type FileInfo,
  type Upload,
  uploadFile,
} from '../api/documents.ts';

export interface Attachment {
  /** Stable for the chip (the file id once uploaded). */
  key: string;
  name: string;
  sizeBytes: number;
  status: 'uploading' | 'ready' | 'error';
  /** 0 to 1 while uploading. */
  progress: number;
  fileId?: string;
  /** Why it failed (the server's message, or the limit it is over). */
  error?: string;
}

export type AttachmentsAction =
  | { type: 'reset'; files: FileInfo[] }
  | { type: 'add'; key: string; name: string; sizeBytes: number; error?: string }
  | { type: 'progress'; key: string; progress: number }
  | { type: 'uploaded'; key: string; file: FileInfo }
  | { type: 'failed'; key: string; error: string }
  | { type: 'remove'; key: string };

export function attachmentsReducer(list: readonly Attachment[], action: AttachmentsAction): Attachment[] {
  switch (action.type) {
    case 'reset':
      return action.files.map((f) => ({
        key: f.id,
        name: f.name,
        sizeBytes: f.sizeBytes,
        status: 'ready',
        progress: 1,
        fileId: f.id,
      }));
    case 'add':
      return [
        ...list,
        {
          key: action.key,
          name: action.name,
          sizeBytes: action.sizeBytes,
          status: action.error ? 'error' : 'uploading',
          progress: 0,
          ...(action.error ? { error: action.error } : {}),
        },
      ];
    case 'progress':
      return list.map((a) => (a.key === action.key ? { ...a, progress: action.progress } : a));
    case 'uploaded':
      return list.map((a) =>
        a.key === action.key
          ? { ...a, status: 'ready', progress: 1, fileId: action.file.id, name: action.file.name || a.name }
          : a,
      );
    case 'failed':
      return list.map((a) => (a.key === action.key ? { ...a, status: 'error', error: action.error } : a));
    case 'remove':
      return list.filter((a) => a.key !== action.key);
    default:
      return action satisfies never;
  }
}

/** The file ids a turn searches: the uploaded chips. */
export function readyFileIds(list: readonly Attachment[]): string[] {
  return list.flatMap((a) => (a.status === 'ready' && a.fileId ? [a.fileId] : []));
}

/** A reason to refuse a file before sending it, from the plan's limits; undefined when it may go. */
export function overLimit(
  file: { size: number },
  limits: DocumentLimits | undefined,
  attached: number,
  t: (key: 'fileTooLarge' | 'tooManyFiles', vars?: Record<string, string | number>) => string,
  formatBytes: (n: number) => string,
): string | undefined {
  if (limits?.maxFileBytes !== undefined && file.size > limits.maxFileBytes)
    return t('fileTooLarge', { max: formatBytes(limits.maxFileBytes) });
  if (limits?.maxFiles !== undefined && (limits.usedFiles ?? 0) + attached >= limits.maxFiles)
    return t('tooManyFiles', { max: limits.maxFiles });
  return undefined;
}

let seq = 0;

export interface UseAttachments {
  attachments: Attachment[];
  limits: DocumentLimits | undefined;
  add(files: readonly File[], refuse: (file: File, attached: number) => string | undefined): void;
  remove(key: string): void;
  uploading: boolean;
}

/** The composer's attachments for `conversationId` (undefined: a new conversation, drafts). */
export function useAttachments(conversationId: string | undefined): UseAttachments {
  const [attachments, setAttachments] = useState<Attachment[]>([]);
  const [limits, setLimits] = useState<DocumentLimits | undefined>(undefined);
  const uploads = useRef(new Map<string, Upload>());
  const dispatch = useCallback(
    (action: AttachmentsAction) => setAttachments((l) => attachmentsReducer(l, action)),
    [],
  );
  const target = conversationId && !conversationId.startsWith('temp-') ? conversationId : undefined;

  // The plan's limits and usage; a failed refresh keeps the last answer.
  const refreshLimits = useCallback(() => {
    void documentLimits().then((l) => {
      if (l) setLimits(l);
    });
  }, []);
  useEffect(refreshLimits, [refreshLimits]);

  // An open conversation shows its files; a new one starts empty (drafts uploaded for it stay while it is
  // being created, as the id arrives after the send that attached them).
  useEffect(() => {
    if (!target) {
      dispatch({ type: 'reset', files: [] });
      return;
    }
    let live = true;
    void conversationFiles(target)
      .then((files) => {
        if (live) dispatch({ type: 'reset', files });
      })
      .catch(() => {});
    return () => {
      live = false;
    };
  }, [target, dispatch]);

  const add = useCallback(
    (files: readonly File[], refuse: (file: File, attached: number) => string | undefined) => {
      let attached = 0;
      for (const file of files) {
        const key = `upload-${++seq}`;
        const reason = refuse(file, attached);
        dispatch({
          type: 'add',
          key,
          name: file.name,
          sizeBytes: file.size,
          ...(reason ? { error: reason } : {}),
        });
        if (reason) continue;
        attached++;
        const upload = uploadFile(file, target ? { conversationId: target } : {}, (progress) =>
          dispatch({ type: 'progress', key, progress }),
        );
        uploads.current.set(key, upload);
        upload.promise
          .then((info) => {
            dispatch({ type: 'uploaded', key, file: info });
            refreshLimits();
          })
          .catch((err: unknown) => {
            if (err instanceof DOMException && err.name === 'AbortError') return;
            dispatch({ type: 'failed', key, error: err instanceof ApiError ? err.message : String(err) });
          })
          .finally(() => uploads.current.delete(key));
      }
    },
    [target, dispatch, refreshLimits],
  );

  const current = useRef(attachments);
  current.current = attachments;
  const remove = useCallback(
    (key: string) => {
      uploads.current.get(key)?.abort();
      const gone = current.current.find((a) => a.key === key);
      if (gone?.fileId)
        void deleteFile(gone.fileId)
          .then(refreshLimits)
          .catch(() => {});
      dispatch({ type: 'remove', key });
    },
    [dispatch, refreshLimits],
  );

  return { attachments, limits, add, remove, uploading: attachments.some((a) => a.status === 'uploading') };
}
