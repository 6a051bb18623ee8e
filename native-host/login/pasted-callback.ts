/**
 * `login --no-browser`: the address the browser was sent to, pasted on stdin. A paste is checked
 * here before the login sees it, because the login takes its flow on the first callback it is
 * given: a half-copied address would end the sign-in the user just went through. A bad paste is
 * explained and asked for again (a few times); stdin closing fails at once instead of waiting out
 * the timeout, since nothing can be pasted any more.
 */
import { createInterface } from 'node:readline';

/** Pastes that are not this login's callback before the CLI gives up. */
export const MAX_PASTE_TRIES = 3;

/** Why `text` is not this login's callback, or undefined when it is. */
export function pastedCallbackProblem(text: string, flow: { redirectUri: string; state: string }): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `that is not an address; copy the whole address from the browser's address bar (it starts with ${flow.redirectUri})`;
  }
  if (url.origin + url.pathname !== flow.redirectUri) return `that address does not start with ${flow.redirectUri}; copy the address of the page the sign-in ended on`;
  // Not echoed: the state is a secret of this login.
  if (url.searchParams.get('state') !== flow.state) return 'that address belongs to another login attempt (its state differs); finish the sign-in this login printed';
  if (!url.searchParams.has('code') && !url.searchParams.has('error')) return 'that address has no "code" in it; it may be cut off, copy all of it';
  return undefined;
}

/** Reads lines from `input` until one is this login's callback. Prompts on `output`. */
export function askForCallback(
  input: NodeJS.ReadableStream,
  output: { write(text: string): unknown },
  flow: { redirectUri: string; state: string },
): { callback: Promise<string>; close(): void } {
  // Lines only: the prompts below are written to `output` directly.
  const rl = createInterface({ input, terminal: false });
  let tries = 0;
  let settled = false;
  const callback = new Promise<string>((resolve, reject) => {
    const ask = () => output.write('Paste the address here and press Enter: ');
    rl.on('line', (line) => {
      const text = line.trim();
      if (settled) return;
      if (!text) return ask();
      const problem = pastedCallbackProblem(text, flow);
      if (!problem) {
        settled = true;
        rl.close();
        return resolve(text);
      }
      tries += 1;
      if (tries >= MAX_PASTE_TRIES) {
        settled = true;
        rl.close();
        return reject(new Error(`${problem}. No usable address after ${MAX_PASTE_TRIES} tries; run login again`));
      }
      output.write(`${problem[0]!.toUpperCase()}${problem.slice(1)}.\n`);
      ask();
    });
    rl.on('close', () => {
      if (settled) return;
      settled = true;
      reject(new Error('stdin closed before the address was pasted; run login --no-browser in a terminal, or without --no-browser to use a browser on this machine'));
    });
    ask();
  });
  return {
    callback,
    close: () => {
      settled = true;
      rl.close();
    },
  };
}
