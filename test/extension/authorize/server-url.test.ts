import { describe, expect, it } from 'vitest';
import { ExtensionError } from '../../../extension/lib/extension-errors';
import { checkServerUrl } from '../../../extension/lib/authorize/server-url';

function refusal(url: string): ExtensionError | undefined {
  try {
    checkServerUrl(url);
    return undefined;
  } catch (error) {
    return error as ExtensionError;
  }
}

describe('checkServerUrl', () => {
  it('accepts http(s) server URLs', () => {
    for (const url of ['https://mcp.example/mcp', 'http://127.0.0.1:4000/mcp', 'https://mcp.example:8443/a/b?x=1']) expect(refusal(url)).toBeUndefined();
  });

  it('refuses what is not an http(s) URL', () => {
    for (const url of ['', 'mcp.example', 'ftp://mcp.example/mcp', `https://mcp.example/${'a'.repeat(9000)}`]) {
      expect(refusal(url)).toMatchObject({ errorName: 'InvalidServerUrl', message: expect.stringContaining("full URL") });
    }
  });

  it.each(['https://user:pass@mcp.example/mcp', 'https://user@mcp.example/mcp', 'https://:pass@mcp.example/mcp', 'http://a:b@127.0.0.1:4000/mcp'])(
    'refuses a URL with a user name or password (%s), saying what to remove',
    (url) => {
      const error = refusal(url);
      expect(error).toMatchObject({ errorName: 'InvalidServerUrl' });
      expect(error!.message).toContain('Remove the user name and password from the server URL');
      expect(error!.message).not.toContain(new URL(url).host); // the URL is not echoed back
    },
  );
});
