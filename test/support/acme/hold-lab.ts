/**
 * Starts an ACME lab, prints its child pids as one JSON line, and waits to be killed: lab.test.ts SIGKILLs this
 * process to check that Pebble and challtestsrv do not outlive their owner.
 *   node --import tsx hold-lab.ts <address> <dir>   (the caller owns <dir>: a killed holder cannot remove it)
 */
import {startAcmeLab} from './lab.js'

const lab = await startAcmeLab({addresses: [process.argv[2] ?? '127.0.0.1'], zones: ['example.com'], token: 't', dnsPort: 0, dir: process.argv[3]})
process.stdout.write(`${JSON.stringify(lab.pids())}\n`)
setInterval(() => {}, 60_000)
