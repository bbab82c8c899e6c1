/**
 * The documents routes as the web app uses them (issue 13): uploads with progress (XMLHttpRequest: fetch
 * reports no upload progress), the conversation's files, collections, and one passage for a citation.
 * Same origin, session cookie; every failure is an {@link ApiError} with the server's message.
 */
import type {
  ApiCollection,
  ApiCollectionDetail,
  ApiDocumentFile,
  ApiDocumentLimits,
} from '../../../src/api/documents.ts';
import { ApiError, api } from './client.ts';

export type FileInfo = ApiDocumentFile;

/** A collection the user owns (`own`) or one an admin shared with everyone. */
export type CollectionInfo = ApiCollection;

/** The plan's limits on documents and the user's usage (`GET /api/documents/limits`). */
export type DocumentLimits = Partial<ApiDocumentLimits>;

export type UploadTarget = { conversationId?: string; collectionId?: string };

export interface Upload {
  promise: Promise<FileInfo>;
  abort(): void;
}

/** Uploads one file (multipart, field `file`); `onProgress` hears the fraction sent, 0 to 1. */
export function uploadFile(file: File, target: UploadTarget, onProgress: (fraction: number) => void): Upload {
  const xhr = new XMLHttpRequest();
  const promise = new Promise<FileInfo>((resolve, reject) => {
    const query = new URLSearchParams();
    if (target.conversationId) query.set('conversationId', target.conversationId);
    if (target.collectionId) query.set('collectionId', target.collectionId);
    xhr.open('POST', `/api/files${query.size > 0 ? `?${query}` : ''}`);
    xhr.withCredentials = true;
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let body: unknown;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        const info = (body as { file?: FileInfo } | undefined)?.file ?? (body as FileInfo | undefined);
        if (info && typeof info.id === 'string') resolve(info);
        else reject(new ApiError(xhr.status, 'invalid_response', 'The server answered without the file.'));
        return;
      }
      const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
      reject(
        new ApiError(
          xhr.status,
          error?.code ?? 'http_error',
          error?.message ?? `${xhr.status} ${xhr.statusText}`,
        ),
      );
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', 'The server could not be reached.'));
    xhr.onabort = () => reject(new DOMException('The upload was cancelled.', 'AbortError'));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}

export async function conversationFiles(conversationId: string): Promise<FileInfo[]> {
  const res = await api<{ files?: FileInfo[] }>(
    `/api/files?conversationId=${encodeURIComponent(conversationId)}`,
  );
  return Array.isArray(res?.files) ? res.files : [];
}

export function deleteFile(id: string): Promise<void> {
  return api<void>(`/api/files/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

/** The plan's limits, or undefined when the server has no documents (or cannot say now). */
export function documentLimits(): Promise<DocumentLimits | undefined> {
  return api<DocumentLimits>('/api/documents/limits').catch(() => undefined);
}

export async function listCollections(): Promise<CollectionInfo[]> {
  const res = await api<{ collections?: CollectionInfo[] }>('/api/collections');
  return Array.isArray(res?.collections) ? res.collections : [];
}

export async function collectionFiles(collectionId: string): Promise<FileInfo[]> {
  const res = await api<ApiCollectionDetail>(`/api/collections/${encodeURIComponent(collectionId)}`);
  return Array.isArray(res?.files) ? res.files : [];
}

export function createCollection(name: string): Promise<CollectionInfo> {
  return api('/api/collections', { method: 'POST', body: { name } });
}

export function deleteCollection(id: string): Promise<void> {
  return api<void>(`/api/collections/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

export function shareCollection(id: string, shared: boolean): Promise<unknown> {
  return api(`/api/collections/${encodeURIComponent(id)}`, { method: 'PATCH', body: { shared } });
}
