/** The tab a login runs in, via `browser.tabs`. */
import { browser } from 'wxt/browser';

export const loginTabs = {
  async openBlank(windowId?: number): Promise<number> {
    // Blank first: the capture rule is scoped to this tab id, which exists only once the tab does.
    const tab = await browser.tabs.create({ url: 'about:blank', active: true, ...(windowId === undefined ? {} : { windowId }) });
    if (tab.id === undefined) throw new Error('the browser gave the new tab no id');
    return tab.id;
  },
  async navigate(tabId: number, url: string): Promise<void> {
    await browser.tabs.update(tabId, { url });
  },
  async focus(tabId: number): Promise<void> {
    const tab = await browser.tabs.update(tabId, { active: true });
    if (tab?.windowId !== undefined) await browser.windows.update(tab.windowId, { focused: true });
  },
  async close(tabId: number): Promise<void> {
    await browser.tabs.remove(tabId);
  },
};
