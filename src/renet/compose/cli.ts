// Entry point of `renet compose`; its implementation lands with its issue.
export async function main(_argv: string[]): Promise<number> {
  process.stderr.write('renet compose: not available in this build\n')
  return 2
}
