/** The admin page's arena leaderboard: Bradley–Terry ratings with bootstrap 95% intervals and votes. */

import type { ArenaLeaderboard } from '../api/arena.ts';
import { api } from '../api/client.ts';
import { useAsync } from '../components/use-async.ts';
import { useT } from '../i18n/index.ts';
import { useFormat } from '../lib/format.ts';

export function ArenaLeaderboardSection() {
  const t = useT();
  const f = useFormat();
  const { data, error, reload } = useAsync(() => api<ArenaLeaderboard>('/api/admin/arena/leaderboard'));
  return (
    <section className="card arena-leaderboard" aria-labelledby="arena-board-h">
      <h2 id="arena-board-h">{t('arenaLeaderboard')}</h2>
      {error ? <p className="form-error">{error}</p> : null}
      {data ? (
        <>
          <p className="arena-board-note">
            {t('arenaBoardNote', { battles: f.num(data.battles), rounds: f.num(data.bootstrapRounds) })}
          </p>
          {data.models.length === 0 ? (
            <p>{t('arenaNoVotes')}</p>
          ) : (
            <div className="table-wrap">
              <table className="table">
                <thead>
                  <tr>
                    <th>{t('arenaRank')}</th>
                    <th>{t('model')}</th>
                    <th>{t('arenaRating')}</th>
                    <th>{t('arenaInterval')}</th>
                    <th>{t('arenaVotes')}</th>
                    <th>{t('arenaRecord')}</th>
                  </tr>
                </thead>
                <tbody>
                  {data.models.map((m, i) => (
                    <tr key={m.model} data-model={m.model}>
                      <td data-label={t('arenaRank')}>{i + 1}</td>
                      <td data-label={t('model')}>{m.model}</td>
                      <td data-label={t('arenaRating')}>{f.num(Math.round(m.rating))}</td>
                      <td data-label={t('arenaInterval')}>
                        {f.num(Math.round(m.ciLow))}–{f.num(Math.round(m.ciHigh))}
                      </td>
                      <td data-label={t('arenaVotes')} className="arena-votes">
                        {f.num(m.votes)}
                      </td>
                      <td data-label={t('arenaRecord')}>
                        {t('arenaWinsLossesTies', { w: f.num(m.wins), l: f.num(m.losses), t: f.num(m.ties) })}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <button type="button" className="button small" onClick={reload}>
            {t('arenaRefresh')}
          </button>
        </>
      ) : null}
    </section>
  );
}
