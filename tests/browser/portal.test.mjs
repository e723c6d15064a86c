// The public portal in a real browser, as a citizen uses it: the main pages have no serious
// accessibility violations (axe-core, WCAG 2.1 A/AA) at 1280 px and 360 px and do not scroll
// sideways on a phone; a citizen browses the catalogue, filters, pages, searches, opens a result
// and downloads its attachment with clicks and typing only; the skip link and the 大字版 toggle
// work from the keyboard and without JavaScript; every page has lang="zh-CN", one <h1> and a
// <main> landmark.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { BASE, axeViolations, context, describe, launch, structureProblems } from './support.mjs';

const SHOTS = process.env.GONGKAI_BROWSER_SCREENSHOTS ?? '';

/// The demo's attachment (crates/cli/src/demo_items.rs) and the item that carries it.
const ATTACHMENT = '示例县2025年县级一般公共预算收支表.txt';
const BUDGET = '示例县2025年县级一般公共预算';

let browser;
let rootId;
let budgetId;
let serviceId;
let creditId;
before(async () => {
  browser = await launch();
  // Where the pages are: the root body and the item with the attachment, found through the
  // public pages themselves (no API shape assumed).
  const ctx = await context(browser);
  const page = await ctx.newPage();
  await page.goto('/');
  const guide = await page.getByRole('link', { name: '政府信息公开指南' }).getAttribute('href');
  rootId = guide.match(/\/bodies\/(\d+)\/guide/)[1];
  await page.goto(`/search?q=${encodeURIComponent(BUDGET)}`);
  const href = await page.locator('a.result-title', { hasText: BUDGET }).first().getAttribute('href');
  budgetId = href.match(/\/items\/(\d+)/)[1];
  // A 办事指南 and a 双公示 record of the demo, found the same way.
  await page.goto('/services');
  const svc = await page.locator('a[href^="/services/"]').filter({ hasText: '许可' }).first().getAttribute('href');
  serviceId = svc.match(/\/services\/(\d+)/)[1];
  await page.goto('/credit?kind=penalty');
  const rec = await page.locator('td a[href^="/credit/"]').first().getAttribute('href');
  creditId = rec.match(/\/credit\/(\d+)/)[1];
  await ctx.close();
});
after(async () => {
  await browser?.close();
});

function pages() {
  return [
    ['home', '/'],
    ['catalogue', '/catalogue'],
    ['item', `/items/${budgetId}`],
    ['search', `/search?q=${encodeURIComponent('预算')}`],
    ['guide', `/bodies/${rootId}/guide`],
    ['apply', '/apply'],
    ['xxgk', `/bodies/${rootId}/xxgk`],
    ['body-catalogue', `/bodies/${rootId}/catalogue`],
    ['services', '/services'],
    ['service-guide', `/services/${serviceId}`],
    ['service-history', `/services/${serviceId}/history`],
    ['reform', '/services/reform'],
    ['fees', '/fees'],
    ['credit', '/credit?kind=penalty'],
    ['credit-record', `/credit/${creditId}`],
  ];
}

