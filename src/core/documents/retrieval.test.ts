import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DocumentChunkRecord, DocumentFileRecord } from '../../store/types.ts';
import { ChunkCache, indexFile } from './chunk-cache.ts';
import { bm25Rank, fuse, tokenize, vectorRank } from './retrieval.ts';

function file(id: string, texts: string[], vectors?: number[][]) {
  const record = { id, name: `${id}.txt`, embeddingModel: vectors ? 'm' : null } as DocumentFileRecord;
  const chunks = texts.map(
    (text, seq): DocumentChunkRecord => ({
      id: `${id}-${seq}`,
      fileId: id,
      userId: 'u',
      seq,
      page: null,
      heading: null,
      text,
      tokens: 1,
      vector: vectors?.[seq] ? new Float32Array(vectors[seq] as number[]) : null,
    }),
  );
  return indexFile(record, chunks);
}

describe('retrieval', () => {
  test('tokenize: ASCII fast path, NFKC and CJK bigrams', () => {
    assert.deepEqual(tokenize('Hello, WORLD 42!'), ['hello', 'world', '42']);
    assert.deepEqual(tokenize('Ｃafé'), ['café']);
    assert.deepEqual(tokenize('東京都'), ['東', '東京', '京', '京都', '都']);
  });

  test('BM25 across files: rarer words weigh more, positions run across files', () => {
    const a = file('a', ['otter otter river', 'river bank']);
    const b = file('b', ['the otter', 'mountain river', 'quiet lake']);
    const ranked = bm25Rank([a, b], 'otter');
    assert.deepEqual(
      ranked.map((r) => r.index),
      [0, 2],
    );
    assert.equal(bm25Rank([a, b], 'lake')[0]?.index, 4);
    assert.deepEqual(bm25Rank([a, b], 'nothing here'), []);
  });

  test('vectors: exact cosine over eligible files; RRF fuses ranks', () => {
    const a = file(
      'a',
      ['x', 'y'],
      [
        [1, 0],
        [0, 1],
      ],
    );
    const b = file('b', ['z'], [[0.8, 0.6]]);
    const ranked = vectorRank([a, b], new Float32Array([1, 0]), () => true);
    assert.deepEqual(
      ranked.map((r) => r.index),
      [0, 2, 1],
    );
    assert.deepEqual(
      vectorRank([a, b], new Float32Array([1, 0]), (f) => f.file.id === 'b').map((r) => r.index),
      [2],
    );
    const fused = fuse([
      [{ index: 1 }, { index: 2 }],
      [{ index: 2 }, { index: 3 }],
    ]);
    assert.equal(fused[0]?.index, 2);
  });

  test('cache: bounded per reader, keeps the current scope, drops deleted files', () => {
    const f1 = file('f1', ['a '.repeat(2000)]);
    const f2 = file('f2', ['b '.repeat(2000)]);
    const f3 = file('f3', ['c '.repeat(2000)]);
    const cache = new ChunkCache({ maxBytesPerUser: Math.ceil(f1.bytes * 2.5) });
    cache.set('u', f1);
    cache.set('u', f2);
    cache.set('u', f3); // evicts f1, the least recent
    assert.equal(cache.get('u', 'f1'), undefined);
    assert.ok(cache.get('u', 'f2'));
    // A scope of all three that does not fit keeps what it has instead of evicting itself.
    cache.set('u', f1, new Set(['f1', 'f2', 'f3']));
    assert.equal(cache.get('u', 'f1'), undefined);
    assert.ok(cache.get('u', 'f2') && cache.get('u', 'f3'));
    cache.dropFile('f2');
    assert.equal(cache.get('u', 'f2'), undefined);
    assert.equal(cache.get('other', 'f3'), undefined);
  });
});
