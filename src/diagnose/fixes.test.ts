import {describe, expect, it} from 'vitest'

import {checkSsh} from './checks/ssh.js'
import {sshCommand} from './fixes.js'

describe('the ssh fix', () => {
  it("uses the machine's port, not a placeholder", () => {
    expect(sshCommand('deploy@203.0.113.50:2222')).toBe('ssh -p 2222 deploy@203.0.113.50')
    expect(sshCommand('root@2001:db8::1:22')).toBe('ssh -p 22 root@2001:db8::1')
    expect(sshCommand('deploy@lab')).toBe('ssh deploy@lab')
  })

  it('is what checkSsh suggests for a machine that does not answer or refuses the connection', () => {
    for (const outcome of ['timeout', 'unreachable'] as const) {
      const finding = checkSsh({target: 'deploy@203.0.113.50:2222', outcome, durationMs: 10}, 'server-1')
      expect(finding.fix).toMatch(/: ssh -p 2222 deploy@203\.0\.113\.50$/)
      expect(finding.fix).not.toContain('<port>')
    }
  })
})
