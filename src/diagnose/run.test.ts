import {describe, expect, it} from 'vitest'

import {local} from '../../test/support/diagnose-fixtures.js'
import type {DiagnoseReport} from './finding.js'
import {formatFinding, formatReport} from './format.js'
import {diagnose} from './run.js'

describe('several machines', () => {
  it('walks each, keeps the order asked, and counts every finding', async () => {
    const started: string[] = []
    const report = await diagnose({
      targets: ['a', 'b', 'c'].map((m) => ({
        local: local({machine: m}),
        connect: async () => {
          started.push(m)
          return {ssh: {target: `deploy@${m}:22`, outcome: m === 'b' ? 'timeout' : 'unreachable', durationMs: 10, message: 'connect ECONNREFUSED'}}
        },
      })),
      cliVersion: '0.1.0',
      loadBundle: async () => Buffer.alloc(0),
      concurrency: 2,
    })
    expect(started.sort()).toEqual(['a', 'b', 'c'])
    expect(report.machines.map((m) => [m.machine, m.findings.map((f) => `${f.hop}:${f.status}`)])).toEqual([
      ['a', ['local:ok', 'ssh:fail']],
      ['b', ['local:ok', 'ssh:fail']],
      ['c', ['local:ok', 'ssh:fail']],
    ])
    expect(report).toMatchObject({ok: false, counts: {ok: 3, warn: 0, fail: 3}})
  })
})

describe('the human report', () => {
  const report: DiagnoseReport = {
    ok: false,
    counts: {ok: 1, warn: 1, fail: 1},
    machines: [
      {
        machine: 'server-1',
        durationMs: 1234,
        findings: [
          {hop: 'ssh', status: 'ok', subject: 'deploy@h:22', detail: 'connected', fix: 'never shown for ok'},
          {hop: 'dns', status: 'warn', subject: 'app.example.com', detail: 'no AAAA record', fix: 'create app.example.com AAAA 2001:db8::1'},
          {hop: 'backend', status: 'fail', subject: 'app.example.com', detail: '502 Bad Gateway: nothing listens on 127.0.11.2:3000', fix: 'bind to WEBAPP_IP'},
        ],
      },
    ],
  }

  it('prints one line per finding, grouped by machine, then a summary', () => {
    expect(formatReport(report).split('\n')).toEqual([
      'server-1 (1.2 s): 1 failed, 1 warnings, 1 ok',
      '  ok    ssh        deploy@h:22: connected',
      '  warn  dns        app.example.com: no AAAA record  → create app.example.com AAAA 2001:db8::1',
      '  FAIL  backend    app.example.com: 502 Bad Gateway: nothing listens on 127.0.11.2:3000  → bind to WEBAPP_IP',
      '',
      '1 failed, 1 warnings, 1 ok.',
    ])
    expect(formatReport({...report, ok: true, counts: {ok: 1, warn: 1, fail: 0}, machines: []})).toBe('All hops ok (1 ok, 1 warnings).')
  })

  it('a finding without subject or fix is still one line', () => {
    expect(formatFinding({hop: 'entrypoint', status: 'ok', detail: 'all 23 entry points are listening'})).toBe('  ok    entrypoint all 23 entry points are listening')
  })
})
