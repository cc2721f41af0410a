/**
 * What rdc dns plan, apply and check take alike: the machines (arguments, or --all) and where to report progress.
 * Kept here, not under src/commands/, where every file is a command.
 */
import {Args, Flags} from '@oclif/core'

import type {DnsOptions} from './service.js'

export const machinesArgs = {machines: Args.string({description: 'Machines (or --all; none: RDC_MACHINE or the project config).', ignoreStdin: true})}

export const allFlag = Flags.boolean({description: 'Every machine of the context.'})

/** The service options every dns command passes the same way. */
export function dnsSelection(
  argv: unknown[],
  flags: {all: boolean; config?: string; context?: string},
  progress: DnsOptions['progress'],
): Pick<DnsOptions, 'machines' | 'all' | 'configPath' | 'contextName' | 'progress'> {
  return {machines: argv as string[], all: flags.all, configPath: flags.config, contextName: flags.context, progress}
}
