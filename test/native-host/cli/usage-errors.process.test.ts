/**
 * Every command's mistyped option or a mistyped command, through the built binary as a user (or a
 * headers helper) runs it: a message, a "did you mean", the command's own --help, exit 2, and
 * never a stack trace.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { assertHostBuilt, runCli, type CliRun } from '../../helpers/native-client';
import { closestName, editDistance } from '../../../native-host/cli/did-you-mean';

beforeAll(() => assertHostBuilt());

// No keychain, no HOME with logins: a usage error must not need either.
function run(...args: string[]): Promise<CliRun> {
  return runCli(args, { ...process.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent' });
}

const NO_STACK = /\n\s+at |Error:|node:internal|\.mjs:\d+/;

describe('usage errors through the binary', () => {
  it.each([
    [['status', '--jsn'], 'status', 'unknown option --jsn', 'Did you mean --json?'],
    [['token', 'x', '--jsn'], 'token', 'unknown option --jsn', 'Did you mean --json?'],
    [['login', 'x', '--no-browsr'], 'login', 'unknown option --no-browsr', 'Did you mean --no-browser?'],
    [['doctor', '--verbose'], 'doctor', 'unknown option --verbose', 'Options: --json, --browser, --user-data-dir, --help.'],
    [['install', '--browser'], 'install', '--browser needs a value', undefined],
    [['logout', 'x', '--no-revok'], 'logout', 'unknown option --no-revok', 'Did you mean --no-revoke?'],
    [['uninstall', '--browsr', 'all'], 'uninstall', 'unknown option --browsr', 'Did you mean --browser?'],
    [['connect', 'x', '--no-logn'], 'connect', 'unknown option --no-logn', 'Did you mean --no-login?'],
    // An alias is named as the command it stands for, whose --help the user then reads.
    [['proxy', 'x', '--jsn'], 'connect', 'unknown option --jsn', 'Options: --no-login, --login-timeout, --help.'],
  ])('%j: message, hint, the command\'s --help, exit 2', async (args, command, message, hint) => {
    const r = await run(...args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toContain(`mcp-login-bridge ${command}: ${message}`);
    if (hint) expect(lines[1]).toBe(hint);
    expect(lines.at(-1)).toBe(`Run "mcp-login-bridge ${command} --help" for usage.`);
    expect(r.stderr).not.toMatch(NO_STACK);
  });

  it.each([
    ['tokne', 'token'],
    ['statsu', 'status'],
    ['loign', 'login'],
  ])('mistyped command %s suggests %s, exit 2', async (typed, meant) => {
    const r = await run(typed);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`mcp-login-bridge: unknown command "${typed}"\nDid you mean "${meant}"?\nRun "mcp-login-bridge --help" for usage.\n`);
  });

  it.each([
    ['version', '--version'],
    ['--verison', '--version'],
    ['--hlep', '--help'],
  ])('%s at the top level suggests the option %s, exit 2', async (typed, meant) => {
    const r = await run(typed);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[1]).toBe(`Did you mean "${meant}"?`);
  });

  it('a command nothing resembles lists the commands', async () => {
    const r = await run('frobnicate');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Commands: login, token, connect, status');
    expect(r.stderr).not.toMatch(NO_STACK);
  });

  it('with --json the usage error is JSON on stdout, even when parsing failed before the command saw --json', async () => {
    const r = await run('status', '--json', '--jsn');
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({
      ok: false,
      error: { code: 0, name: 'Usage', message: 'unknown option --jsn', hint: 'Did you mean --json?', help: 'mcp-login-bridge status --help' },
    });
  });

  it('a usage error a command finds after parsing takes the same path', async () => {
    const r = await run('token', 'https://example.com/mcp', '--headers', '--json');
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error).toMatchObject({ name: 'Usage', help: 'mcp-login-bridge token --help' });
  });
});

describe('closestName', () => {
  it('counts a swap of neighbours as one edit and refuses far guesses', () => {
    expect(editDistance('tokne', 'token')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(closestName('--verbose', ['--browser', '--json'])).toBeUndefined();
    expect(closestName('--jsno', ['--json', '--headers'])).toBe('--json');
    expect(closestName('x', ['token', 'login'])).toBeUndefined();
  });
});
