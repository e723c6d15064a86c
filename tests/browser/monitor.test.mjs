// 合规监测: a 纪检监督 user opens the monitor of the county for this year, finds every body ranked
// with its score and its light said in words, opens the records behind a count, and a bad range
// is refused in words with the year shown instead. Every page passes axe-core at 1280 and 360 px.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { BASE, accessible, context, launch, signIn } from './support.mjs';

const INSPECTOR = process.env.GONGKAI_E2E_INSPECTOR ?? 'e2e.inspector';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('the supervision group reads the county’s monitor and the records behind a count', async () => {
  const ctx = await context(browser, { bypassCSP: true });
  const page = await ctx.newPage();
  await signIn(page, INSPECTOR);
  await page.getByRole('link', { name: '合规监测', exact: true }).first().click();
  await page.getByRole('heading', { name: '合规监测' }).waitFor();
  const rows = page.locator('table.monitor tbody tr');
  assert.ok((await rows.count()) >= 5, 'every demo body has a line');
  // Each line says its light in words.
  const lights = await page.locator('table.monitor tbody .light').allInnerTexts();
  assert.ok(lights.every((l) => /^(绿灯|黄灯|红灯)/.test(l)), lights.join(','));
  // The rules are explained below the table.
  assert.ok(await page.getByRole('heading', { name: '监测规则' }).isVisible());
  await accessible(page, 'monitor');
  // Open the first non-zero count of the table.
  const link = page.locator('table.monitor tbody td a').first();
  const label = await link.getAttribute('aria-label');
  await link.click();
  await page.getByRole('navigation', { name: '位置' }).waitFor();
  assert.ok(label && label.includes('查看明细'));
  assert.ok((await page.locator('table.list tbody tr').count()) >= 1, 'the records are listed');
  await accessible(page, 'monitor-rule');
  // A reversed range is refused in words.
  await page.goto(`${BASE}/admin/monitor`);
  await page.getByLabel('开始日期').fill('2026-10-09');
  await page.getByLabel('结束日期').fill('2026-09-01');
  await page.getByRole('button', { name: '计算' }).click();
  await page.getByText('开始日期不能晚于结束日期').waitFor();
  await ctx.close();
});
