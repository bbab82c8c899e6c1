/**
 * The tool card of a call that waits for the user: what it asks, the note that the tool changes things,
 * the time left, and "Run" / "Don't run" calling back with the decision. Clicks run in a DOM from
 * linkedom (the tests run in Node without a browser).
 */
import { parseHTML } from 'linkedom';
import { act } from 'react';
import { createRoot } from 'react-dom/client';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, expect, test, vi } from 'vitest';
import type { ToolStep } from '../api/types.ts';
import { I18nContext, translator } from '../i18n/index.ts';
import { ReasoningPanel } from './reasoning-panel.tsx';
import { ToolStepCard } from './tool-step-card.tsx';

const HOSTILE = '<img src=x onerror=alert(1)>';
const NOW = Date.parse('2026-11-29T10:00:00Z');

const waiting: ToolStep = {
  id: 'call_7',
  name: 'mcp_everything_toggle-subscriber-updates',
  arguments: JSON.stringify({ note: HOSTILE }),
  reasoningOffset: 4,
  at: 100,
  confirm: { title: `Toggle ${HOSTILE}`, timeoutMs: 300_000, expiresAt: NOW + 272_500 },
};

afterEach(() => {
  vi.useRealTimers();
});

test('a waiting call: title, arguments, the note, the time left and the two buttons, all as text', () => {
  vi.useFakeTimers({ now: NOW });
  const html = renderToStaticMarkup(<ToolStepCard step={waiting} streaming={true} onConfirm={() => {}} />);
  expect(html).toContain('data-status="waiting"');
  expect(html).toContain('waiting for you');
  expect(html).toContain('Run “Toggle &lt;img src=x onerror=alert(1)&gt;”?');
  expect(html).toContain('This tool changes things (it is not read-only)');
  expect(html).toContain('&quot;note&quot;: &quot;&lt;img src=x onerror=alert(1)&gt;&quot;');
  expect(html).toContain('4:33 left to decide');
  expect(html).toMatch(/<button type="button" class="button primary">Run<\/button>/);
  expect(html).toMatch(/<button type="button" class="button">Don&#x27;t run<\/button>/);
  expect(html).not.toContain('<img');

  // French and Chinese.
  const inLang = (lang: 'fr' | 'zh') =>
    renderToStaticMarkup(
      <I18nContext.Provider value={{ lang, t: translator(lang), setLang: () => undefined }}>
        <ToolStepCard step={waiting} streaming={true} onConfirm={() => {}} />
      </I18nContext.Provider>,
    );
  expect(inLang('fr')).toContain('>Ne pas exécuter</button>');
  expect(inLang('fr')).toContain('encore 4:33 pour décider');
  expect(inLang('zh')).toContain('>不运行</button>');
});

test('a decision sent disables the buttons; the result replaces them; a finished answer asks nothing', () => {
  const sent = renderToStaticMarkup(
    <ToolStepCard
      step={{ ...waiting, confirm: { ...waiting.confirm, decision: 'run' } as ToolStep['confirm'] }}
      streaming={true}
      onConfirm={() => {}}
    />,
  );
  expect(sent).toContain('data-status="running"');
  expect(sent).toMatch(/<button type="button" class="button primary" disabled="">Run<\/button>/);
  expect(sent).not.toContain('left to decide');

  const { confirm: _, ...plain } = waiting;
  const declined = renderToStaticMarkup(
    <ToolStepCard
      step={{
        ...plain,
        result: { content: 'error: the user declined to run this tool', isError: true, ms: 0 },
      }}
      streaming={true}
      onConfirm={() => {}}
    />,
  );
  expect(declined).toContain('data-status="error"');
  expect(declined).toContain('declined');
  expect(declined).not.toContain('>Run<');

  // Not streaming any more: no buttons even if a confirm lingered.
  const over = renderToStaticMarkup(<ToolStepCard step={waiting} streaming={false} onConfirm={() => {}} />);
  expect(over).toContain('data-status="missing"');
  expect(over).not.toContain('tool-step-confirm');
});

test('the reasoning panel stays open while a call waits, even folded by hand or once answering', () => {
  const html = renderToStaticMarkup(
    <ReasoningPanel
      messageId="m-wait"
      reasoning="Let me toggle it."
      toolSteps={[waiting]}
      streaming={true}
      answering={true}
      onConfirmTool={() => {}}
    />,
  );
  expect(html).toContain('aria-expanded="true"');
  expect(html).not.toMatch(/class="reasoning-body" hidden=""/);
  expect(html).toContain('>Run</button>');
});

test('clicking Run and Don’t run calls back with the call id and the decision', async () => {
  const { window, document } = parseHTML('<!doctype html><html><body><div id="root"></div></body></html>');
  const g = globalThis as Record<string, unknown>;
  const saved = {
    window: g.window,
    document: g.document,
    IS_REACT_ACT_ENVIRONMENT: g.IS_REACT_ACT_ENVIRONMENT,
  };
  Object.assign(g, { window, document, IS_REACT_ACT_ENVIRONMENT: true });
  const decisions: Array<[string, boolean]> = [];
  const container = document.getElementById('root') as unknown as HTMLElement;
  const root = createRoot(container);
  try {
    await act(async () => {
      root.render(
        <ReasoningPanel
          messageId="m1"
          reasoning="Toggle?"
          toolSteps={[waiting]}
          streaming={true}
          answering={false}
          onConfirmTool={(messageId, callId, approve) => {
            expect(messageId).toBe('m1');
            decisions.push([callId, approve]);
          }}
        />,
      );
    });
    const button = (label: string) =>
      [...container.querySelectorAll('button')].find((b) => b.textContent === label) as HTMLButtonElement;
    expect(button('Run')).toBeDefined();
    expect(button("Don't run")).toBeDefined();
    await act(async () => {
      button('Run').dispatchEvent(new window.Event('click', { bubbles: true }));
    });
    await act(async () => {
      button("Don't run").dispatchEvent(new window.Event('click', { bubbles: true }));
    });
    expect(decisions).toEqual([
      ['call_7', true],
      ['call_7', false],
    ]);
  } finally {
    await act(async () => root.unmount());
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete g[key];
      else g[key] = value;
    }
  }
});
