import { uninstallHost, type UninstallResult } from '../install/uninstall-host';
import { BROWSERS, isBrowserName, type BrowserName } from '../install/manifest-locations';
import type { Command } from './command';
import { exitCodesHelp } from './exit-codes';
import { ExitCode, printJson, reportError, UsageError } from './output';
import { parseCommand } from './parse';

export const uninstallCommand: Command = {
  name: 'uninstall',
  summary: 'Remove the native host registration from a browser',
  help: `Usage: mcp-login-bridge uninstall --browser <name|all> [--user-data-dir <dir>] [--json]

Removes what "install" wrote: the browser's native messaging manifest (on Windows also its
registry key under HKCU), and the launcher script once no browser's manifest uses it any more.
Stored logins are not touched (use "logout").

Options:
  --browser <name|all>    one of ${BROWSERS.join(', ')}, or all of them (required)
  --user-data-dir <dir>   the Chrome-family profile "install --user-data-dir" wrote to; the
                          launcher is then kept (other profiles may use it)
  --json                  print what was removed as JSON
  -h, --help              show this help

${exitCodesHelp({ Ok: 'removed (or nothing to remove)', Failed: 'failed', Usage: 'usage' })}`,
  async run(args) {
    const { values, positionals } = parseCommand(args, {
      json: { type: 'boolean' },
      browser: { type: 'string' },
      'user-data-dir': { type: 'string' },
    });
    if (values.help) return (process.stdout.write(`${this.help}\n`), ExitCode.Ok);
    const json = Boolean(values.json);
    try {
      if (positionals.length) throw new UsageError(`uninstall takes no positional arguments (got ${positionals.join(' ')})`);
      const name = values.browser;
      if (!name) throw new UsageError(`--browser is required: one of ${BROWSERS.join(', ')}, or all`);
      if (name !== 'all' && !isBrowserName(name)) throw new UsageError(`unknown browser ${JSON.stringify(name)}: use one of ${BROWSERS.join(', ')}, or all`);
      if (name === 'all' && values['user-data-dir']) throw new UsageError('--user-data-dir names one profile of one browser; use it with --browser <name>');
      const browsers: BrowserName[] = name === 'all' ? [...BROWSERS] : [name as BrowserName];
      const results: (UninstallResult & { browser: BrowserName })[] = [];
      for (const browser of browsers) {
        results.push({
          browser,
          ...(await uninstallHost({ browser, ...(values['user-data-dir'] ? { userDataDir: values['user-data-dir'] } : {}) })),
        });
      }
      if (json) {
        printJson({ ok: true, results });
        return ExitCode.Ok;
      }
      for (const r of results) {
        process.stdout.write(
          r.manifestRemoved ? `Removed the ${r.browser} manifest ${r.manifestPath}\n` : `No ${r.browser} manifest at ${r.manifestPath} (nothing to remove)\n`,
        );
        if (r.registryKeyRemoved) process.stdout.write(`  removed the registry key ${r.registryKey}\n`);
      }
      const last = results[results.length - 1]!;
      if (last.launcherRemoved) process.stdout.write(`Removed the launcher ${last.launcherPath}\n`);
      else if (last.launcherStillUsedBy.length) process.stdout.write(`Kept the launcher ${last.launcherPath}: still used by ${last.launcherStillUsedBy.join(', ')}\n`);
      else if (values['user-data-dir']) process.stdout.write(`Kept the launcher ${last.launcherPath}: other --user-data-dir profiles may use it\n`);
      return ExitCode.Ok;
    } catch (err) {
      return reportError(err, json);
    }
  },
};
