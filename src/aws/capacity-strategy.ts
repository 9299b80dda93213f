import type { CapacityProviderStrategyItem } from '@aws-sdk/client-ecs';
import type { ServiceSpec } from '../config/schema.js';

/** Fargate Spot's price against on-demand, for the estimate: AWS advertises "up to 70% off"; the discount varies. */
export const SPOT_PRICE_RATIO = 0.3;

/** All on-demand, as a strategy: what a service created with one goes back to when its `capacity` is removed. */
export const ON_DEMAND_ONLY: CapacityProviderStrategyItem[] = [{ capacityProvider: 'FARGATE', weight: 1, base: 0 }];

/**
 * The capacity provider strategy for `capacity`: `base` tasks on FARGATE first, the rest split by weight between
 * FARGATE and FARGATE_SPOT. Only one provider of a strategy may have a base (the CapacityProviderStrategyItem data
 * type), so it is FARGATE's; a provider with no weight and no base is left out.
 */
export function capacityStrategy(c: NonNullable<ServiceSpec['capacity']>): CapacityProviderStrategyItem[] {
  const out: CapacityProviderStrategyItem[] = [];
  if (c.onDemand > 0 || c.base > 0) out.push({ capacityProvider: 'FARGATE', weight: c.onDemand, base: c.base });
  if (c.spot > 0) out.push({ capacityProvider: 'FARGATE_SPOT', weight: c.spot, base: 0 });
  return out;
}

/** A strategy as one comparable string (providers in order, weight and base). */
export const strategyKey = (s: readonly CapacityProviderStrategyItem[] | undefined) =>
  (s ?? [])
    .map((i) => `${i.capacityProvider}:${i.weight ?? 0}:${i.base ?? 0}`)
    .sort()
    .join(',');

/** Of `count` tasks, how many run on Spot: `base` on-demand first, the rest by weight. */
export function spotShare(c: NonNullable<ServiceSpec['capacity']>, count: number): number {
  const rest = Math.max(0, count - c.base);
  return c.spot + c.onDemand > 0 ? (rest * c.spot) / (c.spot + c.onDemand) : 0;
}
