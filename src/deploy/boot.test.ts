import {describe, expect, it} from 'vitest'

import {disableAtBootStep, enableAtBootStep, mountDropInText, mountUnitText, removeBootEntriesStep} from './boot.js'
import {repoLocation} from './layout.js'

const loc = repoLocation({}, 'webapp', 2816)

describe('boot entries as data', () => {
  it('mounts the image at the repository path before the daemon, by a mount unit and a drop-in', () => {
    expect(mountUnitText(loc)).toContain('What=/mnt/rediacc/images/webapp.img\nWhere=/mnt/rediacc/repos/webapp\nType=ext4\nOptions=loop\n')
    expect(mountUnitText(loc)).toContain('RequiresMountsFor=/mnt/rediacc/images\n')
    expect(mountDropInText(loc)).toContain('[Unit]\nRequiresMountsFor=/mnt/rediacc/repos/webapp\n')
  })

  it('passes the unit, paths and texts as arguments, never inside the script text', () => {
    const image = enableAtBootStep(loc, true)
    expect(image.argv.slice(3)).toEqual(['rdc-enable-at-boot', 'rediacc-docker@2816.service', 'yes', '/mnt/rediacc/repos/webapp', mountUnitText(loc), mountDropInText(loc)])
    expect(enableAtBootStep(loc, false).argv[5]).toBe('no')
    for (const step of [image, disableAtBootStep(loc), removeBootEntriesStep(loc)]) {
      expect(step.argv[0]).toBe('sh')
      expect(step.argv[2]).not.toContain('webapp')
      expect(step.argv[2]).not.toContain('2816')
    }
  })
})
