import { renderToStaticMarkup } from 'react-dom/server';
import { expect, test } from 'vitest';
import type { ModelsResponse, ToolInfo, ToolStep } from '../api/types.ts';
import { I18nContext, translator } from '../i18n/index.ts';
import { ReasoningPanel } from './reasoning-panel.tsx';
import { ToolStepCard } from './tool-step-card.tsx';
import { ToolsMenu } from './tools-menu.tsx';
import { toolsFor } from './use-tools.ts';

const steps: ToolStep[] = [
  {
    id: 'call_1',
    name: 'current_time',
    arguments: '{"tz":"Europe/Paris"}',
    reasoningOffset: 8,
    at: 500,
    result: { content: '2026-11-29T10:00:00+01:00', isError: false, ms: 42 },
  },
  {
    id: 'call_2',
    name: 'current_time',
    arguments: '<img src=x onerror=alert(1)>',
    reasoningOffset: 99,
    at: 900,
  },
];

const panel = (streaming: boolean, answering: boolean) =>
  renderToStaticMarkup(
    <ReasoningPanel
      messageId="m1"
      reasoning="Let me check. Then answer."
      toolSteps={steps}
      streaming={streaming}
      answering={answering}
      reasoningMs={12_300}
    />,
  );

test('folded after the answer: the summary counts the tool calls', () => {
  const html = panel(false, true);
  expect(html).toContain('Thought for 12 s · 2 tool calls');
  expect(html).toMatch(/class="reasoning-body" hidden=""/);
});

test('the body is a timeline: reasoning, the call card, reasoning, and a call clamped to the end', () => {
  const html = panel(true, false);
  const order = ['Let me c', 'current_time', 'heck. Then answer.', '&lt;img src=x onerror=alert(1)&gt;'];
  const at = order.map((s) => html.indexOf(s));
  expect(at.every((i) => i >= 0)).toBe(true);
  expect([...at].sort((a, b) => a - b)).toEqual(at);
  // Untrusted arguments are text, never markup.
  expect(html).not.toContain('<img');
  // The first call is done (its time), the second still runs.
  expect(html).toContain('42 ms');
  expect(html).toContain('running…');
  expect(html).toContain('data-status="running"');
  expect(html).toContain('Thinking… · 2 tool calls');
});

test('a card: pretty JSON arguments, a folded one-line result, errors marked, long text cut', () => {
  const html = renderToStaticMarkup(<ToolStepCard step={steps[0] as ToolStep} streaming={false} />);
  expect(html).toContain('{\n  &quot;tz&quot;: &quot;Europe/Paris&quot;\n}');
  expect(html).toContain('aria-expanded="false"');
  expect(html).toContain('class="tool-step-preview"');
  expect(html).not.toContain('tool-step-output');

  const long = 'x'.repeat(5000);
  const failed = renderToStaticMarkup(
    <ToolStepCard
      step={
        {
          ...steps[0],
          arguments: long,
          result: { content: `**bold** ${long}`, isError: true, ms: 2500 },
        } as ToolStep
      }
      streaming={false}
    />,
  );
  expect(failed).toContain('data-status="error"');
  expect(failed).toContain('tool-step-error');
  expect(failed).toContain('Error');
  expect(failed).toContain('2.5 s');
  expect(failed).toContain('**bold**');
  expect(failed).not.toContain('<strong>');
  expect(failed).toContain('… 4600 more characters');
  expect(failed.length).toBeLessThan(2000);

  // Cut off before the tool answered: no "running…" once the message is settled.
  const missing = renderToStaticMarkup(<ToolStepCard step={steps[1] as ToolStep} streaming={false} />);
  expect(missing).toContain('no result');
});

test('the summary follows the UI language', () => {
  const html = renderToStaticMarkup(
    <I18nContext.Provider value={{ lang: 'fr', t: translator('fr'), setLang: () => undefined }}>
      <ReasoningPanel
        messageId="m2"
        reasoning="r"
        toolSteps={steps.slice(0, 1)}
        streaming={false}
        answering
        reasoningMs={3000}
      />
    </I18nContext.Provider>,
  );
  expect(html).toContain('Réflexion pendant 3 s · 1 appel d&#x27;outil');
});

const tools: ToolInfo[] = [
  { name: 'current_time', title: 'Current time', description: 'The date and time now', readOnly: true },
];

test('the Tools control is offered only for a model that supports tools, and counts the chosen ones', () => {
  const models = (supportsTools?: boolean): ModelsResponse => ({
    models: [
      {
        id: 'a',
        provider: 'embedded',
        state: 'ready',
        ...(supportsTools === undefined ? {} : { supportsTools }),
      },
      { id: 'b', provider: 'embedded', state: 'ready', supportsTools: true },
    ],
    defaultModel: 'a',
  });
  expect(toolsFor(models(true), undefined, tools)).toEqual(tools);
  expect(toolsFor(models(undefined), undefined, tools)).toEqual([]);
  expect(toolsFor(models(false), 'b', tools)).toEqual(tools);
  expect(toolsFor(models(false), 'gone', tools)).toEqual([]);
  expect(toolsFor(models(true), undefined, [])).toEqual([]);
  expect(toolsFor(undefined, undefined, tools)).toEqual([]);
  expect(toolsFor(models(true), undefined, undefined)).toEqual([]);

  const none = renderToStaticMarkup(<ToolsMenu tools={tools} selected={[]} onChange={() => undefined} />);
  expect(none).toContain('>Tools<');
  expect(none).not.toContain('chip-on');
  const one = renderToStaticMarkup(
    <ToolsMenu tools={tools} selected={['current_time', 'gone']} onChange={() => undefined} />,
  );
  expect(one).toContain('Tools · 1');
  expect(one).toContain('chip-on');
});
