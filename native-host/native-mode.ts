/**
 * The host as a browser runs it (native messaging), plus its loopback bridge for CLI processes.
 * Loaded only when the arguments say a browser started us, so CLI commands never pay for it.
 */
import { LIMITS, type HostPush } from '../shared/protocol';
import { detectBrowser } from './bridge/browser-identity';
import { BridgeServer } from './bridge/bridge-server';
import { removeBridgeFileSync } from './bridge/runtime-files';
import { ExitCode } from './cli/output';
import { loadConfig } from './config';
import { createHostContext } from './host-context';
import { assertCallerAllowed, type Caller } from './native-messaging/caller';
import { pushFlowsSettledByListener } from './native-messaging/flow-settled';
import { encodeFrame } from './native-messaging/framing';
import { routeConsoleToStderr, runNativeHost } from './native-messaging/native-host-loop';
import { errorResponse } from './requests/dispatch';

export async function runNative(caller: Caller): Promise<number> {
  routeConsoleToStderr();
  try {
    const config = await loadConfig();
    assertCallerAllowed(caller, config.allowedExtensionIds);
  } catch (err) {
    // Say why on the only channel the extension reads, then stop.
    process.stdout.write(encodeFrame(errorResponse('', err), LIMITS.maxResponseBytes));
    return ExitCode.Failed;
  }
  const ctx = createHostContext();
  // Each write is one whole frame, so pushes never interleave with responses.
  const push = (message: HostPush) => process.stdout.write(encodeFrame(message, LIMITS.maxResponseBytes));
  // A login the capture missed (finished in another browser) reaches the loopback listener; the
  // extension learns its outcome instead of letting its flow expire.
  pushFlowsSettledByListener(ctx.login, push);
  let bridge: BridgeServer | undefined;
  try {
    bridge = await BridgeServer.start({ ctx, push, identity: detectBrowser() });
  } catch (err) {
    // The extension still works without the bridge; only `mcp-login-bridge login` cannot reach it.
    process.stderr.write(`mcp-login-bridge: bridge not started: ${(err as Error).message}\n`);
  }
  const file = bridge?.filePath;
  const cleanup = () => file && removeBridgeFileSync(file);
  const onSignal = () => {
    cleanup();
    process.exit(ExitCode.Ok);
  };
  process.on('exit', cleanup);
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(signal, onSignal);
  process.stdin.on('data', () => bridge?.touch());

  await runNativeHost(ctx, { input: process.stdin, output: process.stdout });
  await bridge?.close();
  await ctx.close();
  return ExitCode.Ok;
}
