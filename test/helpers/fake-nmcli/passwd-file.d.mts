/** Types for passwd-file.mjs: NetworkManager 1.42's passwd-file reader, ported for the fake nmcli. */
export function parsePasswdFile(contents: Buffer): { ok: true; secrets: Map<string, string> } | { ok: false; line: number; message: string };
