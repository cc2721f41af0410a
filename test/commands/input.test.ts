import {spawn} from 'node:child_process'
import {lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, relative} from 'node:path'
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {BIN, cli, cliEnv, ensureBuilt, ROOT} from '../lab/index.js'

/**
 * Bad input is refused before anything is written: arguments never come from standard input, and --datastore,
 * --host, --size and --out are checked (exit 2, the field named, with a fix). A context file edited by hand into
 * something rdc would never write is a config error (exit 3, key path and line) and is never rewritten.
 */

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7cXzCpmT0Z8s9U2F6d2t4f1qOZmVv0pY7b3Q5r9xYz'
const TOKEN = 'cf-piped-token-0123456789abcdef'

let dir: string
let configFile: string
const saved = {...process.env}
const cwd = process.cwd()

beforeAll(() => {
  ensureBuilt()
  delete process.env.RDC_CONTEXT
  delete process.env.RDC_MACHINE
  delete process.env.RDC_CF_DNS_TOKEN
})
afterAll(() => {
  process.env = saved
})
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rdc-input-'))
  configFile = join(dir, 'config.yaml')
  process.env.RDC_CONFIG = configFile
  await writeFile(join(dir, 'package.json'), '{"name": "t"}')
  process.chdir(dir)
})
afterEach(async () => {
  process.chdir(cwd)
  delete process.env.RDC_MACHINE
  await rm(dir, {recursive: true, force: true})
})

async function setup(): Promise<string> {
  expect((await cli(['context', 'create', 'prod'])).code).toBe(0)
  expect((await cli(['context', 'add-machine', 'server-1', '--host', '198.51.100.7', '--user', 'deploy', '--host-key', KEY])).code).toBe(0)
  return readFile(configFile, 'utf8')
}

/** `rdc ARGS` as a user runs it from a shell script (bin/run.js), with `input` on its standard input. */
function shell(script: string, env: NodeJS.ProcessEnv = {}, input?: string): Promise<{code: number | null; stdout: string; stderr: string}> {
  const full = cliEnv({config: configFile, env: {RDC: `${process.execPath} ${BIN}`, ...env}})
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', script], {cwd: dir, env: full, stdio: ['pipe', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({code, stdout, stderr}))
    child.stdin.end(input ?? '')
  })
}

async function commandFiles(folder: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(folder, {withFileTypes: true})) {
    const path = join(folder, entry.name)
    if (entry.isDirectory()) out.push(...(await commandFiles(path)))
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) out.push(path)
  }
  return out
}

describe('arguments never read standard input', () => {
  it('every argument of every command is declared ignoreStdin (oclif reads stdin for an argument not given otherwise)', async () => {
    const files = await commandFiles(join(ROOT, 'src', 'commands'))
    expect(files.length).toBeGreaterThan(15)
    for (const file of files) {
      const command = (await import(file)).default as {args?: Record<string, {ignoreStdin?: boolean}>}
      for (const [name, arg] of Object.entries(command.args ?? {})) expect(arg.ignoreStdin, `${relative(ROOT, file)}: ${name}`).toBe(true)
    }
  })

  it('a piped token with RDC_MACHINE is the token, not the machine name', async () => {
    await setup()
    // No call to Cloudflare where set-infra would check the token.
    const setInfra = (await import('../../src/commands/context/set-infra.js')).default
    const noCheck = 'token-check' in setInfra.flags ? ' --no-token-check' : ''
    const r = await shell(`printf %s "$TOKEN" | RDC_MACHINE=server-1 $RDC context set-infra --cf-dns-token -${noCheck} --json`, {TOKEN})
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout).machine).toBe('server-1')
    expect(await readFile(configFile, 'utf8')).toContain(`cfDnsApiToken: ${TOKEN}`)
  })

  it('inside a `while read` loop, commands with an optional argument left out do not eat the loop\'s input', async () => {
    await setup()
    const r = await shell('while read -r x; do $RDC context show --json > /dev/null && RDC_MACHINE=server-1 $RDC context show-infra > /dev/null && echo "got $x"; done', {}, 'one\ntwo\nthree\n')
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe('got one\ngot two\ngot three\n')
  }, 60_000)

  it('a missing required argument is a usage error even with something on stdin', async () => {
    await setup()
    const r = await shell('echo prod | $RDC context use --json')
    expect(r.code).toBe(2)
    expect(JSON.parse(r.stdout).error.message).toMatch(/name/)
  })
})

