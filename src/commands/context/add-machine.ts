import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {addMachine, type MachineSummary} from '../../config/machines.js'
import {resolveContext} from '../../config/resolve.js'
import {keyValues} from '../../output/format.js'

export default class ContextAddMachine extends BaseCommand<typeof ContextAddMachine> {
  static override summary = 'Add a machine to the context and pin its SSH host key.'
  static override description =
    'Connects once to read the server’s host key and pins it; from then on a different key is refused before logging in. ' +
    'With --host-key the given key is pinned without connecting (for CI). --host may be a ~/.ssh/config alias; ' +
    'User, Port and IdentityFile from there are used when the flags are not given.'
  static override examples = [
    '<%= config.bin %> context add-machine server-1 --host 198.51.100.7 --user deploy',
    '<%= config.bin %> context add-machine server-1 --host 198.51.100.7 --user deploy --host-key "ssh-ed25519 AAAAC3Nza…"',
  ]
  static override args = {name: Args.string({description: 'Machine name: a-z, 0-9 and inner hyphens.', required: true, ignoreStdin: true})}
  static override flags = {
    host: Flags.string({description: 'Address, DNS name or ~/.ssh/config alias.', required: true}),
    user: Flags.string({description: 'Login name (default: from ~/.ssh/config, else your user name).'}),
    port: Flags.integer({description: 'SSH port (default: from ~/.ssh/config, else 22).', min: 1, max: 65_535}),
    key: Flags.string({description: 'Private key file (default: ssh-agent, ~/.ssh/config IdentityFile).'}),
    'host-key': Flags.string({description: 'Pin this host key ("ssh-ed25519 AAAA…") instead of connecting.'}),
    datastore: Flags.string({description: 'Folder on the server that holds repositories: absolute, normalised, letters, digits and . _ - + @ (default /mnt/rediacc).', helpValue: 'DIR'}),
  }

  async run(): Promise<MachineSummary & {context: string; scanned: boolean}> {
    const {store, contextName} = await resolveContext({configPath: this.flags.config, context: this.flags.context})
    const f = this.flags
    const result = await addMachine({store, contextName, name: this.args.name, host: f.host, user: f.user, port: f.port, privateKeyPath: f.key, hostKey: f['host-key'], datastore: f.datastore})
    this.log(`Added machine "${result.name}" to context "${result.context}".`)
    this.log(keyValues([['address', `${result.user}@${result.host}:${result.port}`], [result.scanned ? 'host key (read from server)' : 'host key (given)', result.fingerprint]]))
    return result
  }
}
