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

test('the supervision group follows its inspection: ranking, a body’s scores, rectifications', async () => {
  const ctx = await context(browser, { bypassCSP: true });
  const page = await ctx.newPage();
  await signIn(page, INSPECTOR);
  await page.getByRole('link', { name: '监督检查', exact: true }).first().click();
  await page.getByRole('heading', { name: '监督检查', exact: true }).waitFor();
  await accessible(page, 'inspections');
  await page.getByRole('link', { name: /政务公开工作季度专项检查/ }).click();
  await page.getByRole('heading', { name: '得分和排名' }).waitFor();
  assert.equal(await page.locator('table.list tbody tr').count(), 5, 'five bodies inspected');
  await accessible(page, 'inspection');
  // 柳河乡 lost points on site; its page shows each criterion with the monitor's ones marked.
  await page.getByRole('link', { name: '示例县柳河乡人民政府' }).click();
  await page.getByRole('heading', { name: '逐项评分' }).waitFor();
  assert.ok((await page.getByText('按合规监测', { exact: true }).count()) >= 6);
  await accessible(page, 'inspection-body');
  // A deduction above the criterion's points is refused, the input kept.
  const last = page.getByLabel('第7项扣分', { exact: true });
  await last.fill('11');
  await page.getByRole('button', { name: '保存评分' }).click();
  await page.getByText(/扣分不能超过该项分值10分/).waitFor();
  assert.equal(await page.getByLabel('第7项扣分', { exact: true }).inputValue(), '11');
  // The rectifications: the overdue one is said in words.
  await page.goto(`${BASE}/admin/rectifications`);
  await page.getByRole('heading', { name: '整改事项' }).waitFor();
  const late = page.getByRole('row').filter({ hasText: '东门社区居务公开栏' });
  assert.match(await late.innerText(), /已超期/);
  await accessible(page, 'rectifications');
  await page.getByRole('link', { name: /行政处罚决定超过7个工作日/ }).click();
  await page.getByRole('heading', { name: '验收' }).waitFor();
  await accessible(page, 'rectification');
  await page.goto(`${BASE}/admin/assessment-rules`);
  await page.getByRole('link', { name: '示例县政务公开工作考核细则' }).click();
  await page.getByRole('heading', { name: '复制为新年度的考核细则' }).waitFor();
  await accessible(page, 'assessment-rules');
  await ctx.close();
});

test('the county’s quarterly briefing shows the figures it was drafted from', async () => {
  const ctx = await context(browser, { bypassCSP: true });
  const page = await ctx.newPage();
  await signIn(page, INSPECTOR);
  await page.getByRole('link', { name: '季度简报', exact: true }).first().click();
  await page.getByRole('heading', { name: '季度简报', exact: true }).waitFor();
  await accessible(page, 'briefings');
  await page.getByRole('link', { name: /示例县人民政府\d{4}年第.季度政务公开工作简报/ }).click();
  await page.getByRole('heading', { name: '生成草稿时的数据' }).waitFor();
  assert.ok(await page.getByRole('rowheader', { name: '主动公开信息' }).isVisible());
  assert.ok(await page.getByText('一、信息发布情况').isVisible());
  assert.ok(await page.getByRole('link', { name: 'Word（DOCX）' }).isVisible());
  await accessible(page, 'briefing');
  await ctx.close();
});
