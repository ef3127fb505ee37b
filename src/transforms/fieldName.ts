/**
 * Record keys are record text: a reason quotes one only when it looks like a field name (short,
 * word characters, no long digit or token runs, nothing the redactor would touch), else it says
 * how long the key is.
 */
import { redactText } from './redact.ts';

export function fieldName(key: string): string {
  const plain =
    key.length <= 40 &&
    /^[A-Za-z_$@][\w.$@-]*$/.test(key) &&
    !/\d{6,}|[A-Za-z0-9]{24,}/.test(key) &&
    redactText(key).text === key;
  return plain ? key : `<a key of ${key.length} characters>`;
}

/** A JSON pointer (`/output_fields/proc.name/0`) with every segment that is not a plain field name or index hidden. */
export function safePointer(pointer: string): string {
  if (pointer === '') return pointer;
  return pointer
    .split('/')
    .map((segment, i) =>
      i === 0 || /^\d{1,6}$/.test(segment) ? segment : fieldName(segment.replace(/~1/g, '/').replace(/~0/g, '~')),
    )
    .join('/');
}
