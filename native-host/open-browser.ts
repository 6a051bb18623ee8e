import { spawn } from 'node:child_process';
import { isSecureOrLoopback } from '../shared/loopback';
import { encodeToUriChars } from '../shared/url-chars';

/**
 * The program and arguments that open `url` in the default browser, or null when the URL is not
 * one we open (not https, nor http on a loopback host, or not a URL at all).
 *
 * The URL comes from a server's metadata, so it is treated as hostile. No shell ever sees it: on
 * Windows `cmd /c start` would run `https://evil.example/a|calc.exe` as a pipe and expand `%VAR%`,
 * so rundll32 hands it straight to the URL protocol handler instead. It is also re-encoded to RFC
 * 3986 characters only (`|`, `^`, `"`, spaces, a bare `%` and the like become %XX), so no program
 * down the line can read it as anything but one URL.
 */
export function browserCommand(url: string, platform: NodeJS.Platform): { command: string; args: string[] } | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (!isSecureOrLoopback(parsed)) return null;
  const safe = encodeToUriChars(parsed.href);
  if (platform === 'win32') return { command: 'rundll32.exe', args: ['url.dll,FileProtocolHandler', safe] };
  if (platform === 'darwin') return { command: 'open', args: [safe] };
  return { command: 'xdg-open', args: [safe] };
}

/**
 * Opens a URL in the user's default browser. Returns false when no opener could be started (a
 * headless machine) or the URL is refused (see `browserCommand`); the caller has already printed
 * the URL for the user to open by hand.
 */
export function openInSystemBrowser(url: string, platform: NodeJS.Platform = process.platform): Promise<boolean> {
  const opener = browserCommand(url, platform);
  if (!opener) return Promise.resolve(false);
  return new Promise((resolve) => {
    // No `shell` option, ever: the argument must reach the program as it is. No windowsHide either:
    // rundll32 passes its show state on to the browser it starts.
    const child = spawn(opener.command, opener.args, { stdio: 'ignore', detached: true });
    child.on('error', () => resolve(false));
    child.on('spawn', () => {
      child.unref();
      resolve(true);
    });
  });
}
