/**
 * What a login from this process is asked (`LoginRequest`), whom it tells what happens
 * (`LoginReporter`), what it reaches outside itself (`LoginDeps`) and what it answers. Its own module
 * so the two routes (`through-extension.ts`, `in-this-process.ts`) and the module that chooses
 * between them (`login-flow.ts`) all read it without importing each other.
 */
import type { CompleteResult } from '../../shared/protocol';
import type { BridgeClient } from '../bridge/bridge-client';
import type { FoundBridge } from '../bridge/runtime-files';
import type { ClientAdapter, ClientName } from '../clients/client-adapter';
import type { HostContext } from '../host-context';
import type { CredentialTarget } from '../stores/credential';
import type { InterruptSource } from './time-limit';

/** Where the sign-in was opened, for the person to finish it. */
export type SignInOpened =
  /** A tab of `browser` (its extension opened it); `authorizeUrl` if no tab appeared. */
  | { via: 'extension'; browser: string; authorizeUrl: string }
  /** A one-time start link to this process's listener, handed to the default browser. */
  | { via: 'system-browser'; link: string }
  /** No browser: the person opens `authorizeUrl` and pastes where it lands (`redirectUri…`). */
  | { via: 'paste'; authorizeUrl: string; redirectUri: string };

/** What happens, as it happens; every event is optional. Text from the host must be made terminal-safe by the reporter. */
export interface LoginReporter {
  /** The server's metadata is being looked up (through the extension in `browser`, or here). */
  lookingUp?(browser?: string): void;
  /** A running browser's extension cannot be used; the login goes on in the default browser. */
  fallback?(why: string): void;
  /** Provider rules (PROVIDERS.md) that changed the authorize request. */
  rulesApplied?(rules: readonly string[]): void;
  opened?(at: SignInOpened): void;
  /** The default browser could not be started: the person opens the link themselves. */
  browserNotOpened?(): void;
  /** The sign-in is open; now it is the person's turn. */
  waiting?(): void;
  /** The login is over, either way: stop any progress shown. */
  settled?(): void;
}

export interface LoginRequest {
  serverUrl: string;
  /** How long to wait once the sign-in is open. */
  timeoutMs: number;
  /** 'auto': a running browser's extension if one answers, else the default browser. */
  use: 'auto' | 'system-browser' | 'paste';
  /** Only this browser's extension (by name); none running or answering is then an error, not a fallback. */
  browser?: string;
  /** Write the login only to these clients (and the bridge's own entry). */
  clients?: ClientName[];
  /** Add the settings a client needs to refresh to its config (`login --write-config`). */
  writeConfig?: boolean;
  /** Ask for exactly these scopes (a step-up); default: the discovered ones. */
  scopes?: string[];
  /** `use: 'paste'`: where the address is read from, and the prompt for it written to. */
  paste?: { input: NodeJS.ReadableStream; prompt: { write(text: string): unknown } };
  interrupts?: InterruptSource;
  report?: LoginReporter;
}

export interface LoginOutcome {
  result: CompleteResult;
  via: 'extension' | 'system-browser';
}

/** What a login reaches outside itself; tests replace them. */
export interface LoginDeps {
  chooseBridge: (browser: string | undefined) => Promise<{ chosen?: FoundBridge; running: FoundBridge[] }>;
  connectBridge: (found: FoundBridge) => Promise<BridgeClient>;
  hostContext: () => HostContext;
  openBrowser: (url: string) => Promise<boolean>;
  /** The bridge's store, read for `writeConfig` after a login through the extension. */
  store: () => CredentialTarget;
  /** The clients whose configs `writeConfig` edits (default: every registered one). */
  adapters: () => readonly ClientAdapter[];
}
