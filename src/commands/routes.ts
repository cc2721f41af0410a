import {Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import type {RoutesResult} from '../routes/service.js'

export default class Routes extends BaseCommand<typeof Routes> {
  static override summary = "List every route of the machines: hostname or entry point → backend, repository, container, tier and certificate."
  static override description =
    "Routes come from each machine's route server (/routes.json, what Traefik is given); for each HTTPS hostname the certificate is the one the proxy serves for it now (issuer, expiry, days left), read on the server. " +
    'A machine that cannot be read is reported and the command exits with its error once the others are listed.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> -m server-1 --json']
  static override flags = {
    machine: Flags.string({char: 'm', description: 'Machine to list; repeat for several (default: every machine of the context).', multiple: true, helpValue: 'NAME'}),
  }

  async run(): Promise<RoutesResult> {
    const {resolveContext} = await import('../config/resolve.js')
    const {listRoutes, machinesFor} = await import('../routes/service.js')
    const {connectMachine} = await import('../remote/connect.js')
    const {formatRoutes} = await import('../routes/format.js')
    const {context} = await resolveContext({configPath: this.flags.config, context: this.flags.context})
    const machines = machinesFor(context, this.flags.machine ?? [])
    const {result, errors} = await listRoutes({context, machines, connect: (m) => connectMachine(m, context.machines[m]!, context)})
    this.log(formatRoutes(result))
    return this.resultOrThrow(result, errors[0])
  }
}
