import {spawn} from 'node:child_process'
import {X509Certificate} from 'node:crypto'
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {processAlive} from '../../../src/process-alive.js'
import {until} from '../wait.js'
import {startAcmeLab} from './lab.js'
import {httpsGet} from './pebble.js'

describe('the ACME lab', () => {
  it('serves Pebble\'s directory at every address, pointing back at that address, behind a certificate its listener CA signed', async () => {
    const addresses = ['127.0.0.191', '127.0.0.192', '::1']
    const lab = await startAcmeLab({addresses, zones: ['example.com'], token: 't', dnsPort: 0})
    try {
      for (const address of addresses) {
        const url = lab.directoryUrl(address)
        const r = await httpsGet(url, lab.listenerCaPem)
        expect(r.status).toBe(200)
        const dir = JSON.parse(r.body) as Record<string, string>
        expect(new URL(dir.newOrder).host).toBe(new URL(url).host)
      }
      expect(() => lab.directoryUrl('127.0.0.193')).toThrow(/does not listen on 127\.0\.0\.193/)
    } finally {
      await lab.stop()
    }
  })

  it('gives Pebble\'s issuing root and intermediate, the intermediate signed by the root', async () => {
    const lab = await startAcmeLab({addresses: ['127.0.0.194'], zones: ['example.com'], token: 't', dnsPort: 0})
    try {
      const root = new X509Certificate(lab.pebbleRootPem())
      const intermediate = new X509Certificate(lab.pebbleIntermediatePem())
      expect(root.subject).toMatch(/Pebble Root CA/)
      expect(root.ca).toBe(true)
      expect(intermediate.verify(root.publicKey)).toBe(true)
      expect(new X509Certificate(lab.listenerCaPem).subject).toMatch(/rdc ACME lab listener CA/)
      expect(existsSync(lab.listenerCaFile)).toBe(true)
      expect(lab.traefikEnv()).toEqual({CF_DNS_API_TOKEN: 't', CLOUDFLARE_BASE_URL: lab.cloudflareBaseUrl()})
    } finally {
      await lab.stop()
    }
  })

  it('stop() ends Pebble and challtestsrv and frees every port', async () => {
    const lab = await startAcmeLab({addresses: ['127.0.0.195'], zones: ['example.com'], token: 't', dnsPort: 0})
    const pids = lab.pids()
    const dirUrl = lab.directoryUrl()
    await lab.stop()
    expect(processAlive(pids.pebble)).toBe(false)
    expect(processAlive(pids.challtestsrv)).toBe(false)
    await expect(httpsGet(dirUrl, lab.listenerCaPem)).rejects.toThrow(/ECONNREFUSED/)
    await lab.stop() // a second stop is harmless
  })

  it('Pebble and challtestsrv do not outlive a test process that is SIGKILLed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rdc-acme-lab-held-'))
    const holder = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'hold-lab.ts'), '127.0.0.196', dir], {stdio: ['ignore', 'pipe', 'pipe']})
    let out = ''
    holder.stdout.on('data', (c: Buffer) => (out += c.toString()))
    holder.stderr.on('data', (c: Buffer) => (out += c.toString()))
    await until(async () => out.includes('}') || holder.exitCode !== null, 'the holder to print its lab\'s pids', {timeoutMs: 30_000, intervalMs: 50})
    const pids = JSON.parse(out.trim().split('\n').at(-1)!) as {pebble: number; challtestsrv: number}
    expect(processAlive(pids.pebble)).toBe(true)
    holder.kill('SIGKILL')
    try {
      await until(async () => !processAlive(pids.pebble) && !processAlive(pids.challtestsrv), 'Pebble and challtestsrv to exit', {timeoutMs: 10_000, intervalMs: 50})
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
