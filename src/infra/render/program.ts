import {UsageError} from '../../errors.js'
import {MANAGED_HEADER, RENET_CURRENT_LINK, RENET_LAUNCHER_PATH, RENET_LIB_DIR} from '../../layout/server.js'
import type {RenderedFile, RenderedLink} from './rendered-file.js'

export interface ProgramInput {
  /** The bundle (dist/renet.cjs) as built for this rdc version. */
  renetBundle: Buffer
  renetVersion: string
}

export function renetBundlePath(version: string): string {
  return `${RENET_LIB_DIR}/${version}/renet.cjs`
}

export function renderLauncher(): string {
  return `#!/bin/sh
# ${MANAGED_HEADER}
# Runs the installed renet; push-infra switches versions by replacing the \`current\` link in one rename.
exec node ${RENET_CURRENT_LINK}/renet.cjs "$@"
`
}

/** The renet program: the versioned bundle, the `current` link to its folder, the /usr/bin/renet launcher. */
export function renderProgram(input: ProgramInput): {files: RenderedFile[]; links: RenderedLink[]} {
  // The version becomes a folder name on the server: keep it to what a semver string can hold.
  if (!/^[0-9A-Za-z][0-9A-Za-z.+_-]*$/.test(input.renetVersion)) {
    throw new UsageError(`renet version '${input.renetVersion}' is not usable as a folder name.`, {
      field: 'renetVersion',
      suggestion: 'Build renet from a package version such as 1.2.3 (npm run build).',
    })
  }

  return {
    files: [
      {path: renetBundlePath(input.renetVersion), content: input.renetBundle, mode: 0o755, role: 'program'},
      {path: RENET_LAUNCHER_PATH, content: renderLauncher(), mode: 0o755, role: 'program'},
    ],
    // Relative, so the link stays right if the tree is copied or inspected under another root (--out).
    links: [{path: RENET_CURRENT_LINK, target: input.renetVersion, role: 'program'}],
  }
}
