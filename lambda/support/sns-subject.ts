/**
 * An SNS message's Subject as Publish accepts it, whatever goes into it (an environment's name, a
 * reason): Amazon SNS API Reference, Publish, Subject: "Subjects must be UTF-8 text with no line
 * breaks or control characters, and less than 100 characters long". A Subject outside that fails
 * the Publish, and the page with it.
 */

/** The longest Subject SNS Publish accepts: "less than 100 characters long" (Amazon SNS API Reference, Publish). */
export const SNS_SUBJECT_MAX_LENGTH = 99;

/** What ends a subject cut to fit: ASCII, so it counts as the characters it shows. */
export const SUBJECT_ELLIPSIS = '...';

/**
 * `text` as a Subject SNS accepts: line breaks and other whitespace controls as one space, any other
 * character outside printable ASCII as "?" (older SNS references ask for ASCII, and then a character
 * is one character however SNS counts), and cut to SNS_SUBJECT_MAX_LENGTH with an ellipsis.
 */
export function snsSubject(text: string): string {
  const printable = text.replace(/[\t\n\v\f\r\u2028\u2029]+/g, ' ').replace(/[^\x20-\x7e]/gu, '?');
  if (printable.length <= SNS_SUBJECT_MAX_LENGTH) return printable;
  return `${printable.slice(0, SNS_SUBJECT_MAX_LENGTH - SUBJECT_ELLIPSIS.length)}${SUBJECT_ELLIPSIS}`;
}
