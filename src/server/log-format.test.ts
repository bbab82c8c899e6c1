import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { createHumanLogStream, formatLogRecord, logDestination, resolveLogFormat } from './log-format.ts';
import { missingModelHint } from './model-help.ts';
import { createLogger, installRequestLogging } from './security/logging.ts';

function sink(isTTY: boolean): { write(text: string): void; isTTY: boolean; text: string } {
  return {
    isTTY,
    text: '',
    write(text: string) {
      this.text += text;
    },
  };
}

describe('log format', () => {
  test('auto is human on a terminal and JSON otherwise; json and human are forced', () => {
    assert.equal(resolveLogFormat('auto', true), 'human');
    assert.equal(resolveLogFormat('auto', false), 'json');
    assert.equal(resolveLogFormat('auto', undefined), 'json');
    assert.equal(resolveLogFormat('json', true), 'json');
    assert.equal(resolveLogFormat('human', false), 'human');
  });

  test('a terminal gets human lines, a pipe gets the JSON records, from the same logger call', () => {
    for (const [isTTY, human] of [
      [true, true],
      [false, false],
    ] as const) {
      const out = sink(isTTY);
      const stream = logDestination('auto', out);
      assert.ok(stream);
      createLogger({ level: 'info', stream }).warn({ model: 'm', code: 'offline' }, 'download failed');
      if (human) {
        const plain = out.text.replace(/\x1b\[[0-9;]*m/g, '');
        assert.notEqual(plain, out.text, 'a terminal gets colour');
        assert.match(plain, /^\d\d:\d\d:\d\d WARN +download failed {2}model=m code=offline\n$/);
        assert.doesNotMatch(out.text, /"level"/);
      } else {
        const record = JSON.parse(out.text) as Record<string, unknown>;
        assert.equal(record.level, 40);
        assert.equal(record.msg, 'download failed');
        assert.equal(record.code, 'offline');
      }
    }
  });

  test('human lines: fields as key=value, errors by message, the hint on indented lines, no colour off a TTY', () => {
    const line = formatLogRecord(
      JSON.stringify({
        level: 50,
        time: Date.UTC(2026, 0, 1),
        app: 'ponder',
        reqId: 'r-1',
        msg: 'model failed to load',
        model: 'tiny model',
        err: { type: 'Error', message: 'bad magic', stack: 'Error: bad magic\n    at x' },
        hint: 'first\nsecond',
      }),
      { color: false },
    );
    const [head, ...rest] = line.split('\n');
    assert.match(
      head ?? '',
      /^\d\d:\d\d:\d\d ERROR model failed to load {2}model="tiny model" err="bad magic"$/,
    );
    assert.deepEqual(rest, ['    first', '    second', '']);
    assert.doesNotMatch(line, /\x1b\[|app=|reqId=|stack/);
    assert.match(formatLogRecord('{"level":30,"msg":"hi"}', { color: true }), /\x1b\[/);
  });

  test('a line that is not JSON passes through unchanged', () => {
    const out = sink(false);
    createHumanLogStream(out, { color: false }).write('plain text\n');
    assert.equal(out.text, 'plain text\n');
  });
});

describe('missing model hint', () => {
  test('names what failed and the ways on with exact commands and the real models folder', () => {
    const hint = missingModelHint({
      reason: 'cannot reach huggingface.co (ENOTFOUND).',
      modelsDir: '/srv/ponder data/models',
      dataDir: '/srv/ponder data',
      source: 'hf:user/repo:Q4_K_M',
      cwd: '/home/me',
    });
    assert.match(hint, /cannot reach huggingface\.co \(ENOTFOUND\)/);
    assert.match(hint, /ponder pull hf:user\/repo:Q4_K_M --data-dir '\/srv\/ponder data'/);
    assert.match(hint, /ponder serve --data-dir '\/srv\/ponder data' --model \/path\/to\/model\.gguf/);
    assert.match(hint, /copy it into \/srv\/ponder data\/models\//);
    assert.match(
      hint,
      /PONDER_UPSTREAMS='\[\{"id":"local","baseUrl":"http:\/\/127\.0\.0\.1:11434\/v1"\}\]' ponder serve/,
    );
  });

  test('the default data directory needs no --data-dir', () => {
    const hint = missingModelHint({
      reason: 'x',
      modelsDir: '/home/me/data/models',
      dataDir: './data',
      source: 'hf:a/b:Q',
      cwd: '/home/me',
    });
    assert.doesNotMatch(hint, /--data-dir/);
    assert.match(hint, /ponder pull hf:a\/b:Q\n/);
  });
});

describe('request log lines', () => {
  test('are at debug, 5xx at warn (health probes excepted): page loads do not flood the log at info', async () => {
    const lines: string[] = [];
    const stream = { write: (line: string) => void lines.push(line) };
    const app = Fastify({
      loggerInstance: createLogger({ level: 'debug', stream }) as FastifyBaseLogger,
      disableRequestLogging: true,
    });
    installRequestLogging(app);
    app.get('/ok', async () => ({ ok: true }));
    app.get('/missing', async (_req, reply) => reply.code(404).send({}));
    app.get('/broken', async (_req, reply) => reply.code(502).send({}));
    app.get('/readyz', async (_req, reply) => reply.code(503).send({}));
    try {
      for (const url of ['/ok', '/missing', '/broken', '/readyz']) await app.inject({ url });
      const levels = Object.fromEntries(
        lines
          .map((l) => JSON.parse(l) as { msg?: string; level?: number; url?: string })
          .filter((r) => r.msg === 'request')
          .map((r) => [r.url, r.level]),
      );
      assert.deepEqual(levels, { '/ok': 20, '/missing': 20, '/broken': 40, '/readyz': 20 });
    } finally {
      await app.close();
    }
  });
});
