// The one callback URL of this service that providers redirect users back to after consent
// (API.md §10.2). Auth-clients show it as their read-only `redirect_uri`, for operators to register
// at the provider; authorization URLs and code exchanges send the same value.
import type { Links } from '../../http/jsonapi/links.js';

export const OAUTH_CALLBACK_PATH = '/v2/oauth/callback';

/** `{PUBLIC_URL or the request's base}/v2/oauth/callback`. */
export function redirectUriFor(links: Pick<Links, 'url'>): string {
  return links.url(OAUTH_CALLBACK_PATH);
}
