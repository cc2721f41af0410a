/**
 * Whether a process with this pid exists. Signal 0 checks without sending anything; EPERM means it exists but
 * belongs to another user (so a lock it holds is not stale).
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
