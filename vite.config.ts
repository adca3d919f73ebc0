// The console (web/) built into dist/web, served by the service at /console/. Everything it loads comes from
// the service: no inline scripts or styles (the console's Content-Security-Policy allows neither), no data: URLs.
import { defineConfig } from 'vite'

export default defineConfig({
  root: 'web',
  base: '/console/',
  publicDir: 'public',
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: true
  }
})
