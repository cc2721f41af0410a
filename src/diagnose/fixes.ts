/** Fix texts shared by several checks, so the same problem always gets the same words and command. */
import {daemonDockerHost, PROXY_CONTAINER} from '../layout/server.js'

export const pushInfra = (machine: string): string => `rdc context push-infra ${machine}`

export const restartRouter = 'sudo systemctl restart rediacc-router'

export const routerLogs = 'sudo journalctl -u rediacc-router -n 50'

export const proxyLogs = `sudo docker logs ${PROXY_CONTAINER} --since 10m`

export function setTcpPorts(machine: string, ports: readonly number[]): string {
  return `rdc context set-infra ${machine} --tcp-ports ${ports.join(',')} && ${pushInfra(machine)}`
}

export function setUdpPorts(machine: string, ports: readonly number[]): string {
  return `rdc context set-infra ${machine} --udp-ports ${ports.join(',')} && ${pushInfra(machine)}`
}

/** Docker sockets are root's: a login that is neither root nor allowed passwordless sudo cannot read them. */
export const socketAccess = 'log in as root, or allow the SSH user passwordless sudo (diagnose reads the Docker sockets through sudo -n)'

export function daemonPs(networkId: number | undefined): string {
  return `sudo DOCKER_HOST=${daemonDockerHost(networkId ?? '<id>')} docker ps`
}

/**
 * The ssh command that tries the same login by hand: `deploy@203.0.113.50:2222` → `ssh -p 2222 deploy@203.0.113.50`.
 * The target is diagnose's user@host:port (an IPv6 host unbracketed, which is how ssh takes it after user@).
 */
export function sshCommand(target: string): string {
  const m = /^(.+):(\d{1,5})$/.exec(target)
  return m ? `ssh -p ${m[2]} ${m[1]}` : `ssh ${target}`
}
