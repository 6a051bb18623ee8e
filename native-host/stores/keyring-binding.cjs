// @napi-rs/keyring as `token` loads it (build.mjs puts this file in token.cjs where the sources
// import '@napi-rs/keyring'): the platform's binary first, the package's own loader if that fails.
//
// The package's index.js finds the binary by trying a file next to it that npm never installs and
// reading /usr/bin/ldd to tell glibc from musl, about 4 ms of every start: as much as the rest of
// `token`'s valid path. The binary is the optional dependency napi-rs names
// @napi-rs/keyring-<platform>-<arch>[-<abi>]; asked for directly where the ABI is known without
// looking (glibc Linux, Windows, macOS). Anything else takes the package's loader as before: a
// platform not named here, a package npm did not install or put elsewhere, a binary that does not
// load (a glibc binary on musl). Both export the same classes: index.js re-exports the binary.
'use strict';

const ABI = { linux: '-gnu', win32: '-msvc', darwin: '' };

function load() {
  const abi = ABI[process.platform];
  if (abi !== undefined) {
    try {
      return require(`@napi-rs/keyring-${process.platform}-${process.arch}${abi}`);
    } catch {
      // not this platform's package, or not loadable here: the package's own loader decides
    }
  }
  return require('@napi-rs/keyring');
}

module.exports = load();
