import { stat } from 'node:fs/promises';
import { allowExtensionId, configPath } from '../config';
import { entryScript } from '../entry-script';
import { installHost } from '../install/install-host';
import { BROWSERS, isBrowserName, type BrowserName } from '../install/manifest-locations';
import { packagedExtension } from '../install/packaged-extension';
import { defineCommand, type Command, type CommandIO } from './command';
import { ExitCode, printJson, UsageError } from './output';
import { exitCodesHelp } from './exit-codes';

const HELP = `Usage: mcp-login-bridge install --browser <name> [--user-data-dir <dir>] [--extension-id <id>] [--json]

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

${exitCodesHelp({ Ok: 'installed', Failed: 'failed', Usage: 'usage' })}`;

export interface InstallDeps {
  /** The host bundle the launcher runs (default: the one running now); the packaged extension is found beside it. */
  hostScript: () => string;
}

export interface InstallOptions extends InstallDeps {
  io: CommandIO;
  json: boolean;
  browser: BrowserName;
  userDataDir?: string;
  extensionId?: string;
}

export function createInstallCommand(deps: Partial<InstallDeps> = {}, runF: (options: InstallOptions) => Promise<number> = runInstall): Command {
  return defineCommand(
    {
      name: 'install',
      summary: 'Register the native host with a browser so the extension can reach it',
      help: HELP,
      flags: { json: { type: 'boolean' }, browser: { type: 'string' }, 'user-data-dir': { type: 'string' }, 'extension-id': { type: 'string' } },
      options: async ({ values, positionals }, io, json): Promise<InstallOptions> => {
        if (positionals.length) throw new UsageError(`install takes no positional arguments (got ${positionals.join(' ')})`);
        if (!values.browser) throw new UsageError(`--browser is required: one of ${BROWSERS.join(', ')}`);
        if (!isBrowserName(values.browser)) throw new UsageError(`unknown browser ${JSON.stringify(values.browser)}: use one of ${BROWSERS.join(', ')}`);
        if (values['user-data-dir']) await assertProfileFolder(values['user-data-dir'], values.browser);
        return {
          hostScript: entryScript,
          ...deps,
          io,
          json,
          browser: values.browser,
          ...(values['user-data-dir'] ? { userDataDir: values['user-data-dir'] } : {}),
          ...(values['extension-id'] ? { extensionId: values['extension-id'] } : {}),
        };
      },
    },
    runF,
  );
}

export const installCommand = createInstallCommand();

export async function runInstall({ io, json, browser, userDataDir, extensionId, hostScript }: InstallOptions): Promise<number> {
  const { stdout } = io;
  const result = await installHost({
    browser,
    hostScript: hostScript(),
    env: io.env,
    ...(userDataDir ? { userDataDir } : {}),
    ...(extensionId ? { extensionId } : {}),
  });
  const config = configPath(io.env);
  const allowedInConfig = extensionId ? await allowExtensionId(extensionId, config) : false;
  const extension = packagedExtension(browser, hostScript());
  if (json) {
    printJson({ ok: true, ...result, ...(allowedInConfig ? { config } : {}), ...(extension ? { extension } : {}) }, stdout);
    return ExitCode.Ok;
  }
  stdout.write(`Installed the native host for ${browser}:\n  manifest: ${result.manifestPath}\n  launcher: ${result.launcherPath}\n  allowed: ${result.allowed.join(', ')}\n`);
  if (result.registryKey) stdout.write(`  registry: ${result.registryKey}\n`);
  if (allowedInConfig) stdout.write(`  allowed in the host config: ${config}\n`);
  if (extension) {
    stdout.write(`\nThe extension (id ${extension.id}) ships with this package:\n  folder: ${extension.folder}\n`);
    if (extension.zip) stdout.write(`  store zip: ${extension.zip}\n`);
    stdout.write(`${extension.steps.map((s) => `  ${s}`).join('\n')}\n`);
  } else {
    stdout.write('\nNo built extension next to this host: run "npm run build" in the repository, then load .output/chrome-mv3 (or firefox-mv3).\n');
  }
  return ExitCode.Ok;
}

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
