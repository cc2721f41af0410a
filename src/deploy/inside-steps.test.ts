import {describe, expect, it} from 'vitest'

import {checkSince} from './inside.js'
import {execStep, logsStep} from './inside-steps.js'
import {repoLocation} from './layout.js'

const loc = repoLocation({host: 'h', user: 'root', port: 22} as never, 'webapp', 2816)

describe('repo logs / exec as data', () => {
  it("logs: docker logs through the repository's daemon, flags as positional arguments, ended when stdin ends", () => {
    const step = logsStep(loc, 'webapp_webapp_1', {follow: true, since: '10m', tail: 5})
    expect(step.argv.slice(0, 2)).toEqual(['sh', '-c'])
    expect(step.argv.slice(3)).toEqual(['rdc-logs', 'unix:///var/run/rediacc/docker-2816.sock', 'webapp_webapp_1', '--follow', '--since', '10m', '--tail', '5'])
    expect(step.argv[2]).toContain('cat <&3')
    expect(logsStep(loc, 'c', {}).argv.slice(3)).toEqual(['rdc-logs', 'unix:///var/run/rediacc/docker-2816.sock', 'c'])
  })

  it('exec: -i always, -t only with a terminal, the command as separate words', () => {
    expect(execStep(loc, 'c', ['sh', '-c', 'a; b'], {tty: false}).argv).toEqual(['docker', '-H', 'unix:///var/run/rediacc/docker-2816.sock', 'exec', '-i', 'c', 'sh', '-c', 'a; b'])
    expect(execStep(loc, 'c', ['sh'], {tty: true}).argv).toEqual(['docker', '-H', 'unix:///var/run/rediacc/docker-2816.sock', 'exec', '-i', '-t', 'c', 'sh'])
  })

  it('--since: durations and times pass, anything else names the flag', () => {
    for (const ok of ['10m', '1h30m', '45s', '2026-12-06', '2026-12-06T18:00:00Z', '1733500000']) expect(() => checkSince(ok)).not.toThrow()
    for (const bad of ['yesterday', '10 m', '-5m', '']) expect(() => checkSince(bad)).toThrow(expect.objectContaining({field: '--since', kind: 'usage'}))
  })
})
