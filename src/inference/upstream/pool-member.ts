/**
 * One member of an upstream pool: its provider, what it serves, its health-check verdict, its in-flight
 * count and its circuit breaker.
 *
 * Circuit breaker: `closed` (normal) → `open` after `failureThreshold` consecutive failed requests (no
 * traffic) → after `cooldownMs` one request may go through as a probe (`half-open`) → `closed` when the
 * probe succeeds, `open` again (new cooldown) when it fails.
 */
import type { UpstreamProvider } from './provider.ts';

export type CircuitState = 'closed' | 'open' | 'half-open';

/** What the admin page and metrics see of a member: no API key, no URL credentials. */
export interface PoolMemberStatus {
  id: string;
  /** Base URL without credentials or query. */
  baseUrl: string;
  models: string[];
  healthy: boolean;
  outstanding: number;
  /** `null` when unlimited. */
  maxConcurrent: number | null;
  circuit: CircuitState;
  consecutiveFailures: number;
  /** The last failure (request or health check), already free of secrets. */
  lastError?: string;
}

export interface CircuitOptions {
  failureThreshold: number;
  cooldownMs: number;
}

export class PoolMember {
  /** Known models: configured, or from the last successful `GET /models`. */
  models: string[] | undefined;
  healthy = true;
  outstanding = 0;
  lastError: string | undefined;
  private failures = 0;
  private circuit: CircuitState = 'closed';
  private openedAt = 0;

  constructor(
    readonly provider: UpstreamProvider,
    private readonly circuitOptions: CircuitOptions,
  ) {
    this.models = provider.configuredModels ? [...provider.configuredModels] : undefined;
  }

  get id(): string {
    return this.provider.id;
  }

  get maxConcurrent(): number {
    return this.provider.maxConcurrent ?? Number.POSITIVE_INFINITY;
  }

  get hasCapacity(): boolean {
    return this.outstanding < this.maxConcurrent;
  }

  serves(model: string): boolean {
    return this.models?.includes(model) ?? false;
  }

  /** The circuit as it is now: an open circuit past its cooldown reads `half-open` (a probe may go). */
  circuitState(now = Date.now()): CircuitState {
    if (this.circuit === 'open' && now - this.openedAt >= this.circuitOptions.cooldownMs) return 'half-open';
    return this.circuit;
  }

  /** Whether the circuit lets a request through now (a closed circuit, or a probe nobody is running yet). */
  get admits(): boolean {
    return this.circuit === 'closed' || (this.circuit === 'open' && this.circuitState() === 'half-open');
  }

  /** Whether waiting for this member makes sense (it admits, or its probe is running and may close it). */
  get mayAdmitSoon(): boolean {
    return this.admits || this.circuit === 'half-open';
  }

  /** Marks a request as started on this member; an open circuit past its cooldown becomes the probe. */
  take(): void {
    this.outstanding++;
    if (this.circuit === 'open') this.circuit = 'half-open';
  }

  release(): void {
    this.outstanding--;
  }

  recordSuccess(): void {
    this.failures = 0;
    this.circuit = 'closed';
  }

  /** Returns `true` when this failure opened the circuit. */
  recordFailure(error: string | undefined): boolean {
    this.failures++;
    if (error) this.lastError = error;
    if (
      this.circuit === 'half-open' ||
      (this.circuit === 'closed' && this.failures >= this.circuitOptions.failureThreshold)
    ) {
      this.circuit = 'open';
      this.openedAt = Date.now();
      return true;
    }
    return false;
  }

  /** A request that ended neither way (cancelled, rejected as a client error): a probe may be retried. */
  recordNeutral(): void {
    if (this.circuit === 'half-open') this.circuit = 'open';
  }

  status(): PoolMemberStatus {
    return {
      id: this.id,
      baseUrl: this.provider.displayUrl,
      models: [...(this.models ?? [])],
      healthy: this.healthy,
      outstanding: this.outstanding,
      maxConcurrent: Number.isFinite(this.maxConcurrent) ? this.maxConcurrent : null,
      circuit: this.circuitState(),
      consecutiveFailures: this.failures,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }
}
