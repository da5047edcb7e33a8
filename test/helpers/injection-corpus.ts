/**
 * The command / argument injection strings of shared/reference/security.md
 * §5.2, for every input that could reach a subprocess. Each touches the file
 * `touchPath(n)`, so a test proves nothing ran by that file's absence.
 */
export function injectionStrings(touchPath: (n: number) => string): string[] {
  return [
    `;touch ${touchPath(1)};`,
    `|touch ${touchPath(2)}|`,
    `\`touch ${touchPath(3)}\``,
    `$(touch ${touchPath(4)})`,
    `&& touch ${touchPath(5)}`,
    `'$(touch ${touchPath(6)})'`,
    `"; touch ${touchPath(7)}; "`,
    "a'b",
    `\ntouch ${touchPath(8)}\n`,
    `\${IFS}touch\${IFS}${touchPath(9)}`,
    `-oProxyCommand=touch ${touchPath(10)}`,
    '--help',
    // Fullwidth $: filtering before NFKC normalisation would miss it.
    `＄(touch ${touchPath(11)})`,
    // URL-encoded: caught only by code that decodes twice.
    `%24%28touch%20${touchPath(12).replace(/\//g, '%2F')}%29`,
  ];
}
