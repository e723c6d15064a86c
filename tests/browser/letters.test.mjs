// 信箱 in a real browser: the public pages (mailboxes and statistics, the form, tracking, a
// published letter) have no serious accessibility violations at 1280 and 360 px and do not
// scroll sideways; a citizen writes an anonymous letter with an attachment by typing and
// clicking, keeps the number and secret from the receipt; a letter handler opens it (and so
// owns it), replies; the citizen reads the reply and rates it.

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { axeViolations, context, describe, launch, shoot, signIn, structureProblems } from './support.mjs';

const LETTERS = process.env.GONGKAI_E2E_LETTERS ?? 'e2e.letters';

let browser;
let streetBox;
let published;
before(async () => {
  browser = await launch();
  const ctx = await context(browser);
  const page = await ctx.newPage();
  await page.goto('/letters');
  // The demo's 街道主任信箱 accepts anonymous letters and needs no approval of replies.
  const row = page.locator('tr', { hasText: '街道主任信箱' });
  streetBox = (await row.getByRole('link', { name: /写信/ }).getAttribute('href')).match(/\/mailboxes\/(\d+)\//)[1];
  published = await page.locator('section', { hasText: '来信选登' }).locator('a').first().getAttribute('href');
  await ctx.close();
});
after(async () => {
  await browser?.close();
});

test('letter pages: no serious axe violations, one h1, no sideways scroll at 360 px', async () => {
  const failures = [];
  for (const width of [1280, 360]) {
    const ctx = await context(browser, { bypassCSP: true, viewport: { width, height: 900 } });
    for (const url of ['/letters', `/mailboxes/${streetBox}/write`, '/letters/track', published]) {
      const page = await ctx.newPage();
      const r = await page.goto(url);
      if (!r?.ok()) failures.push(`${url}: HTTP ${r?.status()}`);
      const problems = await structureProblems(page, width);
      const violations = await axeViolations(page);
      if (problems.length || violations.length) {
        failures.push(`${url} at ${width}px\n${[...problems, ...violations.map(describe)].join('\n')}`);
      }
      await page.close();
    }
    await ctx.close();
  }
  assert.equal(failures.length, 0, `accessibility problems:\n\n${failures.join('\n\n')}`);
});

test('a citizen writes anonymously, a handler takes and answers it, the citizen rates the reply', async () => {
  const dir = path.join(os.tmpdir(), `gk-letter-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const photo = path.join(dir, '现场说明.txt');
  writeFileSync(photo, '南苑小区3号楼前路灯不亮的位置说明');

  const citizen = await context(browser);
  const page = await citizen.newPage();
  await page.goto('/letters');
  await page.locator('tr', { hasText: '街道主任信箱' }).getByRole('link', { name: /写信/ }).click();
  // A mistake first: the form comes back with what was typed and the message beside the field.
  await page.getByLabel('标题（必填）').fill('南苑小区路灯不亮');
  await page.getByLabel(/^内容/).fill('路灯');
  await page.getByLabel(/匿名来信/).check();
  await page.getByRole('button', { name: '提交来信' }).click();
  await assert.doesNotReject(page.getByText('请填写来信内容（至少5个字）').waitFor());
  assert.equal(await page.getByLabel(/^内容/).getAttribute('aria-invalid'), 'true');
  assert.equal(await page.getByLabel('标题（必填）').inputValue(), '南苑小区路灯不亮');
  await page.getByLabel(/^内容/).fill('南苑小区3号楼前的路灯已经坏了一个多月，晚上出行很不安全。');
  await page.getByLabel(/^附件/).setInputFiles(photo);
  assert.ok(await page.getByLabel(/匿名来信/).isChecked(), 'the choice is kept');
  await page.getByRole('button', { name: '提交来信' }).click();
  await page.getByRole('heading', { name: '来信已收到' }).waitFor();
  await shoot(page, 'letter-receipt');
  const codes = await page.locator('strong.code').allInnerTexts();
  assert.equal(codes.length, 2);
  const [number, secret] = codes;

  await page.goto('/letters/track');
  await page.getByLabel('来信编号').fill(number);
  await page.getByLabel('查询密码').fill(secret);
  await page.getByRole('button', { name: '查询' }).click();
  await assert.doesNotReject(page.getByText('待受理').first().waitFor());

  // The handler: the letter waits in 待受理; opening it makes the handler its owner.
  const staff = await context(browser);
  const desk = await staff.newPage();
  await signIn(desk, LETTERS);
  await desk.goto('/admin/letters');
  await desk.getByRole('link', { name: number }).click();
  await assert.doesNotReject(desk.getByText('您已受理该来信').waitFor());
  assert.ok(await desk.getByText('匿名来信').first().isVisible());
  await desk.getByLabel(/^答复内容/).fill('已通知物业和路灯维护单位，3号楼前路灯已于今日修复。');
  await desk.getByRole('button', { name: '发送答复' }).click();
  await assert.doesNotReject(desk.getByText('已答复，来信人可在查询页看到答复').waitFor());
  await shoot(desk, 'letter-case');

  await page.goto('/letters/track');
  await page.getByLabel('来信编号').fill(number);
  await page.getByLabel('查询密码').fill(secret);
  await page.getByRole('button', { name: '查询' }).click();
  await assert.doesNotReject(page.getByText('路灯已于今日修复').waitFor());
  await page.getByLabel('满意', { exact: true }).check();
  await page.getByRole('button', { name: '提交评价' }).click();
  await assert.doesNotReject(page.getByText('感谢您的评价').waitFor());
  await shoot(page, 'letter-track');
  await citizen.close();
  await staff.close();
});
