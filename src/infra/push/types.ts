import type {Secret} from '../../config/secret.js'
/**
 * push-infra's remote work as data: what the server has (RemoteState), what will change (PlannedFile) and the
 * steps that change it (Step). Builders in plan*.ts return these; src/remote/apply.ts is the one executor.
 */
import type {FileRole} from '../render/rendered-file.js'
import type {PortConflict} from './ports.js'

export type FileAction = 'create' | 'update' | 'unchanged' | 'kept'

export interface PlannedFile {
  /** Path on the server (with the plan's root prefix). */
  path: string
  kind: 'file' | 'link'
  role: FileRole
  action: FileAction
  mode?: number
  secret: boolean
  /** Bytes of content that would be sent (0 for links and unchanged files). */
  bytes: number
  /** sha256 of the rendered content, or `link:<target>`. */
  localHash: string
  /** What the server has: sha256, `link:<target>`, or null when missing. */
  remoteHash: string | null
}

/** The services a push may have to touch, in the order they are acted on. */
export type Service = 'units' | 'router' | 'proxy'

export type Step =
  | {
      kind: 'exec'
      label: string
      argv: string[]
      /** Set on steps that (re)start or reload a service: rollback repeats them only for services touched. */
      service?: Service
      timeoutMs?: number
    }
  | {
      kind: 'upload'
      label: string
      /** Final path; the upload goes to stagePath and the commit step renames it into place. */
      path: string
      stagePath: string
      /** Secret content stays wrapped until the executor hands it to put(). */
      content: string | Buffer | Secret
      mode: number
      owner?: string
      secret: boolean
    }

export type Prerequisite = 'docker' | 'compose' | 'systemd' | 'node' | 'curl'

export interface RemoteState {
  tools: Partial<Record<'docker' | 'dockerd' | 'systemctl' | 'node' | 'curl', string>>
  nodeVersion?: string
  compose: 'v2' | 'v1' | 'none'
  systemdRunning: boolean
  routerEnabled: string
  routerActive: string
  /** `true`, `false` or `missing` (docker inspect's view of the proxy container). */
  proxyRunning: string
  /** Processes of the running proxy container that hold listening sockets (they are the proxy, whatever their name). */
  proxyPids: number[]
  /** Service actions a previous push committed files for but did not finish. */
  pending: Service[]
  /** Server path → sha256, `link:<target>`, or null when missing. */
  hashes: Map<string, string | null>
  /** `ss -Hltnup` output, parsed by plan-ports.ts. */
  listeners: string
}

export interface Plan {
  machine: string
  /** Unique per plan; marks the backup so a rollback never restores another push's files. */
  id: string
  files: PlannedFile[]
  /** Why each service is acted on (absent: left alone). */
  reasons: Partial<Record<Service, string>>
  steps: Step[]
  /** Run on failure, in order; steps with `service` only when that service's steps had started. */
  rollback: Step[]
  missingPrerequisites: Prerequisite[]
  conflicts: PortConflict[]
  /** Nothing to upload and no service to act on. */
  noop: boolean
}
