/**
 * One exit-code table: the README's table is the code's, word for word; every command's --help
 * names its codes from it; and no entry point or command types an exit number of its own.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CODE_MEANINGS, ExitCode, exitCodesHelp, exitCodesTable, type ExitCodeName } from '../../../native-host/cli/exit-codes';
import { connectCommand } from '../../../native-host/cli/connect';
import { doctorCommand } from '../../../native-host/cli/doctor';
import { installCommand } from '../../../native-host/cli/install';
import { loginCommand } from '../../../native-host/cli/login';
import { logoutCommand } from '../../../native-host/cli/logout';
import { statusCommand } from '../../../native-host/cli/status';
import { tokenCommand } from '../../../native-host/cli/token';
import { uninstallCommand } from '../../../native-host/cli/uninstall';

const ROOT = join(__dirname, '../../..');
const COMMANDS = [connectCommand, doctorCommand, installCommand, loginCommand, logoutCommand, statusCommand, tokenCommand, uninstallCommand];
const CODES = new Set<number>(Object.values(ExitCode));

describe('the exit-code table', () => {
  it("is the README's table, code, name and meaning", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| (\d+) \| `(\w+)` \| (.+) \|$/gm)].map(([, code, name, meaning]) => [Number(code), name, meaning!.replace(/`/g, '')]);
    expect(rows).toEqual((Object.entries(ExitCode) as [ExitCodeName, number][]).map(([name, code]) => [code, name, EXIT_CODE_MEANINGS[name]]));
  });

  it('is what the main --help prints, one code a line', () => {
    expect(exitCodesTable().split('\n')).toEqual(Object.entries(ExitCode).map(([name, code]) => expect.stringMatching(new RegExp(`^  ${code} +${EXIT_CODE_MEANINGS[name as ExitCodeName].replace(/[()]/g, '\\$&')}$`))));
  });

  it("gives each command's codes in numeric order, wrapped to the help's width", () => {
    const text = exitCodesHelp({ LoginNeeded: 'log in again '.repeat(12).trim(), Ok: 'ok', Usage: 'usage' });
    expect(text.replace(/\n/g, ' ')).toBe(`Exit codes: 0 ok, 2 usage, 4 ${'log in again '.repeat(12).trim()}.`);
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
  });

  it.each(COMMANDS.map((c) => [c.name, c] as const))("%s --help names its exit codes from the table", (_name, command) => {
    const paragraph = command.help.slice(command.help.indexOf('Exit codes: ')).replace(/\n/g, ' ');
    expect(paragraph.startsWith('Exit codes: 0 ')).toBe(true);
    const codes = [...paragraph.matchAll(/(?:: |, )(\d+) /g)].map((m) => Number(m[1]));
    expect(codes.length).toBeGreaterThanOrEqual(3);
    for (const code of codes) expect(CODES.has(code), `${command.name}: exit code ${code}`).toBe(true);
    expect(codes).toEqual([...codes].sort((a, b) => a - b));
  });

  it('no entry point or command exits with a number typed on the spot', () => {
    const files = [
      'native-host/main.ts',
      'native-host/token-main.ts',
      'native-host/native-mode.ts',
      ...['cli', 'connect'].flatMap((dir) => readdirSync(join(ROOT, 'native-host', dir)).filter((f) => f.endsWith('.ts')).map((f) => `native-host/${dir}/${f}`)),
    ].filter((f) => f !== 'native-host/cli/exit-codes.ts');
    for (const file of files) {
      const source = readFileSync(join(ROOT, file), 'utf8');
      expect(source, file).not.toMatch(/process\.exit\(\s*\d|exitCode\s*=\s*\d|return \d+;|const EXIT_\w+ = \d/);
    }
  });
});
