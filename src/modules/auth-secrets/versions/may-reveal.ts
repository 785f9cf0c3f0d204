// Who may see the credentials a version holds (API.md §8.1, §9.1). The one place that decides it
// for the version routes: `workspaces.auth_secret.reveal` when that permission exists; until then
// `workspaces.auth_secret.get`, which is what lets a caller see a secret's current credentials.
import type { WorkspacePermission } from '../../../permissions/permission-catalogue.js';

export function mayRevealCredentials(permissions: ReadonlySet<WorkspacePermission>): boolean {
  return permissions.has('workspaces.auth_secret.get');
}
