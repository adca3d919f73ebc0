// Sign in: paste a bearer token, choose a resource group (the token's groups are offered), and the console
// checks both with one call before keeping them in session storage.
import { call, describe } from '../api.js'
import { field, fill, h } from '../dom.js'
import { readClaims, signIn, signOut } from '../session.js'
import { route } from '../shell.js'

export function signInView (main: HTMLElement): undefined {
  const token = h('textarea', { name: 'token', rows: 4, required: true, autocomplete: 'off', spellcheck: 'false', class: 'token' })
  const group = h('input', { name: 'group', value: 'default', required: true, list: 'groups', autocomplete: 'off', pattern: '[a-zA-Z0-9][a-zA-Z0-9.\\-]{1,251}[a-zA-Z0-9]' })
  const groups = h('datalist', { id: 'groups' })
  const claims = h('p', { class: 'hint', 'aria-live': 'polite' })
  const error = h('div', { class: 'error', role: 'alert' })
  const submit = h('button', { type: 'submit' }, 'Sign in')

  token.addEventListener('input', () => {
    const c = readClaims(token.value.trim())
    if (c === undefined) { fill(claims); return }
    fill(groups, ...c.groups.filter((g) => g !== '*').map((g) => h('option', { value: g })))
    const own = c.groups.filter((g) => g !== '*')
    if (own.length > 0 && !c.groups.includes('*') && !own.includes(group.value)) group.value = own[0] as string
    fill(claims, `Scopes: ${c.scopes.join(', ') || 'none'}. Groups: ${c.groups.includes('*') ? 'any' : c.groups.join(', ') || 'none'}.` +
      (c.expires === undefined ? '' : ` Expires ${c.expires.toISOString().slice(0, 16).replace('T', ' ')} UTC.`))
  })

  const form = h('form', { class: 'card signin', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Sign in'),
    h('p', {}, 'Paste a bearer token (a JWT with scope logs.read, and logs.export to make exports). It stays in this tab only.'),
    field('Bearer token', token),
    claims,
    field('Resource group', group, 'The AI-Resource-Group the console acts in.'),
    groups,
    error,
    h('div', { class: 'actions' }, submit))

  form.addEventListener('submit', (event) => {
    event.preventDefault()
    fill(error)
    submit.disabled = true
    signIn({ token: token.value.trim(), group: group.value.trim() })
    call('/v2/lm/runs?$top=1', { headers: { accept: 'application/json' } }).then(() => {
      if (location.hash === '' || location.hash.startsWith('#/signin')) location.hash = '#/runs'
      else route()
    }, (err: unknown) => {
      signOut()
      fill(error, describe(err))
      submit.disabled = false
      token.focus()
    })
  })
  fill(main, form)
  token.focus()
  return undefined
}
