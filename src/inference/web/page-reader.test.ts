import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createPageReader, PageReadError, PONDER_USER_AGENT, type ReadPage } from './page-reader.ts';
import { type PageServer, startPageServer } from './testing.ts';

async function readError(p: Promise<unknown>): Promise<PageReadError> {
  const err = await p.then(
    () => assert.fail('expected the read to fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof PageReadError, String(err));
  return err;
}

describe('readPage', () => {
  let pages: PageServer;
  let read: ReadPage;
  const debug: string[] = [];
  const warn: string[] = [];
  const logger = {
    debug: (obj: object, msg: string) => debug.push(`${msg} ${JSON.stringify(obj)}`),
    warn: (obj: object, msg: string) => warn.push(`${msg} ${JSON.stringify(obj)}`),
  };

  before(async () => {
    pages = await startPageServer();
    read = createPageReader({ allowPrivateHosts: ['127.0.0.1'], timeoutMs: 1_000, logger });
  });
  after(() => pages.close());

  test('an article comes out as its main text in Markdown, with absolute http(s) links and no images', async () => {
    const page = await read(`${pages.origin}/article.html`);
    assert.equal(page.title, 'How reasoning models think | Example Science');
    assert.equal(page.contentType, 'text/html');
    assert.equal(page.truncated, false);
    const md = page.markdown;
    assert.match(md, /Reasoning models such as DeepSeek-R1 write out a chain of thought/);
    assert.match(md, /## Why thinking longer helps/);
    assert.match(md, /-\s+Hard questions deserve a larger budget\./);
    assert.ok(md.includes(`[original paper](${pages.origin}/papers/r1)`), md);
    assert.ok(md.includes('[arXiv preprint](https://arxiv.org/abs/2501.12948)'));
    assert.match(md, /\[image: Accuracy against thinking tokens\]/);
    assert.doesNotMatch(md, /chart\.png|analytics|All rights reserved|Subscribe/);
    assert.equal(pages.userAgents.at(-1), PONDER_USER_AGENT);
    assert.match(
      PONDER_USER_AGENT,
      /^Ponder\/\d+\.\d+\.\d+ \(\+https:\/\/github\.com\/ponder; reads pages a user asked about\)$/,
    );
  });

  test('plain text is read as it is; redirects are followed and the final URL reported', async () => {
    const notes = await read(`${pages.origin}/notes.txt`);
    assert.equal(notes.contentType, 'text/plain');
    assert.match(notes.markdown, /^Field notes, day 3\n\nWater boils/);
    const moved = await read(`${pages.origin}/to-article`);
    assert.equal(moved.url, `${pages.origin}/article.html`);
    assert.match(moved.markdown, /test-time compute/);
  });

  test('a page in latin-1 is decoded by its meta charset', async () => {
    const page = await read(`${pages.origin}/latin1.html`);
    assert.equal(page.title, 'Café');
    assert.match(page.markdown, /Crème brûlée à la maison\./);
  });

  test('PDFs get a clear answer; other types, a 404 and an empty page are errors the model can read', async () => {
    const pdf = await readError(read(`${pages.origin}/paper.pdf`));
    assert.equal(pdf.kind, 'pdf');
    assert.equal(pdf.message, 'PDF reading is not available yet.');
    const png = await readError(read(`${pages.origin}/image.png`));
    assert.equal(png.kind, 'unsupported_type');
    assert.match(png.message, /image\/png; only HTML and plain text/);
    assert.equal((await readError(read(`${pages.origin}/untyped`))).kind, 'unsupported_type');
    const missing = await readError(read(`${pages.origin}/nope.html`));
    assert.deepEqual([missing.kind, missing.message], ['status', 'The page answered HTTP 404.']);
    assert.equal((await readError(read(`${pages.origin}/empty.html`))).kind, 'empty');
  });

  test('size and time caps: over 2 MiB is refused, a server that stalls is cut off at the time cap', async () => {
    const big = await readError(read(`${pages.origin}/big.html`));
    assert.deepEqual([big.kind, big.message], ['too_large', 'The page is larger than 2048 KiB.']);
    for (const path of ['/slow-body', '/hang']) {
      const started = Date.now();
      const slow = await readError(read(`${pages.origin}${path}`));
      assert.equal(slow.kind, 'timeout', path);
      assert.ok(Date.now() - started < 3_000, `${path} ended near the 1 s cap`);
    }
  });

  test('a stopped read rejects with the caller’s reason', async () => {
    const controller = new AbortController();
    const pending = read(`${pages.origin}/hang`, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('turn stopped')), 30);
    await assert.rejects(pending, /turn stopped/);
  });

  test('only http(s); private addresses (also after a redirect) are refused by the guarded fetcher', async () => {
    const guarded = createPageReader({ timeoutMs: 1_000 });
    for (const url of ['file:///etc/passwd', 'ftp://example.com/x', 'javascript:alert(1)', 'not a url']) {
      assert.equal((await readError(guarded(url))).kind, 'refused', url);
    }
    for (const url of [
      `${pages.origin}/article.html`,
      'http://localhost/',
      'http://[::ffff:127.0.0.1]/',
      'http://169.254.169.254/latest/meta-data/',
      'http://2130706433/',
    ]) {
      const err = await readError(guarded(url));
      assert.equal(err.kind, 'refused', url);
      assert.match(err.message, /fetch\.allowPrivateHosts/);
    }
    assert.equal((await readError(read(`${pages.origin}/to-private`))).kind, 'refused');
  });

  test('nothing fetched is logged: only host and status at debug', () => {
    const all = [...debug, ...warn].join('\n');
    assert.ok(debug.some((l) => l.includes('"status":200') && l.includes('"host":"127.0.0.1:')));
    assert.doesNotMatch(all, /chain of thought|Field notes|article\.html|notes\.txt/);
  });
});
