/** Exfiltration channels: uploads, webhooks, paste sites, tunnels, DNS, markdown image beacons. */
import { definePatterns, matchViews, type Rule } from '../engine/match.js';

/** The rule's patterns: global, linear-time; run on windows around their required literals (see matchViews). */
const PATTERNS = definePatterns([
  // `(?:[ \t]*=[ \t]*|[ \t]+)` between the flag and its value: the old `\s*[=\s]\s*` was three overlapping
  // whitespace runs, cubic on a line of `\r` (recheck's attack: 15 s on 8 KiB).
  /\bcurl\b(?:(?!\bcurl\b|[ \t](?:-d|--data|-F|--form|-T|--upload-file))[^\n]){0,200}[ \t](?:-d|--data(?:-binary|-raw|-urlencode)?|-F|--form|-T|--upload-file)(?:[ \t]*=[ \t]*|[ \t]+)(?=[^ \t])["']?(?:@|-(?:\s|$)|(?:(?!\bcurl\b|\$\()[^\n"']){0,80}\$\(|(?:(?!\bcurl\b|~|\$HOME|\/etc\/|\.ssh|\.aws|\.env)[^\n"']){0,40}(?:~|\$HOME|\/etc\/|\.ssh|\.aws|\.env))/gim,
  /\bwget\b(?:(?!\bwget\b|--post-)[^\n]){0,200}--post-(?:file|data)\b/gi,
  /https?:\/\/(?:[\w-]{1,63}\.){0,8}(?:webhook\.site|requestbin\.(?:com|net)|pipedream\.net|hookbin\.com|ngrok(?:-free)?\.(?:io|app|dev)|trycloudflare\.com|pastebin\.com|paste\.ee|paste\.c-net\.org|hastebin\.com|rentry\.co|glot\.io|transfer\.sh|interact\.sh|oast\.(?:fun|pro|me|live)|burpcollaborator\.net|bore\.pub|serveo\.net|localtunnel\.me)/gi,
  /https?:\/\/(?:discord(?:app)?\.com\/api\/webhooks|api\.telegram\.org\/bot|hooks\.slack\.com\/services)\//gi,
  // A command word, then arguments (not `host = …`, a variable).
  /(?:^|[;&|`(])[ \t]*(?:dig|nslookup|host|ping)(?:[ \t]+(?:-[\w-]{0,20}(?:[ \t]+\d{1,5})?|@[\w.:-]{1,60}|\+\w{1,20})){0,4}[ \t]+["']?(?:\w[\w.-]{0,59})?\$[({](?:(?!\.[a-z]{2}|[;&|`(][ \t]*(?:dig|nslookup|host|ping)[ \t])[^\n]){0,60}\.[a-z]{2,}/gm,
  /!\[(?:(?!!\[)[^\]]){0,80}\]\(https?:\/\/(?:(?!!\[)[^)\s{$]){0,200}(?:\{\{|\$\{|\$[A-Za-z_])/g,
  /\b(?:append|add|include|embed|encode|put)\s+(?:(?!\b(?:append|add|include|embed|encode|put)\s|(?:secret|password|token|api[_-]?key|credential|conversation|history|system\s+prompt)\s).){0,60}(?:secret|password|token|api[_-]?key|credential|conversation|history|system\s+prompt)\s+(?:(?!\b(?:to|in|into)\s).){0,40}\b(?:to|in|into)\s+(?:(?!\b(?:url|query|parameter|image\s+link)\b).){0,30}\b(?:url|query|parameter|image\s+link)\b/gi,
  /\b(?:requests|httpx)\.post\s*\((?:(?!os\.environ|open\(|\.read\(\)|\b(?:requests|httpx)\.post\b)[^\n)]){0,240}(?:os\.environ|open\(|\.read\(\))|\bfetch\((?:(?!method\s*:|\bfetch\()[^\n)]){0,200}method\s*:\s*["']POST["'](?:(?!process\.env|\bfetch\()[^\n]){0,200}process\.env/gi,
  /169\.254\.169\.254/g,
  /\bb?cc[ \t]+[\w.+-]{1,64}@[\w-]{1,63}\.[\w.-]{2,63}\s+(?:on|to|in)\s+(?:every|all|each)\b/gi,
  /\b(?:post|send|upload|transmit|forward|attach)\b(?:(?!\b(?:post|send|upload|transmit|forward|attach)\b|\.env\b|id_rsa|\.ssh\b|\.aws\b|credentials|\.netrc|keychain)[^\n]){0,60}(?:\.env\b|id_rsa|\.ssh\b|\.aws\b|credentials|\.netrc|keychain)(?:(?!\bto\s+https?:)[^\n]){0,60}\bto\s+https?:\/\//gi,
  /\b(?:conversation|chat\s+history|system\s+prompt|secrets?|tokens?|credentials?|passwords?|api[_ -]?keys?)\b(?:(?!\b(?:conversation|chat\s+history|system\s+prompt|secrets?|tokens?|credentials?|passwords?|api[_ -]?keys?|append|add|attach|put|embed)\b)[^\n]){0,80}\b(?:append|add|attach|put|embed)\b(?:(?!\?[\w-]{1,20}=|\bquery\s+(?:string|parameter)|markdown\s+image|image\s+(?:url|link)|tracking\s+pixel)[^\n]){0,40}(?:\?[\w-]{1,20}=|\bquery\s+(?:string|parameter)|markdown\s+image|image\s+(?:url|link)|tracking\s+pixel)/gi,
]);
/** Rule AEXT-EXFIL-001: exfiltration. */
export const rule: Rule = {
  id: 'AEXT-EXFIL-001',
  severity: 'high',
  category: 'exfiltration',
  description: 'Sends data to a third party (curl -d @file / -T / -F / $(…), webhooks, paste sites, tunnels, DNS, image beacons)',
  references: ['MITRE ATT&CK T1567, T1048', 'Cisco command_injection_generic.yara', 'scanner-anchors.md §c.5'],
  applies: ['code', 'instructions', 'config'],
  check: (f) =>
    matchViews(
      f,
      PATTERNS,
      'sends data to an exfiltration endpoint',
      undefined,
      {},
    ),
};
