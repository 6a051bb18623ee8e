declare const __HOST_VERSION__: string | undefined;
/** Set by native-host/build.mjs from package.json; "0.0.0-dev" when run from source. */
export const HOST_VERSION = typeof __HOST_VERSION__ === 'string' ? __HOST_VERSION__ : '0.0.0-dev';
