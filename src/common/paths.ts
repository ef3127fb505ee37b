/** The last segment of a path (`/usr/bin/curl` → `curl`); empty for no path. */
export function baseName(path: string | undefined): string {
  if (!path) return '';
  const i = path.lastIndexOf('/');
  return i >= 0 ? path.slice(i + 1) : path;
}
