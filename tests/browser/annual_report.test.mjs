// The annual report: a 信息员 opens last year's overview (the demo published every body's
// report), then one body's report with its counted tables, checks and texts; a citizen opens the
// published report from the 政府信息公开年报 column. Every page passes axe-core at 1280 and 360 px.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { BASE, accessible, context, launch, signIn } from './support.mjs';

const EDITOR = process.env.GONGKAI_E2E_EDITOR ?? 'e2e.editor';
const YEAR = new Date().getFullYear() - 1;

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('staff see every body’s report for the year and one report with its tables and checks', async () => {
  const ctx = await context(browser, { bypassCSP: true });
  const page = await ctx.newPage();
  await signIn(page, EDITOR);
  await page.getByRole('link', { name: '年度报告' }).first().click();
  await page.getByRole('heading', { name: `${YEAR}年度政府信息公开工作年度报告` }).waitFor();
  const office = page.getByRole('row').filter({ hasText: '示例县人民政府办公室' });
  assert.ok(await office.getByText('已公开').isVisible(), 'the demo published the office’s report');
  await accessible(page, 'annual-overview');
  await office.getByRole('link', { name: '示例县人民政府办公室' }).click();
  await page.getByRole('heading', { name: `示例县人民政府办公室${YEAR}年政府信息公开工作年度报告` }).waitFor();
  assert.ok(await page.getByText(/表格校验：通过/).isVisible());
  const t3 = page.getByRole('region', { name: '三、收到和处理政府信息公开申请情况' });
  assert.ok(await t3.getByRole('rowheader', { name: '四、结转下年度继续办理' }).isVisible());
  assert.ok(await page.getByLabel('五、存在的主要问题及改进情况', { exact: true }).isVisible());
  await accessible(page, 'annual-edit');
  await ctx.close();
});

test('a citizen opens the published report from the column', async () => {
  const ctx = await context(browser, { bypassCSP: true });
  const page = await ctx.newPage();
  await page.goto(`${BASE}/bodies`);
  await page.getByRole('link', { name: '示例县人民政府办公室' }).first().click();
  await page.goto(page.url().replace(/\/bodies\/(\d+).*/, '/bodies/$1/reports'));
  await page.getByRole('link', { name: new RegExp(`${YEAR}年政府信息公开工作年度报告（全文及统计表）`) }).click();
  await page.getByRole('heading', { name: `示例县人民政府办公室${YEAR}年政府信息公开工作年度报告` }).waitFor();
  assert.ok(await page.getByRole('link', { name: 'PDF' }).isVisible());
  await accessible(page, 'annual-public');
  await ctx.close();
});
