import { describe, expect, test } from 'vitest';
import type { FileInfo } from '../api/documents.ts';
import { type Attachment, attachmentsReducer, overLimit, readyFileIds } from './attachments.ts';
import { storeDocumentsChoice, storedDocumentsChoice, turnDocuments } from './documents-choice.ts';

const file: FileInfo = {
  id: 'f1',
  name: 'a.pdf',
  kind: 'pdf',
  mediaType: 'application/pdf',
  sizeBytes: 10,
  pages: 1,
  chunks: 1,
  tokens: 5,
  embedded: false,
  conversationId: null,
  collectionId: null,
  own: true,
  createdAt: '',
};

describe('attachments', () => {
  test('an upload goes from uploading (with progress) to ready; a failure keeps the reason', () => {
    let list: Attachment[] = [];
    list = attachmentsReducer(list, { type: 'add', key: 'u1', name: 'a.pdf', sizeBytes: 10 });
    list = attachmentsReducer(list, { type: 'add', key: 'u2', name: 'b.exe', sizeBytes: 5 });
    list = attachmentsReducer(list, { type: 'progress', key: 'u1', progress: 0.5 });
    expect(list[0]).toMatchObject({ status: 'uploading', progress: 0.5 });
    expect(readyFileIds(list)).toEqual([]);
    list = attachmentsReducer(list, { type: 'uploaded', key: 'u1', file });
    list = attachmentsReducer(list, { type: 'failed', key: 'u2', error: 'Unsupported file type' });
    expect(list.map((a) => a.status)).toEqual(['ready', 'error']);
    expect(readyFileIds(list)).toEqual(['f1']);
    list = attachmentsReducer(list, { type: 'remove', key: 'u2' });
    expect(list).toHaveLength(1);
    expect(attachmentsReducer(list, { type: 'reset', files: [] })).toEqual([]);
  });

  test('a file over the plan’s limits is refused before it is sent', () => {
    const t = (key: string, vars?: Record<string, string | number>) => `${key}:${JSON.stringify(vars)}`;
    const bytes = (n: number) => `${n}B`;
    expect(overLimit({ size: 11 }, { maxFileBytes: 10 }, 0, t, bytes)).toBe('fileTooLarge:{"max":"10B"}');
    expect(overLimit({ size: 1 }, { maxFiles: 3, usedFiles: 2 }, 1, t, bytes)).toBe('tooManyFiles:{"max":3}');
    expect(overLimit({ size: 1 }, { maxFiles: 3, usedFiles: 1 }, 1, t, bytes)).toBeUndefined();
    expect(overLimit({ size: 1e12 }, undefined, 0, t, bytes)).toBeUndefined();
  });

  test('the turn’s documents field: only what is attached or chosen', () => {
    expect(turnDocuments([], [], true)).toBeUndefined();
    expect(turnDocuments(['f1'], [], false)).toEqual({ fileIds: ['f1'] });
    expect(turnDocuments([], ['c1'], true)).toEqual({ collectionIds: ['c1'], whole: true });
  });
});

describe('the documents choice per conversation', () => {
  test('collections and Read whole are remembered per conversation; nothing stored means none', () => {
    const store = new Map<string, string>();
    globalThis.localStorage = {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
      removeItem: (k: string) => void store.delete(k),
    } as Storage;
    expect(storedDocumentsChoice('c1')).toEqual({ collections: [], whole: false });
    storeDocumentsChoice('c1', { collections: ['k1'], whole: true });
    storeDocumentsChoice('c2', { collections: ['k2'], whole: false });
    expect(storedDocumentsChoice('c1')).toEqual({ collections: ['k1'], whole: true });
    expect(storedDocumentsChoice('c2')).toEqual({ collections: ['k2'], whole: false });
    storeDocumentsChoice('c1', { collections: [], whole: false });
    expect(storedDocumentsChoice('c1')).toEqual({ collections: [], whole: false });
    expect(storedDocumentsChoice(undefined)).toEqual({ collections: [], whole: false });
  });
});
