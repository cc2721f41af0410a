/** What a renderer returns: a file as it must exist on the server. Pure data; nothing here touches a disk. */

/** Which service a file belongs to; decides what a change restarts (see src/infra/push/plan.ts). */
export type FileRole = 'proxy' | 'router' | 'units' | 'program'

export interface RenderedFile {
  /** Absolute path on the server. */
  path: string
  content: string | Buffer
  mode: number
  /** `user:group` for chown; absent means whoever uploads (root). */
  owner?: string
  /** The content holds a secret: never printed, diffed or logged unmasked. */
  secret?: boolean
  role: FileRole
  /** Created when missing and never overwritten afterwards (Traefik's acme.json holds issued certificates). */
  createOnly?: boolean
}

/** A symbolic link on the server (renet's `current` version), switched atomically like a file. */
export interface RenderedLink {
  path: string
  /** Link target exactly as stored (relative targets stay relative). */
  target: string
  role: FileRole
}

export interface RenderedSet {
  files: RenderedFile[]
  links: RenderedLink[]
}