describe('bad input is refused with the field, a fix and exit 2, and nothing is written', () => {
  async function refused(args: string[], field: string, message: RegExp, before: string): Promise<void> {
    const out = await cli([...args, '--json'])
    expect(out.code, out.stdout).toBe(2)
    expect(out.json.error.kind).toBe('usage')
    expect(out.json.error.field).toBe(field)
    expect(out.json.error.message).toMatch(message)
    expect(out.json.error.suggestion).toBeTruthy()
    expect(await readFile(configFile, 'utf8')).toBe(before)
    expect(await readdir(dir)).toEqual(['config.yaml', 'package.json'])
  }

  it('--datastore: relative, "..", not normalised, control characters, shell characters', async () => {
    const before = await setup()
    const add = (datastore: string) => ['context', 'add-machine', 'server-2', '--host', '198.51.100.8', '--user', 'deploy', '--host-key', KEY, '--datastore', datastore]
    await refused(add('../../etc'), '--datastore', /is not an absolute path/, before)
    await refused(add('/mnt/../etc'), '--datastore', /contains "\.\."/, before)
    await refused(add('/mnt/x/'), '--datastore', /not in normal form/, before)
    await refused(add('/mnt/x\nrm -rf /'), '--datastore', /control character/, before)
    await refused(add('/mnt/$(id)'), '--datastore', /contains "\$"/, before)
    const ok = await cli([...add('/srv/rediacc'), '--json'])
    expect(ok.code).toBe(0)
    expect(await readFile(configFile, 'utf8')).toContain('datastore: /srv/rediacc')
  })

  it('--host: 999.1.1.1, 127.1 and shell text', async () => {
    const before = await setup()
    const add = (host: string) => ['context', 'add-machine', 'server-2', '--host', host, '--user', 'deploy', '--host-key', KEY]
    await refused(add('999.1.1.1'), '--host', /"999\.1\.1\.1" is not a valid IPv4 address/, before)
    await refused(add('127.1'), '--host', /"127\.1" is not a valid IPv4 address/, before)
    await refused(add('1.2.3.4; rm -rf /'), '--host', /contains spaces/, before)
  })

  it('repo create --size: past 16T, or not a size', async () => {
    const before = await setup()
    await refused(['repo', 'create', 'app', '-m', 'server-1', '--size', '99999999999999T'], '--size', /larger than 16T/, before)
    await refused(['repo', 'create', 'app', '-m', 'server-1', '--size', '17T'], '--size', /larger than 16T/, before)
    await refused(['repo', 'create', 'app', '-m', 'server-1', '--size', '1e9'], '--size', /is not a size/, before)
    expect((await cli(['repo', 'create', 'app', '-m', 'server-1', '--size', '16T'])).code).toBe(0)
  })

  it('push-infra --out: a link planted in DIR (the token would land in its target)', async () => {
    await setup()
    const out = join(dir, 'out')
    const victim = join(dir, 'victim.txt')
    await writeFile(victim, 'precious')
    await mkdir(join(out, 'opt', 'rediacc', 'proxy'), {recursive: true})
    await symlink(victim, join(out, 'opt', 'rediacc', 'proxy', 'config.env'))
    expect((await cli(['context', 'set-infra', 'server-1', '--cf-dns-token', TOKEN, '--no-token-check', '--public-ipv4', '203.0.113.50', '--allow-private'])).code).toBe(0)
    const r = await cli(['context', 'push-infra', 'server-1', '--out', out, '--json'])
    expect(r.code).toBe(2)
    expect(r.json.error.field).toBe('--out')
    expect(r.json.error.message).toContain('config.env is a symbolic link')
    expect(await readFile(victim, 'utf8')).toBe('precious')
    expect(await readdir(out)).toEqual(['opt'])
    expect(await readdir(join(out, 'opt', 'rediacc', 'proxy'))).toEqual(['config.env'])
    expect((await lstat(join(out, 'opt', 'rediacc', 'proxy', 'config.env'))).isSymbolicLink()).toBe(true)
  })
})

