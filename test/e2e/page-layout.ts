/**
 * The checks every screenshot of the extension's pages must pass, in Chromium and in Firefox: no
 * text overflows its box, no word is split across lines, every control has an accessible name.
 * `inspectLayout` runs in the page (Playwright's `page.evaluate` in Chromium, BiDi's
 * `script.evaluate` of its source in Firefox), so it uses nothing from this module's scope.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the screenshots go: a CI artifact. */
export const SCREENSHOTS_DIR = join(fileURLToPath(new URL('../..', import.meta.url)), 'test-results', 'screenshots');

/** What a page looks like to the three checks; computed in the page. */
export interface LayoutReport {
  overflowing: string[];
  splitWords: string[];
  unnamed: string[];
}

export const CLEAN_LAYOUT: LayoutReport = { overflowing: [], splitWords: [], unnamed: [] };

/** Runs in the page: boxes whose text is wider than they are, words broken across lines, controls without a name. */
export function inspectLayout(): LayoutReport {
  const describe = (el: Element) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.split(' ')[0]}` : ''}: ${(el.textContent ?? '').trim().slice(0, 60)}`;
  const visible = (el: Element) => {
    const r = el.getBoundingClientRect();
    // 1 px boxes are visually hidden text for screen readers (clipped on purpose).
    return r.width > 1 && r.height > 1 && getComputedStyle(el).visibility !== 'hidden';
  };
  const overflowing: string[] = [];
  for (const el of document.body.querySelectorAll('*')) {
    const style = getComputedStyle(el);
    if (!visible(el) || style.display === 'inline' || ['auto', 'scroll'].includes(style.overflowX)) continue;
    if (el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0) overflowing.push(`${describe(el)} (${el.scrollWidth} > ${el.clientWidth})`);
  }
  // A word whose characters land on two lines: its range has rects at two different heights.
  const splitWords: string[] = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent ?? '';
    if (!node.parentElement || !visible(node.parentElement)) continue;
    for (const m of text.matchAll(/[A-Za-z0-9]{2,}/g)) {
      const range = document.createRange();
      range.setStart(node, m.index!);
      range.setEnd(node, m.index! + m[0].length);
      const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
      if (tops.size > 1) splitWords.push(`"${m[0]}" in ${describe(node.parentElement)}`);
    }
  }
  // The accessible name as assistive technology computes it, for the cases these pages use.
  const nameOf = (el: Element): string => {
    const labelledBy = el.getAttribute('aria-labelledby');
    if (labelledBy) return labelledBy.split(/\s+/).map((id) => document.getElementById(id)?.textContent ?? '').join(' ').trim();
    const aria = el.getAttribute('aria-label');
    if (aria?.trim()) return aria.trim();
    if (el.id) {
      const label = document.querySelector(`label[for="${CSS.escape(el.id)}"]`);
      if (label?.textContent?.trim()) return label.textContent.trim();
    }
    const wrapping = el.closest('label');
    if (wrapping?.textContent?.trim()) return wrapping.textContent.trim();
    if (el.matches('button, a, summary, [role="button"]')) return (el.textContent ?? '').trim() || (el.getAttribute('title') ?? '').trim();
    return (el.getAttribute('title') ?? '').trim();
  };
  const unnamed = [...document.querySelectorAll('button, input, select, textarea, a[href], summary, [role="button"]')]
    .filter((el) => visible(el) && !nameOf(el))
    .map(describe);
  return { overflowing, splitWords, unnamed };
}
