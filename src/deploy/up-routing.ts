/**
 * `rdc repo up`'s last step: read what got routed, print it, and decide the exit code. A container that asked
 * for routes (traefik.enable=true) and got none fails the deploy (exit `unrouted`) unless allowUnrouted; a
 * --wait-https that runs out fails it too (exit `failure`).
 */
import {FailureError, type RdcError, type RdcErrorJson, UnroutedError} from '../errors.js'
import {connectMachine} from '../remote/connect.js'
import type {RepoTarget} from './repositories.js'
import {routingAfterUp, type RoutingReport} from './routed.js'
import {formatRouting} from './routed-format.js'

export interface UpRoutingOptions {
  target: RepoTarget
  allowUnrouted?: boolean
  /** Seconds to wait for valid certificates; undefined = do not wait. */
  waitHttpsSeconds?: number
  log: (text: string) => void
  progress?: (line: string) => void
}

export async function upRouting(o: UpRoutingOptions): Promise<{routing: RoutingReport; error?: RdcError; errorJson?: RdcErrorJson}> {
  const {target} = o
  const routing = await routingAfterUp({
    target,
    connect: () => connectMachine(target.machineName, target.machine, target.context),
    waitHttpsMs: o.waitHttpsSeconds === undefined ? undefined : o.waitHttpsSeconds * 1000,
    progress: o.progress,
  })
  o.log(`\n${formatRouting(routing)}`)
  let error: RdcError | undefined
  if (routing.unrouted.length > 0 && !o.allowUnrouted) {
    error = new UnroutedError(`${target.machineName}: ${target.name} is up, but ${routing.unrouted.join(', ')} asked for routes (traefik.enable=true) and got none.`, {
      suggestion: 'Fix the labels named above and run rdc repo up again, or pass --allow-unrouted to accept it.',
    })
  } else if (routing.https !== undefined && !routing.https.ok) {
    const pending = routing.https.hosts.filter((h) => h.status !== 'valid')
    error = new FailureError(`${target.machineName}: no valid certificate after ${Math.round(routing.https.waitedMs / 1000)} s for ${pending.map((h) => `${h.name} (${h.detail})`).join('; ')}.`, {
      suggestion: `See why: rdc diagnose ${target.machineName}; a longer wait: --wait-https-timeout <seconds>.`,
    })
  }

  return error === undefined ? {routing} : {routing, error, errorJson: error.toJSON()}
}
