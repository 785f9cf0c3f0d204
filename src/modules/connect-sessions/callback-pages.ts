// The pages a browser sees at the end of the OAuth callback when there is no return_url to send it
// to, and when the callback cannot be accepted at all. Deliberately tiny: no script, no style, no
// image, nothing from elsewhere (the CSP below allows nothing), every interpolated value escaped,
// never cached, never framed, and no Referer that could carry the code onwards.

/** The headers of every callback page, on top of those every response gets (src/http/security-headers.ts). */
export const CALLBACK_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'Cache-Control': 'no-store',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text safe to place in HTML content or a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

function page(title: string, message: string): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="robots" content="noindex">',
    `<title>${escapeHtml(title)}</title>`,
    '</head>',
    '<body>',
    `<h1>${escapeHtml(title)}</h1>`,
    `<p>${escapeHtml(message)}</p>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** The connection worked (no return_url). */
export const connectedPage = (secretName: string) =>
  page('Connected', `"${secretName}" is connected. You can close this window.`);

/** The provider refused or the code exchange failed (no return_url): the reason is in the session. */
export const notConnectedPage = () =>
  page(
    'Not connected',
    'The connection was not completed. You can close this window; the application that sent you here can tell you why and start again.',
  );

/** Unknown, expired, already used or forged state: nothing was done. */
export const invalidCallbackPage = () =>
  page(
    'Link not valid',
    'This sign-in link is not valid: it has expired or was already used. Nothing was changed. Start the connection again from the application that sent you here.',
  );
