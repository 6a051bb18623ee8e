/**
 * parseCommand parses plain lines (positionals and bare boolean flags) itself, so `token` need not
 * load node:util's parseArgs; every line must come out as parseArgs makes it, and every mistake
 * as the usage error parseArgs's error becomes. parseArgs itself is the reference here.
 * (That `token` does not load parseArgs is token-valid-path.process.test.ts's.)
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../../native-host/cli/parse';
import { UsageError } from '../../../native-host/cli/output';

type Options = NonNullable<ParseArgsConfig['options']>;

const TOKEN: Options = { json: { type: 'boolean' }, headers: { type: 'boolean' } };
const MIXED: Options = { json: { type: 'boolean' }, 'no-revoke': { type: 'boolean' }, client: { type: 'string', multiple: true }, timeout: { type: 'string' } };
const WITH_DEFAULT: Options = { json: { type: 'boolean' }, quiet: { type: 'boolean', default: false } };

/** What parseArgs makes of the line, with parseCommand's implicit --help/-h. */
function reference(args: string[], options: Options) {
  return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
}

const LINES: Array<[string, Options, string[]]> = [
  ['a URL', TOKEN, ['https://example.com/mcp']],
  ['a URL and --headers', TOKEN, ['https://example.com/mcp', '--headers']],
  ['--json before the URL', TOKEN, ['--json', 'https://example.com/mcp']],
  ['both formats', TOKEN, ['https://example.com/mcp', '--json', '--headers']],
  ['a flag twice', TOKEN, ['--json', 'x', '--json']],
  ['--help', TOKEN, ['--help']],
  ['-h', TOKEN, ['-h', 'x']],
  ['nothing', TOKEN, []],
  ['two positionals', TOKEN, ['a', 'b']],
  ['an empty argument', TOKEN, ['']],
  ['-- then a dash argument', TOKEN, ['--', '--json']],
  ['a lone dash', TOKEN, ['-']],
  ['a string option with its value', MIXED, ['--client', 'codex', 'https://example.com/mcp']],
  ['a repeated string option', MIXED, ['--client', 'codex', '--client=claude', '--no-revoke']],
  ['an inline value', MIXED, ['--timeout=5', 'x']],
  ['a default', WITH_DEFAULT, ['x']],
  ['a default and a flag', WITH_DEFAULT, ['--quiet', '--json']],
];

const MISTAKES: Array<[string, Options, string[]]> = [
  ['an unknown option', TOKEN, ['--jsn', 'x']],
  ['a far unknown option', TOKEN, ['--zzzzzz']],
  ['an unknown short option', TOKEN, ['-x']],
  ['a value for a boolean', TOKEN, ['--json=yes']],
  ['a grouped short option', TOKEN, ['-hx']],
  ['a string option without its value', MIXED, ['x', '--timeout']],
  ['--__proto__', TOKEN, ['--__proto__']],
  ['--constructor', TOKEN, ['--constructor']],
  ['a negative number', TOKEN, ['-5']],
];

describe('parseCommand', () => {
  for (const [label, options, args] of LINES) {
    it(`${label}: what parseArgs returns`, () => {
      const ours = parseCommand(args, options);
      const theirs = reference(args, options);
      expect(ours.positionals).toEqual(theirs.positionals);
      expect({ ...ours.values }).toEqual({ ...theirs.values });
      expect(Object.keys(ours.values)).toEqual(Object.keys(theirs.values));
      // parseArgs's values have no prototype: `values.toString` is no option.
      expect(Object.getPrototypeOf(ours.values)).toBe(Object.getPrototypeOf(theirs.values));
    });
  }

  for (const [label, options, args] of MISTAKES) {
    it(`${label}: a usage error, as parseArgs refuses it`, () => {
      expect(() => reference(args, options)).toThrow();
      let error: unknown;
      try {
        parseCommand(args, options);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(UsageError);
    });
  }

  it('names the option a mistyped one was meant to be, and lists them when nothing is close', () => {
    expect(() => parseCommand(['--jsn'], TOKEN)).toThrow(expect.objectContaining({ message: 'unknown option --jsn', hint: 'Did you mean --json?' }));
    expect(() => parseCommand(['--zzzzzz'], TOKEN)).toThrow(expect.objectContaining({ hint: 'Options: --json, --headers, --help.' }));
    expect(() => parseCommand(['--json=yes'], TOKEN)).toThrow(expect.objectContaining({ message: '--json takes no value' }));
  });
});
