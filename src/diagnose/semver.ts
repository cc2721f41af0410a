/** Compares dotted versions numerically (1.10.0 > 1.9.3); a pre-release sorts before its release. */
export function compareVersions(a: string, b: string): number {
  const [aMain = '', aPre] = a.trim().replace(/^v/, '').split('-', 2)
  const [bMain = '', bPre] = b.trim().replace(/^v/, '').split('-', 2)
  const as = aMain.split('.').map(Number)
  const bs = bMain.split('.').map(Number)
  for (let i = 0; i < Math.max(as.length, bs.length); i++) {
    const d = (as[i] ?? 0) - (bs[i] ?? 0)
    if (Number.isNaN(d)) return a.localeCompare(b)
    if (d !== 0) return Math.sign(d)
  }
  if (aPre === bPre) return 0
  if (aPre === undefined) return 1
  if (bPre === undefined) return -1
  return aPre.localeCompare(bPre)
}
