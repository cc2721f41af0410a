import type {Hook} from '@oclif/core'

import {closest} from '../config/did-you-mean.js'
import {errorJson, UnknownCommandError} from '../errors.js'

/**
 * `rdc <not a command>`: exit 127 (as a shell does), with the closest command as a suggestion; with --json the
 * error is the documented `{error: {kind, exitCode, message, suggestion}}` on stdout like every other error.
 * It replaces @oclif/plugin-not-found, whose message ("is not a rdc command") cannot be changed and which
 * prints its guess only as an interactive prompt. It imports nothing of oclif at run time: the bundle has its own
 * copy, and a second one would cost more than the rest of this answer.
 */
const hook: Hook.CommandNotFound = async function (options) {
  const {config, id} = options
  const hidden = new Set(config.commands.filter((c) => c.hidden).map((c) => c.id))
  const ids = [...config.commandIDs, ...config.commands.flatMap((c) => c.aliases)].filter((c) => !hidden.has(c))
  const spaced = (s: string) => s.replace(/:/g, ' ')
  const topic = id.split(':')[0]!
  const helpCommand = `${config.bin} help${id.includes(':') && config.findTopic(topic) ? ` ${topic}` : ''}`
  const guess = closest(id, ids)
  const error = new UnknownCommandError(`${spaced(id)} is not an ${config.bin} command.`, {
    suggestion: `${guess ? `Did you mean "${config.bin} ${spaced(guess)}"? ` : ''}Run "${helpCommand}" for the list of commands.`,
  })
  const argv = process.argv.slice(2)
  const end = argv.indexOf('--')
  const json = (end === -1 ? argv : argv.slice(0, end)).includes('--json') || config.scopedEnvVar?.('CONTENT_TYPE')?.toLowerCase() === 'json'
  if (json) {
    process.stdout.write(`${JSON.stringify(errorJson(error), null, 2)}\n`)
    this.exit(error.exitCode)
  }

  const context = this as Hook.Context & {error(message: string, options: {exit: number; suggestions?: string[]}): never}
  context.error(error.message, {exit: error.exitCode, suggestions: [error.suggestion!]})
}

export default hook
