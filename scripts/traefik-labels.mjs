#!/usr/bin/env node
// Writes src/renet/router/traefik-labels.generated.json: the label model of the Traefik release rdc runs
// (TRAEFIK_VERSION in src/infra/traefik-version.ts), read from Traefik's Go source, the dynamic-configuration
// types the Docker provider decodes labels into (pkg/config/dynamic and the packages they use), by their
// struct tags as paerser reads them:
//   - a field's label name is its Go name (matched case-insensitively), or its `label-slice-as-struct` name;
//   - `label:"-"` hides a field from labels; `label:"allowEmpty"` lets the field stand alone (`tls=true`);
//   - the name a decoded value is served under is its `json` name (the Go name, first letter lowered, when
//     the json tag is "-": such fields are consumed by the provider, e.g. `server.port`);
//   - embedded structs are inlined.
// It also records the label filters of pkg/config/label/label.go and every field path labels can set.
//
//   node scripts/traefik-labels.mjs [--src <traefik git dir>] [--ref <tag or commit>] [--check]
//
// The source is a git clone of Traefik (github.com/traefik/traefik, with its tags): --src, else $TRAEFIK_SRC.
// Without --ref the tag v<TRAEFIK_VERSION> is used, else the newest v<major>.<minor>.<n> tag below it (the one
// recorded as `source.ref`). --check writes nothing and exits 1 when the file differs.
import {execFileSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const OUT = 'src/renet/router/traefik-labels.generated.json'
const args = process.argv.slice(2)
const arg = (name) => {
  const i = args.indexOf(name)
  return i < 0 ? undefined : args[i + 1]
}

const src = arg('--src') ?? process.env.TRAEFIK_SRC
if (!src) {
  console.error('traefik-labels: give a git clone of Traefik with --src DIR (or TRAEFIK_SRC=DIR)')
  process.exit(2)
}
const version = /TRAEFIK_VERSION\s*=\s*'([^']+)'/.exec(readFileSync(`${root}src/infra/traefik-version.ts`, 'utf8'))?.[1]
if (!version) throw new Error('TRAEFIK_VERSION not found in src/infra/traefik-version.ts')

const git = (...a) => execFileSync('git', ['-C', src, ...a], {encoding: 'utf8', maxBuffer: 64 << 20})

function pickRef() {
  const given = arg('--ref')
  if (given) return {ref: given, exact: given === `v${version}`}
  const tags = git('tag', '--list', 'v*').split('\n')
  if (tags.includes(`v${version}`)) return {ref: `v${version}`, exact: true}
  const [major, minor, patch] = version.split('.').map(Number)
  const below = tags
    .map((t) => /^v(\d+)\.(\d+)\.(\d+)$/.exec(t))
    .filter((m) => m && Number(m[1]) === major && Number(m[2]) === minor && Number(m[3]) <= patch)
    .sort((a, b) => Number(b[3]) - Number(a[3]))
  if (below.length === 0) throw new Error(`no tag v${major}.${minor}.x at or below v${version} in ${src}`)
  return {ref: below[0][0], exact: false}
}

const {ref, exact} = pickRef()
const commit = git('rev-parse', `${ref}^{commit}`).trim()
const GO_MODULE = 'github.com/traefik/traefik/v3/'
// Modules of the repository that live outside the v3 module path (go.mod `replace`).
const LOCAL_MODULES = {'github.com/traefik/traefik/dynamic/ext': 'pkg/config/dynamic/ext'}
// Types from outside Traefik's repository that labels reach, and how paerser reads them.
const EXTERNAL = {'github.com/traefik/paerser/types.Duration': {scalar: 'duration'}}

// ---- a small reader for the Go declarations we need: package-level `type` declarations and their fields ----

function stripComments(text) {
  let out = ''
  let i = 0
  while (i < text.length) {
    const c = text[i]
    if (c === '`' || c === '"' || c === "'") {
      let j = i + 1
      while (j < text.length && text[j] !== c) j += c === '`' ? 1 : text[j] === '\\' ? 2 : 1
      out += text.slice(i, j + 1)
      i = j + 1
    } else if (text.startsWith('//', i)) {
      while (i < text.length && text[i] !== '\n') i++
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2)
      out += text.slice(i, end + 2).replace(/[^\n]/g, ' ')
      i = end + 2
    } else {
      out += c
      i++
    }
  }

  return out
}

function parseImports(text) {
  const imports = {}
  const block = /^import\s*\(([\s\S]*?)^\)/m.exec(text)?.[1] ?? ''
  const single = [...text.matchAll(/^import\s+(\w+\s+)?"([^"]+)"/gm)].map((m) => `${m[1] ?? ''}"${m[2]}"`)
  for (const line of [...block.split('\n'), ...single]) {
    const m = /^\s*(\w+)?\s*"([^"]+)"/.exec(line)
    if (!m) continue
    imports[m[1] ?? m[2].split('/').pop()] = m[2]
  }

  return imports
}

