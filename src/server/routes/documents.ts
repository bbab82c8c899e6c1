/**
 * Documents (issue 13): `POST /api/files` (multipart upload), file listing, download and deletion,
 * collections (CRUD; admins share one with everyone), `GET /api/chunks/:id` (a cited passage) and
 * `GET /api/documents/limits`. Every route is the caller's own: another user's ids answer 404.
 */
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  ACCEPTED_DOCUMENT_EXTENSIONS,
  type ApiCollection,
  type ApiCollectionDetail,
  type ApiDocumentFile,
  type ApiDocumentLimits,
  type ApiDocumentSearch,
  type ApiPassage,
  createCollectionBodySchema,
  listFilesQuerySchema,
  searchDocumentsBodySchema,
  updateCollectionBodySchema,
  uploadQuerySchema,
} from '../../api/documents.ts';
import type { AccountUser } from '../../core/accounts/types.ts';
import { contentDisposition } from '../../core/conversations/export.ts';
import type { DocumentService } from '../../core/documents/document-service.ts';
import { DocumentServiceError } from '../../core/documents/errors.ts';
import { fileMetadata } from '../../core/documents/file-metadata.ts';
import type { DocumentScope } from '../../core/documents/types.ts';
import { DocumentError, type DocumentErrorCode } from '../../inference/documents/index.ts';
import type { DocumentCollectionRecord, DocumentFileRecord } from '../../store/types.ts';
import { requireUser } from '../auth/plugin.ts';
import type { AppContext } from '../context.ts';
import { HttpError, notFound } from '../errors.ts';
import { parseWith } from '../validation.ts';

const idParams = z.object({ id: z.string().min(1).max(100) });
/** Uploads one user may have in progress at once (each is buffered, then parsed in turn). */
const MAX_UPLOADS_PER_USER = 3;
/** Hard cap of one multipart upload, whatever the plans say (each plan's own limit is checked too). */
const MAX_UPLOAD_BYTES = 256 * 1024 * 1024;

const PARSE_STATUS: Record<DocumentErrorCode, number> = {
  unsupported_type: 415,
  type_mismatch: 415,
  too_large: 413,
  too_many_pages: 413,
  zip_bomb: 413,
  malformed: 422,
  empty: 422,
  parse_failed: 422,
};

const SERVICE_STATUS: Record<DocumentServiceError['code'], number> = {
  invalid_request: 400,
  not_found: 404,
  forbidden: 403,
  limit_exceeded: 413,
  unavailable: 503,
};

/** Documents errors as HTTP errors; anything else is left to the app's handler. */
function toHttp(err: unknown): unknown {
  if (err instanceof DocumentError)
    return new HttpError(PARSE_STATUS[err.code], err.code, `Cannot read the file: ${err.message}.`);
  if (err instanceof DocumentServiceError) {
    return new HttpError(SERVICE_STATUS[err.code], err.code, err.message, {
      ...(err.field ? { details: { field: err.field } } : {}),
    });
  }
  const code = (err as { code?: unknown })?.code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') {
    return new HttpError(413, 'too_large', "The file is larger than your plan's upload limit.");
  }
  if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') {
    return new HttpError(400, 'invalid_request', 'Send one file in the "file" field, nothing else.');
  }
  if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') {
    return new HttpError(
      415,
      'unsupported_media_type',
      'Send the file as multipart/form-data in the "file" field.',
    );
  }
  if (code === 'FST_MP_PREMATURE_CLOSE')
    return new HttpError(400, 'invalid_request', 'The upload was cut off.');
  return err;
}

async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toHttp(err);
  }
}

export function fileView(f: DocumentFileRecord, userId: string): ApiDocumentFile {
  return {
    ...fileMetadata(f),
    chunks: f.chunkCount,
    tokens: f.tokens,
    embedded: f.embeddingModel !== null,
    conversationId: f.userId === userId ? f.conversationId : null,
    collectionId: f.collectionId,
    own: f.userId === userId,
    createdAt: f.createdAt.toISOString(),
  };
}

