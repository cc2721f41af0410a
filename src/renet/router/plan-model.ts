/**
 * What a plan is (one container's piece of the dynamic configuration) and the few helpers every planning step
 * shares: plan.ts makes plans, label-defaults.ts and label-isolation.ts fill them from labels, build.ts joins them.
 */
import type {ContainerInfo, Refusal, RefusalReason} from './types.js'

export interface PlanSettings {
  baseDomain: string | null
  entrypoints: string[]
  /** websecure / websecure-v6, whichever exist. */
  httpsEntrypoints: string[]
  certResolver: string
  /** This machine's own addresses and names (forwardAuth may not point at them); the route server fills them in. */
  localAddresses?: readonly string[]
  localNames?: readonly string[]
}

export type Obj = Record<string, any>

export interface PlannedRouter {
  protocol: 'http' | 'tcp' | 'udp'
  /** Name served to Traefik. */
  name: string
  /** Name as written in the labels (or the automatic name). */
  labelName: string
  router: Obj
  /** Hostnames the rule can match (http/tcp); '*' for a TCP catch-all. */
  hosts: string[]
  /** TCP/UDP router without entry points: gets a dynamic port in build.ts. */
  needsPort: boolean
}

export interface Plan {
  container: ContainerInfo
  networkId: number
  source: 'auto' | 'labels'
  routers: PlannedRouter[]
  services: {http: Obj; tcp: Obj; udp: Obj}
  middlewares: {http: Obj; tcp: Obj}
  refusals: Refusal[]
  /** Set when the container gives nothing at all. */
  skipped: string | null
  /** Notes on routers Traefik would drop too (no rule, too many services), shown as skipped reasons. */
  notes: string[]
}

export function uniqueName(name: string, networkId: number): string {
  return `${name}-${networkId}`
}

export function hasAny(o: Obj | undefined): boolean {
  return o !== undefined && Object.keys(o).length > 0
}

/** The entry point names of a settings object as a set, made once per settings object. */
const entrypointSets = new WeakMap<PlanSettings, ReadonlySet<string>>()

export function entrypointSet(s: PlanSettings): ReadonlySet<string> {
  let set = entrypointSets.get(s)
  if (set === undefined) {
    set = new Set(s.entrypoints)
    entrypointSets.set(s, set)
  }

  return set
}

// Module functions rather than closures made per container: the build plans a thousand containers at once.
export function refuse(plan: Plan, kind: RefusalReason, reason: string, object?: string): void {
  const c = plan.container
  plan.refusals.push({container: c.name, containerId: c.id, networkId: plan.networkId, kind, reason, ...(object === undefined ? {} : {object})})
}

/** Thrown by a planning step to refuse one object (or the whole container's labels); caught and recorded by plan.ts. */
export class Refused extends Error {
  constructor(
    readonly kind: RefusalReason,
    message: string,
    readonly object?: string,
  ) {
    super(message)
  }
}
