/**
 * Settings → Collections (issue 13): named sets of documents a turn can search. Create one, upload files into
 * it (with progress and the server's reason when a file is refused), see and delete its files, delete it;
 * an admin may share a collection with everyone. Names come from users: text nodes only.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../api/client.ts';
import {
  type CollectionInfo,
  collectionFiles,
  createCollection,
  deleteCollection,
  deleteFile,
  type FileInfo,
  listCollections,
  shareCollection,
  uploadFile,
} from '../api/documents.ts';
import { useApp } from '../app-context.ts';
import { ACCEPTED_FILES } from '../components/attachment-bar.tsx';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { useT } from '../i18n/index.ts';
import { useFormat } from '../lib/format.ts';

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export function CollectionsSection() {
  const t = useT();
  const [collections, setCollections] = useState<CollectionInfo[] | undefined>(undefined);
  const [name, setName] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const reload = useCallback(() => {
    listCollections()
      .then(setCollections)
      .catch((err: unknown) => setError(message(err)));
  }, []);
  useEffect(reload, [reload]);
  return (
    <section className="card" id="collections" aria-labelledby="collections-h">
      <h2 id="collections-h">{t('collections')}</h2>
      <p className="muted">{t('collectionsHint')}</p>
      <form
        className="row-form"
        onSubmit={(e) => {
          e.preventDefault();
          const trimmed = name.trim();
          if (!trimmed) return;
          createCollection(trimmed)
            .then(() => {
              setName('');
              setError(undefined);
              reload();
            })
            .catch((err: unknown) => setError(message(err)));
        }}
      >
        <label className="field">
          <span>{t('collectionName')}</span>
          <input className="input" value={name} maxLength={200} onChange={(e) => setName(e.target.value)} />
        </label>
        <button type="submit" className="button primary" disabled={!name.trim()}>
          {t('createCollection')}
        </button>
      </form>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      {collections?.length === 0 ? <p className="muted">{t('noCollections')}</p> : null}
      <ul className="collection-list">
        {(collections ?? []).map((c) => (
          <CollectionItem key={c.id} collection={c} onChanged={reload} />
        ))}
      </ul>
    </section>
  );
}

function CollectionItem({ collection, onChanged }: { collection: CollectionInfo; onChanged: () => void }) {
  const t = useT();
  const { bytes, percent } = useFormat();
  const { user } = useApp();
  const [files, setFiles] = useState<FileInfo[] | undefined>(undefined);
  const [progress, setProgress] = useState<number | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const input = useRef<HTMLInputElement>(null);
  // The share box answers at once; a refusal puts it back.
  const [shared, setShared] = useState(collection.shared);
  useEffect(() => setShared(collection.shared), [collection.shared]);
  const load = useCallback(() => {
    collectionFiles(collection.id)
      .then(setFiles)
      .catch((err: unknown) => setError(message(err)));
  }, [collection.id]);
  useEffect(load, [load]);

  const upload = async (list: File[]) => {
    setError(undefined);
    for (const file of list) {
      setProgress(0);
      try {
        await uploadFile(file, { collectionId: collection.id }, setProgress).promise;
      } catch (err) {
        setError(`${file.name}: ${err instanceof ApiError ? err.message : message(err)}`);
      }
    }
    setProgress(undefined);
    load();
  };

  return (
    <li className="collection" data-collection-id={collection.id}>
      <div className="collection-head">
        <strong className="collection-name">{collection.name}</strong>
        {shared ? <span className="badge">{t('sharedWithEveryone')}</span> : null}
        <span className="spacer" />
        {collection.own ? (
          <>
            <button type="button" className="button small" onClick={() => input.current?.click()}>
              {t('uploadInto')}
            </button>
            <input
              ref={input}
              type="file"
              multiple
              hidden
              accept={ACCEPTED_FILES}
              onChange={(e) => {
                const list = [...(e.currentTarget.files ?? [])];
                e.currentTarget.value = '';
                if (list.length > 0) void upload(list);
              }}
            />
            {user.isAdmin ? (
              <label className="collection-share">
                <input
                  type="checkbox"
                  checked={shared}
                  onChange={(e) => {
                    const on = e.target.checked;
                    setShared(on);
                    void shareCollection(collection.id, on)
                      .then(onChanged)
                      .catch((err: unknown) => {
                        setShared(!on);
                        setError(message(err));
                      });
                  }}
                />
                {t('shareWithEveryone')}
              </label>
            ) : null}
            <ConfirmButton
              label={t('delete')}
              ariaLabel={t('deleteCollection', { name: collection.name })}
              question={t('confirmDeleteCollection')}
              onConfirm={() =>
                void deleteCollection(collection.id)
                  .then(onChanged)
                  .catch((err: unknown) => setError(message(err)))
              }
            />
          </>
        ) : null}
      </div>
      {progress !== undefined ? (
        <progress className="attachment-progress" max={1} value={progress} aria-label={t('uploading')}>
          {percent(progress)}
        </progress>
      ) : null}
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      {files && files.length > 0 ? (
        <ul className="collection-files">
          {files.map((f) => (
            <li key={f.id} className="collection-file">
              <span className="attachment-name">{f.name}</span>
              <span className="muted">{bytes(f.sizeBytes)}</span>
              {collection.own ? (
                <button
                  type="button"
                  className="attachment-remove"
                  aria-label={t('removeAttachment', { name: f.name })}
                  onClick={() =>
                    void deleteFile(f.id)
                      .then(load)
                      .catch((err: unknown) => setError(message(err)))
                  }
                >
                  ×
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
    </li>
  );
}
