/**
 * Secret values the agent holds right now (Wi-Fi password, tokens, the
 * credentials in a configured stream URL). The log sink replaces any of them
 * wherever they turn up in a line, whatever the key or message that carried
 * them: the last line of defence behind key-based redaction.
 */
export class SecretRegistry {
  #secrets = new Set<string>();
  #pattern: RegExp | null = null;

  /** Values shorter than 4 characters would blank out ordinary words; they are not registered. */
  add(value: string | null | undefined): void {
    if (!value || value.length < 4 || this.#secrets.has(value)) return;
    this.#secrets.add(value);
    // JSON serialisation escapes quotes and backslashes; match that form too.
    const escaped = JSON.stringify(value).slice(1, -1);
    if (escaped !== value) this.#secrets.add(escaped);
    this.#pattern = null;
  }

  delete(value: string): void {
    this.#secrets.delete(value);
    this.#secrets.delete(JSON.stringify(value).slice(1, -1));
    this.#pattern = null;
  }

  get size(): number {
    return this.#secrets.size;
  }

  scrub(text: string): string {
    if (this.#secrets.size === 0) return text;
    if (!this.#pattern) {
      const alternatives = [...this.#secrets]
        .sort((a, b) => b.length - a.length)
        .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
      this.#pattern = new RegExp(alternatives.join('|'), 'g');
    }
    return text.replace(this.#pattern, '[redacted]');
  }
}
