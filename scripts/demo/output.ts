/** A failed demo step: the message names the step, so a newcomer knows where it stopped. */
export class DemoError extends Error {
  constructor(
    readonly step: string,
    detail: string,
  ) {
    super(`step "${step}" failed: ${detail}`)
  }
}

export type Print = (line: string) => void

/** Numbered steps with their durations; a step's function throws DemoError (or anything) to fail the demo. */
export class Steps {
  private n = 0

  constructor(private readonly print: Print) {}

  async run<T>(title: string, fn: (title: string) => Promise<T>): Promise<T> {
    this.n++
    this.print('')
    this.print(`== ${this.n}. ${title}`)
    const started = Date.now()
    try {
      const value = await fn(title)
      this.print(`   (${seconds(Date.now() - started)})`)
      return value
    } catch (error) {
      if (error instanceof DemoError) throw error
      throw new DemoError(title, error instanceof Error ? error.message : String(error))
    }
  }
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}
