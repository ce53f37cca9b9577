import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { err, ok, type Result } from '../common/result';
import type { MrasError } from './types';

/**
 * A small lenient reader over fast-xml-parser for the Microsoft bodies: namespace prefixes are
 * dropped, element names match case-insensitively, every element is a list. Hostile input is
 * bounded before parsing: size, element count, and no DTD (so no entity expansion).
 */
export type XmlNode = Record<string, unknown>;

export const XML_LIMITS = { maxChars: 64 * 1024, maxElements: 4000 };

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  isArray: (_name, _path, _leaf, isAttribute) => !isAttribute,
});

function parseError(reason: string, line?: number): MrasError {
  return { code: 'MRAS_PARSE', reason, ...(line !== undefined ? { line } : {}) };
}

/** The root element named `root` (any prefix, any case). */
export function parseXmlRoot(xml: string, root: string): Result<XmlNode, MrasError> {
  if (xml.length > XML_LIMITS.maxChars) return err(parseError(`XML longer than ${XML_LIMITS.maxChars} characters`));
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) return err(parseError('DTDs are not accepted'));
  let elements = 0;
  for (let i = xml.indexOf('<'); i >= 0; i = xml.indexOf('<', i + 1)) {
    if (++elements > XML_LIMITS.maxElements) return err(parseError(`more than ${XML_LIMITS.maxElements} tags`));
  }
  const valid = XMLValidator.validate(xml);
  if (valid !== true) return err(parseError(valid.err.msg, valid.err.line));
  let doc: XmlNode;
  try {
    doc = parser.parse(xml) as XmlNode;
  } catch (e) {
    // The validator passed, so this is a parser limit (deep nesting): report, never rethrow.
    return err(parseError(e instanceof Error ? e.message : 'unreadable XML'));
  }
  const top = child(doc, root);
  if (!top) return err(parseError(`root element is not <${root}>`));
  return ok(top);
}

function key(node: XmlNode, name: string): string | undefined {
  const want = name.toLowerCase();
  return Object.keys(node).find((k) => k.toLowerCase() === want);
}

export function children(node: XmlNode | undefined, name: string): XmlNode[] {
  if (!node) return [];
  const k = key(node, name);
  const v = k === undefined ? undefined : node[k];
  if (!Array.isArray(v)) return [];
  // An empty element reads as '' and a text-only one as a string: give both an object face.
  return v.map((x): XmlNode => (typeof x === 'object' && x !== null ? (x as XmlNode) : { '#text': String(x) }));
}

export function child(node: XmlNode | undefined, name: string): XmlNode | undefined {
  return children(node, name)[0];
}

export function text(node: XmlNode | undefined): string | undefined {
  if (!node) return undefined;
  const t = node['#text'];
  return t === undefined ? '' : String(t).trim();
}

export function childText(node: XmlNode | undefined, name: string): string | undefined {
  return text(child(node, name));
}

export function attr(node: XmlNode | undefined, name: string): string | undefined {
  if (!node) return undefined;
  const k = key(node, `@_${name}`);
  return k === undefined ? undefined : String(node[k]);
}

/** Element names of a node, attributes and text left out. */
export function elementNames(node: XmlNode): string[] {
  return Object.keys(node).filter((k) => !k.startsWith('@_') && k !== '#text');
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}
