import {describe, expect, it} from 'vitest'

import {FailureError} from '../errors.js'
import type {Transport} from '../remote/transport.js'
import {repoLocation} from './layout.js'
import {type InspectedContainer, judge, parseSample, type Sample, settleAfterUp} from './settle.js'

const iso = (s: number) => new Date(s * 1000).toISOString()
const NEVER = '0001-01-01T00:00:00Z'

function c(id: string, service: string, state: Partial<InspectedContainer['State']> & {restarts?: number}): InspectedContainer {
  const {restarts, ...rest} = state
  return {Id: id, Name: `/app_${service}_1`, RestartCount: restarts ?? 0, State: {Status: 'running', FinishedAt: NEVER, ...rest}, Config: {Labels: {'rediacc.service_name': service}}}
}

describe('judge', () => {
  const now = 1_000_000
  it('settles when every container of this run has run for the settle time', () => {
    const s: Sample = {now, containers: [c('a', 'web', {StartedAt: iso(now - 5)})]}
    expect(judge(s, s, 30, 3)).toEqual({problems: [], settled: true})
    const young: Sample = {now, containers: [c('a', 'web', {StartedAt: iso(now - 1)})]}
    expect(judge(young, young, 30, 3).settled).toBe(false)
  })

  it('names a container that exited with an error or restarts, not a one-shot that exited 0 or an old failure', () => {
    const first: Sample = {
      now,
      containers: [
        c('a', 'web', {StartedAt: iso(now - 2)}),
        c('b', 'migrate', {Status: 'exited', ExitCode: 0, StartedAt: iso(now - 4), FinishedAt: iso(now - 3)}),
        c('c', 'old', {Status: 'exited', ExitCode: 1, StartedAt: iso(now - 9000), FinishedAt: iso(now - 8000)}),
        c('d', 'db', {StartedAt: iso(now - 2)}),
      ],
    }
    const latest: Sample = {
      now: now + 2,
      containers: [
        c('a', 'web', {Status: 'exited', ExitCode: 1, StartedAt: iso(now - 2), FinishedAt: iso(now + 1)}),
        first.containers[1],
        first.containers[2],
        c('d', 'db', {StartedAt: iso(now + 1), restarts: 1}),
      ],
    }
    expect(judge(first, latest, 30, 3).problems).toEqual([
      {id: 'a', container: 'app_web_1', service: 'web', what: 'exited with code 1'},
      {id: 'd', container: 'app_db_1', service: 'db', what: 'restarts (restarted 1 time)'},
    ])
  })

  it('reads the server clock and docker inspect', () => {
    expect(parseSample('now=12\n')).toEqual({now: 12, containers: []})
    expect(parseSample('now=12\n[{"Id":"x","Name":"/n","State":{"Status":"running"}}]\n').containers[0].Id).toBe('x')
  })
})

describe('settleAfterUp', () => {
  const loc = repoLocation({}, 'app', 2816)
  function transport(samples: string[], logs: string): Transport {
    let i = 0
    return {
      exec: async (argv: string[]) => {
        if (argv.includes('rdc-logs')) return {code: 0, stdout: logs, stderr: ''}
        const out = samples[Math.min(i++, samples.length - 1)]
        return {code: 0, stdout: out, stderr: ''}
      },
    } as unknown as Transport
  }

  const now = 2_000_000
  const sample = (t: number, containers: InspectedContainer[]) => `now=${t}\n${JSON.stringify(containers)}\n`

  it('fails naming the service and its last log lines when a container exits', async () => {
    const t = transport(
      [
        sample(now, [c('a', 'web', {StartedAt: iso(now)})]),
        sample(now + 1, [c('a', 'web', {Status: 'exited', ExitCode: 1, StartedAt: iso(now), FinishedAt: iso(now + 1)})]),
      ],
      'starting\nhttpd: bind: Address already in use\n',
    )
    const error = await settleAfterUp(t, loc, 'm1', 'app', {windowSeconds: 20, sleep: async () => {}})
    expect(error).toBeInstanceOf(FailureError)
    expect(error?.message).toBe("up ran on m1, but a container of app did not stay up:\nservice 'web' (container app_web_1) exited with code 1; its last log lines:\n    starting\n    httpd: bind: Address already in use")
    expect(error?.suggestion).toMatch(/docker -H unix:\/\/\/var\/run\/rediacc\/docker-2816.sock logs app_web_1/)
  })

  it('passes once the containers stayed up, and gives up waiting at the timeout without failing', async () => {
    const up = sample(now + 5, [c('a', 'web', {StartedAt: iso(now)})])
    expect(await settleAfterUp(transport([sample(now, [c('a', 'web', {StartedAt: iso(now)})]), up], ''), loc, 'm1', 'app', {windowSeconds: 20, sleep: async () => {}})).toBeUndefined()
    const starting = sample(now, [c('a', 'web', {StartedAt: iso(now), Health: {Status: 'starting'}})])
    expect(await settleAfterUp(transport([starting], ''), loc, 'm1', 'app', {windowSeconds: 20, timeoutSeconds: 0, sleep: async () => {}})).toBeUndefined()
  })

  it('says nothing when the daemon cannot be asked', async () => {
    const t = {exec: async () => ({code: 1, stdout: '', stderr: 'Cannot connect'})} as unknown as Transport
    expect(await settleAfterUp(t, loc, 'm1', 'app', {windowSeconds: 20})).toBeUndefined()
  })
})
