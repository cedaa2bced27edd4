/**
 * Code that loads native code by path. Node loads addons by itself only through `require()` of a
 * `.node` file; `process.dlopen` loads any file as an addon, so a binary given an inert name
 * (`helper.dat`, which AEXT-BIN-001 reports for review only) runs through it. Python's ctypes and
 * cffi do the same for shared libraries. Sources: Node.js `process.dlopen` docs, Python `ctypes`
 * docs, cffi `ffi.dlopen`; MITRE ATT&CK T1129 (shared modules).
 */
import { definePatterns, matchViews, type Rule } from '../engine/match.js';

/** The rule's patterns: global, linear-time; run on windows around their required literals (see matchViews). */
const NODE = definePatterns([/\bprocess\.dlopen\s*\(/g]);
/** Python's loaders are common in scientific and system libraries: review, not block. */
const PYTHON = definePatterns([/\bctypes\.(?:CDLL|PyDLL|WinDLL|OleDLL|cdll\.LoadLibrary|windll\.LoadLibrary)\s*\(|\bffi\.dlopen\s*\(/g]);

/** Rule AEXT-CODE-008: native code loaded by path. */
export const rule: Rule = {
  id: 'AEXT-CODE-008',
  severity: 'high',
  category: 'code',
  description: 'Loads native code by path (process.dlopen; Python ctypes/cffi: review), which runs a binary whatever its name',
  references: ['Node.js process.dlopen', 'Python ctypes', 'MITRE ATT&CK T1129'],
  applies: ['code'],
  check: (f) => [
    ...matchViews(f, NODE, 'loads native code by path (process.dlopen): any packaged file runs as an addon'),
    ...matchViews(f, PYTHON, 'loads a shared library by path (ctypes/cffi; review)').map((h) => ({ ...h, severity: 'medium' as const })),
  ],
};
