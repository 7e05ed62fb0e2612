/** Characters a path segment may hold (RFC 3986 pchar); anything else is refused, not re-encoded. */
const SEGMENT = /^[A-Za-z0-9._~!$&'()*+,;=:@%-]*$/;

/**
 * The Harvest path a proxied call asks for, checked to stay inside `/v3/`: no dot segments, no encoded dots,
 * slashes, backslashes or NULs (which a server could decode into a path of its own), no empty segments.
 */
export function harvestPath(url: string): { path: string; query: string } | { error: string } {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = q < 0 ? '' : url.slice(q);
  if (!path.startsWith('/v3/')) return { error: 'must be a Harvest v3 path: /proxy/v3/<resource>…' };
  if (/%(2e|2f|5c|00)/i.test(path) || path.includes('\\')) {
    return { error: 'must not hold encoded dots, slashes, backslashes or NULs' };
  }
  const segments = path.slice(1).split('/');
  const inner = segments.slice(0, -1);
  if (segments.some((s) => s === '.' || s === '..')) return { error: 'must not hold "." or ".." segments' };
  if (inner.includes('') || !segments.every((s) => SEGMENT.test(s))) {
    return { error: 'must be plain path segments (letters, digits, - _ . ~ and percent-encoding)' };
  }
  return { path, query };
}
