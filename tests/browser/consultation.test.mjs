// 征求意见: a citizen opens the portal's list, chooses the draft open for comment, comments on
// one paragraph from its link, and gets a receipt; a closed consultation shows its 意见采纳情况
// and the diff of the final version; a 信息员 finds the comment in the moderation queue across
// drafts and publishes it. Every page passes axe-core at 1280 and 360 px.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { BASE, accessible, context, launch, signIn } from './support.mjs';

const MODERATOR = process.env.GONGKAI_E2E_MODERATOR ?? 'e2e.moderator';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('a citizen comments on a paragraph of a draft and reads what became of earlier comments', async () => {
  const ctx = await context(browser, { bypassCSP: true });
  const page = await ctx.newPage();
  await page.goto(`${BASE}/`);
  await page.getByRole('link', { name: '征求意见', exact: true }).first().click();
  await page.getByRole('heading', { name: /正在征求意见/ }).waitFor();
  await accessible(page, 'consultations');
  await page.getByRole('link', { name: '城关街道老旧小区停车管理办法（征求意见稿）' }).click();
  await page.getByRole('heading', { name: '征求意见中' }).waitFor();
  await accessible(page, 'consultation-open');
  // The paragraph's own link preselects it in the form.
  await page.locator('#p3').getByRole('link', { name: '对本段提意见' }).click();
  assert.equal(await page.getByLabel('意见针对').inputValue(), '3');
  await page.getByLabel('意见内容（必填，不超过2000字）').fill('建议访客车辆停放时间按实际需要登记。');
  await page.getByLabel('姓名（必填）').fill('浏览器测试');
  await page.getByLabel('联系电话或电子邮箱（必填，不公开）').fill('13900009999');
  await page.getByRole('button', { name: '提交意见' }).click();
  await page.getByRole('heading', { name: '意见已收到' }).waitFor();
  assert.match(await page.getByRole('status').innerText(), /编号 YJ\d+/);
  await accessible(page, 'consultation-receipt');
  // The closed one: its feedback, the final version and the diff.
  await page.goto(`${BASE}/consultations`);
  await page.getByRole('link', { name: '城关街道社区养老服务设施建设方案（征求意见稿）' }).click();
  await page.getByRole('heading', { name: '意见采纳情况', exact: true }).waitFor();
  assert.ok(await page.getByText('引入社会资本 · 未采纳（1条）').isVisible());
  await accessible(page, 'consultation-feedback');
  await page.getByRole('link', { name: '查看与征求意见稿的对比' }).click();
  await page.getByRole('heading', { name: '正式文件与征求意见稿的对比' }).waitFor();
  assert.ok(await page.getByText(/助浴/).first().isVisible());
  await accessible(page, 'consultation-diff');
  await ctx.close();
});

test('a 信息员 publishes the held comment from the moderation queue', async () => {
  const ctx = await context(browser, { bypassCSP: true });
  const page = await ctx.newPage();
  await signIn(page, MODERATOR);
  await page.getByRole('link', { name: /待审核意见 \d+ 条/ }).click();
  await page.getByRole('heading', { name: '待审核意见', level: 1 }).waitFor();
  const card = page.locator('article').filter({ hasText: '建议访客车辆停放时间按实际需要登记。' });
  assert.equal(await card.count(), 1, 'the comment waits in the queue');
  assert.ok(await card.getByText('城关街道老旧小区停车管理办法（征求意见稿）').isVisible());
  await accessible(page, 'comment-queue');
  await card.getByRole('button', { name: '公开显示' }).click();
  await page.getByRole('status').filter({ hasText: '意见已公开显示' }).waitFor();
  assert.equal(await page.locator('article').filter({ hasText: '建议访客车辆停放时间按实际需要登记。' }).count(), 0);
  await ctx.close();
});