/** `type X struct {…}` and `type X <other type>` at package level. */
function parseTypes(text) {
  const types = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const head = /^type\s+(\w+)\s+(.+?)\s*$/.exec(lines[i])
    if (!head) continue
    const [, name, rest] = head
    if (/^struct\s*\{\s*\}$/.test(rest)) {
      types[name] = {struct: []}
    } else if (rest === 'struct {') {
      const fields = []
      let depth = 1
      for (i++; i < lines.length && depth > 0; i++) {
        const line = lines[i]
        if (/^\s*}\s*$/.test(line) && depth === 1) break
        if (line.includes('struct {')) {
          depth++
          continue
        }

        if (depth > 1) {
          if (/^\s*}/.test(line)) depth--
          continue
        }

        const tag = /`([^`]*)`/.exec(line)?.[1] ?? ''
        const decl = line.replace(/`[^`]*`/, '').trim()
        if (decl === '') continue
        const parts = decl.split(/\s+/)
        if (parts.length === 1) fields.push({embedded: true, type: parts[0].replace(/^\*/, ''), tag})
        else for (const n of parts.slice(0, -1).join(' ').split(',')) fields.push({name: n.trim(), type: parts.at(-1), tag})
      }

      types[name] = {struct: fields}
    } else if (!rest.startsWith('interface') && !rest.startsWith('=')) {
      types[name] = {alias: rest.replace(/\s*\{.*$/, '')}
    }
  }

  return types
}

const packages = new Map()

function loadPackage(dir) {
  if (packages.has(dir)) return packages.get(dir)
  const files = git('ls-tree', '--name-only', `${commit}:${dir}`)
    .split('\n')
    .filter((f) => f.endsWith('.go') && !f.endsWith('_test.go') && !f.startsWith('zz_generated'))
  const pkg = {dir, types: {}, importsOf: {}}
  for (const f of files) {
    const text = stripComments(git('show', `${commit}:${dir}/${f}`))
    const imports = parseImports(text)
    for (const [name, t] of Object.entries(parseTypes(text))) {
      pkg.types[name] = t
      pkg.importsOf[name] = imports
    }
  }

  packages.set(dir, pkg)
  return pkg
}

function tagValue(tag, key) {
  return new RegExp(`(?:^|\\s)${key}:"([^"]*)"`).exec(tag)?.[1]
}

const SCALARS = {
  string: 'string',
  bool: 'boolean',
  int: 'integer',
  int8: 'integer',
  int16: 'integer',
  int32: 'integer',
  int64: 'integer',
  uint: 'integer',
  uint8: 'integer',
  uint16: 'integer',
  uint32: 'integer',
  uint64: 'integer',
  float32: 'number',
  float64: 'number',
}

// ---- the model: named types → kinds ----
// A kind is one of: {scalar}, {raw: true}, {type: Name}, {map: kind}, {list: scalar}, {structList: kind},
// {sliceAsStruct: kind}. Struct types are kept by name in `types` (a qualified name when two packages share one).
const structs = {}
const structNames = new Map()

function qualified(dir, name) {
  const key = `${dir}.${name}`
  if (structNames.has(key)) return structNames.get(key)
  let short = name
  if (Object.values(Object.fromEntries(structNames)).includes(short)) short = `${dir.split('/').pop()}.${name}`
  structNames.set(key, short)
  return short
}

function resolveName(pkg, context, expr) {
  // `pkg.Type` or `Type`: the package directory and type name.
  const dot = expr.indexOf('.')
  if (dot < 0) return {dir: pkg.dir, name: expr}
  const alias = expr.slice(0, dot)
  const name = expr.slice(dot + 1)
  const path = pkg.importsOf[context]?.[alias]
  if (!path) throw new Error(`${pkg.dir}: unknown package ${alias} in ${expr}`)
  if (EXTERNAL[`${path}.${name}`]) return {external: EXTERNAL[`${path}.${name}`]}
  if (LOCAL_MODULES[path]) return {dir: LOCAL_MODULES[path], name}
  if (!path.startsWith(GO_MODULE)) throw new Error(`${pkg.dir}: ${expr} is from ${path}, which the generator does not know`)
  return {dir: path.slice(GO_MODULE.length), name}
}

function kindOf(pkg, context, expr) {
  const t = expr.replace(/^\*/, '')
  if (SCALARS[t]) return {scalar: SCALARS[t]}
  if (t === 'any' || t === 'interface{}') return {raw: true}
  if (t.startsWith('map[string]')) {
    const value = kindOf(pkg, context, t.slice('map[string]'.length))
    return {map: value}
  }

  if (t.startsWith('[]')) {
    const item = kindOf(pkg, context, t.slice(2))
    if (item.scalar) return {list: item.scalar}
    return {structList: item}
  }

  const r = resolveName(pkg, context, t)
  if (r.external) return {...r.external}
  return namedKind(r.dir, r.name)
}

