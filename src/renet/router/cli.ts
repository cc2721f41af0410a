/**
 * `renet router`: the route server (systemd unit rediacc-router). Reads /etc/rediacc/router.yaml, flags
 * override it; logs JSON lines to stdout (journald) for changes only; stops cleanly on SIGTERM/SIGINT.
 */
import {parseArgs} from 'node:util'

import {RdcError} from '../../errors.js'
import {ROUTER_ADDRESS, ROUTER_CONFIG_PATH, ROUTER_STATE_DIR, SOCKET_DIR} from '../../layout/server.js'
import {RENET_VERSION} from '../version.js'
import {RouterFlags, loadSettings} from './config.js'

export const HELP = `renet router ${RENET_VERSION}: serve Traefik its dynamic configuration from container labels

Usage: renet router [options]

Watches every repository's Docker daemon (docker-<networkId>.sock in the socket folder), reads container
labels (rediacc.* for automatic routes, traefik.* when traefik.enable=true) and serves, on loopback only:
  /traefik      dynamic configuration for Traefik's HTTP provider (JSON, which is YAML too; 503 until discovery completes)
  /health       status, counts, daemons, refusals and skipped containers (JSON)
  /routes.json  every router with its rule, entry points, backends and repository (JSON)
  /ports        dynamic TCP/UDP port allocations (JSON)

Options (each overrides the settings file):
  --config FILE          settings file (default ${ROUTER_CONFIG_PATH}; optional when absent)
  --socket-dir DIR       folder holding docker-<networkId>.sock (default ${SOCKET_DIR})
  --listen HOST:PORT     loopback address to serve on (default ${ROUTER_ADDRESS})
  --state-dir DIR        where ports.json is kept (default ${ROUTER_STATE_DIR})
  --base-domain DOMAIN   base domain of automatic routes {service}-{networkId}.DOMAIN; '' turns them off
  --entrypoints LIST     comma list of the entry point names that exist in traefik.yml (overrides the
                         settings file's traefikConfig, whose entryPoints are otherwise followed live)
  --machine NAME         machine name shown in /health
  --resync-interval SEC  full resync of every daemon (default 30)
  --port-grace SEC       keep a dynamic port this long after its container is gone (default 600)
  -h, --help             show this help
`

export async function main(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({
      args: argv,
      options: {
        config: {type: 'string'},
        'socket-dir': {type: 'string'},
        listen: {type: 'string'},
        'state-dir': {type: 'string'},
        'base-domain': {type: 'string'},
        entrypoints: {type: 'string'},
        machine: {type: 'string'},
        'resync-interval': {type: 'string'},
        'port-grace': {type: 'string'},
        help: {type: 'boolean', short: 'h'},
      },
      strict: true,
      allowPositionals: false,
    }).values
  } catch (error) {
    process.stderr.write(`renet router: ${(error as Error).message}\n\n${HELP}`)
    return 2
  }

  if (values.help) {
    process.stdout.write(HELP)
    return 0
  }

  const flags: RouterFlags = {
    config: values.config as string | undefined,
    socketDir: values['socket-dir'] as string | undefined,
    listen: values.listen as string | undefined,
    stateDir: values['state-dir'] as string | undefined,
    baseDomain: values['base-domain'] as string | undefined,
    entrypoints: values.entrypoints as string | undefined,
    machine: values.machine as string | undefined,
    resyncInterval: values['resync-interval'] as string | undefined,
    portGrace: values['port-grace'] as string | undefined,
  }

  try {
    return await run(flags)
  } catch (error) {
    if (error instanceof RdcError) {
      process.stderr.write(`renet router: ${error.message}\n${error.suggestion ? `  ${error.suggestion}\n` : ''}`)
      return error.exitCode
    }

    throw error
  }
}

function logLine(event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({time: new Date().toISOString(), event, ...fields})}\n`)
}

async function run(flags: RouterFlags): Promise<number> {
  const settings = await loadSettings(flags)
  const {RouterService} = await import('./service.js')
  const {listen} = await import('./server.js')
  const service = new RouterService(settings, logLine)
  const server = await listen(service, settings.listen.host, settings.listen.port)
  logLine('started', {
    version: RENET_VERSION,
    listen: `${settings.listen.host}:${settings.listen.port}`,
    socketDir: settings.socketDir,
    stateDir: settings.stateDir,
    baseDomain: settings.baseDomain,
    entrypoints: settings.entrypointsSource === 'traefik.yml' ? settings.traefikConfig : settings.entrypoints.length,
  })
  service.start()

  const signal = await new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'))
    process.once('SIGINT', () => resolve('SIGINT'))
  })
  service.stop()
  await new Promise<void>((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections?.()
  })
  logLine('stopped', {signal})
  return 0
}
