// What bench/router.ts measures of the route server, bundled on its own as dist/renet.cjs bundles it.
export {traefikBody} from '../src/renet/router/body.js'
export {ConfigBuilder} from '../src/renet/router/build.js'
export {PortAllocator} from '../src/renet/router/ports.js'
