// What views share with the page around them: the status line, and showing the view of the current route
// again. The entry module (main.ts) wires the routes in; views import this module, never main.ts.

export type Cleanup = () => void
export type View = (main: HTMLElement) => Cleanup | undefined

let showRoute: () => void = () => undefined

/** Tells assistive technology (and the status line) what just happened. */
export function announce (text: string): void {
  (document.getElementById('status') as HTMLElement).textContent = text
}

/** Shows the view of the current hash (after signing in, the hash may not change). */
export function route (): void {
  showRoute()
}

/** Called once by main.ts. */
export function setRouter (show: () => void): void {
  showRoute = show
}
