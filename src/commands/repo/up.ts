import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {lockWaitFlag} from '../../deploy/lock-flag.js'
import type {RepoUpResult} from '../../deploy/up.js'
import type {RoutingReport} from '../../deploy/routed.js'
import type {DnsApplyResult} from '../../dns/service.js'

export default class RepoUp extends BaseCommand<typeof RepoUp> {
  static override summary = "Deploy a repository: send its changed files, start its daemon, run the Rediaccfiles' prep and up."
  static override description =
    "Only changed files are sent; files deleted locally are deleted on the server; data folders the compose file mounts are never touched. The repository's own dockerd (rediacc-docker@<id>) is started, then every Rediaccfile's prep (A→Z, stopping at the first failure) and up (A→Z). " +
    'Output streams live, each line prefixed with the machine name (on stderr with --json, so stdout stays the summary). The exit code says whether it worked; running it again converges. ' +
    'One up or down of a repository runs at a time: another one is refused (exit 8, naming who runs it and since when) unless --lock-wait lets it queue. The lock lives on the server and goes with the connection, so an interrupted run never leaves it behind. ' +
    "Ctrl-C stops the server's running step too and exits 130; a second Ctrl-C quits at once. " +
    'Then it waits (up to 20 s) for the route server to see the new containers and prints each route (hostname or entry point → backend) and every refused or skipped container with its reason and fix (`routing` in --json). ' +
    'A container with traefik.enable=true that got no route fails the deploy with exit 11 (--allow-unrouted accepts it); traefik.enable=false is never routed. ' +
    '--wait-https then waits until Traefik serves each HTTPS hostname a valid certificate (exit 1 when the wait runs out).'
  static override examples = [
    '<%= config.bin %> <%= command.id %> webapp -m server-1',
    '<%= config.bin %> <%= command.id %> mail --mount',
    '<%= config.bin %> <%= command.id %> webapp --json > deploy.json',
    '<%= config.bin %> <%= command.id %> webapp --lock-wait 600   # CI: queue behind a deploy already running',
    '<%= config.bin %> <%= command.id %> webapp --wait-https      # CI: green only once every hostname has its certificate',
  ]

  static override args = {name: Args.string({description: 'Repository name.', required: true, ignoreStdin: true})}
  static override flags = {
    machine: Flags.string({char: 'm', description: 'Its machine (default: the one it was created on).'}),
    mount: Flags.boolean({description: 'Image-backed repository: make its image when missing and mount it at the repository path first.'}),
    path: Flags.string({description: 'Deploy this local folder instead of the recorded one.', helpValue: 'DIR'}),
    'lock-wait': lockWaitFlag,
    dns: Flags.boolean({description: "After a successful deploy, make the machine's DNS records at Cloudflare as rdc dns apply does, so a new Host() label gets its record (never adopts or prunes)."}),
    'allow-unrouted': Flags.boolean({description: 'Exit 0 even when a container with traefik.enable=true got no route (its refusal is still printed).'}),
    'wait-https': Flags.boolean({description: 'Wait until Traefik serves each HTTPS hostname of the repository a certificate that verifies (against the machine’s ACME CA), up to --wait-https-timeout.'}),
    'wait-https-timeout': Flags.integer({description: 'Longest wait for --wait-https, in seconds.', default: 300, min: 1, helpValue: 'SECONDS'}),
  }

  async run(): Promise<RepoUpResult & {dns?: DnsApplyResult; routing?: RoutingReport}> {
    const {resolveRepository} = await import('../../deploy/repositories.js')
    const {repoUp} = await import('../../deploy/up.js')
    const {connectMachine} = await import('../../remote/connect.js')
    const {formatUp, liveOutput} = await import('../../deploy/format.js')
    const target = await resolveRepository({configPath: this.flags.config, contextName: this.flags.context, name: this.args.name, machine: this.flags.machine, mount: this.flags.mount})
    const json = this.jsonEnabled()
    // First Ctrl-C (or a CI runner's SIGTERM): stop the server's running step too, then report; a second quits at once.
    const controller = new AbortController()
    const onSignal = () => {
      if (controller.signal.aborted) process.exit(130)
      this.logToStderr(`${target.machineName}: interrupting (press Ctrl-C again to quit at once)`)
      controller.abort()
    }
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal)
    const {result, error} = await repoUp({
      signal: controller.signal,
      target,
      mount: this.flags.mount,
      localDir: this.flags.path,
      lockWaitSeconds: this.flags['lock-wait'],
      connect: () => connectMachine(target.machineName, target.machine, target.context),
      live: liveOutput(json),
      progress: this.progress(),
    }).finally(() => process.off('SIGINT', onSignal).off('SIGTERM', onSignal))
    this.resultOrThrow(result, error)
    this.log(formatUp(result))
    if (!result.ok) return result
    let out: RepoUpResult & {dns?: DnsApplyResult} = result
    if (this.flags.dns) {
      const {dnsAfterUp} = await import('../../dns/repo-up.js')
      const dns = await dnsAfterUp({target, configPath: this.flags.config, progress: this.progress()})
      this.log((await import('../../dns/format.js')).formatApply(dns.result))
      out = {...result, dns: dns.result}
      if (dns.error) return this.resultOrThrow(out, dns.error)
    }

    const r = await (await import('../../deploy/up-routing.js')).upRouting({target, allowUnrouted: this.flags['allow-unrouted'], waitHttpsSeconds: this.flags['wait-https'] ? this.flags['wait-https-timeout'] : undefined, log: (text) => this.log(text), progress: this.progress()})
    return this.resultOrThrow({...out, routing: r.routing, ...(r.errorJson ? {error: r.errorJson} : {})}, r.error)
  }
}
