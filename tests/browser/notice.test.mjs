// 公示: a citizen opens the school's 评优 result from its item page, sees 公示中 with the end date,
// and files an objection; the receipt shows its number; the village's land contract shows its
// 四议两公开 step by step with the published result. The pages pass axe-core at 1280 and 360 px.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { BASE, accessible, context, launch } from './support.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('a citizen objects to a notice in its period and gets a receipt', async () => {
  const list = await (await fetch(`${BASE}/api/v1/items?limit=100`)).json();
  const item = list.items.find((i) => i.title === '关于2026年度优秀教师评选结果的公示');
  assert.ok(item, 'the demo notice is published');
  const ctx = await context(browser, { bypassCSP: true });
  const page = await ctx.newPage();
  await page.goto(`${BASE}/items/${item.id}`);
  await page.getByRole('link', { name: '查看公示情况、提出异议' }).click();
  await page.getByRole('heading', { name: '公示中' }).waitFor();
  assert.ok(await page.getByText(/公示期：.*（5个工作日）/).isVisible());
  await accessible(page, 'notice-open');
  await page.getByLabel('姓名（必填，不公开）').fill('浏览器测试');
  await page.getByLabel('联系电话或电子邮箱（必填，不公开）').fill('13900009999');
  await page.getByLabel('异议内容和理由（必填，不超过2000字）').fill('请核实评选程序。');
  await page.getByRole('button', { name: '提交异议' }).click();
  await page.getByRole('heading', { name: '异议已收到' }).waitFor();
  assert.match(await page.getByRole('status').innerText(), /编号 YY\d+/);
  await accessible(page, 'notice-receipt');
  await ctx.close();
});

test('a villager reads the four deliberations and the result of a land contract', async () => {
  const list = await (await fetch(`${BASE}/api/v1/notices`)).json();
  const notice = list.notices.find((n) => n.title === '青山村集体机动地对外发包方案公示');
  assert.ok(notice, 'the demo village notice is published');
  const ctx = await context(browser, { bypassCSP: true });
  const page = await ctx.newPage();
  await page.goto(`${BASE}/items/${notice.item_id}/notice`);
  await page.getByRole('heading', { name: '决策程序：村级重大事项“四议两公开”' }).waitFor();
  for (const step of ['村党组织提议', '村“两委”会议商议', '党员大会审议', '村民会议或村民代表会议决议']) {
    assert.ok(await page.getByText(new RegExp(`${step}：已完成`)).isVisible(), step);
  }
  await accessible(page, 'notice-village');
  await page.getByRole('link', { name: '青山村集体机动地对外发包实施结果公告' }).click();
  await page.getByRole('heading', { name: '青山村集体机动地对外发包实施结果公告' }).waitFor();
  await ctx.close();
});
