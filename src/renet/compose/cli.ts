// Entry point of `renet compose` (see USAGE).
import {daemonDockerHost} from '../../layout/server.js'
import {reportError} from '../report-error.js'
import {parseComposeArgs} from './args.js'
import {resolveRepository} from './repository.js'
import {runCompose} from './run.js'

const USAGE = `Usage: renet compose [options] [--] <docker compose args…>

Runs docker compose for the repository: every service gets its slot (.rediacc.json at the repository root),
its IP, network_mode: host and rediacc.* labels through an override written beside the compose file, and
{SERVICE}_IP for every service is exported so \${WEBAPP_IP} in the compose file resolves.

Options (default: the environment a Rediaccfile runs in):
  --repo-path DIR      repository root            (REPOSITORY_PATH)
  --network-id ID      repository network id      (REPOSITORY_NETWORK_ID)
  --name NAME          repository name            (REPOSITORY_NAME)
  --docker-host URL    the repository's daemon    (DOCKER_HOST, else ${daemonDockerHost('<id>')})
  -f, --file FILE      compose file (repeatable); default: docker-compose.yml, docker-compose.yaml,
                       compose.yml or compose.yaml in the current folder

Examples:
  renet compose -- up -d
  renet compose -- -f compose.prod.yml down
`

export async function main(argv: string[]): Promise<number> {
  const write = (text: string) => process.stderr.write(text)
  try {
    const args = parseComposeArgs(argv)
    if (args.help) {
      process.stdout.write(USAGE)
      return 0
    }

    const repo = resolveRepository(args.flags, process.env)
    return await runCompose({
      repo,
      dir: process.cwd(),
      files: args.files,
      composeArgs: args.composeArgs,
      env: process.env,
      warn: (line) => write(`renet compose: warning: ${line}\n`),
    })
  } catch (error) {
    return reportError('compose', error, write)
  }
}
