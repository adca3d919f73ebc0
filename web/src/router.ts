// The console's routes: a page per hash route (#/runs, #/runs/<kind>/<id>, #/exports), or the sign-in form
// while no token is held. Each view returns a cleanup that stops its timers and streams when the route changes.
import { h, fill } from './dom.js'
import { currentSession, signOut } from './session.js'
import { signInView } from './views/signin.js'
import { runsView } from './views/runs.js'
import { runView } from './views/run.js'
import { exportsView } from './views/exports.js'
import { announce, route, type Cleanup, type View } from './shell.js'

const main = document.getElementById('main') as HTMLElement
const nav = document.getElementById('nav') as HTMLElement
const sessionBox = document.getElementById('session') as HTMLElement

let cleanup: Cleanup | undefined

function viewFor (hash: string): { view: View, section: string } {
  const parts = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent)
  if (currentSession() === undefined) return { view: signInView, section: 'signin' }
  if (parts[0] === 'exports') return { view: exportsView, section: 'exports' }
  if (parts[0] === 'runs' && (parts[1] === 'deployment' || parts[1] === 'execution') && parts[2] !== undefined) {
    const kind = parts[1]
    const id = parts[2]
    return { view: (m) => runView(m, kind, id), section: 'runs' }
  }
  return { view: runsView, section: 'runs' }
}

function renderSession (): void {
  const session = currentSession()
  nav.hidden = session === undefined
  if (session === undefined) { fill(sessionBox); return }
  fill(sessionBox,
    h('span', {}, 'Group ', h('strong', { 'data-testid': 'current-group' }, session.group)),
    h('button', { type: 'button', class: 'secondary', onclick: () => { signOut(); location.hash = '#/signin'; route() } }, 'Sign out'))
}

/** Shows the view of the current hash, ending the one shown before. */
export function showRoute (): void {
  cleanup?.()
  cleanup = undefined
  const { view, section } = viewFor(location.hash)
  renderSession()
  for (const link of nav.querySelectorAll<HTMLAnchorElement>('a[data-nav]')) {
    if (link.dataset.nav === section) link.setAttribute('aria-current', 'page')
    else link.removeAttribute('aria-current')
  }
  main.replaceChildren()
  // The status line speaks of the view it came from: a new view starts with it empty.
  announce('')
  cleanup = view(main) ?? undefined
}

/** After a hash change: the new view, and the focus on it. */
export function hashChanged (): void {
  showRoute()
  main.focus({ preventScroll: true })
}
