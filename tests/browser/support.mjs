// Shared helpers of the browser tests: launching Debian's Chromium through playwright-core,
// signing in staff (password, then TOTP enrolment or code, computed here), screenshots at two
// widths, and an accessibility check with axe-core.
//
// The server is started by scripts/browser-test, which sets:
//   GONGKAI_E2E_BASE       the server's address
//   GONGKAI_E2E_USER       a staff account (申请办理员 on the root body) …
//   GONGKAI_E2E_ADMIN      an administrator (管理员 on the root body) with the same password
//   GONGKAI_E2E_PASSWORD   the password of both
//   GONGKAI_E2E_CHROMIUM   the browser (default /usr/bin/chromium)
//   GONGKAI_BROWSER_SCREENSHOTS  optional folder for screenshots

import { createHmac } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);

export const BASE = process.env.GONGKAI_E2E_BASE ?? 'http://127.0.0.1:8080';
export const USER = process.env.GONGKAI_E2E_USER ?? 'e2e.handler';
export const PASSWORD = process.env.GONGKAI_E2E_PASSWORD ?? '';
export const ADMIN = process.env.GONGKAI_E2E_ADMIN ?? 'e2e.admin';
const SHOTS = process.env.GONGKAI_BROWSER_SCREENSHOTS ?? '';

export async function launch() {
  return chromium.launch({
    executablePath: process.env.GONGKAI_E2E_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/// A fresh browser context (its own cookies), 1280 px wide, Chinese locale.
export async function context(browser, options = {}) {
  return browser.newContext({
    baseURL: BASE,
    locale: 'zh-CN',
    viewport: { width: 1280, height: 900 },
    ...options,
  });
}

function base32(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of s.replace(/[\s=]/g, '').toUpperCase()) {
    const v = alphabet.indexOf(c);
    if (v < 0) throw new Error(`not base32: ${c}`);
    bits += v.toString(2).padStart(5, '0');
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/// RFC 6238 TOTP (SHA-1, 6 digits, 30 s), as an authenticator app computes it.
export function totp(secret, at = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const h = createHmac('sha1', base32(secret)).update(counter).digest();
  const o = h[h.length - 1] & 0xf;
  const n = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(n % 1_000_000).padStart(6, '0');
}

const enrolled = new Map();
const lastStep = new Map();

/// A code the server has not accepted yet for `user`: each code signs in once (RFC 6238 §5.2),
/// so a second sign-in within 30 s takes the next step's code (one step of drift is allowed),
/// waiting for it when needed.
async function freshCode(user, key) {
  const now = () => Math.floor(Date.now() / 1000 / 30);
  const last = lastStep.get(user);
  const step = last !== undefined && last >= now() ? last + 1 : now();
  lastStep.set(user, step);
  while (step > now() + 1) await new Promise((r) => setTimeout(r, 500));
  return totp(key, step * 30 * 1000);
}

/// Sign in through the forms. The first sign-in enrols TOTP (the policy requires it): the key is
/// read from the page, as a person would type it into an authenticator app.
export async function signIn(page, user = USER) {
  await page.goto('/login');
  await page.getByLabel('用户名').fill(user);
  await page.getByLabel('密码').fill(PASSWORD);
  await page.getByRole('button', { name: '登录' }).click();
  await page.waitForLoadState();
  if (page.url().includes('/account/totp')) {
    const key = (await page.locator('code.secret').innerText()).replace(/\s/g, '');
    enrolled.set(user, key);
    await page.getByLabel('6位动态码').fill(await freshCode(user, key));
    await page.getByRole('button', { name: '开启二次验证' }).click();
    await page.getByRole('link', { name: '我已保存，进入工作台' }).click();
  } else if (page.url().includes('/login/totp')) {
    if (!enrolled.has(user)) throw new Error(`TOTP asked but ${user} enrolled no key in this run`);
    await page.locator('input[name=code]').fill(await freshCode(user, enrolled.get(user)));
    await page.locator('form button[type=submit]').click();
  }
  await page.waitForURL(/\/admin/);
}

/// Screenshots of the current page at 1280 px and 360 px (full page), when asked for.
export async function shoot(page, name) {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  const size = page.viewportSize();
  for (const width of [1280, 360]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: path.join(SHOTS, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize(size);
}

const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/// Serious and critical accessibility violations of a page (WCAG 2 A and AA rules). The page is
/// opened in a context that bypasses the site's CSP, only to load axe-core into it.
export async function accessibilityViolations(browser, url, cookies = []) {
  const ctx = await context(browser, { bypassCSP: true });
  if (cookies.length) await ctx.addCookies(cookies);
  const page = await ctx.newPage();
  await page.goto(url);
  await page.addScriptTag({ content: AXE });
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } }),
  );
  await ctx.close();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

/// A violation as a person reads it: rule, impact, what to do, and each offending element with
/// axe's summary of the failure.
export function describe(v) {
  const nodes = v.nodes
    .slice(0, 8)
    .map((n) => `    - ${n.target.join(' ')}\n      ${(n.failureSummary ?? '').replace(/\n\s*/g, '\n      ')}`)
    .join('\n');
  const more = v.nodes.length > 8 ? `\n    … and ${v.nodes.length - 8} more` : '';
  return `  [${v.impact}] ${v.id}: ${v.help}\n    ${v.helpUrl}\n${nodes}${more}`;
}

export async function axeViolations(page) {
  await page.addScriptTag({ content: AXE });
  return page.evaluate(async () => {
    /* global axe */
    const wcag = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    // WCAG 2.2's minimum tap target (24 × 24 px), which matters most on a phone.
    const target = await axe.run(document, { runOnly: { type: 'rule', values: ['target-size'] } });
    return [...wcag.violations, ...target.violations]
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        helpUrl: v.helpUrl,
        nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })),
      }));
  });
}

/// lang, one <h1>, one <main>, and (on a phone) no sideways scrolling.
export async function structureProblems(page, width) {
  const s = await page.evaluate(() => ({
    lang: document.documentElement.getAttribute('lang'),
    h1: document.querySelectorAll('h1').length,
    main: document.querySelectorAll('main, [role=main]').length,
    scrollWidth: document.documentElement.scrollWidth,
    wide: [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
      .filter((e) => !e.closest('.table-wrap'))
      .slice(0, 5)
      .map((e) => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.className ? '.' + String(e.className).split(' ').join('.') : ''}`),
  }));
  const problems = [];
  if (s.lang !== 'zh-CN') problems.push(`  lang is ${JSON.stringify(s.lang)}, not "zh-CN"`);
  if (s.h1 !== 1) problems.push(`  ${s.h1} <h1> elements, not exactly one`);
  if (s.main !== 1) problems.push(`  ${s.main} <main> landmarks, not exactly one`);
  if (width <= 360 && s.scrollWidth > width + 1) {
    problems.push(`  scrolls sideways: scrollWidth ${s.scrollWidth} > ${width} (wide: ${s.wide.join(', ')})`);
  }
  return problems;
}

/// Screenshot a page, then check it with axe-core and the structure checks at 1280 and 360 px
/// (the viewport is left at 1280 px).
export async function accessible(page, name) {
  const assert = (await import('node:assert/strict')).default;
  await shoot(page, name);
  for (const width of [1280, 360]) {
    await page.setViewportSize({ width, height: 900 });
    const violations = await axeViolations(page);
    assert.deepEqual(violations, [], `${name}: axe at ${width}px:\n${violations.map(describe).join('\n')}`);
    assert.deepEqual(await structureProblems(page, width), [], `${name}: structure at ${width}px`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}
