import {execFileSync} from 'node:child_process'
import {mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import fc from 'fast-check'
import {afterEach, describe, expect, it} from 'vitest'

import {fingerprintOf} from './host.js'
import {imageKey, PACKAGES, RECIPE_VERSION} from './image.js'
import {claimSubnet, hostAddresses, hostAddresses6, instanceId, instanceLayout, SUBNET_COUNT, subnetPrefix} from './instance.js'
import {vethPlan} from './network.js'

describe('instance ids and names', () => {
  it('derives a 6-hex id from the repository path, different per path and per role', () => {
    const a = instanceId({}, 'test', '/work/a')
    expect(a).toMatch(/^[0-9a-f]{6}$/)
    expect(instanceId({}, 'test', '/work/a')).toBe(a)
    expect(instanceId({}, 'test', '/work/b')).not.toBe(a)
    expect(instanceId({}, 'cli', '/work/a')).not.toBe(a)
  })

  it('takes RDC_TESTHOST_INSTANCE when given and refuses one that would not fit a veth name', () => {
    expect(instanceId({RDC_TESTHOST_INSTANCE: 'ci7'})).toBe('ci7')
    expect(() => instanceId({RDC_TESTHOST_INSTANCE: 'toolong1'})).toThrow(/1-6 of \[a-z0-9\]/)
    expect(() => instanceId({RDC_TESTHOST_INSTANCE: 'Ab-1'})).toThrow(/1-6/)
  })

  it('puts the id in every name it creates', () => {
    const l = instanceLayout('test', {RDC_TESTHOST_INSTANCE: 'q1w2e3', RDC_TESTHOST_STATE: '/var/tmp/x'})
    expect(l.dir).toBe('/var/tmp/x/q1w2e3')
    expect(l.dockerdSocket).toBe('/var/tmp/x/q1w2e3/docker.sock')
    expect(l.dockerdExecRoot).toBe('/run/rdc-th-q1w2e3')
    expect(l.containerPrefix).toBe('rdc-th-q1w2e3-')
    expect(l.vethPrefix).toBe('rthq1w2e3')
    expect(l.label).toBe('rdc.testhost.instance=q1w2e3')
  })

  it('keeps veth names within 15 bytes for any id and host number', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9]{1,6}$/), fc.integer({min: 1, max: 63}), (id, n) => {
        const plan = vethPlan(`rth${id}`, '198.18.5', n)
        expect(plan.outerName.length).toBeLessThanOrEqual(15)
        expect(plan.innerName.length).toBeLessThanOrEqual(15)
        expect(plan.outerName).not.toBe(plan.innerName)
      }),
    )
  })
})

describe('test subnets', () => {
  it('maps every index into 198.18.0.0/15', () => {
    expect(subnetPrefix(0)).toBe('198.18.0')
    expect(subnetPrefix(255)).toBe('198.18.255')
    expect(subnetPrefix(256)).toBe('198.19.0')
    expect(subnetPrefix(SUBNET_COUNT - 1)).toBe('198.19.255')
  })

  it('gives each host a /30 of its own that no other host overlaps', () => {
    const seen = new Set<string>()
    for (let n = 1; n <= 63; n++) {
      const a = hostAddresses('198.18.7', n)
      expect(a.cidr).toBe(30)
      const last = Number(a.inner.split('.')[3])
      expect(last % 4).toBe(2)
      expect(Number(a.outer.split('.')[3])).toBe(last - 1)
      expect(seen.has(a.inner)).toBe(false)
      seen.add(a.inner)
    }

    expect(() => hostAddresses('198.18.7', 64)).toThrow(/1\.\.63/)
  })

  it("gives each host an IPv6 /126 in its own subnet's unique-local /64, mirroring the IPv4 numbers", () => {
    expect(hostAddresses6('198.18.7', 1)).toEqual({outer6: 'fd72:6463:7468:7::1', inner6: 'fd72:6463:7468:7::2', cidr6: 126})
    expect(hostAddresses6('198.19.255', 63)).toEqual({outer6: 'fd72:6463:7468:1ff::f9', inner6: 'fd72:6463:7468:1ff::fa', cidr6: 126})
    const prefixes = new Set(Array.from({length: SUBNET_COUNT}, (_, k) => hostAddresses6(subnetPrefix(k), 1).inner6.split('::')[0]))
    expect(prefixes.size).toBe(SUBNET_COUNT)
  })

  let state: string | undefined
  afterEach(() => {
    if (state) rmSync(state, {recursive: true, force: true})
  })

  it('claims a different subnet for each instance and the same one again for the same instance', () => {
    state = mkdtempSync(join(tmpdir(), 'rdc-th-subnets-'))
    const env = {RDC_TESTHOST_STATE: state}
    const ids = ['a1', 'b2', 'c3', 'd4', 'e5', 'f6', 'g7', 'h8']
    const prefixes = ids.map((id) => claimSubnet(id, env))
    expect(new Set(prefixes).size).toBe(ids.length)
    expect(ids.map((id) => claimSubnet(id, env))).toEqual(prefixes)
    expect(readdirSync(join(state, 'subnets'))).toHaveLength(ids.length)
  })

  it('moves on when its first choice is claimed by another instance', () => {
    state = mkdtempSync(join(tmpdir(), 'rdc-th-subnets-'))
    const env = {RDC_TESTHOST_STATE: state}
    const first = claimSubnet('x1', env)
    const file = readdirSync(join(state, 'subnets'))[0]!
    expect(readFileSync(join(state, 'subnets', file), 'utf8').trim()).toBe('x1')
    // Pretend another instance took x1's slot before x1 ever ran.
    writeFileSync(join(state, 'subnets', file), 'other\n')
    const second = claimSubnet('x1', env)
    expect(second).not.toBe(first)
  })
})

describe('host key fingerprints and the image key', () => {
  it('computes the fingerprint ssh-keygen prints', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rdc-th-key-'))
    try {
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'k')])
      const pub = readFileSync(join(dir, 'k.pub'), 'utf8')
      const printed = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'k.pub')], {encoding: 'utf8'}).split(' ')[1]
      expect(fingerprintOf(pub)).toBe(printed)
      expect(fingerprintOf(pub)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('keys the image cache by its package list and recipe version, not by the list order', () => {
    expect(imageKey()).toMatch(/^[0-9a-f]{12}$/)
    expect(imageKey([...PACKAGES].reverse())).toBe(imageKey())
    expect(imageKey([...PACKAGES, 'vim'])).not.toBe(imageKey())
    expect(imageKey(PACKAGES, RECIPE_VERSION + 1)).not.toBe(imageKey())
    expect(PACKAGES).toEqual(expect.arrayContaining(['systemd', 'openssh-server', 'docker.io', 'nodejs', 'docker-compose']))
  })
})
