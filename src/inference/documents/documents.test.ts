import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { chunkSections, estimateTokens } from './chunker.ts';
import { IsolatedParser } from './isolated-parser.ts';
import { sanitiseFileName } from './names.ts';
import { parseDocument } from './parse.ts';
import { makeDocx, makeDocxWithExternalImage, makePdf, makeZip, makeZipBombDocx } from './testing.ts';
import { DEFAULT_PARSE_LIMITS, DocumentError, type DocumentErrorCode } from './types.ts';

const enc = (s: string) => new TextEncoder().encode(s);

async function refused(p: Promise<unknown>, code: DocumentErrorCode): Promise<DocumentError> {
  const err = await p.then(
    () => assert.fail(`expected ${code}`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof DocumentError, String(err));
  assert.equal(err.code, code, err.message);
  return err;
}

describe('parsers on generated files', () => {
  test('PDF: text per page, page numbers kept', async () => {
    const bytes = await makePdf(['First page about otters.', 'Second page about beavers.\nAnother line.']);
    const doc = await parseDocument('report.pdf', bytes);
    assert.equal(doc.kind, 'pdf');
    assert.equal(doc.pages, 2);
    assert.deepEqual(
      doc.sections.map((s) => s.page),
      [1, 2],
    );
    assert.match(doc.sections[1]?.text ?? '', /beavers/);
  });

  test('DOCX: headings become section headings', async () => {
    const bytes = await makeDocx([
      { heading: 'Setup' },
      { text: 'Install the otter package.' },
      { heading: 'Usage' },
      { text: 'Run the beaver command.' },
    ]);
    const doc = await parseDocument('guide.docx', bytes);
    assert.equal(doc.kind, 'docx');
    assert.deepEqual(
      doc.sections.map((s) => [s.heading, /otter|beaver/.exec(s.text)?.[0]]),
      [
        ['Setup', 'otter'],
        ['Usage', 'beaver'],
      ],
    );
  });

  test('Markdown, HTML, text, code and CSV', async () => {
    const md = await parseDocument(
      'notes.md',
      enc('# Intro\nhello\n\n```\n# not a heading\n```\n## Details\nworld'),
    );
    assert.deepEqual(
      md.sections.map((s) => s.heading),
      ['Intro', 'Details'],
    );
    const html = await parseDocument(
      'page.html',
      enc(
        `<html><head><title>T</title><script>alert(1)</script></head><body><article><h1>Otters</h1><p>${'Otters hold hands while sleeping. '.repeat(12)}</p></article></body></html>`,
      ),
    );
    assert.match(html.text, /Otters hold hands/);
    assert.doesNotMatch(html.text, /alert/);
    const text = await parseDocument('plain.txt', enc('\ufeffline one\r\nline two'));
    assert.equal(text.text, 'line one\nline two');
    const code = await parseDocument('main.ts', enc('export const x = 1;\n'));
    assert.equal(code.kind, 'code');
    const rows = ['name,age', ...Array.from({ length: 90 }, (_, i) => `n${i},${i}`)].join('\n');
    const csv = await parseDocument('people.csv', enc(rows));
    assert.equal(csv.sections.length, 3);
    assert.ok(csv.sections.every((s) => s.text.startsWith('name,age\n')));
    const utf16 = await parseDocument('w.txt', new Uint8Array([0xff, 0xfe, 0x68, 0, 0x69, 0]));
    assert.equal(utf16.text, 'hi');
  });
});

describe('malformed and hostile files', () => {
  test('a truncated PDF is malformed, not a crash', async () => {
    const bytes = await makePdf(['Some text here.']);
    await refused(parseDocument('cut.pdf', bytes.slice(0, Math.floor(bytes.length / 3))), 'malformed');
    await refused(parseDocument('junk.pdf', enc('%PDF-1.7\ngarbage garbage')), 'malformed');
  });

  test('the content must match the extension', async () => {
    const pdf = await makePdf(['x']);
    const docx = await makeDocx([{ text: 'x' }]);
    await refused(parseDocument('a.docx', pdf), 'type_mismatch');
    await refused(parseDocument('a.txt', pdf), 'type_mismatch');
    await refused(parseDocument('a.pdf', docx), 'type_mismatch');
    await refused(parseDocument('a.md', docx), 'type_mismatch');
    await refused(
      parseDocument('a.txt', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])),
      'type_mismatch',
    );
    await refused(parseDocument('a.txt', new Uint8Array([0xc3, 0x28, 0x41])), 'type_mismatch');
    await refused(parseDocument('a.csv', enc('a,b\u0000c')), 'type_mismatch');
    await refused(parseDocument('a.exe', enc('MZ')), 'unsupported_type');
    // A ZIP that is not a Word document.
    await refused(
      parseDocument('a.docx', makeZip([{ name: 'x.txt', data: Buffer.from('hi') }])),
      'type_mismatch',
    );
  });

  test('zip bombs are refused before anything inflates them', async () => {
    const limits = { ...DEFAULT_PARSE_LIMITS, maxUnzippedBytes: 8 * 1024 * 1024 };
    const honest = makeZipBombDocx(40 * 1024 * 1024);
    assert.ok(honest.length < 200_000);
    const e1 = await refused(parseDocument('bomb.docx', honest, limits), 'zip_bomb');
    assert.match(e1.message, /MiB/);
    // A directory that lies about the size is caught by the capped inflate.
    await refused(parseDocument('liar.docx', makeZipBombDocx(4 * 1024 * 1024, true), limits), 'zip_bomb');
  });

  test('a DOCX linking an external local file never reads it (nothing escapes the upload)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ponder-ext-'));
    const secret = join(dir, 'secret.txt');
    writeFileSync(secret, 'LOCALSECRETCANARY');
    try {
      const bytes = makeDocxWithExternalImage('Visible paragraph.', pathToFileURL(secret).href);
      const doc = await parseDocument('linked.docx', bytes);
      assert.match(doc.text, /Visible paragraph/);
      assert.doesNotMatch(JSON.stringify(doc), /LOCALSECRETCANARY/);
      const relative = makeDocxWithExternalImage('Second.', '../../../../etc/hostname');
      assert.match((await parseDocument('rel.docx', relative)).text, /Second/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('limits: size, pages, characters, empty files', async () => {
    const limits = { ...DEFAULT_PARSE_LIMITS, maxBytes: 1000, maxChars: 50 };
    await refused(parseDocument('big.txt', enc('x'.repeat(1001)), limits), 'too_large');
    await refused(parseDocument('long.txt', enc('x'.repeat(60)), limits), 'too_large');
    await refused(parseDocument('empty.txt', new Uint8Array()), 'empty');
    await refused(parseDocument('blank.md', enc('   \n\n ')), 'empty');
    const many = await makePdf(Array.from({ length: 30 }, (_, i) => `p${i}`));
    const e = await refused(
      parseDocument('many.pdf', many, { ...DEFAULT_PARSE_LIMITS, maxPages: 20 }),
      'too_many_pages',
    );
    assert.match(e.message, /30 pages; the limit is 20/);
  });

  test('odd and traversal file names become safe display names', () => {
    assert.equal(sanitiseFileName('../../etc/passwd'), 'passwd');
    assert.equal(sanitiseFileName('..\\..\\windows\\win.ini'), 'win.ini');
    assert.equal(sanitiseFileName('/abs/path/report.pdf'), 'report.pdf');
    assert.equal(sanitiseFileName('evil\u202egpj.exe'), 'evilgpj.exe');
    assert.equal(sanitiseFileName('a\u0000b\nc.txt'), 'abc.txt');
    assert.equal(sanitiseFileName('..'), 'document');
    assert.equal(sanitiseFileName(''), 'document');
    assert.equal(sanitiseFileName('.hidden'), 'hidden');
    assert.equal(sanitiseFileName('what?<x>.md'), 'what__x_.md');
    const long = sanitiseFileName(`${'é'.repeat(300)}.pdf`);
    assert.ok(Buffer.byteLength(long) <= 200);
    assert.ok(long.endsWith('.pdf'));
  });
});

