import { isAbsolute, join } from 'node:path';

/**
 * Every absolute path the linux HAL touches goes through here, so a test
 * (or a chroot-style bring-up) can point the whole HAL at a stand-in tree.
 * Relative paths are left relative to the working directory.
 */
export function underRoot(sysRoot: string, path: string): string {
  if (!isAbsolute(path) || sysRoot === '' || sysRoot === '/') return path;
  return join(sysRoot, path);
}
