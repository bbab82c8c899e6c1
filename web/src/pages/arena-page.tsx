/**
 * The arena: ask once, two anonymous models answer side by side (both streaming, reasoning included),
 * vote, then see which model wrote which. The page knows the models only from the vote's answer.
 */
import { useCallback, useEffect, useState } from 'react';
import {
  type ArenaBattleView,
  type ArenaSide,
  type ArenaVote,
  getBattle,
  vote as sendVote,
  startBattle,
  stopSide,
} from '../api/arena.ts';
import type { Effort } from '../api/types.ts';
import { type ArenaSideState, useArenaSide } from '../chat/use-arena-side.ts';
import { Markdown } from '../components/markdown.tsx';
import { PageShell } from '../components/page-shell.tsx';
import { ReasoningPanel } from '../components/reasoning-panel.tsx';
import { ThinkingChoice } from '../components/thinking-choice.tsx';
import { useT } from '../i18n/index.ts';
import { navigate } from '../lib/router.ts';

const VOTES: ReadonlyArray<{
  vote: ArenaVote;
  key: 'arenaVoteA' | 'arenaVoteB' | 'arenaVoteTie' | 'arenaVoteBad';
}> = [
  { vote: 'a', key: 'arenaVoteA' },
  { vote: 'b', key: 'arenaVoteB' },
  { vote: 'tie', key: 'arenaVoteTie' },
  { vote: 'both_bad', key: 'arenaVoteBad' },
];

function SideColumn(props: {
  side: ArenaSide;
  state: ArenaSideState | undefined;
  model: string | undefined;
  onStop: () => void;
}) {
  const t = useT();
  const { side, state, model } = props;
  const message = state?.message;
  const streaming = message?.status === 'streaming' && !state?.done;
  const label = side === 'a' ? t('arenaModelA') : t('arenaModelB');
  return (
    <section className="arena-side card" aria-label={label} data-side={side}>
      <header className="arena-side-header">
        <h2>
          {label}
          {model ? <span className="arena-model"> · {model}</span> : null}
        </h2>
        {streaming ? (
          <button type="button" className="button small arena-stop" onClick={props.onStop}>
            {t('stop')}
          </button>
        ) : null}
      </header>
      {state?.queued && !message?.reasoning && !message?.content ? (
        <output className="queued" aria-live="polite">
          {t('queued', { position: state.queued.position })}
        </output>
      ) : null}
      {message?.reasoning ? (
        <ReasoningPanel
          messageId={message.id}
          reasoning={message.reasoning}
          streaming={streaming}
          answering={message.content.length > 0}
          reasoningMs={message.reasoningMs}
        />
      ) : null}
      {message?.content ? (
        <div className="arena-answer">
          <Markdown text={message.content} />
        </div>
      ) : null}
      {streaming && !message?.content && !message?.reasoning && !state?.queued ? (
        <span className="typing" role="status" aria-label={t('loading')} />
      ) : null}
      {message?.status === 'error' ? (
        <p className="status-note status-error" role="alert">
          {t('generationFailed', { error: message.error ?? '' })}
        </p>
      ) : null}
      {message?.status === 'cancelled' ? <p className="status-note">{t('stopped')}</p> : null}
    </section>
  );
}

