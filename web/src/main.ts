// The console's entry: wires the router to the page and shows the first view. Views never import this module.
import { hashChanged, showRoute } from './router.js'
import { route, setRouter } from './shell.js'

setRouter(showRoute)
window.addEventListener('hashchange', hashChanged)
route()
