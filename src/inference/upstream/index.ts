/**
 * Public API of the OpenAI-compatible upstreams (design §1, §3): one upstream as a Provider, and a pool of
 * upstreams (routing, queueing, failover, circuit breakers, health checks) as a Provider. One pool over all
 * configured upstreams is enough: it routes each model only to the members that serve it.
 */

export { createUpstreamPool, type UpstreamPool, type UpstreamPoolOptions } from './pool.ts';
export type { CircuitState, PoolMemberStatus } from './pool-member.ts';
export {
  createUpstreamProvider,
  type ProbeResult,
  type UpstreamLogger,
  type UpstreamProvider,
  type UpstreamProviderOptions,
} from './provider.ts';