function collectionView(c: DocumentCollectionRecord, userId: string): ApiCollection {
  return {
    id: c.id,
    name: c.name,
    shared: c.shared,
    own: c.userId === userId,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

/** A signal that aborts when the client goes away before the answer was sent. */
function clientGone(reply: FastifyReply): { signal: AbortSignal; done(): void } {
  const controller = new AbortController();
  const onClose = () => {
    if (!reply.raw.writableFinished) controller.abort();
  };
  reply.raw.on('close', onClose);
  return { signal: controller.signal, done: () => reply.raw.off('close', onClose) };
}

export async function documentRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const documents: DocumentService = ctx.services.documents;
  /** Uploads in progress per user id, on this instance. */
  const uploading = new Map<string, number>();
  // Scoped to this plugin: only the upload route takes multipart bodies.
  await app.register(multipart, {
    limits: { fileSize: MAX_UPLOAD_BYTES, files: 1, fields: 4, parts: 5, headerPairs: 100 },
  });

  app.get('/api/documents/limits', async (request): Promise<ApiDocumentLimits> => {
    const user = requireUser(request);
    const view = await documents.limits(user);
    return { ...view, accepted: ACCEPTED_DOCUMENT_EXTENSIONS };
  });

  app.post('/api/files', async (request, reply) => {
    const user = requireUser(request);
    const query = parseWith(uploadQuerySchema, request.query, 'query');
    // Each upload is buffered (up to the plan's file size) and parsed in turn: a few at a time per user.
    const inFlight = uploading.get(user.id) ?? 0;
    if (inFlight >= MAX_UPLOADS_PER_USER) {
      throw new HttpError(
        429,
        'rate_limited',
        `At most ${MAX_UPLOADS_PER_USER} uploads at a time; wait for one to finish.`,
        {
          retryAfterSeconds: 2,
        },
      );
    }
    uploading.set(user.id, inFlight + 1);
    try {
      return await receiveUpload(request, reply, user, query);
    } finally {
      const left = (uploading.get(user.id) ?? 1) - 1;
      if (left > 0) uploading.set(user.id, left);
      else uploading.delete(user.id);
    }
  });

  async function receiveUpload(
    request: FastifyRequest,
    reply: FastifyReply,
    user: AccountUser,
    query: { conversationId?: string | undefined; collectionId?: string | undefined },
  ) {
    const limits = await documents.limits(user);
    const upload = await guarded(async () => {
      let file: { name: string; bytes: Buffer } | undefined;
      for await (const part of request.parts({ limits: { fileSize: limits.maxFileBytes } })) {
        if (part.type !== 'file') {
          throw new HttpError(
            400,
            'invalid_request',
            `${part.fieldname.slice(0, 40)}: unknown field (only "file"; pass conversationId / collectionId in the query)`,
            {
              details: { field: part.fieldname.slice(0, 40) },
            },
          );
        }
        if (part.fieldname !== 'file' || file) {
          throw new HttpError(400, 'invalid_request', 'Send one file in the "file" field.', {
            details: { field: 'file' },
          });
        }
        file = { name: part.filename, bytes: await part.toBuffer() };
      }
      if (!file)
        throw new HttpError(400, 'invalid_request', 'file: missing (multipart field "file")', {
          details: { field: 'file' },
        });
      return file;
    });
    const abort = clientGone(reply);
    try {
      const created = await guarded(() =>
        documents.upload(
          user,
          {
            name: upload.name,
            bytes: upload.bytes,
            ...(query.conversationId ? { conversationId: query.conversationId } : {}),
            ...(query.collectionId ? { collectionId: query.collectionId } : {}),
          },
          abort.signal,
        ),
      );
      return reply.code(201).send(fileView(created, user.id));
    } finally {
      abort.done();
    }
  }

  app.get('/api/files', async (request) => {
    const user = requireUser(request);
    const q = parseWith(listFilesQuerySchema, request.query, 'query');
    const files = await documents.listFiles(user.id, {
      ...(q.conversationId ? { conversationId: q.conversationId } : {}),
      ...(q.collectionId ? { collectionId: q.collectionId } : {}),
      ...(q.unattached === 'true' ? { unattached: true } : {}),
    });
    return { files: files.map((f) => fileView(f, user.id)) };
  });

  app.get('/api/files/:id', async (request) => {
    const user = requireUser(request);
    const { id } = parseWith(idParams, request.params, 'id');
    const file = await documents.getFile(user.id, id);
    if (!file) throw notFound('No such file.');
    return fileView(file, user.id);
  });

  app.get('/api/files/:id/content', async (request, reply: FastifyReply) => {
    const user = requireUser(request);
    const { id } = parseWith(idParams, request.params, 'id');
    const found = await documents.fileContent(user.id, id);
    if (!found) throw notFound('No such file.');
    const binary = found.file.kind === 'pdf' || found.file.kind === 'docx';
    return (
      reply
        .header('content-disposition', contentDisposition(found.file.name))
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'private, no-store')
        .header('content-security-policy', "sandbox; default-src 'none'")
        // Text kinds (HTML included) are sent as plain text: never rendered as a page of this origin.
        .type(binary ? found.file.mediaType : 'text/plain; charset=utf-8')
        .send(found.content)
    );
  });

  app.delete('/api/files/:id', async (request, reply) => {
    const user = requireUser(request);
    const { id } = parseWith(idParams, request.params, 'id');
    if (!(await documents.deleteFile(user.id, id))) throw notFound('No such file.');
    return reply.code(204).send();
  });

  app.get('/api/chunks/:id', async (request): Promise<ApiPassage> => {
    const user = requireUser(request);
    const { id } = parseWith(idParams, request.params, 'id');
    const passage = await documents.passage(user.id, id);
    if (!passage) throw notFound('No such passage.');
    const { score: _score, ...view } = passage;
    return view;
  });

  app.post('/api/documents/search', async (request, reply): Promise<ApiDocumentSearch> => {
    const user = requireUser(request);
    const body = parseWith(searchDocumentsBodySchema, request.body);
    const scopes: DocumentScope[] = [
      ...(body.conversationId
        ? [{ kind: 'conversation' as const, conversationId: body.conversationId }]
        : []),
      ...(body.collectionIds ?? []).map((collectionId) => ({ kind: 'collection' as const, collectionId })),
      ...(body.fileIds?.length ? [{ kind: 'files' as const, fileIds: body.fileIds }] : []),
    ];
    const abort = clientGone(reply);
    try {
      return await documents.search(user.id, {
        scopes,
        query: body.query,
        signal: abort.signal,
        ...(body.limit ? { limit: body.limit } : {}),
        ...(body.mode ? { mode: body.mode } : {}),
      });
    } finally {
      abort.done();
    }
  });

  app.get('/api/collections', async (request) => {
    const user = requireUser(request);
    return { collections: (await documents.listCollections(user.id)).map((c) => collectionView(c, user.id)) };
  });

  app.post('/api/collections', async (request, reply) => {
    const user = requireUser(request);
    const { name } = parseWith(createCollectionBodySchema, request.body);
    const created = await guarded(() => documents.createCollection(user.id, name));
    return reply.code(201).send(collectionView(created, user.id));
  });

  app.get('/api/collections/:id', async (request): Promise<ApiCollectionDetail> => {
    const user = requireUser(request);
    const { id } = parseWith(idParams, request.params, 'id');
    const collection = await documents.getCollection(user.id, id);
    if (!collection) throw notFound('No such collection.');
    const files = await guarded(() => documents.filesOfCollection(user.id, id));
    return { ...collectionView(collection, user.id), files: files.map((f) => fileView(f, user.id)) };
  });

  app.patch('/api/collections/:id', async (request) => {
    const user = requireUser(request);
    const { id } = parseWith(idParams, request.params, 'id');
    // Unknown ids first: another user's collection is a 404 whatever the body.
    const existing = await documents.getCollection(user.id, id);
    if (!existing || existing.userId !== user.id) throw notFound('No such collection.');
    const patch = parseWith(updateCollectionBodySchema, request.body);
    const updated = await guarded(() =>
      documents.updateCollection(user, id, {
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.shared !== undefined ? { shared: patch.shared } : {}),
      }),
    );
    return collectionView(updated, user.id);
  });

  app.delete('/api/collections/:id', async (request, reply) => {
    const user = requireUser(request);
    const { id } = parseWith(idParams, request.params, 'id');
    if (!(await documents.deleteCollection(user.id, id))) throw notFound('No such collection.');
    return reply.code(204).send();
  });
}
