import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {parse} from 'yaml'

import {REPO_ROOT} from '../../test/testhost/instance.js'

/** The example repositories the demo deploys, in order: folder under the project root and repository name. */
export const EXAMPLES = [
  {name: 'webapp', path: 'examples/webapp'},
  {name: 'tcp-service', path: 'examples/tcp-service'},
  {name: 'udp-service', path: 'examples/udp-service'},
] as const

export type Example = (typeof EXAMPLES)[number]

/** The images an example's compose file runs (sorted, without repeats): these must be in its repository's daemon. */
export function imagesOf(example: Example, root = REPO_ROOT): string[] {
  const compose = parse(readFileSync(join(root, example.path, 'docker-compose.yml'), 'utf8')) as {services?: Record<string, {image?: string}>}
  const images = Object.values(compose.services ?? {}).flatMap((s) => (s.image ? [s.image] : []))
  return [...new Set(images)].sort()
}
