/**
 * A few Cloudflare v4 API calls, made the way lego's client makes them (Bearer token, JSON, paths joined onto a
 * base that ends in /client/v4). For tests of the stand-in and for the lab's createRecord/deleteRecord, which go
 * through the API (and so through its log and into challtestsrv) like any other client's records.
 */
export interface CfAnswer<T = unknown> {
  status: number
  body: {success: boolean; errors: Array<{code: number; message: string; error_chain?: Array<{code: number; message: string}>}>; messages: unknown[]; result: T; result_info?: Record<string, number>}
}

export interface CfRecord {
  id: string
  name: string
  type: string
  content: string
  ttl: number
  zone_id: string
  zone_name: string
}

/** One call; `token` undefined sends no Authorization header at all. */
export async function cfCall<T = unknown>(baseUrl: string, token: string | undefined, method: string, path: string, body?: unknown): Promise<CfAnswer<T>> {
  const headers: Record<string, string> = {accept: 'application/json'}
  if (token !== undefined) headers.authorization = `Bearer ${token}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(`${baseUrl.replace(/\/$/, '')}${path}`, {method, headers, body: body === undefined ? undefined : JSON.stringify(body)})
  return {status: res.status, body: (await res.json()) as CfAnswer<T>['body']}
}

/** Cloudflare's errors as lego prints them ("9109: Invalid access token"). */
export function cfErrorText(answer: CfAnswer): string {
  return answer.body.errors.map((e) => [`${e.code}: ${e.message}`, ...(e.error_chain ?? []).map((c) => `${c.code}: ${c.message}`)].join('; ')).join(', ')
}

export async function cfCreateRecord(
  baseUrl: string,
  token: string,
  zoneId: string,
  record: {type: string; name: string; content: string; ttl?: number},
): Promise<CfRecord> {
  const answer = await cfCall<CfRecord>(baseUrl, token, 'POST', `/zones/${zoneId}/dns_records`, {ttl: 120, ...record})
  if (!answer.body.success) throw new Error(`creating ${record.type} ${record.name}: [status code ${answer.status}] ${cfErrorText(answer)}`)
  return answer.body.result
}

export async function cfDeleteRecord(baseUrl: string, token: string, zoneId: string, recordId: string): Promise<void> {
  const answer = await cfCall(baseUrl, token, 'DELETE', `/zones/${zoneId}/dns_records/${recordId}`)
  if (!answer.body.success) throw new Error(`deleting record ${recordId}: [status code ${answer.status}] ${cfErrorText(answer)}`)
}
