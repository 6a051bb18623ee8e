import { uninstallHost, type UninstallResult } from '../install/uninstall-host';
import { BROWSERS, isBrowserName, type BrowserName } from '../install/manifest-locations';
import { defineCommand, type Command, type CommandIO } from './command';
import { ExitCode, printJson, UsageError } from './output';
import { exitCodesHelp } from './exit-codes';

const HELP = `Usage: mcp-login-bridge uninstall --browser <name|all> [--user-data-dir <dir>] [--json]

Removes what "install" wrote: the browser's native messaging manifest (on Windows also its
registry key under HKCU), and the launcher script once no browser's manifest uses it any more.
Stored logins are not touched (use "logout").

Options:
  --browser <name|all>    one of ${BROWSERS.join(', ')}, or all of them (required)
  --user-data-dir <dir>   the Chrome-family profile "install --user-data-dir" wrote to; the
                          launcher is then kept (other profiles may use it)
  --json                  print what was removed as JSON
  -h, --help              show this help

${exitCodesHelp({ Ok: 'removed (or nothing to remove)', Failed: 'failed', Usage: 'usage' })}`;

export interface UninstallOptions {
  io: CommandIO;
  json: boolean;
  browsers: BrowserName[];
  userDataDir?: string;
}

export function createUninstallCommand(runF: (options: UninstallOptions) => Promise<number> = runUninstall): Command {
  return defineCommand(
    {
      name: 'uninstall',
      summary: 'Remove the native host registration from a browser',
      help: HELP,
      flags: { json: { type: 'boolean' }, browser: { type: 'string' }, 'user-data-dir': { type: 'string' } },
      options: ({ values, positionals }, io, json): UninstallOptions => {
        if (positionals.length) throw new UsageError(`uninstall takes no positional arguments (got ${positionals.join(' ')})`);
        const name = values.browser;
        if (!name) throw new UsageError(`--browser is required: one of ${BROWSERS.join(', ')}, or all`);
        if (name !== 'all' && !isBrowserName(name)) throw new UsageError(`unknown browser ${JSON.stringify(name)}: use one of ${BROWSERS.join(', ')}, or all`);
        if (name === 'all' && values['user-data-dir']) throw new UsageError('--user-data-dir names one profile of one browser; use it with --browser <name>');
        return {
          io,
          json,
          browsers: name === 'all' ? [...BROWSERS] : [name as BrowserName],
          ...(values['user-data-dir'] ? { userDataDir: values['user-data-dir'] } : {}),
        };
      },
    },
    runF,
  );
}

export const uninstallCommand = createUninstallCommand();

export async function runUninstall({ io, json, browsers, userDataDir }: UninstallOptions): Promise<number> {
  const { stdout } = io;
  const results: (UninstallResult & { browser: BrowserName })[] = [];
  for (const browser of browsers) {
    results.push({ browser, ...(await uninstallHost({ browser, env: io.env, ...(userDataDir ? { userDataDir } : {}) })) });
  }
  if (json) {
    printJson({ ok: true, results }, stdout);
    return ExitCode.Ok;
  }
  for (const r of results) {
    stdout.write(r.manifestRemoved ? `Removed the ${r.browser} manifest ${r.manifestPath}\n` : `No ${r.browser} manifest at ${r.manifestPath} (nothing to remove)\n`);
    if (r.registryKeyRemoved) stdout.write(`  removed the registry key ${r.registryKey}\n`);
  }
  const last = results[results.length - 1]!;
  if (last.launcherRemoved) stdout.write(`Removed the launcher ${last.launcherPath}\n`);
  else if (last.launcherStillUsedBy.length) stdout.write(`Kept the launcher ${last.launcherPath}: still used by ${last.launcherStillUsedBy.join(', ')}\n`);
  else if (userDataDir) stdout.write(`Kept the launcher ${last.launcherPath}: other --user-data-dir profiles may use it\n`);
  return ExitCode.Ok;
}
