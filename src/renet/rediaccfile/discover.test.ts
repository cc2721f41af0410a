import {describe, expect, it} from 'vitest'

import {definedSteps} from './discover.js'
import {LinePrefixer} from './line-prefixer.js'
import {formatSummary, parseSummary, type RediaccfileSummary} from './summary.js'

describe('definedSteps', () => {
  it('finds the three function forms bash accepts and ignores comments and other names', () => {
    expect([...definedSteps('prep() {\n}\nfunction up {\n}\n  down ( ) {\n}\n')]).toEqual(['prep', 'up', 'down'])
    expect([...definedSteps('# up() {\nupgrade() {\n}\nsetup() {\n}\necho up\nfunction updown {\n}\n')]).toEqual([])
    expect([...definedSteps('function up() {\n}\n')]).toEqual(['up'])
  })
})

describe('LinePrefixer', () => {
  it('prefixes whole lines across chunk and UTF-8 boundaries', () => {
    let text = ''
    const p = new LinePrefixer('[a] ', (t) => (text += t))
    const bytes = Buffer.from('one\r\ntwo ü\nthree')
    p.push(bytes.subarray(0, 9)) // splits the two bytes of ü
    p.push(bytes.subarray(9))
    expect(text).toBe('[a] one\n[a] two ü\n')
    p.end()
    expect(text).toBe('[a] one\n[a] two ü\n[a] three\n')
  })
})

describe('the summary line', () => {
  it('is found as the last marked line of stderr', () => {
    const summary: RediaccfileSummary = {
      action: 'up',
      ok: false,
      repository: {name: 'r', path: '/r', networkId: 2816},
      services: {web: {slot: 0, ip: '127.0.11.2'}},
      steps: [{folder: '.', status: 'failed', exitCode: 2, durationMs: 5}],
      failed: ['.'],
    }
    const stderr = `[.] RENET_RESULT is only text here\nrenet rediaccfile: .: up failed\n${formatSummary(summary)}`
    expect(parseSummary(stderr)).toEqual(summary)
    expect(parseSummary('no summary\n')).toBeNull()
  })
})
