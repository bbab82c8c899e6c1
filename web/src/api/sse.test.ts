import { describe, expect, test } from 'vitest';
import { SseParser } from './sse.ts';

describe('SseParser', () => {
  test('parses id, event and data, and keeps the last id', () => {
    const p = new SseParser();
    const events = p.feed('id: 1\nevent: meta\ndata: {"a":1}\n\nid: 2\nevent: text\ndata: {"text":"hi"}\n\n');
    expect(events).toEqual([
      { id: '1', event: 'meta', data: '{"a":1}' },
      { id: '2', event: 'text', data: '{"text":"hi"}' },
    ]);
    expect(p.lastEventId).toBe('2');
  });

  test('handles chunks split anywhere, CRLF split across chunks, comments and multi-line data', () => {
    const stream =
      ': keep-alive\r\nid: 7\r\nevent: reasoning\r\ndata: line one\r\ndata: line two\r\n\r\nevent: done\ndata: x\n\n';
    for (let size = 1; size <= stream.length; size++) {
      const p = new SseParser();
      const events = [];
      for (let i = 0; i < stream.length; i += size) events.push(...p.feed(stream.slice(i, i + size)));
      expect(events).toEqual([
        { id: '7', event: 'reasoning', data: 'line one\nline two' },
        { id: '7', event: 'done', data: 'x' },
      ]);
    }
  });

  test('defaults the event name, ignores unknown fields and drops an unterminated event', () => {
    const p = new SseParser();
    expect(p.feed('retry: 10\nfoo: bar\ndata\n\ndata: tail')).toEqual([
      { id: '', event: 'message', data: '' },
    ]);
    expect(p.end()).toEqual([]);
  });

  test('a field without a space after the colon keeps its value', () => {
    const p = new SseParser();
    expect(p.feed('data:{"x":1}\n\n')).toEqual([{ id: '', event: 'message', data: '{"x":1}' }]);
  });
});
