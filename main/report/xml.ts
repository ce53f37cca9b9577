/**
 * XML 1.0 text: the five predefined entities escaped, and the characters XML 1.0 §2.2 does not
 * allow (C0 controls other than tab, LF, CR; lone surrogates; U+FFFE, U+FFFF) replaced by U+FFFD,
 * so a SIP reason phrase or an error message can never break a JUnit file.
 */
export function escapeXml(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex -- matching the control characters is the point
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  );
}
