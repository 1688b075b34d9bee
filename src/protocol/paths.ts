// Znode path rules, identical to ZooKeeper's PathUtils: absolute, no empty segment, no "." or ".."
// segment, no trailing slash, no control or private-use characters. Positions are UTF-16 code units,
// as in Java, so the same path is accepted or rejected by both servers.

export function pathError(path: string): string | null {
  if (path.length === 0) return 'Path length must be > 0';
  if (path.charCodeAt(0) !== 0x2f) return 'Path must start with / character';
  if (path.length === 1) return null;
  if (path.charCodeAt(path.length - 1) === 0x2f) return 'Path must not end with / character';
  let last = 0x2f;
  for (let i = 1; i < path.length; last = path.charCodeAt(i), i++) {
    const c = path.charCodeAt(i);
    if (c === 0) return `null character not allowed @${i}`;
    if (c === 0x2f && last === 0x2f) return `empty node name specified @${i}`;
    if (c === 0x2e && last === 0x2e) {
      if (path.charCodeAt(i - 2) === 0x2f && (i + 1 === path.length || path.charCodeAt(i + 1) === 0x2f)) {
        return `relative paths not allowed @${i}`;
      }
    } else if (c === 0x2e) {
      if (path.charCodeAt(i - 1) === 0x2f && (i + 1 === path.length || path.charCodeAt(i + 1) === 0x2f)) {
        return `relative paths not allowed @${i}`;
      }
    } else if (
      (c > 0 && c <= 0x1f) ||
      (c >= 0x7f && c <= 0x9f) ||
      (c >= 0xd800 && c <= 0xf8ff) ||
      (c >= 0xfff0 && c <= 0xffff)
    ) {
      return `invalid character @${i}`;
    }
  }
  return null;
}

export function isValidPath(path: string): boolean {
  return pathError(path) === null;
}

/** Parent of an absolute path ("/" for top-level nodes); the caller has validated the path. */
export function parentOf(path: string): string {
  const lastSlash = path.lastIndexOf('/');
  return lastSlash <= 0 ? '/' : path.slice(0, lastSlash);
}

/** Last segment of an absolute path. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function joinPath(parent: string, child: string): string {
  return parent === '/' ? `/${child}` : `${parent}/${child}`;
}
