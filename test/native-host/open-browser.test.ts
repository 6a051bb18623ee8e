/**
 * The system-browser opener gets a URL a server chose. No test launches anything: `browserCommand`
 * is what would run, and `spawn` is replaced to see how `openInSystemBrowser` calls it.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

const spawned: { command: string; args: string[]; options: Record<string, unknown> }[] = [];
vi.mock('node:child_process', () => ({
  spawn: (command: string, args: string[], options: Record<string, unknown>) => {
    spawned.push({ command, args, options });
    const handlers = new Map<string, () => void>();
    queueMicrotask(() => handlers.get('spawn')?.());
    return { on: (event: string, fn: () => void) => handlers.set(event, fn), unref: () => undefined };
  },
}));

const { browserCommand, openInSystemBrowser } = await import('../../native-host/open-browser');

afterEach(() => {
  spawned.length = 0;
});

const AUTHORIZE = 'https://idp.example/authorize?client_id=abc&redirect_uri=http%3A%2F%2F127.0.0.1%3A4000%2Fcallback&state=s&scope=a+b';

describe('browserCommand', () => {
  it('never goes through cmd.exe on Windows: rundll32 hands the URL to the protocol handler', () => {
    expect(browserCommand(AUTHORIZE, 'win32')).toEqual({ command: 'rundll32.exe', args: ['url.dll,FileProtocolHandler', AUTHORIZE] });
  });
  it('uses open on macOS and xdg-open elsewhere, the URL as one argument', () => {
    expect(browserCommand(AUTHORIZE, 'darwin')).toEqual({ command: 'open', args: [AUTHORIZE] });
    expect(browserCommand(AUTHORIZE, 'linux')).toEqual({ command: 'xdg-open', args: [AUTHORIZE] });
    expect(browserCommand(AUTHORIZE, 'freebsd')).toEqual({ command: 'xdg-open', args: [AUTHORIZE] });
  });
  it('re-encodes shell metacharacters, env-var expansions and bare % so the URL is inert', () => {
    for (const platform of ['win32', 'darwin', 'linux'] as const) {
      const cmd = browserCommand('https://evil.example/a|calc.exe^x?q=%USERPROFILE%&r="x y"&t=`id`&u=é&v=%41', platform)!;
      const url = cmd.args.at(-1)!;
      expect(url).toBe('https://evil.example/a%7Ccalc.exe%5Ex?q=%25USERPROFILE%25&r=%22x%20y%22&t=%60id%60&u=%C3%A9&v=%41');
      expect(url).toMatch(/^(?:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-F]{2})+$/);
      expect(cmd.command).not.toMatch(/cmd/i);
    }
  });
  it('opens only https, or http on a loopback host', () => {
    expect(browserCommand('http://127.0.0.1:8080/authorize?x=1', 'win32')?.args[1]).toBe('http://127.0.0.1:8080/authorize?x=1');
    for (const url of ['http://idp.example/authorize', 'file:///C:/Windows/System32/calc.exe', 'javascript:alert(1)', 'ms-settings:', 'not a url', '\\\\host\\share']) {
      for (const platform of ['win32', 'darwin', 'linux'] as const) expect(browserCommand(url, platform), `${url} on ${platform}`).toBeNull();
    }
  });
});

describe('openInSystemBrowser', () => {
  it('spawns the command without a shell', async () => {
    await expect(openInSystemBrowser('https://evil.example/a|calc.exe', 'win32')).resolves.toBe(true);
    expect(spawned).toEqual([
      { command: 'rundll32.exe', args: ['url.dll,FileProtocolHandler', 'https://evil.example/a%7Ccalc.exe'], options: expect.not.objectContaining({ shell: expect.anything() }) },
    ]);
  });
  it('starts nothing for a refused URL and reports that it did not open it', async () => {
    await expect(openInSystemBrowser('file:///etc/passwd', 'linux')).resolves.toBe(false);
    expect(spawned).toEqual([]);
  });
});
