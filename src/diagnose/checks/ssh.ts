import type {SshFacts} from '../facts.js'
import {fail, ok, type Finding} from '../finding.js'
import {sshCommand} from '../fixes.js'

export function checkSsh(ssh: SshFacts, machine: string): Finding {
  const base = {subject: ssh.target, durationMs: ssh.durationMs}
  switch (ssh.outcome) {
    case 'ok': {
      return ok('ssh', `connected and logged in in ${ssh.durationMs} ms; host key matches the pinned one`, base)
    }

    case 'host-key-mismatch': {
      return fail(
        'ssh',
        `host key changed: pinned ${ssh.pinned ?? '?'}, server presented ${ssh.presented ?? '?'}; nothing was run`,
        `if the server was rebuilt on purpose, re-pin it: rdc context scan-keys ${machine}; otherwise do not connect (the connection may be intercepted)`,
        base,
      )
    }

    case 'unpinned': {
      return fail('ssh', 'no host key is pinned for this machine, so rdc does not connect to it', `pin it: rdc context scan-keys ${machine}`, base)
    }

    case 'auth-failed': {
      return fail('ssh', `login refused: ${ssh.message ?? 'authentication failed'}`, `check the key for ${ssh.target} (ssh-agent, --key, ~/.ssh/config IdentityFile) and that the user exists`, base)
    }

    case 'timeout': {
      return fail('ssh', `no answer within ${ssh.durationMs} ms`, `check the address, port and firewall: ${sshCommand(ssh.target)}`, base)
    }

    case 'unreachable': {
      return fail('ssh', `cannot connect: ${ssh.message ?? 'unreachable'}`, `check the address, port and that sshd runs: ${sshCommand(ssh.target)}`, base)
    }
  }
}
