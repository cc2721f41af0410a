/** The remote work of `rdc routes` as data: the route server's /routes.json, then one `renet probe` for the certificates. */
import {RENET_LAUNCHER_PATH} from '../layout/server.js'
import type {RemoteStep} from '../remote/step.js'
import type {ProbeSpec, TlsCheck} from '../renet/probe/types.js'

export {routesStep} from '../deploy/steps.js'

/** The certificate the proxy serves for each name, read at the address its HTTPS entry point binds. */
export function certificatesStep(names: readonly string[], address: string, port = 443): RemoteStep {
  const checks: TlsCheck[] = names.map((name) => ({id: `tls:${name}`, kind: 'tls', host: address, port, servername: name}))
  const spec: ProbeSpec = {timeoutMs: 3000, checks}
  return {label: 'certificates', argv: [RENET_LAUNCHER_PATH, 'probe', '--json', JSON.stringify(spec)], timeoutMs: 30_000}
}
