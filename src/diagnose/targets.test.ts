import {describe, expect, it} from 'vitest'

import {ConnectionError, HostKeyError} from '../errors.js'
import {checkSsh} from './checks/ssh.js'
import {localFactsFor, sshFactsFromError} from './targets.js'

describe('local facts from the context', () => {
  const machine = {
    host: '203.0.113.50',
    user: 'deploy',
    port: 22,
    hostKey: 'ssh-ed25519 AAAA',
    infra: {publicIPv4: '203.0.113.50', baseDomain: 'example.com', certEmail: 'a@example.com', cfDnsApiToken: 'cf-secret-token', tcpPorts: [25]},
  }
  const repositories = {shop: {machine: 'server-1', networkId: 2816}, blog: {machine: 'server-2', networkId: 2880}}

  it('keeps the settings, the repositories of this machine, and only whether a token exists', () => {
    const facts = localFactsFor({machineName: 'server-1', machine, repositories, askedHost: 'App.Example.com.', askedRepo: 'shop', env: {}})
    expect(facts).toEqual({
      machine: 'server-1',
      hasHostKey: true,
      infra: {publicIPv4: '203.0.113.50', baseDomain: 'example.com', certEmail: 'a@example.com', hasCfDnsToken: true, tcpPorts: [25]},
      repositories: [{name: 'shop', networkId: 2816}],
      askedHost: 'app.example.com',
      askedRepo: {name: 'shop', networkId: 2816},
    })
    expect(JSON.stringify(facts)).not.toContain('cf-secret-token')
  })

  it('passes the ACME CA server and CA certificates on, for verifying served chains', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'
    const acme = {...machine, infra: {...machine.infra, acmeCaServer: 'https://pebble:14000/dir', acmeCaCertificates: pem}}
    expect(localFactsFor({machineName: 'server-1', machine: acme, repositories, env: {}}).infra).toMatchObject({acmeCaServer: 'https://pebble:14000/dir', acmeCaCertificates: pem})
    expect(localFactsFor({machineName: 'server-1', machine, repositories, env: {}}).infra).not.toHaveProperty('acmeCaServer')
  })

  it('counts RDC_CF_DNS_TOKEN as a token', () => {
    const bare = {...machine, infra: {publicIPv4: '203.0.113.50'}}
    expect(localFactsFor({machineName: 'server-1', machine: bare, repositories, env: {}}).infra.hasCfDnsToken).toBe(false)
    expect(localFactsFor({machineName: 'server-1', machine: bare, repositories, env: {RDC_CF_DNS_TOKEN: 'x'}}).infra.hasCfDnsToken).toBe(true)
  })
})

describe('SSH facts from connection errors', () => {
  const target = 'deploy@203.0.113.50:22'

  it('a changed host key keeps both fingerprints and fails with the re-pin command', () => {
    const error = new HostKeyError('The host key of server-1 (203.0.113.50:22) has changed. Expected SHA256:oldAAA, received SHA256:newBBB. Nothing was run.')
    const facts = sshFactsFromError(error, target, 31)
    expect(facts).toMatchObject({outcome: 'host-key-mismatch', pinned: 'SHA256:oldAAA', presented: 'SHA256:newBBB', durationMs: 31})
    expect(checkSsh(facts, 'server-1')).toMatchObject({
      status: 'fail',
      detail: 'host key changed: pinned SHA256:oldAAA, server presented SHA256:newBBB; nothing was run',
      fix: 'if the server was rebuilt on purpose, re-pin it: rdc context scan-keys server-1; otherwise do not connect (the connection may be intercepted)',
    })
  })

  it('unpinned, refused login, timeout and unreachable', () => {
    expect(sshFactsFromError(new HostKeyError('No host key is pinned for server-1.'), target, 0).outcome).toBe('unpinned')
    expect(sshFactsFromError(new ConnectionError(`Login to ${target} failed: All configured authentication methods failed`), target, 0).outcome).toBe('auth-failed')
    expect(sshFactsFromError(new ConnectionError(`Cannot reach ${target}: Timed out while waiting for handshake`), target, 0).outcome).toBe('timeout')
    expect(sshFactsFromError(new ConnectionError(`Cannot reach ${target}: connect ECONNREFUSED 203.0.113.50:22`), target, 0).outcome).toBe('unreachable')
    expect(checkSsh(sshFactsFromError(new HostKeyError('No host key is pinned for server-1.'), target, 0), 'server-1').fix).toBe('pin it: rdc context scan-keys server-1')
  })
})
