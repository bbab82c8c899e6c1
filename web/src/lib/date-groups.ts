/** Groups conversations for the sidebar by local calendar day: Today, Yesterday, Previous 7 days, Older. */

export type DateGroup = 'today' | 'yesterday' | 'previous7' | 'older';
export const DATE_GROUPS: readonly DateGroup[] = ['today', 'yesterday', 'previous7', 'older'];

function startOfDay(d: Date): number {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

export function dateGroup(iso: string, now: Date): DateGroup {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return 'older';
  const today = startOfDay(now);
  // Day arithmetic through Date handles DST days that are 23 or 25 hours long.
  const yesterday = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1).getTime();
  const weekAgo = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 7).getTime();
  if (t >= today) return 'today';
  if (t >= yesterday) return 'yesterday';
  if (t >= weekAgo) return 'previous7';
  return 'older';
}

/** Groups items (already sorted newest first) by `updatedAt`, keeping order; empty groups are omitted. */
export function groupByDate<T extends { updatedAt: string }>(
  items: readonly T[],
  now: Date,
): { group: DateGroup; items: T[] }[] {
  const buckets = new Map<DateGroup, T[]>();
  for (const item of items) {
    const g = dateGroup(item.updatedAt, now);
    const list = buckets.get(g);
    if (list) list.push(item);
    else buckets.set(g, [item]);
  }
  return DATE_GROUPS.flatMap((group) => {
    const list = buckets.get(group);
    return list ? [{ group, items: list }] : [];
  });
}
