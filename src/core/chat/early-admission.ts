/**
 * Admission before anything is stored: a refusal known at once is answered as an error, and queue
 * positions reported before the generation has an event log are kept until it has one.
 */

import type { AdmissionGrant } from '../inference-gateway.ts';
import type { GenerationEventLog } from './event-log.ts';

export interface EarlyAdmission {
  grant: Promise<AdmissionGrant>;
  /** The generation's log is open: writes the positions held so far, and later ones go straight to it. */
  attach(generationId: string): Promise<void>;
}

/** Resolves once admitted or queued (rejects when refused at once). */
export async function admitEarly(
  acquire: (wait: {
    signal: AbortSignal;
    onQueued: (position: number, etaMs?: number) => void;
  }) => Promise<AdmissionGrant>,
  signal: AbortSignal,
  log: GenerationEventLog,
): Promise<EarlyAdmission> {
  const early: Array<{ position: number; etaMs?: number }> = [];
  let generationId: string | null = null;
  let signalQueued: () => void = () => {};
  const queued = new Promise<void>((resolve) => {
    signalQueued = resolve;
  });
  const grant = acquire({
    signal,
    onQueued: (position, etaMs) => {
      const q = etaMs === undefined ? { position } : { position, etaMs };
      if (generationId === null) early.push(q);
      else void log.append(generationId, { type: 'queued', data: q });
      signalQueued();
    },
  });
  await Promise.race([grant, queued]);
  return {
    grant,
    async attach(id) {
      generationId = id;
      for (const q of early) await log.append(id, { type: 'queued', data: q });
    },
  };
}
