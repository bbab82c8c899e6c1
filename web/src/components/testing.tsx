/**
 * Shared by the component tests (never imported by the app): static renders of a finished assistant
 * answer and of the composer with every required prop filled, so each test states only what it varies.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import type { Message, ToolStep } from '../api/types.ts';
import { Composer, type ComposerProps } from './composer.tsx';
import { MessageRow } from './message-row.tsx';

/** The markup of a complete assistant message whose turn ran `toolSteps`. */
export function renderAnswer(content: string, toolSteps: ToolStep[]): string {
  const message = {
    id: 'm1',
    role: 'assistant',
    parentId: 'u1',
    content,
    reasoning: '',
    status: 'complete',
    toolSteps,
    createdAt: 0,
  } as unknown as Message;
  return renderToStaticMarkup(
    <MessageRow
      message={message}
      siblingIndex={1}
      siblingCount={1}
      busy={false}
      onSelect={() => {}}
      onEdit={() => {}}
      onRegenerate={() => {}}
      onContinue={() => {}}
      onAnswerNow={() => {}}
    />,
  );
}

/** An idle composer: deep think on at medium effort, no model, tool, search or documents. */
export const COMPOSER_BASE: ComposerProps = {
  busy: false,
  onSend: async () => true,
  onStop: () => {},
  deepThink: true,
  onDeepThink: () => {},
  effort: 'medium',
  onEffort: () => {},
  model: undefined,
  onModel: () => {},
  tools: [],
  selectedTools: [],
  onTools: () => {},
};

/** The markup of the composer with `over` on top of {@link COMPOSER_BASE}. */
export const renderComposer = (over: Partial<ComposerProps> = {}): string =>
  renderToStaticMarkup(<Composer {...COMPOSER_BASE} {...over} />);
