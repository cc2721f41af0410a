import {MASK} from '../../config/secret.js'

/** Replaces every value of a KEY=value file with the mask; comments and key names stay readable. */
export function maskEnvContent(text: string): string {
  return text.replaceAll(/^([A-Za-z_][A-Za-z0-9_]*)=.*$/gm, `$1=${MASK}`)
}

const CONTEXT = 3
/** Beyond this many line pairs the LCS table gets expensive; such files are summarized instead. */
const MAX_CELLS = 4_000_000

type Op = {t: ' ' | '-' | '+'; line: string}

function lineOps(a: string[], b: string[]): Op[] {
  const n = a.length
  const m = b.length
  // lcs[i][j]: longest common subsequence of a[i..] and b[j..].
  const lcs: Uint32Array[] = Array.from({length: n + 1}, () => new Uint32Array(m + 1))
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!)
    }
  }

  const ops: Op[] = []
  let i = 0
  let j = 0
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      ops.push({t: ' ', line: a[i]!})
      i++
      j++
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) {
      ops.push({t: '-', line: a[i++]!})
    } else {
      ops.push({t: '+', line: b[j++]!})
    }
  }

  while (i < n) ops.push({t: '-', line: a[i++]!})
  while (j < m) ops.push({t: '+', line: b[j++]!})
  return ops
}

function splitLines(text: string): string[] {
  if (text === '') return []
  const lines = text.split('\n')
  if (lines.at(-1) === '') lines.pop()
  return lines
}

/** A unified diff (`---`/`+++`, `@@` hunks with 3 lines of context); empty when the texts are equal. */
export function unifiedDiff(path: string, before: string | null, after: string): string {
  const a = splitLines(before ?? '')
  const b = splitLines(after)
  if (before !== null && before === after) return ''
  const header = `--- ${before === null ? '/dev/null' : `a${path}`}\n+++ b${path}\n`
  if ((a.length + 1) * (b.length + 1) > MAX_CELLS) return `${header}@@ (${a.length} → ${b.length} lines; too large to show) @@\n`
  const ops = lineOps(a, b)
  const changed = ops.map((o, k) => (o.t === ' ' ? -1 : k)).filter((k) => k >= 0)
  let out = header
  let k = 0
  while (k < changed.length) {
    const start = Math.max(0, changed[k]! - CONTEXT)
    let end = Math.min(ops.length, changed[k]! + CONTEXT + 1)
    while (k + 1 < changed.length && changed[k + 1]! - CONTEXT <= end) {
      k++
      end = Math.min(ops.length, changed[k]! + CONTEXT + 1)
    }

    k++
    const before0 = ops.slice(0, start).filter((o) => o.t !== '+').length
    const after0 = ops.slice(0, start).filter((o) => o.t !== '-').length
    const hunk = ops.slice(start, end)
    const aLen = hunk.filter((o) => o.t !== '+').length
    const bLen = hunk.filter((o) => o.t !== '-').length
    out += `@@ -${aLen === 0 ? before0 : before0 + 1},${aLen} +${bLen === 0 ? after0 : after0 + 1},${bLen} @@\n`
    for (const o of hunk) out += `${o.t}${o.line}\n`
  }

  return out
}