async function screenshot(page, name) {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

test('main pages: no serious axe violations, one h1, a main landmark, no sideways scroll at 360 px', async () => {
  const failures = [];
  const check = async (ctx, label, url, width) => {
    const page = await ctx.newPage();
    const response = await page.goto(url);
    if (!response?.ok()) failures.push(`${label} ${url}: HTTP ${response?.status()}`);
    await screenshot(page, `portal-${label}`);
    const problems = await structureProblems(page, width);
    const violations = await axeViolations(page);
    if (problems.length || violations.length) {
      failures.push(`${label} ${url}\n${[...problems, ...violations.map(describe)].join('\n')}`);
    }
    await page.close();
  };
  for (const width of [1280, 360]) {
    // bypassCSP only so that axe-core can be injected; the site's own pages need no inline code.
    const ctx = await context(browser, { bypassCSP: true, viewport: { width, height: 900 } });
    for (const [name, url] of pages()) await check(ctx, `${name}-${width}`, url, width);
    await ctx.close();
  }
  // 大字版 on a phone: the 20 px text must still fit and stay accessible.
  const large = await context(browser, { bypassCSP: true, viewport: { width: 360, height: 900 } });
  const probe = await large.newPage();
  await probe.goto('/display?text=large&back=/');
  const fontSize = await probe.evaluate(() => getComputedStyle(document.documentElement).fontSize);
  assert.equal(fontSize, '20px', 'the 大字版 cookie is set through /display');
  await probe.close();
  for (const [name, url] of pages().slice(0, 4)) await check(large, `${name}-large-360`, url, 360);
  await large.close();
  assert.equal(failures.length, 0, `accessibility problems:\n\n${failures.join('\n\n')}`);
});

test('a citizen browses, filters, pages, searches, opens a result and downloads its attachment', async () => {
  const ctx = await context(browser, { acceptDownloads: true });
  const page = await ctx.newPage();
  const cspErrors = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
  });
  await page.goto('/');

  // The catalogue, from the site navigation.
  await page.getByRole('navigation', { name: '网站导航' }).getByRole('link', { name: '信息公开目录' }).click();
  await page.waitForURL(/\/catalogue$/);
  await page.getByRole('heading', { level: 1, name: '信息公开目录' }).waitFor();
  const total = async () => Number(await page.locator('.result-summary strong').first().innerText());
  const all = await total();
  assert.ok(all > 0, 'the catalogue lists items');

  // A year filter, chosen by its label as a person would.
  const year = page.getByLabel('年份');
  const years = (await year.locator('option').allInnerTexts()).filter((t) => /^\d{4}年$/.test(t));
  assert.ok(years.length > 0, 'the year filter offers years');
  await year.selectOption({ label: years[0] });
  await page.getByRole('button', { name: '筛选' }).click();
  await page.waitForURL(/[?&]year=\d{4}/);
  await page.getByText('（已筛选）').waitFor();
  const filtered = await total();
  assert.ok(filtered > 0 && filtered <= all, `${filtered} of ${all} items in ${years[0]}`);
  assert.equal(await year.inputValue(), years[0].slice(0, 4), 'the chosen year stays selected');
  const dates = await page.locator('.item-list time').allInnerTexts();
  assert.ok(dates.every((d) => d.startsWith(years[0].slice(0, 4))), `dates of ${years[0]}: ${dates}`);

  // The next page, when there is one.
  const next = page.getByRole('navigation', { name: '分页' }).getByRole('link', { name: '下一页' });
  if (await next.count()) {
    const firstTitle = await page.locator('.item-list li a').first().innerText();
    await next.click();
    await page.waitForLoadState();
    assert.notEqual(await page.locator('.item-list li a').first().innerText(), firstTitle, 'another page of items');
    await page.getByRole('link', { name: '上一页' }).waitFor();
  }

  // Search, from the site navigation: type, submit with Enter.
  await page.getByRole('navigation', { name: '网站导航' }).getByRole('link', { name: '搜索' }).click();
  await page.waitForURL(/\/search/);
  const box = page.getByRole('searchbox', { name: '搜索内容' });
  await box.click();
  await box.pressSequentially('一般公共预算');
  await box.press('Enter');
  await page.waitForURL(/[?&]q=/);
  await page.getByRole('heading', { name: '搜索结果' }).waitFor();
  const first = page.locator('ol.results > li a.result-title').first();
  assert.match(await first.innerText(), /一般公共预算/);
  assert.ok((await page.locator('ol.results mark').count()) > 0, 'the words found are highlighted');

  // The first result, then its attachment.
  await first.click();
  await page.waitForURL(/\/items\/\d+$/);
  await page.getByRole('heading', { level: 1, name: BUDGET }).waitFor();
  const link = page.getByRole('link', { name: ATTACHMENT });
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  assert.equal(download.suggestedFilename(), ATTACHMENT);
  const bytes = readFileSync(await download.path());
  assert.ok(bytes.length > 0, 'the attachment has content');
  assert.match(bytes.toString('utf8'), /一般公共预算收入/);
  // The page states the file's size and SHA-256: they match what was downloaded.
  const line = await page.locator('.attachments li', { hasText: ATTACHMENT }).innerText();
  assert.ok(line.includes(`${bytes.length} 字节`), `size shown: ${line}`);
  assert.ok(line.includes(createHash('sha256').update(bytes).digest('hex')), `hash shown: ${line}`);

  assert.deepEqual(cspErrors, [], 'no page breaks the Content Security Policy');
  await ctx.close();
});

