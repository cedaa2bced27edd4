/** Persistence: cron, shell rc files, launchd, systemd, autostart, agent config tampering. */
import { definePatterns, matchViews, type Rule } from '../engine/match.js';

/** The rule's patterns: global, linear-time; run on windows around their required literals (see matchViews). */
const PATTERNS = definePatterns([
  /\bcrontab(?=[ \t<])(?:[ \t]+-[a-z]){0,4}(?:[ \t]+-)?[ \t]*(?:<|-\s|[^\s<]{1,200}\.cron)|\(crontab\s+-l|\|\s*crontab\s+-|\/etc\/cron\.(?:d|daily|hourly)\//gi,
  />>?\s*["']?(?:~|\$HOME)\/\.(?:bashrc|bash_profile|zshrc|profile|zprofile|config\/fish\/config\.fish)\b/gi,
  /\b(?:launchctl\s+(?:load|bootstrap)|Library\/LaunchAgents\/|Library\/LaunchDaemons\/)/gi,
  /\bsystemctl\s+(?:--user\s+)?enable\b|\/etc\/systemd\/system\/[\w.-]{1,100}\.service|~\/\.config\/systemd\/user\//gi,
  /\.config\/autostart\/|\bschtasks\s+\/create\b|CurrentVersion\\Run\b/gi,
  /\b(?:dangerouslyDisableSandbox|autoApprove|skip-?permissions|--dangerously-skip-permissions)\b\s*[:=]?\s*(?:true|\[)?|>>?\s*["']?(?:~|\$HOME)\/\.claude\/(?:settings\.json|CLAUDE\.md)|\.ssh\/authorized_keys\b[^\n]{0,40}>>|>>\s*["']?(?:~|\$HOME)\/\.ssh\/authorized_keys/gi,
  /\b(?:add|append|write|insert)\b(?:(?!\b(?:add|append|write|insert|to|into)\b)[^\n]){0,40}\b(?:to|into)\s+(?:your\s+)?(?:~|\$HOME)\/\.(?:bashrc|zshrc|profile|bash_profile|zprofile|zshenv)\b/gi,
]);
/** Rule AEXT-CODE-004: persistence. */
export const rule: Rule = {
  id: 'AEXT-CODE-004',
  severity: 'high',
  category: 'code',
  description: 'Installs persistence (crontab, shell rc files, launchd/systemd units, autostart) or tampers with agent config',
  references: ['MITRE ATT&CK T1053, T1546.004, T1543', 'ATR-2026-00149', 'scanner-anchors.md §c.8'],
  applies: ['code', 'instructions', 'config'],
  check: (f) =>
    matchViews(
      f,
      PATTERNS,
      'installs persistence or tampers with agent or shell configuration',
      undefined,
      {},
    ),
};
