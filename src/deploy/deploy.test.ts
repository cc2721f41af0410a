import {describe, expect, it} from 'vitest'

import {LinePrefixer} from '../renet/rediaccfile/line-prefixer.js'

import {repoLocation} from './layout.js'
import {rediaccfileError} from './rediaccfile-run.js'
import {validateSize} from './repositories.js'
import {parseContainers, parseSlots} from './status.js'
import {createImageStep, mountStep, parseRepoProbe, probeStep, rediaccfileStep, startDaemonStep} from './steps.js'

const loc = repoLocation({}, 'webapp', 2816)

describe('repoLocation', () => {
  it('puts the repository under the datastore and names its daemon by network id', () => {
    expect(loc).toEqual({
      name: 'webapp',
      networkId: 2816,
      datastore: '/mnt/rediacc',
      path: '/mnt/rediacc/repos/webapp',
      image: '/mnt/rediacc/images/webapp.img',
      unit: 'rediacc-docker@2816.service',
      socket: '/var/run/rediacc/docker-2816.sock',
      dockerHost: 'unix:///var/run/rediacc/docker-2816.sock',
      dockerData: '/var/lib/rediacc/docker/2816',
      renet: '/usr/bin/renet',
    })
    expect(repoLocation({datastore: '/srv/data/'}, 'x', 2880).path).toBe('/srv/data/repos/x')
  })
})

describe('remote steps as data', () => {
  it('runs renet rediaccfile with the repository on the command line and the daemon named', () => {
    expect(rediaccfileStep(loc, 'prep').argv).toEqual([
      '/usr/bin/renet', 'rediaccfile', 'prep', '--path', '/mnt/rediacc/repos/webapp', '--network-id', '2816', '--name', 'webapp', '--docker-host', 'unix:///var/run/rediacc/docker-2816.sock',
    ])
  })

  it('passes values to scripts as arguments, never inside the script text', () => {
    for (const step of [probeStep(loc), createImageStep(loc, '2G'), mountStep(loc), startDaemonStep(loc)]) {
      expect(step.argv[0]).toBe('sh')
      expect(step.argv[2]).not.toContain('/mnt/rediacc')
      expect(step.argv[2]).not.toContain('2816')
    }

    expect(createImageStep(loc, '2G').argv.slice(3)).toEqual(['rdc-create-image', '/mnt/rediacc/images/webapp.img', '2G'])
    expect(createImageStep(loc, '2G').argv[2]).toContain('mkfs.ext4 -F -q "$tmp"')
    expect(mountStep(loc).argv.slice(4)).toEqual(['/mnt/rediacc/images/webapp.img', '/mnt/rediacc/repos/webapp'])
    expect(startDaemonStep(loc).argv.slice(4)).toEqual(['rediacc-docker@2816.service', '/var/run/rediacc/docker-2816.sock'])
  })

  it('reads the probe answer', () => {
    expect(parseRepoProbe('renet=yes\nunit=yes\nmounted=no\nimage=no\nsocket=yes\ndaemon=active\n')).toEqual({renet: true, unit: true, mounted: false, image: false, socket: true, daemon: 'active'})
    expect(parseRepoProbe('renet=no\n')).toEqual({renet: false, unit: false, mounted: false, image: false, socket: false, daemon: 'unknown'})
  })
})

describe('validateSize', () => {
  it('takes whole numbers with K/M/G/T and refuses what ext4 cannot use', () => {
    expect(validateSize('2g')).toBe('2G')
    expect(validateSize('64M')).toBe('64M')
    expect(() => validateSize('15M')).toThrow(/too small/)
    expect(() => validateSize('1.5G')).toThrow(/is not a size/)
    expect(() => validateSize('0')).toThrow(/is not a size/)
  })
})

describe('LinePrefixer for live output', () => {
  it('prefixes whole lines across chunk boundaries and drops the skipped ones', () => {
    const out: string[] = []
    const p = new LinePrefixer('m1 | ', (t) => out.push(t), (l) => l.startsWith('RENET_RESULT '))
    p.push(Buffer.from('[.] one\n[.] tw'))
    p.push(Buffer.from('o\r\nRENET_RESULT {}\n[.] thr'))
    // A multi-byte character split between chunks stays whole.
    const e = Buffer.from('é')
    p.push(e.subarray(0, 1))
    p.push(e.subarray(1))
    p.end()
    expect(out.join('')).toBe('m1 | [.] one\nm1 | [.] two\nm1 | [.] thré\n')
  })
})

describe('status parsing', () => {
  it('reads docker ps JSON lines and the slot file', () => {
    const line = JSON.stringify({Names: 'webapp_webapp_1', State: 'running', Status: 'Up 3 seconds', Image: 'rdc-test/busybox:local', Labels: 'rediacc.service_name=webapp,traefik.http.routers.webapp.rule=Host(`a.example.com`)'})
    expect(parseContainers(`${line}\n`)).toEqual([{name: 'webapp_webapp_1', service: 'webapp', state: 'running', status: 'Up 3 seconds', image: 'rdc-test/busybox:local'}])
    expect(parseSlots('{"services":{"webapp":{"slot":1},"postgres":{"slot":0}}}')).toEqual(new Map([['webapp', 1], ['postgres', 0]]))
    expect(parseSlots(null)).toEqual(new Map())
  })
})

describe('rediaccfileError', () => {
  const base = {repository: {name: 'webapp', path: '/mnt/rediacc/repos/webapp', networkId: 2816}, services: {}}
  it('names the failed folder and what was left running after a failed up', () => {
    const err = rediaccfileError(
      {
        exitCode: 1,
        durationMs: 5,
        summary: {...base, action: 'up', ok: false, failed: ['worker'], steps: [{folder: '.', status: 'ok', exitCode: 0, durationMs: 1}, {folder: 'worker', status: 'failed', exitCode: 2, durationMs: 1}]},
      },
      'm1',
      'webapp',
    )
    expect(err?.kind).toBe('failure')
    expect(err?.message).toBe('up failed in worker/Rediaccfile on m1 (exit 2). These came up and keep running: the root Rediaccfile (stop them with rdc repo down webapp).')
  })

  it('is a usage error when renet refused the run before any step', () => {
    const err = rediaccfileError({exitCode: 2, durationMs: 1, summary: {...base, action: 'prep', ok: false, failed: [], steps: [], error: {message: 'Rediaccfile does not parse', suggestion: 'bash -n Rediaccfile'}}}, 'm1', 'webapp')
    expect(err).toMatchObject({kind: 'usage', message: 'm1: Rediaccfile does not parse (nothing was run)', suggestion: 'bash -n Rediaccfile'})
  })

  it('is nothing when the run was fine', () => {
    expect(rediaccfileError({exitCode: 0, durationMs: 1, summary: {...base, action: 'up', ok: true, failed: [], steps: []}}, 'm1', 'webapp')).toBeUndefined()
  })
})
