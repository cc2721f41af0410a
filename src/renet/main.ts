/**
 * `renet`: the program rdc installs on every server (bundled into dist/renet.cjs, runs on Node 18+).
 * Subcommands load lazily so `renet compose` in a Rediaccfile does not pay for the router's modules.
 */
import {ROUTER_ADDRESS} from '../layout/server.js'
import {RENET_VERSION} from './version.js'

const USAGE = `renet ${RENET_VERSION}

Usage: renet <command> [options]

Commands:
  router       Run the route server (Traefik HTTP provider on ${ROUTER_ADDRESS})
  compose      Run docker compose for a repository with its IPs, slots and labels
  rediaccfile  Run a repository's Rediaccfile steps (prep, up, down) with its environment
  probe        Check TCP/HTTP/TLS/UDP reachability from this server (used by rdc diagnose)
  sync         Describe (manifest) or update (apply) a repository folder for rdc repo up's file sync
  net          Set up (up) or remove (down) a repository daemon's bridge, address pool and NAT (run by its unit)
  version      Print the version

Run 'renet <command> --help' for a command's options.
`

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case 'router': {
      const {main: router} = await import('./router/cli.js')
      return router(rest)
    }

    case 'compose': {
      const {main: compose} = await import('./compose/cli.js')
      return compose(rest)
    }

    case 'rediaccfile': {
      const {main: rediaccfile} = await import('./rediaccfile/cli.js')
      return rediaccfile(rest)
    }

    case 'probe': {
      const {main: probe} = await import('./probe/cli.js')
      return probe(rest)
    }

    case 'sync': {
      const {main: sync} = await import('./sync/cli.js')
      return sync(rest)
    }

    case 'net': {
      const {main: net} = await import('./net/cli.js')
      return net(rest)
    }

    case 'version':
    case '--version':
    case '-v': {
      process.stdout.write(`${RENET_VERSION}\n`)
      return 0
    }

    case undefined:
    case 'help':
    case '--help':
    case '-h': {
      process.stdout.write(USAGE)
      return command === undefined ? 2 : 0
    }

    default: {
      process.stderr.write(`renet: unknown command '${command}'\n\n${USAGE}`)
      return 2
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    process.stderr.write(`renet: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    process.exitCode = 70
  },
)
