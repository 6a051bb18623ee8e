/**
 * The README's `npm test` on a machine that lacks the Debian packages, run by a user who cannot
 * install them: it must stop at once with the apt-get line and a non-zero exit, before the build or
 * any test runs. The real command runs (npm, the package.json script, the check), as `nobody`, with
 * a PATH that has node and sh and nothing else, so the keyring and D-Bus tools the harnesses look up on PATH
 * are really not there for it.
 */
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const NPM_CLI = resolve(dirname(process.execPath), '../lib/node_modules/npm/bin/npm-cli.js');
const SETPRIV = '/usr/bin/setpriv';
const APT_LINE = 'apt-get install -y --no-install-recommends chromium firefox-esr gnome-keyring libsecret-tools dbus dbus-x11 ca-certificates';

const scratch = mkdtempSync(join(tmpdir(), 'mlb-prereq-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((done, failed) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', failed);
    child.on('close', (code) => done({ code, out }));
  });
}

describe('npm test without the Debian packages, not as root', () => {
  it(
    'prints the apt-get line and exits non-zero before building or running anything',
    async () => {
      // A PATH with node and sh only: no gnome-keyring-daemon, secret-tool, dbus-daemon, dbus-launch, apt-get.
      const bin = join(scratch, 'bin');
      const home = join(scratch, 'home');
      mkdirSync(bin);
      mkdirSync(home);
      symlinkSync(process.execPath, join(bin, 'node'));
      symlinkSync('/bin/sh', join(bin, 'sh')); // npm runs scripts with the sh on PATH
      // The project's package.json and check, copied where `nobody` can read them: a clone may sit in a
      // folder only its owner can enter (mktemp -d makes one), and the check must stop the chain before
      // anything else of the project is read.
      const project = join(scratch, 'project');
      mkdirSync(join(project, 'scripts'), { recursive: true });
      copyFileSync(join(ROOT, 'package.json'), join(project, 'package.json'));
      copyFileSync(join(ROOT, 'scripts/test-prerequisites.mjs'), join(project, 'scripts/test-prerequisites.mjs'));
      chmodSync(scratch, 0o755);
      chmodSync(home, 0o777);
      const env = {
        PATH: bin,
        HOME: home,
        npm_config_cache: join(home, 'npm-cache'),
        npm_config_update_notifier: 'false',
        npm_config_logs_max: '0',
      };
      expect(existsSync(NPM_CLI), NPM_CLI).toBe(true);
      const npmTest = [process.execPath, NPM_CLI, 'test'];
      // As root (CI), drop to nobody; anyone else already is not root.
      const { code, out } =
        process.getuid?.() === 0
          ? await run(SETPRIV, ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '--', ...npmTest], project, env)
          : await run(npmTest[0]!, npmTest.slice(1), project, env);
      expect(code).not.toBe(0);
      expect(out).toContain(APT_LINE);
      expect(out).toMatch(/missing here: gnome-keyring, libsecret-tools, dbus, dbus-x11/);
      // The script ran (npm echoes it) and stopped the chain: no build, no vitest.
      expect(out).toContain('node scripts/test-prerequisites.mjs && npm run build && vitest run');
      expect(out).not.toMatch(/WXT|wxt build|vitest v|RUN /);
    },
  );
});