describe('a context file that rdc would never write is a config error (exit 3) and stays as it is', () => {
  async function broken(text: string, key: string, line: number, message: RegExp): Promise<void> {
    await writeFile(configFile, text, {mode: 0o600})
    const inode = (await stat(configFile)).ino
    for (const args of [['context', 'show'], ['context', 'set-infra', 'server-1', '--base-domain', 'example.com'], ['repo', 'create', 'other', '-m', 'server-1']]) {
      const out = await cli([...args, '--json'])
      expect(out.code, `${args.join(' ')}: ${out.stdout}`).toBe(3)
      expect(out.json.error.kind).toBe('config')
      expect(out.json.error.message).toContain(`"${key}", line ${line}`)
      expect(out.json.error.message).toMatch(message)
      expect(out.json.error.message).not.toMatch(/\n\s+at /)
    }
    const human = await cli(['context', 'show'])
    expect(human.code).toBe(3)
    expect(human.stderr).not.toMatch(/\n\s+at /)
    expect(await readFile(configFile, 'utf8')).toBe(text)
    expect((await stat(configFile)).ino).toBe(inode)
  }

  it('a network id off the grid, a shared one, a repository on an unknown machine, a bad host and hostKey', async () => {
    const text = await setup()
    const repos = (lines: string) => text.replace('    repositories: {}\n', `    repositories:\n${lines}`)
    await broken(repos('      app: {machine: server-1, networkId: 12345}\n'), 'contexts.prod.repositories.app.networkId', 14, /12345 is not a network id/)
    await broken(repos('      app: {machine: server-1, networkId: 2816}\n      web:\n        machine: server-1\n        networkId: 2816\n'), 'contexts.prod.repositories.web.networkId', 17, /also the network id of repository "app"/)
    await broken(repos('      app: {machine: gone, networkId: 2816}\n'), 'contexts.prod.repositories.app.machine', 14, /"gone" is not a machine/)
    await broken(text.replace('host: 198.51.100.7', 'host: "1.2.3.4; rm -rf /"'), 'contexts.prod.machines.server-1.host', 8, /contains spaces/)
    await broken(text.replace(/hostKey: .*/, 'hostKey: ssh-ed25519 AAAAC3Nz'), 'contexts.prod.machines.server-1.hostKey', 11, /does not hold a ssh-ed25519 key|not an OpenSSH public key/)
  })

  it('an alias bomb', async () => {
    const rows = ['a: &a [x, x, x, x, x, x, x, x, x]']
    for (const [i, c] of [...'bcdefghi'].entries()) rows.push(`${c}: &${c} [${Array.from({length: 9}, () => `*${'abcdefghi'[i]}`).join(', ')}]`)
    const text = `version: 1\ncontexts:\n  prod:\n    machines: {}\nbomb:\n${rows.map((r) => `  ${r}`).join('\n')}\n`
    await writeFile(configFile, text)
    const out = await cli(['context', 'show', 'prod', '--json'])
    expect(out.code).toBe(3)
    expect(out.json.error.message).toContain('expands YAML aliases more than 100 times (an alias bomb?) (first alias on line 7)')
    expect(await readFile(configFile, 'utf8')).toBe(text)
  })
})
