/** Reading markdown as GitHub renders it, for the tests that check the README and the docs. */

/** A markdown document's headings, outside fenced code blocks. */
export function headings(markdown: string): { readonly level: number; readonly text: string }[] {
  let fenced = false;
  return markdown.split('\n').flatMap((line) => {
    if (line.startsWith('```')) fenced = !fenced;
    const match = fenced ? null : /^(#{1,6})\s+(.+?)\s*$/.exec(line);
    return match ? [{ level: match[1].length, text: match[2] }] : [];
  });
}

/** The anchor GitHub gives a heading: lowercase, punctuation dropped, spaces as hyphens. */
export function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}
