import {existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {homedir, tmpdir, userInfo} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {parseSshConfig, readSshConfig} from './ssh-config.js'
import {fingerprintOf, hostKeyAlgorithmsFor, keyTypeOf, parseOpenSshKey, toOpenSshLine} from './ssh-keys.js'

const CONFIG = `
# global defaults come last in real files; first value wins
Host prod-*  !prod-legacy
  HostName %h.internal.example.com
  User deploy
  Port 2222
  IdentityFile ~/.ssh/prod_%r

Host prod-legacy
  HostName=10.0.0.9
  User root

Match host *.example.com
  User matched

Host *
  User fallback
  Port 22
  IdentityFile "~/.ssh/id ed25519"
`

describe('parseSshConfig', () => {
  it('applies the first value of every matching Host block, with tokens and ~ expanded', () => {
    expect(parseSshConfig(CONFIG, 'prod-web')).toEqual({
      hostName: 'prod-web.internal.example.com',
      user: 'deploy',
      port: 2222,
      identityFiles: [join(homedir(), '.ssh', 'prod_deploy'), join(homedir(), '.ssh', 'id ed25519')],
    })
  })

  it('honours negated patterns, key=value syntax, and skips Match blocks', () => {
    expect(parseSshConfig(CONFIG, 'prod-legacy')).toEqual({hostName: '10.0.0.9', user: 'root', port: 22, identityFiles: [join(homedir(), '.ssh', 'id ed25519')]})
    expect(parseSshConfig(CONFIG, 'other')).toEqual({user: 'fallback', port: 22, identityFiles: [join(homedir(), '.ssh', 'id ed25519')]})
    expect(parseSshConfig('Host x\n  IdentityFile %d/k-%u\n', 'x').identityFiles).toEqual([`${homedir()}/k-${userInfo().username}`])
    expect(parseSshConfig('', 'x')).toEqual({identityFiles: []})
  })
})

describe('Include and Match', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rdc-ssh-config-'))
  })
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  it('reads Included files relative to the config folder, in name order, with a wildcard, as ssh does', async () => {
    mkdirSync(join(dir, 'config.d'))
    writeFileSync(join(dir, 'config.d', '20-prod'), 'Host prod\n  HostName 203.0.113.7\n  User second\n')
    writeFileSync(join(dir, 'config.d', '10-prod'), 'Host prod\n  User first\n  Port 2200\n')
    writeFileSync(join(dir, 'config.d', '.hidden'), 'Host *\n  User hidden\n')
    writeFileSync(join(dir, 'config'), 'Include config.d/*\n\nHost *\n  User fallback\n  IdentityFile ~/.ssh/id_ed25519\n')
    expect(await readSshConfig('prod', join(dir, 'config'))).toEqual({hostName: '203.0.113.7', user: 'first', port: 2200, identityFiles: [join(homedir(), '.ssh', 'id_ed25519')]})
    expect(await readSshConfig('other', join(dir, 'config'))).toEqual({user: 'fallback', identityFiles: [join(homedir(), '.ssh', 'id_ed25519')]})
  })

  it('applies an Include inside a Host block only to that host, and the block goes on after it', async () => {
    writeFileSync(join(dir, 'bastion.conf'), 'Port 2222\nHost other\n  User nobody\n')
    writeFileSync(join(dir, 'config'), `Host db\n  Include ${join(dir, 'bastion.conf')}\n  User dba\n`)
    expect(await readSshConfig('db', join(dir, 'config'))).toEqual({port: 2222, user: 'dba', identityFiles: []})
    expect(await readSshConfig('web', join(dir, 'config'))).toEqual({identityFiles: []})
    // A file that includes itself stops at ssh's depth limit instead of looping.
    writeFileSync(join(dir, 'loop'), 'Include loop\nHost *\n  Port 7\n')
    expect(await readSshConfig('x', join(dir, 'loop'))).toEqual({port: 7, identityFiles: []})
  })

  it('evaluates Match host, originalhost, user, localuser, all and negation; never runs Match exec', () => {
    const config = [
      'Host app',
      '  HostName app.internal.example.com',
      'Match host *.internal.example.com !user ops',
      '  User deploy',
      'Match originalhost legacy',
      '  Port 2022',
      'Match exec "touch /tmp/rdc-should-not-exist"',
      '  IdentityFile ~/.ssh/exec_key',
      `Match localuser ${userInfo().username}`,
      '  IdentityFile ~/.ssh/mine',
      'Match all',
      '  Port 22',
    ].join('\n')
    expect(parseSshConfig(config, 'app')).toEqual({hostName: 'app.internal.example.com', user: 'deploy', port: 22, identityFiles: [join(homedir(), '.ssh', 'mine')]})
    expect(parseSshConfig(config, 'legacy')).toEqual({port: 2022, identityFiles: [join(homedir(), '.ssh', 'mine')]})
    // The user so far is the one an earlier block set (else the local one): a negated user criterion sees it.
    expect(parseSshConfig('Host app\n  User ops\n  HostName a.internal.example.com\nMatch host *.internal.example.com !user ops\n  Port 9\n', 'app').port).toBeUndefined()
    expect(existsSync('/tmp/rdc-should-not-exist')).toBe(false)
  })
})

describe('ssh-keys', () => {
  const line = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7cXzCpmT0Z8s9U2F6d2t4f1qOZmVv0pY7b3Q5r9xYz'

  it('round-trips OpenSSH lines and fingerprints like ssh-keygen -lf', () => {
    const key = parseOpenSshKey(`${line} some comment`)
    expect(key.type).toBe('ssh-ed25519')
    expect(keyTypeOf(key.blob)).toBe('ssh-ed25519')
    expect(toOpenSshLine(key.blob)).toBe(line)
    // `ssh-keygen -lf` of this key prints SHA256:NTnVL+Ux0o/WCKJK+6TsZeV3H0854KSDmiNXfTXc3wM.
    expect(fingerprintOf(key.blob)).toBe('SHA256:NTnVL+Ux0o/WCKJK+6TsZeV3H0854KSDmiNXfTXc3wM')
  })

  it('refuses malformed keys and keys whose data holds another type', () => {
    expect(() => parseOpenSshKey('ssh-ed25519')).toThrow('not an OpenSSH public key')
    expect(() => parseOpenSshKey('ssh-ed25519 %%%')).toThrow('not an OpenSSH public key')
    expect(() => parseOpenSshKey(line.replace('ssh-ed25519', 'ecdsa-sha2-nistp256'))).toThrow('does not hold a ecdsa-sha2-nistp256 key')
  })

  it('offers the pinned key type only (RSA in its SHA-2 forms)', () => {
    expect(hostKeyAlgorithmsFor('ssh-ed25519')).toEqual(['ssh-ed25519'])
    expect(hostKeyAlgorithmsFor('ssh-rsa')).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'])
  })
})
