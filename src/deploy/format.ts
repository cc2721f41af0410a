/** Human output of the repo commands (the --json answer is the result object itself). */
import {keyValues, section, table} from '../output/format.js'
import type {LiveOutput} from './remote.js'
import type {RepoStatusResult} from './status.js'
import type {RepoUpResult} from './up.js'

/** Where the Rediaccfiles' live output goes: as-is in human mode; all on stderr with --json (stdout is the JSON). */
export function liveOutput(json: boolean): LiveOutput {
  const err = (text: string): void => {
    process.stderr.write(text)
  }

  return {stdout: json ? err : (text) => process.stdout.write(text), stderr: err}
}

export function formatUp(r: RepoUpResult): string {
  const services = Object.entries(r.services).sort(([, a], [, b]) => a.slot - b.slot)
  const rediaccfile = [...r.steps.prep.map((s) => ({...s, step: 'prep'})), ...r.steps.up.map((s) => ({...s, step: 'up'}))]
  return [
    `${r.machine}: ${r.repository} is up (network ${r.networkId}, ${(r.durationMs / 1000).toFixed(1)} s).`,
    keyValues([
      ['files sent', r.sync ? `${r.sync.filesSent} (${r.sync.contentBytes} bytes), ${r.sync.deleted} deleted, ${r.sync.unchanged} unchanged` : '-'],
      ['data folders kept', r.sync?.protected],
    ]),
    services.length > 0 ? table(services, [{header: 'service', get: ([n]) => n}, {header: 'slot', get: ([, s]) => s.slot}, {header: 'ip', get: ([, s]) => s.ip}]) : 'No services.',
    table(rediaccfile, [{header: 'step', get: (s) => s.step}, {header: 'folder', get: (s) => s.folder}, {header: 'status', get: (s) => s.status}, {header: 'ms', get: (s) => s.durationMs}]),
  ].join('\n\n')
}

export function formatStatus(r: RepoStatusResult): string {
  const head = keyValues([
    ['machine', r.machine],
    ['network id', r.networkId],
    ['path', r.path],
    ['daemon', r.daemon],
    ...(r.mounted === undefined ? [] : [['mounted', r.mounted] as const]),
  ])
  const services =
    r.services.length === 0
      ? 'No services yet (deploy with rdc repo up).'
      : table(r.services, [
          {header: 'service', get: (s) => s.name},
          {header: 'ip', get: (s) => s.ip},
          {header: 'containers', get: (s) => s.containers.map((c) => `${c.name} (${c.state})`)},
          {header: 'routes', get: (s) => s.routes.map((x) => `${x.rule ?? x.protocol} → ${x.backends.join(' ')}`)},
        ])
  const extra = r.otherContainers.length > 0 ? `\n\n${section('Other containers', table(r.otherContainers, [{header: 'name', get: (c) => c.name}, {header: 'state', get: (c) => c.state}]))}` : ''
  const refused = r.refusals.length > 0 ? `\n\n${section('Refused by the route server', r.refusals.map((x) => `${x.container}: ${x.reason}`).join('\n'))}` : ''
  const routes = r.routesError ? `\n\nRoutes unknown: ${r.routesError}` : ''
  return `${head}\n\n${services}${extra}${refused}${routes}`
}
