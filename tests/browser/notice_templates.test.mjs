// An administrator edits the body's text of a notice in the back office: a bad placeholder is
// refused with the input kept, the preview shows the text filled with example values, saving
// and resetting work.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { ADMIN, context, launch, shoot, signIn } from './support.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('an administrator edits, previews and resets a notice text', async () => {
  const ctx = await context(browser);
  const page = await ctx.newPage();
  await signIn(page, ADMIN);
  await page.goto('/admin/bodies');
  await page.locator('tr', { hasText: '示例县人民政府办公室' }).getByRole('link', { name: '文书模板' }).click();
  await page.getByRole('heading', { name: /文书模板/ }).waitFor();
  await shoot(page, 'notice-templates');
  await page.getByRole('link', { name: '补正告知书' }).click();
  const text = page.locator('#text');
  assert.match(await text.inputValue(), /\{补正要求\}/);

  const bad = '请您补正：{补正内容}';
  await text.fill(bad);
  await page.getByRole('button', { name: '保存' }).click();
  await page.getByRole('alert').getByText('未知的占位符').waitFor();
  assert.equal(await page.locator('#text').inputValue(), bad, 'the input is kept');

  await page.locator('#text').fill('{申请人}您好：请于15个工作日内补正：{补正要求}\n依据：{法律依据}。');
  await page.getByRole('button', { name: '预览' }).click();
  const preview = page.getByRole('region', { name: '预览' });
  await preview.getByText('李明您好：请于15个工作日内补正：请说明所需招标文件的项目名称或标段').waitFor();
  await shoot(page, 'notice-template-preview');
  await page.getByRole('button', { name: '保存' }).click();
  await page.getByText('已保存').waitFor();
  assert.ok(await page.locator('tr', { hasText: '补正告知书' }).getByText('本机关文本').isVisible());

  await page.getByRole('link', { name: '补正告知书' }).click();
  await page.getByRole('button', { name: '恢复默认文本' }).click();
  await page.getByText('已恢复为默认文本').waitFor();
  assert.ok(await page.locator('tr', { hasText: '补正告知书' }).getByText('默认文本').isVisible());
  await ctx.close();
});
