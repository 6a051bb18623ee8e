/**
 * Options page: every provider rule (yours, the host config's, the built-in ones) with a switch,
 * and a form to add your own. A new rule is validated with shared/providers.ts `parseRule` before
 * it is saved, and its origin's host permission is asked for (the browser shows the prompt); a rule
 * for an origin the extension cannot be given is not saved. The background picks changes up from
 * storage.local.
 */
import '../../assets/pages.css';
import { browser } from 'wxt/browser';
import { CONFIG_RULES_KEY, SETTINGS_KEY, listRules, parseRules, parseSettings, ruleFromForm, type ProviderSettings } from '../../lib/provider-settings';
import { ensureOriginAccess } from '../../lib/origin-access';
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
      remove.className = 'secondary';
      remove.addEventListener('click', () => void removeRule(rule.id));
      actions.append(remove);
    }
    tr.append(on, cell(`${rule.name} (${rule.id})`), cell(rule.origins.join(' ')), cell(adds(rule)), cell(rule.source), actions);
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

function show(state: 'success' | 'error', message: string): void {
  addStatus.dataset.state = state;
  addStatus.textContent = message;
}

async function onAdd(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const data = new FormData(form);
  const field = (name: string) => String(data.get(name) ?? '');
  let rule: ProviderRule;
  try {
    rule = ruleFromForm({ id: field('id'), name: field('name'), origin: field('origin'), params: field('params'), addScopes: field('addScopes') });
  } catch (error) {
    show('error', error instanceof Error ? error.message : String(error));
    return;
  }
  const origin = rule.origins[0]!;
  // The first await of this handler: the request in it must start within the user's click, and
  // the browser shows its own prompt only for an origin not already granted.
  const access = await ensureOriginAccess(browser.permissions, origin);
  if (access.kind === 'denied') {
    show('error', `Not saved: the extension needs access to ${origin} to add parameters there.`);
    return;
  }
  if (access.kind === 'unavailable') {
    // Saved, it would never apply: a DNR rule acts only where the extension has host access.
    show('error', `Not saved: the extension cannot get access to ${origin} (${access.reason}). It can be given https origins, and http only at 127.0.0.1 or localhost.`);
    return;
  }
  const { settings } = await load();
  await save({ ...settings, userRules: [rule, ...settings.userRules.filter((r) => r.id !== rule.id)] });
  show('success', `Rule ${rule.id} saved: ${adds(rule)} at ${origin}.`);
  form.reset();
  await render();
}

form.addEventListener('submit', (event) => void onAdd(event as SubmitEvent));
browser.storage.onChanged.addListener((changes, area) => {
  if (area === 'local' && (SETTINGS_KEY in changes || CONFIG_RULES_KEY in changes)) void render();
});
render().catch((error: unknown) => {
  rulesStatus.textContent = `Could not read the rules: ${String(error)}`;
});