describe('chunking', () => {
  test('chunks stay within a section and under the token bound', () => {
    const paragraph = 'Otters are semiaquatic mammals. '.repeat(20).trim();
    const sections = [
      { page: 1, text: [paragraph, paragraph, paragraph].join('\n\n') },
      { page: 2, heading: 'Beavers', text: 'Short.' },
      { page: 3, text: 'word '.repeat(2000) },
    ];
    const chunks = chunkSections(sections, 200);
    assert.ok(
      chunks.every((c) => c.tokens <= 200),
      JSON.stringify(chunks.map((c) => c.tokens)),
    );
    assert.deepEqual([...new Set(chunks.map((c) => c.page))], [1, 2, 3]);
    assert.equal(chunks.find((c) => c.page === 2)?.heading, 'Beavers');
    assert.equal(chunks.filter((c) => c.page === 1).length, 3);
    assert.ok(chunks.filter((c) => c.page === 3).length >= 12);
    assert.equal(estimateTokens('日本語'), 3);
    assert.equal(estimateTokens('abcdefgh'), 2);
  });
});

describe('isolated parser', () => {
  const parser = new IsolatedParser();
  after(() => parser[Symbol.asyncDispose]());

  test('parses in a child process, and a parse past its time bound is killed cleanly', async () => {
    const bytes = await makePdf(['Isolated page.']);
    const doc = await parser.parse('iso.pdf', bytes);
    assert.equal(doc.pages, 1);
    await refused(parser.parse('slow.pdf', bytes, { ...DEFAULT_PARSE_LIMITS, timeoutMs: 1 }), 'parse_failed');
    // The next upload gets a fresh child.
    const again = await parser.parse('again.md', enc('# A\nb'));
    assert.equal(again.sections[0]?.heading, 'A');
    await refused(parser.parse('wrong.pdf', enc('plain text')), 'type_mismatch');
  });
});
