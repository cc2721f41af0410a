// Entry point of `renet router`; its implementation lands with its issue.
export async function main(_argv: string[]): Promise<number> {
  process.stderr.write('renet router: not available in this build\n')
  return 2
}
