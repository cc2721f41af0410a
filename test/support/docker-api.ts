import {request} from 'node:http'

/** A tiny request to a Docker daemon's unix socket; the tests need nothing more than status + JSON body. */
export function dockerRequest(
  socket: string,
  method: string,
  path: string,
  timeoutMs = 2000,
  json?: unknown,
): Promise<{status: number; body: string}> {
  const payload = json === undefined ? undefined : JSON.stringify(json)
  const headers = payload === undefined ? undefined : {'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload)}
  return new Promise((resolve, reject) => {
    const req = request({socketPath: socket, method, path, timeout: timeoutMs, headers}, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({status: res.statusCode ?? 0, body}))
    })
    req.on('timeout', () => req.destroy(new Error(`docker ${method} ${path}: timed out after ${timeoutMs} ms`)))
    req.on('error', reject)
    req.end(payload)
  })
}

export async function dockerPing(socket: string): Promise<boolean> {
  try {
    return (await dockerRequest(socket, 'GET', '/_ping', 1000)).status === 200
  } catch {
    return false
  }
}
