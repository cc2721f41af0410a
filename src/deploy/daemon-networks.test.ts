import {describe, expect, it} from 'vitest'

import type {Transport} from '../remote/transport.js'
import {ensureDaemonNetworks, restartOldDaemonStep} from './daemon-networks.js'
import {repoLocation} from './layout.js'

describe('ensureDaemonNetworks', () => {
  const loc = repoLocation({}, 'app', 2816)
  it('restarts a running daemon only when it has no network config file', () => {
    const argv = restartOldDaemonStep(loc).argv
    expect(argv.slice(-3)).toEqual(['/var/run/rediacc/dockerd-2816.json', 'rediacc-docker@2816.service', '/var/run/rediacc/docker-2816.sock'])
    expect(argv[2]).toMatch(/^\[ -f "\$1" \] && exit 0\nsystemctl is-active -q "\$2" \|\| exit 0\n/)
  })

  it('says so when it restarted, and fails with the way to read why', async () => {
    const lines: string[] = []
    const ok = {exec: async () => ({code: 0, stdout: 'restarted\n', stderr: ''})} as unknown as Transport
    expect(await ensureDaemonNetworks(ok, loc, 'm1', (l) => lines.push(l))).toBe(true)
    expect(lines).toEqual(['m1: restarted rediacc-docker@2816.service: it was started before repository daemons had their own networks'])
    const bad = {exec: async () => ({code: 3, stdout: 'restarted\n', stderr: 'Job failed'})} as unknown as Transport
    await expect(ensureDaemonNetworks(bad, loc, 'm1')).rejects.toThrow(/Restarting rediacc-docker@2816.service on m1 for its own networks failed \(exit 3\): Job failed/)
  })
})
