/**
 * Runs first when `token` loads token-lazy.cjs (build.mjs), i.e. when this `token` process is about
 * to refresh, sync the clients' copies or look up a server name; a valid stored token never gets here.
 */
import { setFlagsFromString } from 'node:v8';

// oauth4webapi needs the global Headers and Response, and Node builds them with its internal fetch,
// whose loading starts a WebAssembly compile of its HTTP parser (never used here: requests go
// through node:http). V8 would compile it again in the background with its optimizing tier and
// hold the process at exit until that is done. Liftoff only: the one quick baseline compile.
setFlagsFromString('--liftoff-only');
