// The admin JSON API, called with the session cookie the sign-in set (same origin, so the
// browser adds it; state changes carry this page's Origin, which the server checks).

/** An error answer of the API: its `error.code`, `error.message` and HTTP status. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** `path` with the query's non-empty values. */
export function withQuery(path, query = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

async function call(method, path, body) {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: { Accept: 'application/json', ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (res.status === 401) {
    // The session ended (expired, signed out elsewhere): back to the form.
    window.location.assign('/admin/login');
    throw new ApiError(401, 'unauthorized', 'Your session has ended; sign in again.');
  }
  const data = res.headers.get('content-type')?.includes('json') ? await res.json() : null;
  if (!res.ok) {
    throw new ApiError(
      res.status,
      data?.error?.code ?? 'error',
      data?.error?.message ?? `HTTP ${res.status}`,
    );
  }
  return data;
}

export const get = (path, query) => call('GET', withQuery(path, query));
export const patch = (path, body) => call('PATCH', path, body);