test('keyboard: the first Tab reaches the skip link, which moves focus to the main content', async () => {
  const ctx = await context(browser);
  const page = await ctx.newPage();
  await page.goto('/');
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => {
    const e = document.activeElement;
    const r = e.getBoundingClientRect();
    return { text: e.textContent.trim(), href: e.getAttribute('href'), top: r.top, left: r.left, w: r.width, h: r.height };
  });
  assert.equal(focused.text, '跳到主要内容');
  assert.equal(focused.href, '#main');
  assert.ok(focused.left >= 0 && focused.top >= 0 && focused.w > 0 && focused.h >= 24, `the focused skip link is on screen: ${JSON.stringify(focused)}`);
  await screenshot(page, 'portal-skip-link-focused');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => location.hash === '#main');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'main', 'focus is on <main>');
  // The next Tab continues inside the main content, past the header's links.
  await page.keyboard.press('Tab');
  assert.ok(
    await page.evaluate(() => !!document.activeElement?.closest('main')),
    'the next Tab stays in the main content',
  );
  // Scrolled so that the main content starts at the top (or the page cannot scroll further).
  const at = await page.evaluate(() => ({
    top: document.getElementById('main').getBoundingClientRect().top,
    scrolled: window.scrollY,
    max: document.documentElement.scrollHeight - window.innerHeight,
  }));
  assert.ok(Math.abs(at.top) <= 2 || at.scrolled >= at.max - 1, `scrolled to #main: ${JSON.stringify(at)}`);
  await ctx.close();
});

test('keyboard: every control on the way shows a visible focus ring', async () => {
  const ctx = await context(browser);
  const page = await ctx.newPage();
  const missing = [];
  for (const url of ['/', `/search?q=${encodeURIComponent('预算')}`, `/items/${budgetId}`]) {
    await page.goto(url);
    const seen = new Set();
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press('Tab');
      const f = await page.evaluate(() => {
        const e = document.activeElement;
        if (!e || e === document.body) return null;
        const s = getComputedStyle(e);
        const name = `${e.tagName.toLowerCase()} “${(e.textContent || e.getAttribute('aria-label') || e.name || '').trim().slice(0, 20)}”`;
        return { name, key: e.outerHTML.slice(0, 200), outline: s.outlineStyle, width: parseFloat(s.outlineWidth), shadow: s.boxShadow };
      });
      if (!f || seen.has(f.key)) break; // wrapped around to the browser's own controls
      seen.add(f.key);
      if ((f.outline === 'none' || f.width < 2) && f.shadow === 'none') missing.push(`${url}: ${f.name}`);
    }
    assert.ok(seen.size > 5, `${url}: Tab moved through the page (${seen.size} stops)`);
  }
  assert.deepEqual(missing, [], 'controls without a visible focus indicator');
  await ctx.close();
});

test('大字版 switches the root font size to 20 px and back, without JavaScript', async () => {
  const ctx = await context(browser, { javaScriptEnabled: false });
  const page = await ctx.newPage();
  const rootFont = () => page.evaluate(() => getComputedStyle(document.documentElement).fontSize);
  await page.goto(`/search?q=${encodeURIComponent('预算')}`);
  assert.equal(await rootFont(), '16px');
  const header = page.getByRole('banner');
  await header.getByRole('link', { name: '大字版' }).click();
  await page.waitForURL(/\/search\?q=/);
  assert.equal(await rootFont(), '20px', 'large text after 大字版');
  assert.equal(await page.locator('html.large-text').count(), 1);
  assert.equal(await page.getByRole('searchbox', { name: '搜索内容' }).inputValue(), '预算', 'back on the same page');
  await screenshot(page, 'portal-large-text-search');
  // It stays on for the next page.
  await page.getByRole('navigation', { name: '网站导航' }).getByRole('link', { name: '首页' }).click();
  await page.waitForURL(`${BASE}/`);
  assert.equal(await rootFont(), '20px', 'large text is remembered');
  await header.getByRole('link', { name: '标准字号' }).click();
  await page.waitForURL(`${BASE}/`);
  assert.equal(await rootFont(), '16px', 'standard size after 标准字号');
  assert.equal(await header.getByRole('link', { name: '大字版' }).count(), 1);
  await ctx.close();
});

test('the application form ties an error message to its field', async () => {
  const ctx = await context(browser);
  const page = await ctx.newPage();
  await page.goto('/apply');
  await page.getByLabel('姓名或名称（必填）').fill('李淑芬');
  await page.getByLabel('证件号码（必填，加密保存）').fill('11010519491231002X');
  await page.getByLabel(/所需政府信息的名称/).fill('预算');
  await page.getByRole('button', { name: '提交申请' }).click();
  const field = page.getByLabel(/所需政府信息的名称/);
  await page.getByText('至少5个字').waitFor();
  assert.equal(await field.getAttribute('aria-invalid'), 'true');
  const described = await field.getAttribute('aria-describedby');
  assert.match(await page.locator(`#${described}`).innerText(), /至少5个字/);
  // Fields without an error are not marked.
  assert.equal(await page.getByLabel('姓名或名称（必填）').getAttribute('aria-invalid'), null);
  await ctx.close();
});
