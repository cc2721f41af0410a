/**
 * push-infra's remote work as data: what the server has (RemoteState), what will change (PlannedFile) and the
 * steps that change it (Step). steps.ts builds the steps, plan.ts decides which; apply.ts is the one executor.
 */
import type {Secret} from '../../config/secret.js'
import type {RemoteStep} from '../../remote/step.js'
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

/** Runs one command; set `service` on steps that (re)start or reload one: rollback repeats them only for services touched. */
export type ExecStep = RemoteStep & {kind: 'exec'; service?: Service}

export interface UploadStep {
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

export type Step = ExecStep | UploadStep

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
  /** `ss -Hltnup` output, parsed by ports.ts. */
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
