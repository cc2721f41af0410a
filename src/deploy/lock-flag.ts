import {Flags} from '@oclif/core'

/** `--lock-wait` of repo up and repo down (see lock.ts): how long to queue behind a run already holding the lock. */
export const lockWaitFlag = Flags.integer({
  description: 'Seconds to wait while another repo up/down of this repository runs on the server (default: refuse at once, exit 8).',
  default: 0,
  min: 0,
  max: 86_400,
  helpValue: 'SECONDS',
})