function namedKind(dir, name) {
  const pkg = loadPackage(dir)
  const decl = pkg.types[name]
  if (!decl) throw new Error(`type ${name} not found in ${dir}`)
  if (decl.alias) return kindOf(pkg, name, decl.alias)
  const short = qualified(dir, name)
  if (!(short in structs)) {
    structs[short] = null // reserves the name while its fields are read (self references)
    structs[short] = structFields(pkg, name, decl.struct)
  }

  return {type: short}
}

function lowerFirst(s) {
  // encoding/json-like: the Go name with its first letter lowered (only for fields json hides).
  return s[0].toLowerCase() + s.slice(1)
}

function structFields(pkg, name, fields) {
  const out = []
  for (const f of fields) {
    const label = tagValue(f.tag, 'label')
    if (label === '-') continue
    if (f.embedded) {
      // paerser looks a node up in embedded structs too: their fields are this struct's fields.
      const r = resolveName(pkg, name, f.type)
      const inner = namedKind(r.dir, r.name)
      out.push(...structs[inner.type])
      continue
    }

    if (!/^[A-Z]/.test(f.name)) continue
    const sliceAsStruct = tagValue(f.tag, 'label-slice-as-struct')
    let kind = kindOf(pkg, name, f.type)
    if (sliceAsStruct) kind = {sliceAsStruct: kind.structList}
    const json = tagValue(f.tag, 'json')?.split(',')[0]
    out.push({
      label: sliceAsStruct ?? f.name,
      json: json === undefined || json === '' || json === '-' ? lowerFirst(f.name) : json,
      ...(label === 'allowEmpty' ? {allowEmpty: true} : {}),
      kind,
    })
  }

  return out
}

// ---- the root, the filters, and every settable path ----

const labelGo = stripComments(git('show', `${commit}:pkg/config/label/label.go`))
const decodeCall = /parser\.Decode\(labels,\s*conf,\s*parser\.DefaultRootName,([^)]*)\)/.exec(labelGo)
if (!decodeCall) throw new Error('the label filters were not found in pkg/config/label/label.go')
const filters = [...decodeCall[1].matchAll(/"([^"]+)"/g)].map((m) => m[1])
const rootKind = namedKind('pkg/config/dynamic', 'Configuration')

function paths(kind, prefix, seen, out) {
  if (kind.type) {
    if (seen.has(kind.type)) return
    const inner = new Set(seen).add(kind.type)
    for (const f of structs[kind.type]) {
      const p = `${prefix}.${f.label}`
      paths(f.kind, p, inner, out)
      if (f.allowEmpty && f.kind.type) out.push([p, 'allowEmpty'])
    }
  } else if (kind.map) {
    paths(kind.map.raw ? kind.map : kind.map, `${prefix}.<name>`, seen, out)
  } else if (kind.structList) {
    paths(kind.structList, `${prefix}[0]`, seen, out)
  } else if (kind.sliceAsStruct) {
    paths(kind.sliceAsStruct, prefix, seen, out)
  } else if (kind.raw) {
    out.push([prefix, 'raw'])
  } else if (kind.list) {
    out.push([prefix, `list:${kind.list}`])
  } else {
    out.push([prefix, kind.scalar])
  }
}

const allPaths = []
paths(rootKind, 'traefik', new Set(), allPaths)
const settable = allPaths.filter(([p]) => filters.some((f) => p.toLowerCase().replace(/<name>/g, 'default').startsWith(f.toLowerCase())))

const data = {
  generatedBy: 'scripts/traefik-labels.mjs',
  traefikVersion: version,
  source: {
    repository: 'https://github.com/traefik/traefik',
    ref,
    commit,
    ...(exact ? {} : {note: `no tag v${version} in the source checkout: the newest ${ref.replace(/\.\d+$/, '')}.x tag below it was read`}),
  },
  filters,
  root: rootKind.type,
  types: Object.fromEntries(Object.entries(structs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  paths: settable,
}

const text = `${JSON.stringify(data, null, 1)}\n`
const target = `${root}${OUT}`
if (args.includes('--check')) {
  let current = ''
  try {
    current = readFileSync(target, 'utf8')
  } catch {}

  if (current !== text) {
    console.error(`${OUT} is not what scripts/traefik-labels.mjs makes from ${ref}`)
    process.exit(1)
  }
} else {
  writeFileSync(target, text)
  console.log(`${OUT}: ${Object.keys(structs).length} types, ${settable.length} label paths, Traefik ${version} from ${ref} (${commit.slice(0, 10)})`)
}
