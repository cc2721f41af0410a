import {RemoteError} from '../../errors.js'
import {type RemoteStep, scriptStep} from '../../remote/step.js'
import type {ServerCommands} from './server-commands.js'
import type {RemoteState, Service} from './types.js'

/**
 * One remote command that reports everything a plan needs: tools present, service state, push-infra's pending
 * actions, a hash (or link target) for every target path, and the listening sockets. One round trip, so a
 * no-op push costs a single command.
 */
const PROBE_SCRIPT = String.raw`
for t in docker dockerd systemctl node curl; do p=$(command -v "$t" 2>/dev/null) && printf 'tool\t%s\t%s\n' "$t" "$p"; done
printf 'systemd\t%s\n' "$(eval "$5")"
printf 'router-enabled\t%s\n' "$(eval "$2")"
active=$(eval "$3")
printf 'router-active\t%s\n' "$active"
# A running route server proves a working Node; only otherwise pay for starting one to read its version.
if [ "$active" = active ]; then printf 'node-version\trouter-active\n'; elif command -v node >/dev/null 2>&1; then printf 'node-version\t%s\n' "$(node --version 2>/dev/null)"; fi
# Compose v2 is a CLI plugin: look for the plugin file before asking the docker CLI, which is slow to start.
v2=
for d in /usr/libexec/docker/cli-plugins /usr/lib/docker/cli-plugins /usr/local/lib/docker/cli-plugins /usr/local/libexec/docker/cli-plugins "$HOME/.docker/cli-plugins"; do [ -x "$d/docker-compose" ] && v2=1; done
if [ -n "$v2" ]; then c=v2; elif command -v docker-compose >/dev/null 2>&1; then c=v1; elif docker compose version >/dev/null 2>&1; then c=v2; else c=none; fi
printf 'compose\t%s\n' "$c"
proxy=$(eval "$4")
printf 'proxy\t%s\n' "$proxy"
[ -f "$1" ] && while read -r a; do printf 'pending\t%s\n' "$a"; done < "$1"
listeners=$6
shift 6
# One sha256sum for all regular files (the paths are ours and never hold a newline).
files=
for f in "$@"; do
  if [ -L "$f" ]; then printf 'link\t%s\t%s\n' "$(readlink "$f")" "$f"
  elif [ -f "$f" ]; then files=1
  else printf 'missing\t-\t%s\n' "$f"; fi
done
if [ -n "$files" ]; then
  for f in "$@"; do [ -f "$f" ] && [ ! -L "$f" ] && printf '%s\0' "$f"; done | xargs -0 sha256sum | while read -r h f; do printf 'file\t%s\t%s\n' "$h" "$f"; done
fi
ssout=$(eval "$listeners")
# The proxy container has a PID namespace of its own: listeners in it are the proxy's, whatever the program is
# called (traefik, or another image set with proxyImage).
set -- $proxy
if [ "$1" = true ] && [ -n "$2" ] && [ "$2" != 0 ]; then
  ns=$(readlink /proc/$2/ns/pid 2>/dev/null)
  if [ -n "$ns" ] && [ "$ns" != "$(readlink /proc/$$/ns/pid)" ]; then
    for p in $(printf '%s\n' "$ssout" | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u); do
      [ "$(readlink /proc/$p/ns/pid 2>/dev/null)" = "$ns" ] && printf 'proxy-pid\t%s\n' "$p"
    done
  fi
fi
echo ss
printf '%s\n' "$ssout"
exit 0
`

export function serverProbeStep(pendingPath: string, commands: ServerCommands, paths: readonly string[]): RemoteStep {
  const args = [pendingPath, commands.routerEnabledProbe, commands.routerActiveProbe, commands.proxyRunningProbe, commands.systemdProbe, commands.listenersProbe, ...paths]
  return scriptStep('probe the server', PROBE_SCRIPT, args, 30_000, 'rdc-probe')
}

const SERVICES = new Set<Service>(['units', 'router', 'proxy'])

/** Reads the server probe's report (tab-separated tagged lines, then `ss` and its output) into what the plan needs. */
export function parseServerProbe(output: string): RemoteState {
  const state: RemoteState = {
    tools: {},
    compose: 'none',
    systemdRunning: false,
    routerEnabled: '',
    routerActive: '',
    proxyRunning: 'missing',
    pending: [],
    hashes: new Map(),
    listeners: '',
    proxyPids: [],
  }
  const lines = output.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (line === 'ss') {
      state.listeners = lines.slice(i + 1).join('\n')
      break
    }

    const [tag, a = '', ...rest] = line.split('\t')
    const b = rest.join('\t')
    switch (tag) {
      case 'tool': {
        if (a === 'docker' || a === 'dockerd' || a === 'systemctl' || a === 'node' || a === 'curl') state.tools[a] = b
        break
      }

      case 'node-version': {
        state.nodeVersion = a
        break
      }

      case 'compose': {
        if (a === 'v1' || a === 'v2') state.compose = a
        break
      }

      case 'systemd': {
        state.systemdRunning = a.trim() === 'running'
        break
      }

      case 'router-enabled': {
        state.routerEnabled = a.trim()
        break
      }

      case 'router-active': {
        state.routerActive = a.trim()
        break
      }

      case 'proxy': {
        // `true 4242` (running, main PID) or `false 0` or `missing`.
        state.proxyRunning = a.trim().split(/\s+/)[0] || 'missing'
        break
      }

      case 'proxy-pid': {
        state.proxyPids.push(Number(a))
        break
      }

      case 'pending': {
        if (SERVICES.has(a as Service) && !state.pending.includes(a as Service)) state.pending.push(a as Service)
        break
      }

      case 'file': {
        state.hashes.set(b, a)
        break
      }

      case 'link': {
        state.hashes.set(b, `link:${a}`)
        break
      }

      case 'missing': {
        state.hashes.set(b, null)
        break
      }

      default:
    }
  }

  return state
}

/** Major version of `v18.20.4`, or undefined. */
export function nodeMajor(version: string | undefined): number | undefined {
  const m = /^v?(\d+)\./.exec(version ?? '')
  return m ? Number(m[1]) : undefined
}

export interface ProbeTarget {
  exec: (argv: string[], opts?: {timeoutMs?: number}) => Promise<{code: number; stdout: string; stderr: string}>
}

/** Runs the probe (one command) and parses its report. */
export async function readRemoteState(t: ProbeTarget, pendingPath: string, commands: ServerCommands, paths: readonly string[]): Promise<RemoteState> {
  const step = serverProbeStep(pendingPath, commands, paths)
  const r = await t.exec(step.argv, {timeoutMs: step.timeoutMs})
  if (r.code !== 0) {
    throw new RemoteError(`The server check failed (exit ${r.code}): ${r.stderr.trim().slice(-300)}`, {command: 'sh', exitCode: r.code, stderr: r.stderr})
  }

  return parseServerProbe(r.stdout)
}
