/**
 * A context-file writer that SIGKILLs itself at one named step of its write (see WriteStep): what a kill -9, an
 * OOM kill or a power cut leaves at that point. Run by kill.test.ts as `node --import tsx kill-writer.ts FILE STEP`.
 */
import {ConfigStore, type WriteStep} from '../../src/config/store.js'

const [path, at] = process.argv.slice(2) as [string, WriteStep]
const store = new ConfigStore(path, {
  step(step) {
    if (step === at) process.kill(process.pid, 'SIGKILL')
  },
})
await store.update((config) => {
  config.contexts.prod.machines['server-1'].infra.cfDnsApiToken = 'tok-of-the-killed-writer'
})
// Reaching this line means the step was never taken: the test fails on the exit code.
process.exitCode = 99
