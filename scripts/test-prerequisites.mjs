#!/usr/bin/env node
// First step of `npm test`: the end-to-end tests need real programs from Debian (Chromium, Firefox
// ESR, a Secret Service on a private D-Bus). Run as root, this installs whatever is missing, as the
// demo does; otherwise it stops before anything is built or run, with the one apt-get line to run,
// so a fresh machine never ends in skipped or failed tests that only lacked a package.
//
// Each package is looked for where the test harnesses look for it: the browsers by their absolute
// paths (test/fixtures/browser-harness.ts, firefox-harness.ts), the keyring and D-Bus tools on PATH
// (test/fixtures/keyring-harness.ts), the CA bundle where Debian puts it.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Debian package → what the tests use of it. Order is the apt line's order (as in .ci/run). */
const PACKAGES = [
  ['chromium', { file: '/usr/bin/chromium' }],
  ['firefox-esr', { file: '/usr/bin/firefox-esr' }],
  ['gnome-keyring', { command: 'gnome-keyring-daemon' }],
  ['libsecret-tools', { command: 'secret-tool' }],
  ['dbus', { command: 'dbus-daemon' }],
  ['dbus-x11', { command: 'dbus-launch' }],
  ['ca-certificates', { file: '/etc/ssl/certs/ca-certificates.crt' }],
];

const APT_LINE = `apt-get install -y --no-install-recommends ${PACKAGES.map(([name]) => name).join(' ')}`;

function onPath(command) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      // not in this folder
    }
  }
  return false;
}

function missingPackages() {
  return PACKAGES.filter(([, probe]) => (probe.file ? !existsSync(probe.file) : !onPath(probe.command))).map(([name]) => name);
}

function fail(lines) {
  process.stderr.write(`${lines.join('\n')}\n`);
  process.exit(1);
}

const missing = missingPackages();
if (missing.length === 0) process.exit(0);

const isRoot = process.getuid?.() === 0;
const hasApt = onPath('apt-get');
if (!isRoot || !hasApt) {
  fail([
    `npm test needs Debian packages that are missing here: ${missing.join(', ')}.`,
    isRoot
      ? 'There is no apt-get on this machine: install the same packages with its package manager, then run npm test again.'
      : 'Install them (as root), then run npm test again:',
    `  sudo apt-get update && sudo ${APT_LINE}`,
  ]);
}

process.stderr.write(`npm test: installing the Debian packages the tests need (missing: ${missing.join(', ')})\n`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
for (const args of [['update', '-qq'], ['-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '-qq', '--no-install-recommends', ...PACKAGES.map(([name]) => name)]]) {
  const run = spawnSync('apt-get', args, { stdio: 'inherit', env });
  if (run.status !== 0) fail([`apt-get ${args.join(' ')} failed (exit ${run.status ?? run.signal}); fix that, or run: ${APT_LINE}`]);
}
const still = missingPackages();
if (still.length) fail([`Still missing after apt-get install: ${still.join(', ')}. Run: ${APT_LINE}`]);
