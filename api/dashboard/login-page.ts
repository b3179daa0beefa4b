const ENTITIES: ReadonlyMap<string, string> = new Map([
  ['&', '&amp;'],
  ['<', '&lt;'],
  ['>', '&gt;'],
  ['"', '&quot;'],
  ["'", '&#39;'],
]);
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ENTITIES.get(c)!);

/** No scripts, nothing from elsewhere, never framed (clickjacking), and the form posts only here. */
export const LOGIN_PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** The admin sign-in form: plain HTML, posted form-encoded to /admin/login. */
export function loginPage({ error, email = '' }: { error?: string; email?: string } = {}): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="robots" content="noindex">
  <title>Evently admin: sign in</title>
  <style>
    body { font-family: system-ui, sans-serif; background: #f4f5f7; display: grid; place-items: center; min-height: 100vh; margin: 0; }
    form { background: #fff; padding: 2rem; border-radius: 8px; box-shadow: 0 1px 4px #0002; width: 20rem; display: grid; gap: 0.75rem; }
    h1 { font-size: 1.25rem; margin: 0 0 0.5rem; }
    label { display: grid; gap: 0.25rem; font-size: 0.9rem; }
    input { font: inherit; padding: 0.5rem; border: 1px solid #bbb; border-radius: 4px; }
    button { font: inherit; padding: 0.6rem; border: 0; border-radius: 4px; background: #1f6feb; color: #fff; cursor: pointer; }
    .error { color: #b42318; margin: 0; }
  </style>
</head>
<body>
  <form method="post" action="/admin/login">
    <h1>Evently admin</h1>
    ${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
    <label>Email <input type="email" name="email" autocomplete="username" required value="${escapeHtml(email)}"></label>
    <label>Password <input type="password" name="password" autocomplete="current-password" required></label>
    <button type="submit">Sign in</button>
  </form>
</body>
</html>
`;
}
