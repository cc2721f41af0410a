import type {ServerFacts} from '../facts.js'
import {fail, ok, warn, type Finding} from '../finding.js'
import {pushInfra, restartRouter, socketAccess} from '../fixes.js'
import {parseDockerVersion} from '../parse/docker.js'
import type {RouterHealth} from '../parse/router.js'
import {compareVersions} from '../semver.js'

/** Oldest Docker Engine API the route server and `renet compose` are written against (Docker 20.10). */
export const MIN_DOCKER_API = '1.41'

function installedVersion(facts: ServerFacts): string | undefined {
  const out = facts.renetVersion.stdout.trim()
  return facts.renetVersion.code === 0 && /^\S+$/.test(out) ? out : undefined
}

/**
 * The installed renet against the CLI (push-infra installs the CLI's own), the running route server against the
 * installed program (a restart was missed: the networking guide's "route server running an old version"), and
 * each repository daemon's Docker API.
 */
export function checkVersions(facts: ServerFacts, machine: string, health: RouterHealth | undefined): Finding[] {
  const findings: Finding[] = []
  const installed = installedVersion(facts)
  const cli = facts.cliVersion
  if (installed === undefined) {
    const why = facts.renetVersion.code === 127 ? 'renet is not installed' : `\`renet version\` failed (exit ${facts.renetVersion.code}): ${facts.renetVersion.stderr.trim() || facts.renetVersion.stdout.trim()}`
    findings.push(fail('versions', why, pushInfra(machine), {subject: 'renet'}))
  } else if (compareVersions(installed, cli) < 0) {
    findings.push(fail('versions', `the server's renet ${installed} is older than this CLI (${cli})`, pushInfra(machine), {subject: 'renet'}))
  } else if (compareVersions(installed, cli) > 0) {
    findings.push(
      warn('versions', `the server's renet ${installed} is newer than this CLI (${cli}); pushing from here would downgrade it`, 'update rdc to the same version', {
        subject: 'renet',
      }),
    )
  } else {
    findings.push(ok('versions', `renet ${installed} matches the CLI`, {subject: 'renet'}))
  }

  if (installed !== undefined && health?.version !== undefined && health.version !== installed) {
    findings.push(
      fail(
        'versions',
        `the route server is still running renet ${health.version}; ${installed} is installed (the service was not restarted after the update)`,
        restartRouter,
        {subject: 'rediacc-router'},
      ),
    )
  }

  for (const d of facts.daemons) {
    const name = d.socket.replace(/^.*\//, '').replace(/\.sock$/, '')
    const id = /docker-(\d+)/.exec(name)?.[1]
    const fix = `sudo systemctl restart rediacc-docker@${id ?? '<id>'} (logs: sudo journalctl -u rediacc-docker@${id ?? '<id>'} -n 50)`
    if (d.version.outcome !== 'ok' || d.version.status !== 200) {
      findings.push(fail('versions', `Docker daemon ${name} does not answer: ${d.version.error ?? `HTTP ${d.version.status}`}`, d.version.error === 'EACCES' ? socketAccess : fix, {subject: name}))
      continue
    }
    let v: {version?: string; apiVersion?: string}
    try {
      v = parseDockerVersion(d.version.body ?? '')
    } catch (error) {
      findings.push(fail('versions', `Docker daemon ${name}: ${(error as Error).message}`, fix, {subject: name}))
      continue
    }
    if (v.apiVersion !== undefined && compareVersions(v.apiVersion, MIN_DOCKER_API) < 0) {
      findings.push(
        warn('versions', `Docker ${v.version ?? '?'} on ${name} speaks API ${v.apiVersion}, older than ${MIN_DOCKER_API}`, 'upgrade Docker on the server (docker.io ≥ 20.10)', {
          subject: name,
        }),
      )
    } else {
      findings.push(ok('versions', `Docker ${v.version ?? '?'} (API ${v.apiVersion ?? '?'})`, {subject: name}))
    }
  }
  return findings
}
