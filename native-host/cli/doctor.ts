import { runChecks, type Check, type DoctorScope } from '../doctor/checks';
import { BROWSERS, isBrowserName, type BrowserName } from '../install/manifest-locations';
import { defineCommand, type Command, type CommandIO } from './command';
import { ExitCode, printJson, UsageError } from './output';
import { exitCodesHelp } from './exit-codes';

const MARK: Record<Check['status'], string> = { ok: 'ok  ', info: 'info', warn: 'warn', error: 'FAIL' };

const HELP = `Usage: mcp-login-bridge doctor [--browser <name>] [--user-data-dir <dir>] [--json]

Checks, and says what to do about each problem:
  - the node binary this runs on (Node 20.19 or newer);
  - for each browser, the native messaging manifest "install" writes, the launcher it names, and
    the node and host bundle the launcher runs (on Windows also the registry key);
  - the host config file, and each Client ID Metadata Document it names: fetched as an
    authorization server would, its client_id must be exactly its URL, with a port-less
    http://127.0.0.1/callback redirect URI and no secret;
  - where logins are stored (the host config's "store"): the OS keychain (Linux: a Secret Service
    on the D-Bus session bus) or the 0600 credentials files, and that a login could be written;
  - hosts started by running browsers: that their loopback bridge answers.

Options:
  --browser <name>        check only this browser (repeatable): ${BROWSERS.join(', ')}
  --user-data-dir <dir>   check the manifest of a Chrome-family profile started with --user-data-dir
  --json                  print {"ok": bool, "checks": [{id, status, message, fix?}]}
  -h, --help              show this help

${exitCodesHelp({ Ok: 'nothing to fix', Failed: 'something to fix', Usage: 'usage' })}`;

/** What doctor checks besides the files under `io.env`'s folders (default: found from there). */
export type DoctorDeps = Pick<DoctorScope, 'store' | 'adapters'>;

export interface DoctorOptions extends DoctorDeps {
  io: CommandIO;
  json: boolean;
  browsers?: BrowserName[];
  userDataDir?: string;
}

export function createDoctorCommand(deps: DoctorDeps = {}, runF: (options: DoctorOptions) => Promise<number> = runDoctor): Command {
  return defineCommand(
    {
      name: 'doctor',
      summary: 'Check the installation, the keychain, the config and running hosts; say what to fix',
      help: HELP,
      flags: { json: { type: 'boolean' }, browser: { type: 'string', multiple: true }, 'user-data-dir': { type: 'string' } },
      options: ({ values, positionals }, io, json): DoctorOptions => {
        if (positionals.length) throw new UsageError('doctor takes no positional arguments');
        for (const b of values.browser ?? []) if (!isBrowserName(b)) throw new UsageError(`unknown browser ${JSON.stringify(b)}: use one of ${BROWSERS.join(', ')}`);
        return {
          ...deps,
          io,
          json,
          ...(values.browser ? { browsers: values.browser as BrowserName[] } : {}),
          ...(values['user-data-dir'] ? { userDataDir: values['user-data-dir'] } : {}),
        };
      },
    },
    runF,
  );
}

export const doctorCommand = createDoctorCommand();

export async function runDoctor({ io, json, browsers, userDataDir, store, adapters }: DoctorOptions): Promise<number> {
  const checks = await runChecks({
    env: io.env,
    ...(browsers ? { browsers } : {}),
    ...(userDataDir ? { userDataDir } : {}),
    ...(store ? { store } : {}),
    ...(adapters ? { adapters } : {}),
  });
  const ok = !checks.some((c) => c.status === 'error');
  if (json) printJson({ ok, checks }, io.stdout);
  else {
    for (const c of checks) {
      io.stdout.write(`${MARK[c.status]}  ${c.message}\n`);
      if (c.fix && c.status !== 'ok') io.stdout.write(`      ${c.status === 'info' ? 'tip' : 'fix'}: ${c.fix}\n`);
    }
    io.stdout.write(ok ? 'Nothing to fix.\n' : 'Something needs fixing: see the FAIL lines above.\n');
  }
  return ok ? ExitCode.Ok : ExitCode.Failed;
}
