export { type Plan, PlanCatalog } from './plans.ts';
export {
  QuotaService,
  type QuotaServiceOptions,
  type UsageMeter,
  type UsageSource,
  utcDayStart,
} from './quota-service.ts';
