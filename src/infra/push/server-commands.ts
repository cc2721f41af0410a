import {PROXY_CONTAINER, PROXY_PROJECT, ROUTER_UNIT} from '../../layout/server.js'
import {ROUTER_PORT} from '../../net/entrypoints.js'

/**
 * Everything push-infra asks of systemd and Docker on a server. Probes are shell snippets that print one word;
 * actions are argv arrays. Tests on a machine without systemd replace them with file-based stand-ins, so the same
 * plan and executor run for real there.
 */
export interface ServerCommands {
  /** Prints `running` when systemd is PID 1's init. */
  systemdProbe: string
  /** Prints listening TCP and bound UDP sockets as `ss -Hltnup` does. */
  listenersProbe: string
  routerEnabledProbe: string
  routerActiveProbe: string
  proxyRunningProbe: string
  daemonReload: string[]
  enableRouter: string[]
  restartRouter: string[]
  recreateProxy: string[]
  /** Waits on the server until the router answers /health (one round trip, loops there). */
  waitRouter: string[]
  /** Waits until the proxy container runs and is still running a moment later (not crash-looping). */
  waitProxy: string[]
}

export const WAIT_ROUTER_SECONDS = 30
export const WAIT_PROXY_SECONDS = 30

function waitLoop(seconds: number, check: string): string[] {
  // Checks every half second; `exit 0` on success, 1 when the time is up.
  return ['sh', '-c', `i=0; while [ "$i" -lt ${seconds * 2} ]; do ${check} && exit 0; sleep 0.5; i=$((i+1)); done; exit 1`]
}

export function defaultServerCommands(composeFile: string, compose: 'v2' | 'v1' | 'none'): ServerCommands {
  const composeArgv = compose === 'v1' ? ['docker-compose'] : ['docker', 'compose']
  const running = `[ "$(docker inspect -f '{{.State.Running}} {{.State.Restarting}}' ${PROXY_CONTAINER} 2>/dev/null)" = "true false" ]`
  return {
    systemdProbe: '[ -d /run/systemd/system ] && echo running || echo absent',
    listenersProbe: 'ss -Hltnup 2>/dev/null',
    routerEnabledProbe: `systemctl is-enabled ${ROUTER_UNIT} 2>/dev/null || true`,
    routerActiveProbe: `systemctl is-active ${ROUTER_UNIT} 2>/dev/null || true`,
    // `true 4242`: running, and its main process (whose PID namespace tells the proxy's listeners from others).
    proxyRunningProbe: `docker inspect -f '{{.State.Running}} {{.State.Pid}}' ${PROXY_CONTAINER} 2>/dev/null || echo missing`,
    daemonReload: ['systemctl', 'daemon-reload'],
    enableRouter: ['systemctl', 'enable', ROUTER_UNIT],
    restartRouter: ['systemctl', 'restart', ROUTER_UNIT],
    recreateProxy: [...composeArgv, '-p', PROXY_PROJECT, '-f', composeFile, 'up', '-d', '--force-recreate', '--remove-orphans'],
    waitRouter: waitLoop(WAIT_ROUTER_SECONDS, `curl -fsS -o /dev/null -m 2 http://127.0.0.1:${ROUTER_PORT}/health`),
    waitProxy: waitLoop(WAIT_PROXY_SECONDS, `${running} && sleep 1 && ${running}`),
  }
}
