import { useEffect, useState } from 'react';
import { api } from '../api/client.ts';
import type { ModelsResponse } from '../api/types.ts';

/**
 * `GET /api/models`, polled again after `nextPollMs(listing)` milliseconds, or not when it says
 * `undefined` (each consumer polls only while the state it shows can change).
 */
export function useModels(nextPollMs: (res: ModelsResponse | undefined) => number | undefined) {
  const [data, setData] = useState<ModelsResponse | undefined>(undefined);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the poll policy is fixed per consumer
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      const res = await api<ModelsResponse>('/api/models').catch(() => undefined);
      if (stopped) return;
      if (res) setData(res);
      const wait = nextPollMs(res);
      if (wait !== undefined) timer = setTimeout(load, wait);
    };
    void load();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, []);
  return data;
}

/** Something on its way (a download, a load): its progress is worth showing. */
export const modelsChanging = (res: ModelsResponse | undefined): boolean =>
  res?.models.some((m) => m.state === 'downloading' || m.state === 'loading') ?? false;
