/**
 * The /traefik body: the dynamic configuration as JSON. Traefik's HTTP provider reads its body like the file
 * provider reads a file, in YAML or JSON, and a JSON document is also a YAML 1.2 one, so YAML readers accept it
 * too. JSON is written by the engine's native serializer, several times faster than a YAML writer in
 * JavaScript.
 *
 * Equal configurations give identical bytes (Traefik hashes the body and ignores an unchanged one): build.ts
 * inserts router, service and middleware names in sorted order, so the body does not depend on which container
 * was found first, and everything below a name comes from one container's labels, decoded in sorted-key order.
 */
export function traefikBody(config: object): string {
  return `${JSON.stringify(config)}\n`
}
