// 内部文件: a 信息员 sends meeting minutes to one person, who finds them waiting on the 工作台
// and opens them; the sender then sees the reading recorded. A bad form comes back with the
// input kept. Every page passes axe-core at 1280 and 360 px.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { accessible, context, launch, signIn } from './support.mjs';

const SECRETARY = process.env.GONGKAI_E2E_SECRETARY ?? 'e2e.secretary';
const READER = process.env.GONGKAI_E2E_READER ?? 'e2e.reader';
const TITLE = `浏览器测试主任办公会议纪要 ${Date.now()}`;

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('minutes are sent, read by their recipient, and the reading is shown to the sender', async () => {
  const sender = await (await context(browser, { bypassCSP: true })).newPage();
  await signIn(sender, SECRETARY);
  await sender.getByRole('link', { name: '内部文件' }).first().click();
  await sender.getByRole('heading', { name: '内部文件' }).waitFor();
  await accessible(sender, 'circulars-list');
  await sender.getByRole('link', { name: '发送内部文件' }).click();
  await sender.getByLabel('标题').fill(TITLE);
  await sender.getByLabel('正文（或上传文件）').fill('一、研究了政务公开年度报告的审核安排。');
  await sender.getByLabel(/浏览器测试分管领导/).check();
  // No meeting date: refused, the input kept.
  await sender.getByRole('button', { name: '发送' }).click();
  await sender.getByRole('alert').filter({ hasText: '会议纪要须填写会议日期' }).waitFor();
  assert.equal(await sender.getByLabel('标题').inputValue(), TITLE);
  assert.ok(await sender.getByLabel(/浏览器测试分管领导/).isChecked());
  await accessible(sender, 'circulars-new');
  const yesterday = new Date(Date.now() + 8 * 3600e3 - 86400e3).toISOString().slice(0, 10);
  await sender.getByLabel('会议日期（会议纪要必填）').fill(yesterday);
  await sender.getByRole('button', { name: '发送' }).click();
  await sender.getByRole('heading', { name: '阅读情况：0/1人已读' }).waitFor();
  await accessible(sender, 'circulars-view-sender');
  const url = sender.url().replace(/\?.*$/, '');

  const reader = await (await context(browser, { bypassCSP: true })).newPage();
  await signIn(reader, READER);
  await reader.getByRole('link', { name: /待阅 \d+ 件/ }).click();
  await reader.getByRole('link', { name: TITLE }).click();
  await reader.getByRole('heading', { name: TITLE }).waitFor();
  assert.ok(await reader.getByText('研究了政务公开年度报告的审核安排').isVisible());
  assert.equal(await reader.getByText('阅读情况').count(), 0, 'a recipient does not see the receipts');
  await accessible(reader, 'circulars-view-reader');

  await sender.goto(url);
  await sender.getByRole('heading', { name: '阅读情况：1/1人已读' }).waitFor();
  const row = sender.getByRole('row').filter({ hasText: '浏览器测试分管领导' });
  assert.match(await row.innerText(), /\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/);
});
