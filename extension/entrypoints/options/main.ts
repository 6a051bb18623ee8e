/**
 * Options page: every provider rule (yours, the host config's, the built-in ones) with a switch,
 * a form to add your own (filled in when opened from the popup's "Add this rule"; errors marked on
 * their field), and the recent sign-ins of other programs from the activity log. A new rule is validated with shared/providers.ts `parseRule` before
 * it is saved, and its origin's host permission is asked for (the browser shows the prompt); a rule
 * for an origin the extension cannot be given is not saved. The background picks changes up from
 * storage.local.
 */
import '../../assets/pages.css';
import { browser } from 'wxt/browser';
import { IdbActivityStore, type ChainRecord } from '../../lib/auto-capture/activity-log';
import { CONFIG_RULES_KEY, SETTINGS_KEY, RuleFieldError, listRules, parseRules, parseSettings, ruleFromForm, type ProviderSettings, type RuleField } from '../../lib/settings/provider-settings';
import { ensureOriginAccess } from '../../lib/settings/origin-access';
import type { ProviderRule } from '../../../shared/providers';

const tbody = document.querySelector<HTMLTableSectionElement>('#rules tbody')!;
const rulesStatus = document.querySelector<HTMLElement>('#rules-status')!;
const form = document.querySelector<HTMLFormElement>('#add-rule')!;
const addStatus = document.querySelector<HTMLElement>('#add-status')!;

async function load(): Promise<{ settings: ProviderSettings; configRules: ProviderRule[] }> {
  const stored = await browser.storage.local.get([SETTINGS_KEY, CONFIG_RULES_KEY]);
  return { settings: parseSettings(stored[SETTINGS_KEY]), configRules: parseRules(stored[CONFIG_RULES_KEY], 'config') };
}

async function save(settings: ProviderSettings): Promise<void> {
  await browser.storage.local.set({ [SETTINGS_KEY]: settings });
}

function adds(rule: ProviderRule): string {
  const parts = Object.entries(rule.params).map(([k, v]) => `${k}=${v}`);
  if (rule.addScopes?.length) parts.push(`scope += ${rule.addScopes.join(' ')}`);
  return parts.join(', ');
}

const SOURCE_LABEL: Record<ProviderRule['source'], string> = { builtin: 'Built-in', config: 'Host config', user: 'You' };

function cell(text: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  return td;
}

async function render(): Promise<void> {
  const { settings, configRules } = await load();
  tbody.replaceChildren();
  for (const rule of listRules(settings, configRules)) {
    const tr = document.createElement('tr');
    tr.dataset.ruleId = rule.id;
    const toggle = document.createElement('input');
    toggle.type = 'checkbox';
    toggle.checked = rule.enabled;
    toggle.setAttribute('aria-label', `Apply ${rule.name}`);
    toggle.addEventListener('change', () => void setEnabled(rule.id, toggle.checked));
    const on = document.createElement('td');
    on.append(toggle);
    const actions = document.createElement('td');
    if (rule.source === 'user') {
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.textContent = 'Remove';
      remove.setAttribute('aria-label', `Remove ${rule.name}`);
      remove.className = 'secondary small';
      remove.addEventListener('click', () => void removeRule(rule.id));
      actions.append(remove);
    }
    const name = cell(rule.name);
    const id = document.createElement('span');
    id.className = 'rule-id';
    id.textContent = rule.id;
    name.append(document.createElement('br'), id);
    const origins = document.createElement('td');
    for (const o of rule.origins) {
      const line = document.createElement('div');
      line.textContent = o;
      origins.append(line);
    }
    tr.append(on, name, origins, cell(adds(rule)), cell(SOURCE_LABEL[rule.source]), actions);
    tbody.append(tr);
  }
}

async function setEnabled(id: string, enabled: boolean): Promise<void> {
  const { settings } = await load();
  const disabled = settings.disabled.filter((d) => d !== id);
  if (!enabled) disabled.push(id);
  await save({ ...settings, disabled });
  rulesStatus.textContent = `${id} ${enabled ? 'switched on' : 'switched off'}.`;
}

async function removeRule(id: string): Promise<void> {
  const { settings } = await load();
  await save({ ...settings, userRules: settings.userRules.filter((r) => r.id !== id) });
  rulesStatus.textContent = `${id} removed.`;
  await render();
}

function show(state: 'success' | 'error' | 'idle', message: string): void {
  addStatus.dataset.state = state;
  addStatus.textContent = message;
}

const FIELD_INPUT: Record<RuleField, string> = { id: 'rule-id', origin: 'rule-origin', params: 'rule-params', addScopes: 'rule-scopes' };

/** Marks one field as wrong (aria-invalid, its message linked by aria-describedby) and focuses it. */
function markField(field: RuleField | undefined, message: string): void {
  clearFieldErrors();
  if (!field) return show('error', message);
  const input = document.getElementById(FIELD_INPUT[field]) as HTMLInputElement | HTMLTextAreaElement;
  const error = document.getElementById(`${FIELD_INPUT[field]}-error`)!;
  error.textContent = message[0]!.toUpperCase() + message.slice(1);
  error.hidden = false;
  input.setAttribute('aria-invalid', 'true');
  input.focus();
  // The status line (a live region) says that nothing was saved and where to look.
  show('error', `Not saved: check ${document.querySelector(`label[for="${input.id}"]`)?.firstChild?.textContent?.trim() ?? 'the marked field'}.`);
}

