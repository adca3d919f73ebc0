// Names inside an archive that every file system takes, Windows included: no trailing dot or space, no
// device name (CON, NUL, COM1, ...) as the part before the first dot, and unique without regard to case.

// Windows' reserved device names; `nul.txt` is the device too, so the part before the first dot counts.
const RESERVED = /^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])$/i

/** `name` with a trailing dot or space written `_`, and `_` before a reserved device name. */
function portableName (name: string): string {
  const trimmed = name.replace(/[. ]+$/, (tail) => '_'.repeat(tail.length))
  return RESERVED.test(trimmed.split('.')[0] as string) ? `_${trimmed}` : trimmed
}

/** Hands out portable names once each; a name taken already (in any case) gets ~2, ~3, ... */
export class UniqueNames {
  private readonly used = new Set<string>()

  take (wanted: string): string {
    const base = portableName(wanted)
    let name = base
    for (let n = 2; this.used.has(name.toLowerCase()); n++) name = `${base}~${n}`
    this.used.add(name.toLowerCase())
    return name
  }
}
