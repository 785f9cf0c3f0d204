// Files only the service's own user may open (API.md §7: DATA_DIR is 0700 and its files are not
// readable or writable by other users). Used for DATA_DIR: the embedded database and the generated
// key file. The umask alone is not enough: PGlite's first start copies the initial cluster in with
// explicit 0666 modes whatever the umask (measured with PGlite 0.5), and data directories written by
// older versions keep the modes they were given.
import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';

const GROUP_OTHER = 0o077;

/**
 * Narrows this process's umask to at least 077 for the rest of its life, so a file or directory
 * created with a default mode (0666/0777) is the owner's alone. Only for processes whose files are
 * all private, like the one owning the embedded database. (Worker threads cannot set the umask; the
 * chmod passes below still apply there.)
 */
export function restrictUmask(): void {
  if (!isMainThread) return;
  const previous = process.umask(GROUP_OTHER);
  if ((previous | GROUP_OTHER) !== GROUP_OTHER) process.umask(previous | GROUP_OTHER);
}

/** Creates `dir` (and missing parents) 0700, and makes it 0700 if it already existed. */
export function makePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // mkdir leaves an existing directory as it is, and the umask may have narrowed a new one.
  chmodSync(dir, 0o700);
}

/**
 * Takes the group and other permission bits off `root` and everything under it, leaving the
 * owner's bits as they are, and returns how many entries it changed. Symbolic links are neither
 * changed nor followed (chmod would change their target, possibly outside the tree).
 */
export function restrictTree(root: string): number {
  let changed = 0;
  const visit = (path: string) => {
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // removed meanwhile
      throw err;
    }
    if (st.isSymbolicLink()) return;
    if ((st.mode & GROUP_OTHER) !== 0) {
      try {
        chmodSync(path, st.mode & 0o7700);
      } catch (err) {
        throw new Error(`cannot make ${path} private to this user: ${(err as Error).message}`, {
          cause: err,
        });
      }
      changed++;
    }
    if (st.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(root);
  return changed;
}
