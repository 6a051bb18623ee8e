/**
 * Identities both sides must agree on. The extension id is derived by the browser from the
 * manifest `key` (the public half of a development key pair; the private half is not needed and
 * is not kept), so the host can name it in `allowed_origins` before the extension is ever loaded.
 */
export const NATIVE_HOST_NAME = 'mcp_login_bridge';

/** Chrome/Chromium/Edge/Brave id of the development build (from DEV_EXTENSION_KEY). */
export const DEV_EXTENSION_ID = 'cknjhbicbpaggfnhoaonbipdmdhholpc';

/** Public key (base64 DER SubjectPublicKeyInfo) that pins DEV_EXTENSION_ID. */
export const DEV_EXTENSION_KEY =
  'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEApkxfUIzAzxAmAsk1yWVxzRQ5fm7X92hUVBIHMTnBTN/fGjs+cp3x8Yedk1i6OtLwrNhei1TBCfmNlF4Y0BYcUpUxkqE6Jf003J7q8A4d/ykViQiqVB98zbo3eMwsoseT+Y1puoMTURgTG3ZXHzCYxy+EFAanAaELftj1UUh9o5RzEuwPzKFKW3ulZoCTfktR5hmGvigzY+jyFe2ivegWaw84dxnj406B5AOaCjtdZpwAgxVNUH04YlLvpUZ+2HRahYkGje1UuyBKdH8YY5mDg/QwdoQLVsigPIYgcg4h2qf95Cj2JegHWuTvNc0Kyd6zSdR6E1DXKhk03AnUdSqK+QIDAQAB';

/** Firefox add-on id (`browser_specific_settings.gecko.id`), named in `allowed_extensions`. */
export const FIREFOX_ADDON_ID = 'mcp-login-bridge@mcp-login-bridge.dev';

/** Bumped when a message changes shape incompatibly; `hello` reports both sides' versions. */
export const PROTOCOL_VERSION = 1;