export function ArenaPage(props: { battleId?: string }) {
  const t = useT();
  const [battle, setBattle] = useState<ArenaBattleView | undefined>(undefined);
  const [draft, setDraft] = useState('');
  const [busy, setBusy] = useState(false);
  const [deepThink, setDeepThink] = useState(true);
  const [effort, setEffort] = useState<Effort>('medium');
  const [error, setError] = useState<string | undefined>(undefined);
  const battleId = props.battleId;

  useEffect(() => {
    setError(undefined);
    if (!battleId) {
      setBattle(undefined);
      return;
    }
    let live = true;
    getBattle(battleId)
      .then((b) => live && setBattle(b))
      .catch((err: Error) => live && setError(err.message));
    return () => {
      live = false;
    };
  }, [battleId]);

  const shownId = battle && battle.id === battleId ? battle.id : undefined;
  const a = useArenaSide(shownId, 'a');
  const b = useArenaSide(shownId, 'b');
  const bothDone = Boolean(a?.done && b?.done);

  // Both sides ended: the server says whether the battle can be rated.
  useEffect(() => {
    if (!bothDone || !shownId) return;
    let live = true;
    getBattle(shownId)
      .then((fresh) => live && setBattle(fresh))
      .catch(() => {});
    return () => {
      live = false;
    };
  }, [bothDone, shownId]);

  const ask = useCallback(async () => {
    const content = draft.trim();
    if (!content || busy) return;
    setBusy(true);
    setError(undefined);
    try {
      const started = await startBattle(content, deepThink ? { enabled: true, effort } : { enabled: false });
      setBattle(started);
      setDraft('');
      navigate(`/arena/${encodeURIComponent(started.id)}`);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }, [draft, busy, deepThink, effort]);

  const onVote = useCallback(
    async (choice: ArenaVote) => {
      if (!battle) return;
      setBusy(true);
      try {
        setBattle(await sendVote(battle.id, choice));
      } catch (err) {
        setError((err as Error).message);
      } finally {
        setBusy(false);
      }
    },
    [battle],
  );

  const stop = (side: ArenaSide) => {
    if (battle) void stopSide(battle.id, side).catch((err: Error) => setError(err.message));
  };

  const revealed = battle?.vote != null;
  const canVote = Boolean(battle?.canVote && bothDone && !revealed);
  return (
    <PageShell title={t('arena')}>
      <p className="arena-intro">{t('arenaIntro')}</p>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      {shownId && battle ? (
        <>
          <section className="card arena-prompt" aria-label={t('arenaQuestion')}>
            <Markdown text={battle.prompt} />
          </section>
          <div className="arena-sides">
            <SideColumn side="a" state={a} model={battle.sides[0].model} onStop={() => stop('a')} />
            <SideColumn side="b" state={b} model={battle.sides[1].model} onStop={() => stop('b')} />
          </div>
          {revealed ? (
            <section className="card arena-reveal" aria-live="polite">
              <p>
                {t('arenaRevealed', {
                  a: battle.sides[0].model ?? '',
                  b: battle.sides[1].model ?? '',
                })}
              </p>
              <button type="button" className="button primary" onClick={() => navigate('/arena')}>
                {t('arenaNew')}
              </button>
            </section>
          ) : (
            <section className="arena-vote" aria-label={t('arenaVote')}>
              <div className="arena-vote-buttons">
                {VOTES.map((v) => (
                  <button
                    key={v.vote}
                    type="button"
                    className="button"
                    disabled={!canVote || busy}
                    onClick={() => void onVote(v.vote)}
                  >
                    {t(v.key)}
                  </button>
                ))}
              </div>
              <p className="arena-vote-hint">
                {!bothDone || battle.voteBlocked === 'streaming'
                  ? t('arenaWaitBoth')
                  : battle.voteBlocked === 'no_answer'
                    ? t('arenaNoAnswer')
                    : t('arenaVoteHint')}
              </p>
              {battle.voteBlocked === 'no_answer' && bothDone ? (
                <button type="button" className="button" onClick={() => navigate('/arena')}>
                  {t('arenaNew')}
                </button>
              ) : null}
            </section>
          )}
        </>
      ) : battleId ? null : (
        <form
          className="composer arena-composer"
          onSubmit={(e) => {
            e.preventDefault();
            void ask();
          }}
        >
          <textarea
            className="composer-input"
            aria-label={t('arenaQuestion')}
            placeholder={t('arenaPlaceholder')}
            value={draft}
            rows={3}
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
                e.preventDefault();
                void ask();
              }
            }}
          />
          <div className="composer-bar">
            <ThinkingChoice
              deepThink={deepThink}
              onDeepThink={setDeepThink}
              effort={effort}
              onEffort={setEffort}
            />
            <span className="spacer" />
            <button type="submit" className="button primary" disabled={busy || !draft.trim()}>
              {t('arenaAsk')}
            </button>
          </div>
        </form>
      )}
    </PageShell>
  );
}
