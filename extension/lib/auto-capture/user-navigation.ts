/**
 * Whether a committed navigation was the user's choice rather than the login's own pages: such a
 * navigation ends a chain, so a website's own sign-in later in that tab is not taken for part of it.
 */

/** What `webNavigation.onCommitted` says about a navigation (Chromium and Firefox both give these). */
export interface CommitDetails {
  tabId: number;
  frameId: number;
  transitionType?: string;
  transitionQualifiers?: string[];
}

/**
 * Transitions that mean the user, not the login's pages, chose where the tab goes next. A reload
 * is not one: reloading the consent page is still the same login.
 */
const USER_TRANSITIONS = new Set(['typed', 'auto_bookmark', 'generated', 'keyword', 'keyword_generated', 'start_page']);
const USER_QUALIFIERS = new Set(['from_address_bar', 'forward_back']);

export function isUserNavigation(details: Pick<CommitDetails, 'transitionType' | 'transitionQualifiers'>): boolean {
  return USER_TRANSITIONS.has(details.transitionType ?? '') || (details.transitionQualifiers ?? []).some((q) => USER_QUALIFIERS.has(q));
}
