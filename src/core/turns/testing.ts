/** Test helper (not used at runtime): a turn pipeline over `gateway` with the default plans. */
import { configSchema } from '../../config/schema.ts';
import type { InferenceGateway } from '../inference-gateway.ts';
import { PlanCatalog } from '../quotas/plans.ts';
import { type PonderTool, ToolRegistry } from './tool-registry.ts';
import { TurnPipeline } from './turn-pipeline.ts';

export function testPipeline(gateway: InferenceGateway, tools: PonderTool[] = []): TurnPipeline {
  const config = configSchema.parse({});
  return new TurnPipeline({
    gateway,
    plans: new PlanCatalog(config.plans, config.defaultPlan),
    tools: new ToolRegistry(tools),
  });
}
