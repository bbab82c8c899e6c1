/**
 * Normalises LaTeX delimiters before remark-math, which only knows `$…$` and `$$…$$`:
 * `\(…\)` → `$…$`, `\[…\]` → `$$…$$` on their own lines, and a one-line `$$…$$` paragraph → a math block.
 * Code spans and fenced blocks are left alone.
 */
export function normaliseMath(markdown: string): string {
  if (!markdown.includes('\\(') && !markdown.includes('\\[') && !markdown.includes('$$')) return markdown;
  // Split out fenced blocks and inline code so delimiters inside code stay literal.
  const parts = markdown.split(
    /(^ {0,3}(?:```|~~~)[^\n]*\n[\s\S]*?(?:^ {0,3}(?:```|~~~)[ \t]*$|(?![\s\S]))|`+[^`\n]*`+)/m,
  );
  return parts
    .map((part, i) => {
      if (i % 2 === 1) return part;
      return (
        part
          .replace(/\\\[([\s\S]+?)\\\]/g, (_m, body: string) => `\n$$\n${body.trim()}\n$$\n`)
          .replace(/\\\(([\s\S]+?)\\\)/g, (_m, body: string) => `$${body.trim()}$`)
          // `$$x$$` alone on a line is display math to people (and models); remark-math wants fences.
          .replace(/^[ \t]*\$\$([^\n$]+?)\$\$[ \t]*$/gm, (_m, body: string) => `$$\n${body.trim()}\n$$`)
      );
    })
    .join('');
}

/** Whether text may contain math, to decide if the KaTeX chunk is worth loading. */
export function mayContainMath(markdown: string): boolean {
  return /\$|\\\(|\\\[/.test(markdown);
}
