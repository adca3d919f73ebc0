// Who the console acts as: a bearer token and a resource group, kept in session storage only (gone when the
// tab closes), and the runs selected for an export.

const TOKEN = 'run-logs.token'
const GROUP = 'run-logs.group'
const SELECTED = 'run-logs.selected'

export interface Session { token: string, group: string }

export function currentSession (): Session | undefined {
  const token = sessionStorage.getItem(TOKEN)
  const group = sessionStorage.getItem(GROUP)
  return token === null || group === null ? undefined : { token, group }
}

export function signIn (session: Session): void {
  sessionStorage.setItem(TOKEN, session.token)
  sessionStorage.setItem(GROUP, session.group)
  sessionStorage.removeItem(SELECTED)
}

export function signOut (): void {
  sessionStorage.clear()
}

/** What a token says about itself (unverified: only to offer its groups and show its scopes). */
export interface TokenClaims { scopes: string[], groups: string[], expires?: Date, subject?: string }

export function readClaims (token: string): TokenClaims | undefined {
  const payload = token.split('.')[1]
  if (payload === undefined) return undefined
  try {
    const json = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as Record<string, unknown>
    return {
      scopes: typeof json.scope === 'string' ? json.scope.split(' ').filter((s) => s !== '') : [],
      groups: Array.isArray(json.resource_groups) ? json.resource_groups.filter((g): g is string => typeof g === 'string') : [],
      ...(typeof json.exp === 'number' ? { expires: new Date(json.exp * 1000) } : {}),
      ...(typeof json.sub === 'string' ? { subject: json.sub } : {})
    }
  } catch {
    return undefined
  }
}

/** Selected runs as "kind/id" keys, kept while the tab lives. */
export function selectedRuns (): Set<string> {
  const raw = sessionStorage.getItem(SELECTED)
  return new Set(raw === null ? [] : JSON.parse(raw) as string[])
}

export function saveSelection (keys: Set<string>): void {
  sessionStorage.setItem(SELECTED, JSON.stringify([...keys]))
}
