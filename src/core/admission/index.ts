export {
  type Capacity,
  type CapacityOptions,
  createCapacity,
  DEFAULT_UPSTREAM_CONCURRENCY,
  defaultCapacity,
} from './capacity.ts';
export { type Clock, ManualClock, systemClock, type TimerHandle } from './clock.ts';
export {
  AdmissionController,
  type AdmissionControllerOptions,
  type AdmissionPlan,
  type AdmissionRequest,
  type AdmissionStats,
  type AdmitOptions,
  type QueueUpdate,
  type Ticket,
} from './controller.ts';
export {
  AdmissionError,
  type AdmissionErrorCode,
  type AdmissionErrorDetails,
  isAdmissionError,
  type QuotaLimit,
  toRetryAfterSeconds,
} from './errors.ts';
export type { AdmissionObserver } from './observer.ts';