function clearFieldErrors(): void {
  for (const id of Object.values(FIELD_INPUT)) {
    document.getElementById(id)!.removeAttribute('aria-invalid');
    const error = document.getElementById(`${id}-error`)!;
    error.hidden = true;
    error.textContent = '';
  }
}

async function onAdd(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const data = new FormData(form);
  const field = (name: string) => String(data.get(name) ?? '');
  let rule: ProviderRule;
  try {
    rule = ruleFromForm({ id: field('id'), name: field('name'), origin: field('origin'), params: field('params'), addScopes: field('addScopes') });
  } catch (error) {
    markField(error instanceof RuleFieldError ? error.field : undefined, error instanceof Error ? error.message : String(error));
    return;
  }
  clearFieldErrors();
  const origin = rule.origins[0]!;
  // The first await of this handler: the request in it must start within the user's click, and
  // the browser shows its own prompt only for an origin not already granted.
  const access = await ensureOriginAccess(browser.permissions, origin);
  if (access.kind === 'denied') {
    // Not a mistake in the form: the user said no to the browser's prompt.
    show('error', `Not saved: the extension needs access to ${origin} to add parameters there.`);
    return;
  }
  if (access.kind === 'unavailable') {
    // Saved, it would never apply: a DNR rule acts only where the extension has host access.
    markField('origin', `Not saved: the extension cannot get access to ${origin} (${access.reason}). It can be given https origins, and http only at 127.0.0.1 or localhost.`);
    return;
  }
  const { settings } = await load();
  await save({ ...settings, userRules: [rule, ...settings.userRules.filter((r) => r.id !== rule.id)] });
  show('success', `Rule ${rule.id} saved: ${adds(rule)} at ${origin}. Log in again to get a refresh token.`);
  form.reset();
  prefillNote.hidden = true;
  await render();
}

const prefillNote = document.querySelector<HTMLElement>('#prefill-note')!;

/**
 * Opened from the popup's "Add this rule" (options.html?addRuleFor=<origin>): the form is filled in
 * with a Google-like rule for that origin, for the user to check and save. Nothing is saved here.
 */
function prefillFromAddress(): void {
  const wanted = new URLSearchParams(location.search).get('addRuleFor');
  if (!wanted) return;
  let url: URL;
  try {
    url = new URL(wanted);
  } catch {
    return;
  }
  if (url.origin !== wanted) return;
  const set = (id: string, value: string) => ((document.getElementById(id) as HTMLInputElement).value = value);
  set('rule-origin', url.origin);
  set('rule-id', url.hostname.replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 64) || 'my-provider');
  set('rule-name', url.hostname);
  set('rule-params', 'access_type=offline\nprompt=consent');
  prefillNote.textContent = `Filled in for ${url.origin}, whose last login came without a refresh token. Check it, click Add rule, then log in again.`;
  prefillNote.hidden = false;
  document.querySelector('#add-section')!.scrollIntoView({ block: 'start' });
  document.querySelector<HTMLButtonElement>('#add')!.focus();
}

const OUTCOME: Record<ChainRecord['outcome'], { text: string; state: 'ok' | 'warning' | 'error' | 'pending' }> = {
  waiting: { text: 'Waiting for the sign-in', state: 'pending' },
  callback: { text: 'Returned to the program', state: 'ok' },
  'callback-error': { text: 'Returned with an error', state: 'error' },
  'tab-closed': { text: 'Tab closed first', state: 'warning' },
  left: { text: 'Tab left the sign-in', state: 'warning' },
  expired: { text: 'No answer in 10 minutes', state: 'warning' },
  interrupted: { text: 'Interrupted (browser restarted)', state: 'warning' },
};

/** The activity log (IndexedDB, written by the background): one row per sign-in of another program. */
async function renderActivity(): Promise<void> {
  const rows = await new IdbActivityStore().recent(50);
  const body = document.querySelector<HTMLTableSectionElement>('#activity-table tbody')!;
  document.querySelector<HTMLElement>('#activity-empty')!.hidden = rows.length > 0;
  document.querySelector<HTMLElement>('#activity-table')!.hidden = rows.length === 0;
  body.replaceChildren(
    ...rows.map((r) => {
      const tr = document.createElement('tr');
      const when = new Date(r.startedAt).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
      const program = cell(r.clientId);
      const port = document.createElement('span');
      port.className = 'rule-id';
      port.textContent = `port ${r.redirectPort}`;
      program.append(document.createElement('br'), port);
      const provider = cell(r.provider ? r.provider.name : 'No rule matched');
      const added = cell(r.provider ? (r.paramsAdded.length ? r.paramsAdded.join(', ') + (r.appliedBy === 'renavigation' ? ' (page reopened once)' : '') : 'Already present') : 'Nothing');
      const outcome = cell(OUTCOME[r.outcome].text);
      outcome.dataset.state = OUTCOME[r.outcome].state;
      tr.append(cell(when), program, provider, added, outcome);
      return tr;
    }),
  );
}

form.addEventListener('submit', (event) => void onAdd(event as SubmitEvent));
browser.storage.onChanged.addListener((changes, area) => {
  if (area === 'local' && (SETTINGS_KEY in changes || CONFIG_RULES_KEY in changes)) void render();
});
render()
  .then(prefillFromAddress)
  .catch((error: unknown) => {
    rulesStatus.textContent = `Could not read the rules: ${String(error)}`;
  });
renderActivity().catch((error: unknown) => {
  document.querySelector<HTMLElement>('#activity-empty')!.textContent = `Could not read the activity: ${String(error)}`;
  document.querySelector<HTMLElement>('#activity-empty')!.hidden = false;
});
