/**
 * Images inside a repository's own Docker daemon (rediacc-docker@<network id>, separate from the host's system
 * dockerd). Test hosts reach no registry, so what a compose file runs is put there before `repo up`.
 */
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {daemonSocketPath} from '../../src/layout/server.js'
import {writeBusyboxRootfs} from '../support/images.js'
import type {TestHost} from '../testhost/index.js'

let busyboxTar: Buffer | undefined

/**
 * Puts the busybox test image into a repository's own daemon: starts rediacc-docker@<id> the way repo up would and
 * `docker import`s the image there. The daemon keeps its images across stop and start.
 */
export async function importImageIntoRepoDaemon(host: TestHost, networkId: number): Promise<void> {
  if (!busyboxTar) {
    const root = mkdtempSync(join(tmpdir(), 'rdc-repo-busybox-'))
    try {
      writeBusyboxRootfs(root)
      const tar = spawnSync('tar', ['-C', root, '-c', '.'], {maxBuffer: 64 * 1024 * 1024})
      if (tar.status !== 0) throw new Error(`tar: ${tar.stderr}`)
      busyboxTar = tar.stdout
    } finally {
      rmSync(root, {recursive: true, force: true})
    }
  }

  const sock = daemonSocketPath(networkId)
  const r = await host.exec(
    ['sh', '-c', `systemctl start rediacc-docker@${networkId} && docker -H unix://${sock} import --change 'CMD ["/bin/sh"]' - rdc-test/busybox:local >/dev/null`],
    {input: busyboxTar, timeoutMs: 120_000},
  )
  if (r.code !== 0) throw new Error(`importing the busybox image into docker-${networkId} failed: ${r.stderr}`)
}

/** Copies images from the host's Docker into a repository's own daemon, starting it and waiting until it answers. */
export async function copyImagesIntoRepoDaemon(host: TestHost, networkId: number, images: string[]): Promise<void> {
  const sock = daemonSocketPath(networkId)
  const script = [
    `systemctl start rediacc-docker@${networkId}`,
    `i=0; until docker -H unix://${sock} version >/dev/null 2>&1; do i=$((i+1)); [ $i -gt 100 ] && exit 1; sleep 0.1; done`,
    `docker save ${images.join(' ')} | docker -H unix://${sock} load -q >/dev/null`,
  ].join(' && ')
  const r = await host.exec(['sh', '-c', script], {timeoutMs: 120_000})
  if (r.code !== 0) throw new Error(`copying ${images.join(', ')} into docker-${networkId} failed: ${r.stderr}`)
}
