import {spawnSync} from 'node:child_process'
import {existsSync, readdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {DOCKER_CLI} from '../support/dockerd.js'
import type {TestHost} from '../testhost/index.js'

/**
 * Lets the host use loop devices: the container's device cgroup (v1, here) refuses block devices, so the loop
 * majors are allowed on its cgroup and every one below it (children copy only at creation), and the device nodes
 * are made inside. Returns false when this machine has no v1 device cgroup to do it with.
 */
export async function giveLoopDevices(host: TestHost): Promise<boolean> {
  const id = spawnSync(DOCKER_CLI, ['inspect', '-f', '{{.Id}}', host.name], {env: host.docker.env, encoding: 'utf8'}).stdout.trim()
  const base = `/sys/fs/cgroup/devices/docker/${id}`
  if (!id || !existsSync(base)) return false
  const walk = (dir: string): string[] => [dir, ...readdirSync(dir, {withFileTypes: true}).filter((e) => e.isDirectory()).flatMap((e) => walk(join(dir, e.name)))]
  for (const cg of walk(base)) {
    for (const rule of ['b 7:* rwm', 'c 10:237 rwm']) writeFileSync(join(cg, 'devices.allow'), rule)
  }

  const r = await host.exec('[ -e /dev/loop-control ] || mknod -m 660 /dev/loop-control c 10 237; for i in $(seq 0 127); do [ -e /dev/loop$i ] || mknod -m 660 /dev/loop$i b 7 $i; done; losetup -f')
  return r.code === 0
}
