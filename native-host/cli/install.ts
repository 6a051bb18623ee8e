import { stat } from 'node:fs/promises';
import { allowExtensionId, configPath } from '../config';
import { entryScript } from '../entry-script';
import { installHost } from '../install/install-host';
import { BROWSERS, isBrowserName } from '../install/manifest-locations';
import { packagedExtension } from '../install/packaged-extension';
import type { Command } from './command';
import { exitCodesHelp } from './exit-codes';
import { ExitCode, printJson, reportError, UsageError } from './output';
import { parseCommand } from './parse';

export const installCommand: Command = {
  name: 'install',
  summary: 'Register the native host with a browser so the extension can reach it',
  help: `Usage: mcp-login-bridge install --browser <name> [--user-data-dir <dir>] [--extension-id <id>] [--json]

Writes a launcher script that runs this node binary on this host, and the native messaging
manifest that tells the browser where it is and which extension may start it. Then says how to
load the extension that ships with this package (its folder, and the store zip).

Options:
  --browser <name>        one of ${BROWSERS.join(', ')} (required)
  --user-data-dir <dir>   a Chrome-family profile started with --user-data-dir: the manifest goes
                          in <dir>/NativeMessagingHosts, the only folder such a browser reads
  --extension-id <id>     the extension allowed to start the host (default: this project's
                          development id; for Firefox its add-on id)
  --json                  print what was written as JSON (with "extension": {folder, zip, id, steps})
  -h, --help              show this help

${exitCodesHelp({ Ok: 'installed', Failed: 'failed', Usage: 'usage' })}`,
  async run(args) {
    const { values, positionals } = parseCommand(args, {
      json: { type: 'boolean' },
      browser: { type: 'string' },
      'user-data-dir': { type: 'string' },
      'extension-id': { type: 'string' },
    });
    if (values.help) return (process.stdout.write(`${this.help}\n`), ExitCode.Ok);
    const json = Boolean(values.json);
    try {
      if (positionals.length) throw new UsageError(`install takes no positional arguments (got ${positionals.join(' ')})`);
      if (!values.browser) throw new UsageError(`--browser is required: one of ${BROWSERS.join(', ')}`);
      if (!isBrowserName(values.browser)) throw new UsageError(`unknown browser ${JSON.stringify(values.browser)}: use one of ${BROWSERS.join(', ')}`);
      if (values['user-data-dir']) await assertProfileFolder(values['user-data-dir'], values.browser);
      const result = await installHost({
        browser: values.browser,
        hostScript: entryScript(),
        ...(values['user-data-dir'] ? { userDataDir: values['user-data-dir'] } : {}),
        ...(values['extension-id'] ? { extensionId: values['extension-id'] } : {}),
      });
      const allowedInConfig = values['extension-id'] ? await allowExtensionId(values['extension-id']) : false;
      const extension = packagedExtension(values.browser, entryScript());
      if (json) printJson({ ok: true, ...result, ...(allowedInConfig ? { config: configPath() } : {}), ...(extension ? { extension } : {}) });
      else {
        process.stdout.write(
          `Installed the native host for ${values.browser}:\n  manifest: ${result.manifestPath}\n  launcher: ${result.launcherPath}\n  allowed: ${result.allowed.join(', ')}\n`,
        );
        if (result.registryKey) process.stdout.write(`  registry: ${result.registryKey}\n`);
        if (allowedInConfig) process.stdout.write(`  allowed in the host config: ${configPath()}\n`);
        if (extension) {
          process.stdout.write(`\nThe extension (id ${extension.id}) ships with this package:\n  folder: ${extension.folder}\n`);
          if (extension.zip) process.stdout.write(`  store zip: ${extension.zip}\n`);
          process.stdout.write(`${extension.steps.map((s) => `  ${s}`).join('\n')}\n`);
        } else {
          process.stdout.write('\nNo built extension next to this host: run "npm run build" in the repository, then load .output/chrome-mv3 (or firefox-mv3).\n');
        }
      }
      return ExitCode.Ok;
    } catch (err) {
      return reportError(err, json);
    }
  },
};

/**
 * A --user-data-dir that does not exist is a typo or a profile not made yet; creating it would
 * register the host for a browser profile that no browser uses, and "installed" would be a lie.
 */
async function assertProfileFolder(dir: string, browser: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (!info) {
    throw new UsageError(
      `--user-data-dir ${dir} does not exist`,
      `Check the path, or start ${browser} once with --user-data-dir ${dir} (it creates the profile), then run install again.`,
    );
  }
  if (!info.isDirectory()) throw new UsageError(`--user-data-dir ${dir} is not a folder`);
}
