/** Exfiltration channels: uploads, webhooks, paste sites, tunnels. */
import { matchAll, type Rule } from '../rule.js';

/** Rule AEXT-EXFIL-001: Uploads data to a third party (curl -d @file / -T / -F, webhooks, paste sites, tunnels). Pure function of one file's text. */
export const rule: Rule = {
  id: 'AEXT-EXFIL-001',
  severity: 'high',
  category: 'exfiltration',
  description: 'Uploads data to a third party (curl -d @file / -T / -F, webhooks, paste sites, tunnels)',
  references: ['MITRE ATT&CK T1567, T1048', 'scanner-anchors.md §c.5'],
  applies: ['code', 'instructions', 'config'],
  check: (f) =>
    matchAll(
      f.text,
      [
        /\bcurl\b[^\n]{0,200}\s(?:-d|--data(?:-binary|-raw|-urlencode)?|-F|--form|-T|--upload-file)\s+["']?@?(?:~|\$HOME|\/etc|\.\.?\/|\$\()/gi,
        /https?:\/\/(?:[\w-]+\.)*(?:webhook\.site|requestbin\.(?:com|net)|pipedream\.net|hookbin\.com|ngrok(?:-free)?\.(?:io|app)|trycloudflare\.com|pastebin\.com|paste\.ee|transfer\.sh|interact\.sh|oast\.(?:fun|pro|me)|burpcollaborator\.net)/gi,
        /https?:\/\/discord(?:app)?\.com\/api\/webhooks\//gi,
      ],
      'sends data to an exfiltration endpoint',
    ),
};
