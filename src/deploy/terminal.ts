/**
 * This process's terminal for `repo exec`: a PTY is asked for only when both stdin and stdout are terminals
 * (as `ssh` and `docker exec -it` decide), with stdin in raw mode so keys like Ctrl-C reach the remote command.
 */
import type {StreamOptions} from '../remote/transport.js'

export interface LocalTerminal {
  stdin: NodeJS.ReadableStream
  pty?: NonNullable<StreamOptions['pty']>
  onResize?: StreamOptions['onResize']
  /** Leaves the terminal as it was and lets the process exit (stdin no longer read). */
  restore: () => void
}

export function terminalFor(json: boolean): LocalTerminal {
  const stdin = process.stdin
  const stdout = process.stdout
  const restoreInput = (): void => {
    stdin.pause()
    ;(stdin as {unref?: () => void}).unref?.()
  }

  if (json || !stdin.isTTY || !stdout.isTTY) return {stdin, restore: restoreInput}
  stdin.setRawMode(true)
  return {
    stdin,
    pty: {rows: stdout.rows, cols: stdout.columns, term: process.env.TERM || 'xterm-256color'},
    onResize: (listener) => {
      const onResize = (): void => listener({rows: stdout.rows, cols: stdout.columns})
      stdout.on('resize', onResize)
      return () => stdout.off('resize', onResize)
    },
    restore: () => {
      stdin.setRawMode(false)
      restoreInput()
    },
  }
}
