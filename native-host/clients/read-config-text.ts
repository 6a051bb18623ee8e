/**
 * A client's config file as text, or undefined when it does not exist (a client the user has not
 * set up, or a project without one). Any other failure goes to `unreadable` with the errno code
 * only: the file may hold a client secret, so nothing of it is quoted.
 */
import { readFile } from 'node:fs/promises';

export async function readConfigText(path: string, unreadable: (code: string) => never): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    return unreadable(code ?? 'error');
  }
}
