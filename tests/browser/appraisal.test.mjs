// 数据图表 and 民主评议: a citizen opens the county's published charts from the home page and
// finds each chart's numbers in the table beside it; takes part in the public appraisal (a
// missing score is refused in words with the choice kept, a second answer for the same body is
// refused); the supervision group reads the results, moderates free text and sees the charts'
// publishing choice. Every page passes axe-core at 1280 and 360 px.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { BASE, accessible, context, launch, signIn } from './support.mjs';

const INSPECTOR = process.env.GONGKAI_E2E_APPRAISER ?? 'e2e.appraiser';
const READER = process.env.GONGKAI_E2E_PUBLISHER ?? 'e2e.publisher';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('a citizen reads the county’s charts, each with its numbers in a table', async () => {
  const ctx = await context(browser, { bypassCSP: true });
  const page = await ctx.newPage();
  await page.goto(`${BASE}/`);
  await page.getByRole('link', { name: '数据图表', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: /数据图表/ }).waitFor();
  const charts = page.locator('figure.dash-chart');
  assert.equal(await charts.count(), 5, 'the county publishes all five charts');
  for (const key of ['publications', 'on_time', 'outcomes', 'response_times', 'satisfaction']) {
    const fig = page.locator(`#chart-${key}`);
    // The drawing names itself for screen readers, and each value drawn is in the table.
    assert.ok(await fig.locator('svg[role=img] title').first().textContent());
    const drawn = await fig.locator('svg .datum').evaluateAll((ns) =>
      ns.map((n) => [Number(n.dataset.series), Number(n.dataset.label), n.dataset.value]),
    );
    const cells = await fig.locator('table tbody tr').evaluateAll((rows) =>
      rows.map((r) => [...r.querySelectorAll('td')].map((c) => c.textContent.trim())),
    );
    for (const [s, l, v] of drawn) assert.equal(cells[l][s], v, `${key}: series ${s} label ${l}`);
    assert.ok(await fig.getByRole('link', { name: '下载数据表（CSV）' }).isVisible());
  }
  await accessible(page, 'dashboard-public');
  await ctx.close();
});

test('a citizen takes part in the appraisal once per body', async () => {
  const ctx = await context(browser, { bypassCSP: true });
  const page = await ctx.newPage();
  await page.goto(`${BASE}/`);
  await page.getByRole('link', { name: '民主评议', exact: true }).click();
  await page.getByRole('heading', { name: '民主评议', exact: true }).waitFor();
  await accessible(page, 'appraisals');
  await page.getByRole('link', { name: /政务公开工作民主评议/ }).click();
  await page.getByRole('heading', { name: '参加评议' }).waitFor();
  // Two bodies already show results; one is below the minimum.
  assert.ok((await page.getByText(/共\d+份评议/).count()) >= 2);
  await page.getByText(/达到5份后公布结果/).waitFor();
  await accessible(page, 'appraisal');
  // Without the scores: refused in words, the body kept.
  await page.getByLabel('被评议单位').selectOption({ label: '示例县柳河乡人民政府' });
  await page.locator('form[action^="/appraisals/"]').evaluate((f) => f.setAttribute('novalidate', ''));
  await page.getByRole('button', { name: '提交评议' }).click();
  await page.getByText(/请为第1题“信息公开是否及时、全面”评分/).waitFor();
  assert.equal(
    await page.getByLabel('被评议单位').evaluate((s) => s.options[s.selectedIndex].text),
    '示例县柳河乡人民政府',
  );
  for (const group of await page.locator('fieldset.scale').all()) {
    await group.getByLabel(/4分 满意/).check();
  }
  await page.getByLabel(/意见和建议/).fill('乡政府公开栏内容更新及时。');
  await page.getByRole('button', { name: '提交评议' }).click();
  await page.getByRole('heading', { name: '评议已收到' }).waitFor();
  await page.getByText('您的文字意见将在审核后公开显示。').waitFor();
  await accessible(page, 'appraisal-receipt');
  // Once per body.
  await page.getByRole('link', { name: '返回评议页面' }).click();
  await page.getByLabel('被评议单位').selectOption({ label: '示例县柳河乡人民政府' });
  for (const group of await page.locator('fieldset.scale').all()) {
    await group.getByLabel(/5分 很满意/).check();
  }
  await page.getByRole('button', { name: '提交评议' }).click();
  await page.getByText('您已经评议过该单位，每人对每个单位只能评议一次').waitFor();
  await ctx.close();
});

test('the supervision group reads the results and moderates the free text', async () => {
  const ctx = await context(browser, { bypassCSP: true });
  const page = await ctx.newPage();
  await signIn(page, INSPECTOR);
  await page.getByRole('link', { name: '民主评议', exact: true }).first().click();
  await page.getByRole('heading', { name: '民主评议', exact: true }).waitFor();
  await accessible(page, 'appraisals-admin');
  await page.getByRole('link', { name: /政务公开工作民主评议/ }).click();
  await page.getByRole('heading', { name: '文字意见' }).waitFor();
  // The demo's held text (about the lift) can be shown.
  const held = page.locator('#texts .paragraph').filter({ hasText: '加装电梯' });
  assert.match(await held.innerText(), /待审核/);
  await accessible(page, 'appraisal-admin');
  await held.getByRole('button', { name: '公开' }).click();
  await page.getByText('已保存。').waitFor();
  assert.match(
    await page.locator('#texts .paragraph').filter({ hasText: '加装电梯' }).innerText(),
    /已公开/,
  );
  // A new draft with a bad range comes back in words with the title kept.
  await page.goto(`${BASE}/admin/appraisals`);
  await page.getByLabel('标题').fill('浏览器测试评议');
  await page.getByLabel('开始日期').fill('2026-12-10');
  await page.getByLabel('结束日期').fill('2026-12-01');
  await page.getByRole('button', { name: '创建草稿' }).click();
  await page.getByText('结束日期不能早于开始日期').waitFor();
  assert.equal(await page.getByLabel('标题').inputValue(), '浏览器测试评议');
  await ctx.close();
});

test('a leader sees the charts of the office and chooses which are public', async () => {
  const ctx = await context(browser, { bypassCSP: true });
  const page = await ctx.newPage();
  await signIn(page, READER);
  await page.getByRole('link', { name: '数据图表', exact: true }).first().click();
  await page.getByRole('heading', { name: '数据图表', exact: true }).waitFor();
  assert.ok(await page.getByRole('group', { name: '对外公开的图表' }).isVisible());
  await accessible(page, 'dashboard-admin');
  await ctx.close();
});
