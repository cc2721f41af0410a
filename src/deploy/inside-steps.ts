/**
 * The remote work of `rdc repo logs` and `rdc repo exec` as data: argv arrays run through the repository's own
 * daemon (`docker -H unix:///var/run/rediacc/docker-<id>.sock`). Values travel as positional arguments.
 */
import type {RepoLocation} from './layout.js'
import type {RemoteStep} from '../remote/step.js'

export interface LogsOptions {
  follow?: boolean
  /** Docker's --since: a duration (10m, 2h) or a timestamp. */
  since?: string
  tail?: number
}

/**
 * `docker logs` of one container, ended when the command's stdin ends: rdc closes it on Ctrl-C, so a follow
 * stops on the server too instead of lingering until its next line meets a closed pipe. A background list's
 * stdin is /dev/null unless redirected, hence fd 3.
 */
export function logsStep(loc: RepoLocation, container: string, o: LogsOptions): RemoteStep {
  const flags = [...(o.follow ? ['--follow'] : []), ...(o.since === undefined ? [] : ['--since', o.since]), ...(o.tail === undefined ? [] : ['--tail', String(o.tail)])]
  return {
    label: 'logs',
    argv: [
      'sh',
      '-c',
      [
        'h=$1; c=$2; shift 2',
        'exec 3<&0',
        'docker -H "$h" logs "$@" "$c" </dev/null & p=$!',
        '( cat <&3 >/dev/null 2>&1; kill "$p" 2>/dev/null ) >/dev/null 2>&1 &',
        'exec 3<&-',
        'wait "$p"',
      ].join('\n'),
      'rdc-logs',
      loc.dockerHost,
      container,
      ...flags,
    ],
  }
}

/** `docker exec` in the container: -i always (stdin streamed), -t when rdc runs between two terminals. */
export function execStep(loc: RepoLocation, container: string, command: string[], o: {tty: boolean}): RemoteStep {
  return {label: 'exec', argv: ['docker', '-H', loc.dockerHost, 'exec', '-i', ...(o.tty ? ['-t'] : []), container, ...command]}
}
