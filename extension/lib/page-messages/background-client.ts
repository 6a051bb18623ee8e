/** How the extension's pages ask the background something (see messages.ts for the shapes). */
import { browser } from 'wxt/browser';
import type { MessageKind, MessageOf, Replies } from './messages';

export async function askBackground<K extends MessageKind>(message: MessageOf<K>): Promise<Replies[K]> {
  const reply: unknown = await browser.runtime.sendMessage(message);
  if (typeof reply !== 'object' || reply === null) {
    throw new Error('The extension background did not answer. Reload the extension (chrome://extensions) and try again.');
  }
  return reply as Replies[K];
}
